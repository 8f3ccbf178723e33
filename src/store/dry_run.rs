//! A dry run's memory: nothing reaches the store, so what the run would have created is
//! kept here instead, for the checks of later batches (re-run recognition, external
//! references, referrals and the numbers each kind would have reached).

use std::collections::{HashMap, HashSet};

use crate::domain::kind::Kind;
use crate::judge::judged::Judged;

/// What a dry run would have created so far.
#[derive(Default)]
pub struct DryRun {
    created: HashMap<(Kind, String, [u8; 16]), (String, i64)>,
    external: HashSet<(Kind, String, String)>,
    referred: HashSet<String>,
    last_number: HashMap<Kind, i64>,
}

impl DryRun {
    /// The id and number this run gave the same event (kind, request unique identifier
    /// and content), if it did.
    pub fn created(&self, kind: Kind, event: &Judged) -> Option<(String, i64)> {
        let key = (kind, event.rui.clone(), listing_hash(&event.listing));
        self.created.get(&key).cloned()
    }

    /// Whether this run created an event of `kind` with this external reference.
    pub fn holds_external(&self, kind: Kind, system: &str, reference: &str) -> bool {
        self.external
            .contains(&(kind, system.to_owned(), reference.to_owned()))
    }

    /// Whether this run created a referral of this participant.
    pub fn holds_referral(&self, participant_id: &str) -> bool {
        self.referred.contains(participant_id)
    }

    /// The last number this run gave an event of `kind`, if any.
    pub fn last_number(&self, kind: Kind) -> Option<i64> {
        self.last_number.get(&kind).copied()
    }

    /// Records the last number given to `kind` by a batch.
    pub fn set_last_number(&mut self, kind: Kind, last: i64) {
        self.last_number.insert(kind, last);
    }

    /// Records an event the run would have created.
    pub fn remember(&mut self, kind: Kind, event: &Judged, id: &str, number: i64) {
        self.created.insert(
            (kind, event.rui.clone(), listing_hash(&event.listing)),
            (id.to_owned(), number),
        );
        if let Some((system, reference)) = event.external.as_deref() {
            self.external
                .insert((kind, system.clone(), reference.clone()));
        }
        if let Some(referral) = &event.referral {
            self.referred.insert(referral.referred_id.clone());
        }
    }
}

/// What a dry run keeps of a created event's content: a hash of its listing, so that
/// memory grows by bytes, not by listings, an event.
fn listing_hash(listing: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(&blake3::hash(listing.as_bytes()).as_bytes()[..16]);
    out
}
