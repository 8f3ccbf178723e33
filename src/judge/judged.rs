//! A judged event: what the workers hand to the writer. It owns its data (the parsed tree
//! it came from is gone by then) and keeps only what the writer needs.

use std::hash::BuildHasher;

/// The two participants of a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    /// The referred participant's id.
    pub referred_id: String,
    /// Its number, for the error text.
    pub referred_number: String,
    /// The referring participant's id.
    pub referred_by_id: String,
}

/// A judged event: valid, resolved and within the rules that need no store, ready for the
/// writer.
#[derive(Debug, Clone)]
pub struct Judged {
    /// `request_unique_identifier`
    pub rui: String,
    /// Its key in the writer's filter of what this run created ([`request_key`]).
    pub request_key: u64,
    /// The event's account (named, or the participant's): its id.
    pub account_id: Option<String>,
    /// Its row in the store (`rid`), which the store keeps instead of the id when it has
    /// one (schema 6).
    pub account_rid: Option<i64>,
    /// Whether the body leaves the account out, to the row's `accounts_receivable_id`
    /// (named by its row, schema 7): re-run recognition then compares that column too.
    pub account_left_out: bool,
    /// `external_system` (empty when absent) and `external_system_reference_number`.
    /// Boxed, as is `referral`: most events have neither, and a judged event waits in
    /// memory for the writer (docs/performance.md, "judge/judged: a waiting event's size").
    pub external: Option<Box<(String, String)>>,
    /// Referrals only.
    pub referral: Option<Box<Referral>>,
    /// The request object with every identifier replaced by `{"id": …}`, in stored form
    /// ([`crate::judge::body`]): what `events` lists, and what recognises the same event on
    /// a re-run (docs/spec.md §5: same kind, request unique identifier and content;
    /// `{"number": …}` and `{"id": …}` naming the same account are the same content).
    pub listing: String,
}

impl Judged {
    /// The account's row when the body leaves the account to the row's
    /// `accounts_receivable_id`: part of the event's content beside its listing.
    pub fn account_in_row(&self) -> Option<i64> {
        self.account_rid.filter(|_| self.account_left_out)
    }
}

/// The key a request unique identifier has in the writer's filter of what this run created.
/// Computed on the worker threads so that the one writer only probes.
pub fn request_key(rui: &str) -> u64 {
    // foldhash with a fixed seed: the keys only have to agree within one process.
    foldhash::quality::FixedState::with_seed(0x6365_6275_6c6b).hash_one([rui])
}
