//! A dry run's memory: nothing reaches the store, so what the run would have created is
//! kept here instead, for the checks of later batches (re-run recognition, external
//! references, referrals and the numbers each kind would have reached).
//!
//! It lives in a private temporary SQLite database, not on the heap, so that a dry run of
//! any size runs in the memory of a real import: SQLite keeps a bounded page cache of it
//! and spills the rest to a file in the system's temporary directory (`TMPDIR`), which it
//! unlinks as soon as it has opened it, so that nothing is left behind however the run
//! ends.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::error::{Doing, StoreError};
use crate::domain::kind::Kind;
use crate::judge::judged::Judged;

/// What a dry run would have created so far.
pub struct DryRun {
    conn: Connection,
    last_number: HashMap<Kind, i64>,
}

/// Where a failure of the dry run's memory happened, for its message.
const DOING: &str = "keeping the dry run's events in a temporary file (in TMPDIR)";

impl DryRun {
    /// An empty memory.
    pub fn new() -> Result<DryRun, StoreError> {
        let conn = super::temporary::open(
            "CREATE TABLE created (
                 kind INTEGER NOT NULL, rui TEXT NOT NULL, content BLOB NOT NULL,
                 id TEXT NOT NULL, number INTEGER NOT NULL,
                 PRIMARY KEY (kind, rui, content)) WITHOUT ROWID;
             CREATE TABLE external (
                 kind INTEGER NOT NULL, system TEXT NOT NULL, reference TEXT NOT NULL,
                 PRIMARY KEY (kind, system, reference)) WITHOUT ROWID;
             CREATE TABLE referred (participant TEXT PRIMARY KEY) WITHOUT ROWID;",
            2048,
            DOING,
        )?;
        Ok(DryRun {
            conn,
            last_number: HashMap::new(),
        })
    }

    /// Starts a group of batches (one transaction of the memory, for speed).
    pub fn begin(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("BEGIN").doing(DOING)
    }

    /// Ends a group of batches.
    pub fn end(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT").doing(DOING)
    }

    /// The id and number this run gave the same event (kind, request unique identifier
    /// and content), if it did.
    pub fn created(&self, kind: Kind, event: &Judged) -> Result<Option<(String, i64)>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT id, number FROM created WHERE kind = ?1 AND rui = ?2 AND content = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![kind.ordinal(), event.rui, content(event)], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()
            })
            .doing(DOING)
    }

    /// Whether this run created an event of `kind` with this external reference.
    pub fn holds_external(
        &self,
        kind: Kind,
        system: &str,
        reference: &str,
    ) -> Result<bool, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT 1 FROM external WHERE kind = ?1 AND system = ?2 AND reference = ?3",
            )
            .and_then(|mut s| s.exists(params![kind.ordinal(), system, reference]))
            .doing(DOING)
    }

    /// Whether this run created a referral of this participant.
    pub fn holds_referral(&self, participant_id: &str) -> Result<bool, StoreError> {
        self.conn
            .prepare_cached("SELECT 1 FROM referred WHERE participant = ?1")
            .and_then(|mut s| s.exists([participant_id]))
            .doing(DOING)
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
    pub fn remember(
        &mut self,
        kind: Kind,
        event: &Judged,
        id: &str,
        number: i64,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO created (kind, rui, content, id, number)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    kind.ordinal(),
                    event.rui,
                    content(event),
                    id,
                    number
                ])
            })
            .doing(DOING)?;
        if let Some((system, reference)) = event.external.as_deref() {
            self.conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO external (kind, system, reference) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut s| s.execute(params![kind.ordinal(), system, reference]))
                .doing(DOING)?;
        }
        if let Some(referral) = &event.referral {
            self.conn
                .prepare_cached("INSERT OR IGNORE INTO referred (participant) VALUES (?1)")
                .and_then(|mut s| s.execute([&referral.referred_id]))
                .doing(DOING)?;
        }
        Ok(())
    }
}

/// What a dry run keeps of a created event's content: a hash of its listing, and of its
/// account when the listing leaves it to the row (schema 7), so that an event costs bytes,
/// not a listing.
fn content(event: &Judged) -> [u8; 16] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(event.listing.as_bytes());
    if let Some(row) = event.account_in_row() {
        hasher.update(&[0]);
        hasher.update(&row.to_le_bytes());
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(rui: &str, listing: &str) -> Judged {
        Judged {
            rui: rui.into(),
            request_key: 0,
            account_id: None,
            account_rid: None,
            account_left_out: false,
            external: Some(Box::new(("S".into(), format!("R{rui}")))),
            referral: None,
            listing: listing.into(),
        }
    }

    #[test]
    fn remembers_created_events_by_identifier_and_content() {
        let mut dry = DryRun::new().unwrap();
        dry.begin().unwrap();
        dry.remember(Kind::Web, &event("1", "{a}"), "ID1", 1)
            .unwrap();
        dry.end().unwrap();
        assert_eq!(
            dry.created(Kind::Web, &event("1", "{a}")).unwrap(),
            Some(("ID1".into(), 1))
        );
        assert_eq!(dry.created(Kind::Web, &event("1", "{b}")).unwrap(), None);
        assert_eq!(
            dry.created(Kind::Purchases, &event("1", "{a}")).unwrap(),
            None
        );
        assert!(dry.holds_external(Kind::Web, "S", "R1").unwrap());
        assert!(!dry.holds_external(Kind::Web, "S", "R2").unwrap());
    }

    #[test]
    fn an_account_left_to_the_row_is_part_of_the_content() {
        let with_account = |row| Judged {
            account_rid: Some(row),
            account_left_out: true,
            ..event("1", "{a}")
        };
        let mut dry = DryRun::new().unwrap();
        dry.begin().unwrap();
        dry.remember(Kind::Web, &with_account(5), "ID1", 1).unwrap();
        dry.end().unwrap();
        assert_eq!(
            dry.created(Kind::Web, &with_account(5)).unwrap(),
            Some(("ID1".into(), 1))
        );
        assert_eq!(dry.created(Kind::Web, &with_account(6)).unwrap(), None);
        assert_eq!(dry.created(Kind::Web, &event("1", "{a}")).unwrap(), None);
    }
}
