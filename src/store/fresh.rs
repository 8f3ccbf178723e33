//! Skipping lookups that cannot find anything. While no other process has created events
//! of a kind since this run began, and the store had none before, an event can only match
//! one this run created; hashes of what this run created answer that without a query.
//! perf/NOTES: an SQL lookup inside the batch transaction costs about as much as the insert.
//!
//! Whether someone else wrote is read from the kind's number sequence at the start of each
//! batch transaction: if it is not where this run left it, every lookup is made again.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::kind::Kind;
use crate::resolve::Resolved;

/// Per-kind knowledge of what the store can hold.
#[derive(Default)]
pub struct Fresh {
    kinds: HashMap<Kind, KindState>,
}

/// What this run knows of one kind.
pub struct KindState {
    fresh: bool,
    expected_last: i64,
    requests: HashSet<u64>,
    externals: HashSet<u64>,
    referred: HashSet<u64>,
}

fn hash(parts: &[&str]) -> u64 {
    let mut hasher = DefaultHasher::new();
    parts.hash(&mut hasher);
    hasher.finish()
}

impl Fresh {
    /// At the start of a batch transaction: `stored_last` is the kind's last number as the
    /// store has it now.
    pub fn begin(&mut self, kind: Kind, stored_last: i64) -> &mut KindState {
        let state = self.kinds.entry(kind).or_insert_with(|| KindState {
            fresh: stored_last == 0,
            expected_last: stored_last,
            requests: HashSet::new(),
            externals: HashSet::new(),
            referred: HashSet::new(),
        });
        if stored_last != state.expected_last {
            // Another process created events of this kind: look everything up from now on.
            state.fresh = false;
            state.requests = HashSet::new();
            state.externals = HashSet::new();
            state.referred = HashSet::new();
        }
        state
    }
}

impl KindState {
    /// Whether the store may hold an event with this request unique identifier.
    pub fn may_hold_request(&self, rui: &str) -> bool {
        !self.fresh || self.requests.contains(&hash(&[rui]))
    }

    /// Whether the store may hold this external reference.
    pub fn may_hold_external(&self, system: &str, reference: &str) -> bool {
        !self.fresh || self.externals.contains(&hash(&[system, reference]))
    }

    /// Whether the store may hold a referral of this participant.
    pub fn may_hold_referral(&self, participant_id: &str) -> bool {
        !self.fresh || self.referred.contains(&hash(&[participant_id]))
    }

    /// Notes an event this run created.
    pub fn created(&mut self, event: &Resolved) {
        if !self.fresh {
            return;
        }
        self.requests.insert(hash(&[&event.rui]));
        if let Some((system, reference)) = &event.external {
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

    #[test]
    fn a_store_with_events_is_never_fresh() {
        let mut fresh = Fresh::default();
        assert!(fresh.begin(Kind::Web, 5).may_hold_request("1"));
        let state = fresh.begin(Kind::Purchases, 0);
        assert!(!state.may_hold_request("1"));
    }

    #[test]
    fn another_writer_ends_freshness() {
        let mut fresh = Fresh::default();
        let state = fresh.begin(Kind::Web, 0);
        state.committed(10);
        assert!(!fresh.begin(Kind::Web, 10).may_hold_request("x"));
        assert!(fresh.begin(Kind::Web, 12).may_hold_request("x"));
        assert!(fresh.begin(Kind::Web, 12).may_hold_request("x"));
    }
}
