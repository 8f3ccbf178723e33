//! Batch digests: a batch whose events an import created new or found stored is remembered
//! by a digest of what was read of it and of everything its judging depended on, so that a
//! re-run of the same input recognises the batch without judging its events again
//! (docs/design.md, "Batch digests").
//!
//! The writer records a batch's digest ([`record`]) in the transaction that creates its
//! events; the import's workers look digests up ([`Finder::find`]) on connections of their
//! own, and read the batch's events back as the report gives them. The events of two
//! batches recorded never share a request unique identifier: a batch is recorded only when
//! each of its events was the only one of its kind with its identifier.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use super::error::{Doing, StoreError};
use super::ids::{self, StoredIds};
use super::schema;
use crate::domain::kind::Kind;

/// The digest of a batch and of its judging's context (a BLAKE3 hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest(pub [u8; 32]);

/// The table, created with the store's schema (schema 8).
pub const TABLE: &str = "
CREATE TABLE batch_digests (
    digest BLOB PRIMARY KEY,
    first_seq INTEGER NOT NULL,
    events INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Records that the batch with `digest` stands for the `events` events from `first_seq` on,
/// each the only one of its kind with its request unique identifier: created by it, or
/// found stored by it. A row the digest had before is replaced: its events were not all
/// there any more, or the batch would not have been judged to these ones.
pub fn record(
    conn: &Connection,
    digest: &Digest,
    first_seq: i64,
    events: usize,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO batch_digests (digest, first_seq, events) VALUES (?1, ?2, ?3)",
    )
    .and_then(|mut s| s.execute(params![&digest.0[..], first_seq, events as i64]))
    .doing("recording the batch's digest")?;
    Ok(())
}

/// A batch found by its digest: its events, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The `seq` of its first event.
    pub first_seq: i64,
    /// Each event's request unique identifier, id and number.
    pub events: Vec<(String, String, i64)>,
}

impl Found {
    /// The `seq` range of its events.
    pub fn seqs(&self) -> std::ops::Range<i64> {
        self.first_seq..self.first_seq + self.events.len() as i64
    }
}

/// Looks batches up in the store, on read connections of its own (one a thread at a time,
/// opened as needed), so that the writer's connection is not shared between threads.
pub struct Finder {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Finder {
    /// A finder over the store at `path`.
    pub fn new(path: &Path) -> Finder {
        Finder {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `work` on an idle connection, opening one if none is.
    fn with<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = Connection::open(&self.path).doing("opening the store to read")?;
                conn.busy_timeout(super::open::BUSY_TIMEOUT)
                    .doing("setting the busy timeout")?;
                // Never writes: the import's one writer is another connection.
                conn.pragma_update(None, "query_only", true)
                    .doing("opening the store to read")?;
                conn
            }
        };
        let done = work(&conn);
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
        done
    }

    /// The batch of `kind` and `events` events recorded with `digest`, read back; None
    /// when there is none, or the store no longer holds each of its events.
    pub fn find(
        &self,
        kind: Kind,
        digest: &Digest,
        events: usize,
    ) -> Result<Option<Found>, StoreError> {
        self.with(|conn| find(conn, kind, digest, events))
    }

    /// Whether the store holds an event of `kind` with request unique identifier `rui`
    /// within one of `ranges` (of `seq`, sorted and apart).
    pub fn holds_within(
        &self,
        kind: Kind,
        rui: &str,
        ranges: &[std::ops::Range<i64>],
    ) -> Result<bool, StoreError> {
        self.with(|conn| {
            let doing = "looking for an identifier among the batches recognised by their digests";
            let mut statement = conn
                .prepare_cached(
                    "SELECT seq FROM events
                     WHERE seq > ?1 AND seq < ?2 AND request_unique_identifier = ?3",
                )
                .doing(doing)?;
            let mut rows = statement
                .query(params![
                    schema::seq(kind.ordinal(), 0),
                    schema::seq(kind.ordinal() + 1, 0),
                    rui
                ])
                .doing(doing)?;
            while let Some(row) = rows.next().doing(doing)? {
                let seq: i64 = row.get(0).doing(doing)?;
                let after = ranges.partition_point(|range| range.end <= seq);
                if ranges.get(after).is_some_and(|range| range.contains(&seq)) {
                    return Ok(true);
                }
            }
            Ok(false)
        })
    }
}

/// The kind and first number of the `events` events from `first_seq` that a row of
/// `batch_digests` stands for, when they are at least one, all of one kind.
pub fn span(first_seq: i64, events: i64) -> Option<(Kind, i64)> {
    let (kind, number) = ids::kind_and_number(first_seq)?;
    let last = first_seq.checked_add(events.checked_sub(1)?)?;
    let last_kind = ids::kind_and_number(last)?.0;
    (events >= 1 && number >= 1 && last_kind == kind).then_some((kind, number))
}

fn find(
    conn: &Connection,
    kind: Kind,
    digest: &Digest,
    events: usize,
) -> Result<Option<Found>, StoreError> {
    let doing = "looking for a batch by its digest";
    let recorded: Option<(i64, i64)> = conn
        .prepare_cached("SELECT first_seq, events FROM batch_digests WHERE digest = ?1")
        .and_then(|mut s| {
            s.query_row([&digest.0[..]], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .doing(doing)?;
    let Some((first_seq, count)) = recorded else {
        return Ok(None);
    };
    let first_number = match span(first_seq, count) {
        Some((of, number)) if of == kind && count == events as i64 => number,
        _ => return Ok(None),
    };
    let end = first_seq + count;
    let doing = "reading the events of a batch found by its digest";
    let mut statement = conn
        .prepare_cached(
            "SELECT seq, id, request_unique_identifier FROM events
             WHERE seq >= ?1 AND seq < ?2 ORDER BY seq",
        )
        .doing(doing)?;
    let mut rows = statement.query(params![first_seq, end]).doing(doing)?;
    let mut ids = StoredIds::new(conn);
    let mut found = Vec::with_capacity(events);
    while let Some(row) = rows.next().doing(doing)? {
        let seq: i64 = row.get(0).doing(doing)?;
        if seq != first_seq + found.len() as i64 {
            // An event deleted by hand: the batch is judged as any other.
            return Ok(None);
        }
        let rui: String = row.get(2).doing(doing)?;
        let id = ids.required(seq, row.get_ref(1).doing(doing)?)?.to_owned();
        found.push((rui, id, first_number + (seq - first_seq)));
    }
    Ok((found.len() == events).then_some(Found {
        first_seq,
        events: found,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let conn = Connection::open(&path).unwrap();
        schema::create(&conn).unwrap();
        (dir, path)
    }

    fn add_events(conn: &Connection, first: i64, ruis: &[&str]) {
        conn.execute(
            "INSERT INTO id_batches (first_seq, millis, random) VALUES (?1, 7, NULL)",
            [first],
        )
        .unwrap();
        for (i, rui) in ruis.iter().enumerate() {
            conn.execute(
                "INSERT INTO events (seq, request_unique_identifier, body) VALUES (?1, ?2, '{}')",
                params![first + i as i64, rui],
            )
            .unwrap();
        }
    }

    #[test]
    fn a_recorded_batch_is_found_with_its_events_and_nothing_else_is() {
        let (_dir, path) = store();
        let conn = Connection::open(&path).unwrap();
        let first = schema::seq(Kind::Purchases.ordinal(), 1);
        add_events(&conn, first, &["a", "b"]);
        let digest = Digest([1; 32]);
        record(&conn, &digest, first, 2).unwrap();
        let finder = Finder::new(&path);
        let found = finder.find(Kind::Purchases, &digest, 2).unwrap().unwrap();
        assert_eq!(found.seqs(), first..first + 2);
        let ruis: Vec<_> = found.events.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(ruis, ["a", "b"]);
        assert_eq!(
            (found.events[1].2, found.events[1].1.len()),
            (2, 32),
            "number and id"
        );
        assert_eq!(
            finder.find(Kind::Purchases, &Digest([2; 32]), 2).unwrap(),
            None
        );
        assert_eq!(
            finder.find(Kind::Purchases, &digest, 3).unwrap(),
            None,
            "a batch of another size"
        );
        assert_eq!(
            finder.find(Kind::Web, &digest, 2).unwrap(),
            None,
            "another kind"
        );
        conn.execute("DELETE FROM events WHERE seq = ?1", [first + 1])
            .unwrap();
        assert_eq!(
            finder.find(Kind::Purchases, &digest, 2).unwrap(),
            None,
            "an event deleted by hand"
        );
    }

    #[test]
    #[expect(
        clippy::single_range_in_vec_init,
        reason = "a list of one range is what is meant"
    )]
    fn an_identifier_is_found_only_within_the_ranges_given() {
        let (_dir, path) = store();
        let conn = Connection::open(&path).unwrap();
        let first = schema::seq(Kind::Purchases.ordinal(), 1);
        add_events(&conn, first, &["a", "b", "c", "b"]);
        let finder = Finder::new(&path);
        let within = |rui, ranges: &[std::ops::Range<i64>]| {
            finder.holds_within(Kind::Purchases, rui, ranges).unwrap()
        };
        assert!(within("b", &[first + 1..first + 2]));
        assert!(within("b", &[first..first + 1, first + 3..first + 4]));
        assert!(!within("b", &[first..first + 1, first + 2..first + 3]));
        assert!(!within("d", &[first..first + 4]));
        assert!(
            !finder
                .holds_within(Kind::Web, "b", &[first..first + 4])
                .unwrap()
        );
    }
}
