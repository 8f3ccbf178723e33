//! Skipping lookups that cannot find anything. While no other process has created events
//! of a kind since this run began, and the store had none before, an event can only match
//! one this run created; hashes of what this run created answer that without a query.
//! An SQL lookup inside the batch transaction costs about as much as the insert
//! (docs/performance.md, "store/seen: skipping lookups").
//!
//! Whether someone else wrote is read from the kind's number sequence at the start of each
//! batch transaction: if it is not where this run left it, every lookup is made again.
//!
//! What this run created is kept in Bloom filters of a fixed size, so memory does not grow
//! with the input: a false positive only costs the lookup it would have skipped.

use std::collections::HashMap;
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

impl Fresh {
    /// At the start of a batch transaction: `stored_last` is the kind's last number as the
    /// store has it now.
    pub fn begin(&mut self, kind: Kind, stored_last: i64) -> &mut KindState {
        let state = self.kinds.entry(kind).or_insert_with(|| KindState {
            fresh: stored_last == 0,
            expected_last: stored_last,
            requests: Bloom::default(),
            externals: Bloom::default(),
            referred: Bloom::default(),
        });
        if stored_last != state.expected_last {
            // Another process created events of this kind: look everything up from now on.
            state.fresh = false;
            state.requests = Bloom::default();
            state.externals = Bloom::default();
            state.referred = Bloom::default();
        }
        state
    }
}

impl KindState {
    /// Whether the store may hold an event with this request unique identifier, given by
    /// its [`request_key`](crate::judge::judged::request_key).
    pub fn may_hold_request(&self, key: u64) -> bool {
        !self.fresh || self.requests.may_contain(key)
    }

    /// Brings the filter blocks of the next events' request keys into cache. One event at
    /// a time, each probe waited on its own cache miss
    /// (docs/performance.md, "store/seen: loading filter blocks ahead").
    pub fn warm_requests(&self, keys: impl Iterator<Item = u64>) {
        if self.fresh {
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
        if !self.fresh {
            return;
        }
        self.requests.insert(event.request_key);
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
    use super::*;
    use crate::judge::judged::request_key;

    #[test]
    fn a_store_with_events_is_never_fresh() {
        let mut fresh = Fresh::default();
        assert!(fresh.begin(Kind::Web, 5).may_hold_request(request_key("1")));
        let state = fresh.begin(Kind::Purchases, 0);
        assert!(!state.may_hold_request(request_key("1")));
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
    fn another_writer_ends_freshness() {
        let mut fresh = Fresh::default();
        let state = fresh.begin(Kind::Web, 0);
        state.committed(10);
        assert!(
            !fresh
                .begin(Kind::Web, 10)
                .may_hold_request(request_key("x"))
        );
        assert!(
            fresh
                .begin(Kind::Web, 12)
                .may_hold_request(request_key("x"))
        );
        assert!(
            fresh
                .begin(Kind::Web, 12)
                .may_hold_request(request_key("x"))
        );
    }
}
