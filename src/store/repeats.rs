//! The request unique identifiers a request has used so far, for the rule that a second use
//! within one request is a duplicate however far apart the two events are (docs/spec.md §3).
//!
//! Kept in a private temporary SQLite database, as a dry run's memory is
//! ([`super::dry_run`]): a file of any size costs a bounded page cache, and SQLite unlinks
//! the file under `TMPDIR` as soon as it opens it. A Bloom filter in front answers most
//! first uses without a query.

use rusqlite::{Connection, OptionalExtension};

use super::bloom::Bloom;
use super::error::{Doing, StoreError};
use crate::judge::judged::request_key;

/// Where a failure of this memory happened, for its message.
const DOING: &str = "keeping the request's identifiers in a temporary file (in TMPDIR)";

/// The identifiers one request has used.
pub struct Repeats {
    conn: Connection,
    filter: Bloom,
    /// Identifiers noted since the last flush, written together by the next one.
    pending: Vec<String>,
}

impl Repeats {
    /// An empty memory, for a new request.
    pub fn new() -> Result<Repeats, StoreError> {
        let conn = super::temporary::open(
            "CREATE TABLE used (rui TEXT PRIMARY KEY) WITHOUT ROWID;",
            1024,
            DOING,
        )?;
        Ok(Repeats {
            conn,
            filter: Bloom::default(),
            pending: Vec::new(),
        })
    }

    /// Notes a use of `rui`; whether it is its first use in the request.
    pub fn first_use(&mut self, rui: &str) -> Result<bool, StoreError> {
        let hash = request_key(rui);
        if self.seen(rui, hash)? {
            return Ok(false);
        }
        self.filter.insert(hash);
        self.pending.push(rui.to_owned());
        Ok(true)
    }

    /// Whether the request used `rui` before, without noting a use of it.
    pub fn holds(&mut self, rui: &str) -> Result<bool, StoreError> {
        self.seen(rui, request_key(rui))
    }

    /// Whether `rui`, whose request key is `hash`, was noted: the filter answers most
    /// identifiers never noted without a query.
    fn seen(&mut self, rui: &str, hash: u64) -> Result<bool, StoreError> {
        if !self.filter.may_contain(hash) {
            return Ok(false);
        }
        self.flush()?;
        self.conn
            .prepare_cached("SELECT 1 FROM used WHERE rui = ?1")
            .and_then(|mut s| s.query_row([rui], |_| Ok(())).optional())
            .doing(DOING)
            .map(|found| found.is_some())
    }

    /// Writes the identifiers noted since the last flush once there are [`PENDING`] of
    /// them: identifiers in no order each land on a page of their own, and more of them a
    /// flush share pages (docs/performance.md, "store/repeats: identifiers written many at
    /// a time").
    pub fn flush_if_many(&mut self) -> Result<(), StoreError> {
        if self.pending.len() >= PENDING {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the identifiers noted since the last flush, sorted (neighbouring keys share
    /// pages) and [`ROWS`] to a statement (one statement's overhead for many rows).
    pub fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.pending.sort_unstable();
        let tx = self.conn.transaction().doing(DOING)?;
        {
            let mut chunks = self.pending.chunks_exact(ROWS);
            let mut many = tx.prepare_cached(&insert_rows(ROWS)).doing(DOING)?;
            for chunk in &mut chunks {
                many.execute(rusqlite::params_from_iter(chunk))
                    .doing(DOING)?;
            }
            let rest = chunks.remainder();
            if !rest.is_empty() {
                tx.prepare_cached(&insert_rows(rest.len()))
                    .and_then(|mut s| s.execute(rusqlite::params_from_iter(rest)))
                    .doing(DOING)?;
            }
        }
        self.pending.clear();
        tx.commit().doing(DOING)
    }
}

/// Identifiers noted before they are written (about 1 MiB of UUIDs).
const PENDING: usize = 16_384;

/// Identifiers inserted by one statement.
const ROWS: usize = 64;

/// `INSERT OR IGNORE` of `rows` identifiers.
fn insert_rows(rows: usize) -> String {
    let mut sql = String::from("INSERT OR IGNORE INTO used (rui) VALUES (?)");
    for _ in 1..rows {
        sql.push_str(", (?)");
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_use_is_found_however_far_apart() {
        let mut repeats = Repeats::new().unwrap();
        assert!(repeats.first_use("a").unwrap());
        for i in 0..5000 {
            assert!(repeats.first_use(&i.to_string()).unwrap());
        }
        repeats.flush().unwrap();
        assert!(!repeats.first_use("a").unwrap());
        assert!(!repeats.first_use("4999").unwrap());
        assert!(!repeats.holds("5000").unwrap());
        assert!(repeats.first_use("5000").unwrap());
        assert!(repeats.holds("5000").unwrap(), "held before any flush");
        assert!(repeats.holds("a").unwrap(), "held once written");
        assert!(
            !repeats.first_use("5000").unwrap(),
            "a repeat before any flush"
        );
    }

    #[test]
    fn a_repeat_is_found_whether_its_first_use_was_written_or_still_waits() {
        let mut repeats = Repeats::new().unwrap();
        let total = PENDING + PENDING / 2;
        for i in 0..total {
            assert!(repeats.first_use(&format!("{i:x}")).unwrap());
            if i % 1000 == 999 {
                repeats.flush_if_many().unwrap();
            }
        }
        assert!(repeats.pending.len() < PENDING, "some were written");
        assert!(!repeats.pending.is_empty(), "some still wait");
        assert!(!repeats.first_use("0").unwrap(), "written");
        assert!(
            !repeats.first_use(&format!("{:x}", total - 1)).unwrap(),
            "waiting"
        );
        assert!(repeats.first_use(&format!("{total:x}")).unwrap());
    }
}
