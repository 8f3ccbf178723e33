//! Skipping lookups that cannot find anything. While no other process has created events
//! of a kind since this run began, and the store had none before, an event can only match
//! one this run created; hashes of what this run created answer that without a query.
//! An SQL lookup inside the batch transaction costs about as much as the insert
//! (docs/performance.md, "store/seen: skipping lookups").
//!
//! A store that holds events already has a ceiling: the highest request unique identifier
//! it held, of any kind, when this run began. An identifier above it can only match an
//! event this run created, so a nightly import whose identifiers count up past those of
//! earlier nights skips the lookups as a fresh store does
//! (docs/performance.md, "store/seen: identifiers above the stored ones").
//!
//! Whether someone else wrote is read from the kind's number sequence at the start of each
//! batch transaction: if it is not where this run left it, the kind is no longer fresh,
//! the ceiling is read again and what this run created is forgotten.
//!
//! What this run created is kept in Bloom filters of a fixed size, so memory does not grow
//! with the input: a false positive only costs the lookup it would have skipped.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::BuildHasher;

use super::bloom::Bloom;
use crate::domain::kind::Kind;
use crate::judge::judged::Judged;

/// Per-kind knowledge of what the store can hold.
#[derive(Default)]
pub struct Fresh {
    kinds: HashMap<Kind, KindState>,
}

/// What this run knows of one kind.
pub struct KindState {
    fresh: bool,
    ceiling: Ceiling,
    expected_last: i64,
    requests: Bloom,
    externals: Bloom,
    referred: Bloom,
}

/// foldhash with a fixed seed: the keys only have to agree within one process, and it costs
/// a fraction of SipHash on the workers and the writer.
fn hash(parts: &[&str]) -> u64 {
    foldhash::quality::FixedState::with_seed(0x6365_6275_6c6b).hash_one(parts)
}

/// The highest request unique identifier the store held, of any kind, when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ceiling {
    /// The store held no event.
    Empty,
    /// The highest identifier, in SQLite's order of text (its bytes, as `str`'s order).
    Highest(String),
    /// Not known (a stored identifier that is not text): every identifier may be stored.
    Unknown,
}

impl Ceiling {
    /// Whether the store held no event with `rui` when the ceiling was read.
    fn above(&self, rui: &str) -> bool {
        match self {
            Ceiling::Empty => true,
            Ceiling::Highest(highest) => rui > highest.as_str(),
            Ceiling::Unknown => false,
        }
    }
}

impl Fresh {
    /// At the start of a batch transaction: `stored_last` is the kind's last number as the
    /// store has it now; `ceiling` reads the store's [`Ceiling`], called when this run
    /// first writes the kind and after another process wrote it.
    pub fn begin<E>(
        &mut self,
        kind: Kind,
        stored_last: i64,
        ceiling: impl FnOnce() -> Result<Ceiling, E>,
    ) -> Result<&mut KindState, E> {
        let state = match self.kinds.entry(kind) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                return Ok(entry.insert(KindState {
                    fresh: stored_last == 0,
                    // A fresh kind needs no ceiling.
                    ceiling: match stored_last {
                        0 => Ceiling::Unknown,
                        _ => ceiling()?,
                    },
                    expected_last: stored_last,
                    requests: Bloom::default(),
                    externals: Bloom::default(),
                    referred: Bloom::default(),
                }));
            }
        };
        if stored_last != state.expected_last {
            // Another process created events of this kind: look everything up from now on,
            // but for identifiers above everything stored now.
            state.fresh = false;
            state.ceiling = ceiling()?;
            state.expected_last = stored_last;
            state.requests = Bloom::default();
            state.externals = Bloom::default();
            state.referred = Bloom::default();
        }
        Ok(state)
    }
}

impl KindState {
    /// Whether the store may hold an event with the request unique identifier `rui`,
    /// and `key`, its [`request_key`](crate::judge::judged::request_key).
    pub fn may_hold_request(&self, rui: &str, key: u64) -> bool {
        let stored = !self.fresh && !self.ceiling.above(rui);
        stored || self.requests.may_contain(key)
    }

    /// Whether what this run created is remembered: a fresh kind, or one with a ceiling.
    fn remembers(&self) -> bool {
        self.fresh || self.ceiling != Ceiling::Unknown
    }

    /// Brings the filter blocks of the next events' request keys into cache. One event at
    /// a time, each probe waited on its own cache miss
    /// (docs/performance.md, "store/seen: loading filter blocks ahead").
    pub fn warm_requests(&self, keys: impl Iterator<Item = u64>) {
        if self.remembers() {
            self.requests.warm(keys);
        }
    }

    /// Whether the store may hold this external reference.
    pub fn may_hold_external(&self, system: &str, reference: &str) -> bool {
        !self.fresh || self.externals.may_contain(hash(&[system, reference]))
    }

    /// Whether the store may hold a referral of this participant.
    pub fn may_hold_referral(&self, participant_id: &str) -> bool {
        !self.fresh || self.referred.may_contain(hash(&[participant_id]))
    }

    /// Notes an event this run created.
    pub fn created(&mut self, event: &Judged) {
        if self.remembers() {
            self.requests.insert(event.request_key);
        }
        if !self.fresh {
            return;
        }
        if let Some((system, reference)) = event.external.as_deref() {
            self.externals.insert(hash(&[system, reference]));
        }
        if let Some(referral) = &event.referral {
            self.referred.insert(hash(&[&referral.referred_id]));
        }
    }

    /// At the end of a committed batch: the kind's last number as this run left it.
    pub fn committed(&mut self, last: i64) {
        self.expected_last = last;
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;
    use crate::judge::judged::request_key;

    /// `begin` with a ceiling read from a store that holds `highest`.
    fn begin<'f>(fresh: &'f mut Fresh, kind: Kind, last: i64, highest: &str) -> &'f mut KindState {
        let ceiling = || Ok::<_, Infallible>(Ceiling::Highest(highest.to_owned()));
        match fresh.begin(kind, last, ceiling) {
            Ok(state) => state,
            Err(never) => match never {},
        }
    }

    fn judged(rui: &str) -> Judged {
        Judged {
            rui: rui.to_owned(),
            request_key: request_key(rui),
            account_id: None,
            account_rid: None,
            account_left_out: false,
            external: None,
            referral: None,
            listing: String::new(),
        }
    }

    fn may_hold(state: &KindState, rui: &str) -> bool {
        state.may_hold_request(rui, request_key(rui))
    }

    #[test]
    fn a_store_with_events_is_never_fresh() {
        let mut fresh = Fresh::default();
        assert!(may_hold(begin(&mut fresh, Kind::Web, 5, "9"), "1"));
        assert!(!may_hold(begin(&mut fresh, Kind::Purchases, 0, "9"), "1"));
    }

    #[test]
    fn identifiers_above_the_ceiling_are_not_stored_until_created() {
        let mut fresh = Fresh::default();
        let state = begin(&mut fresh, Kind::Web, 5, "000123");
        assert!(may_hold(state, "000123"));
        assert!(may_hold(state, "000122"));
        assert!(may_hold(state, "0001"), "a prefix sorts below");
        assert!(!may_hold(state, "000124"));
        assert!(!may_hold(state, "0001230"));
        assert!(!may_hold(state, "z"));
        state.created(&judged("000124"));
        assert!(may_hold(state, "000124"));
        assert!(!may_hold(state, "000125"));
    }

    #[test]
    fn an_unknown_ceiling_looks_everything_up() {
        let mut fresh = Fresh::default();
        let unknown = || Ok::<_, Infallible>(Ceiling::Unknown);
        let Ok(state) = fresh.begin(Kind::Web, 5, unknown);
        assert!(may_hold(state, "zzz"));
    }

    #[test]
    fn the_filter_never_forgets_and_rarely_invents() {
        let mut bloom = Bloom::default();
        for i in 0..100_000 {
            bloom.insert(hash(&[&i.to_string()]));
        }
        assert!((0..100_000).all(|i| bloom.may_contain(hash(&[&i.to_string()]))));
        let invented = (100_000..200_000)
            .filter(|i| bloom.may_contain(hash(&[&i.to_string()])))
            .count();
        assert!(invented < 100, "{invented} false positives in 100 000");
    }

    #[test]
    fn another_writer_ends_freshness_and_raises_the_ceiling() {
        let mut fresh = Fresh::default();
        let state = begin(&mut fresh, Kind::Web, 0, "");
        state.created(&judged("b"));
        state.committed(10);
        let state = begin(&mut fresh, Kind::Web, 10, "b");
        assert!(!may_hold(state, "x"));
        assert!(may_hold(state, "b"));
        // Another process created events 11 and 12, the highest identifier now "x".
        let state = begin(&mut fresh, Kind::Web, 12, "x");
        assert!(may_hold(state, "x"));
        assert!(may_hold(state, "b"));
        assert!(!may_hold(state, "y"));
        let state = begin(&mut fresh, Kind::Web, 12, "x");
        assert!(may_hold(state, "x"));
        assert!(!may_hold(state, "y"));
    }
}
