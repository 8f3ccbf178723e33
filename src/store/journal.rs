//! Which journal the store's commits go through, and the switch from one to the other in
//! the middle of an import.
//!
//! A store is opened with a rollback journal (`journal_mode=DELETE`, `synchronous=FULL`):
//! each page is written once, into the store, and a commit journals only the pages that
//! existed before it. Events whose request unique identifiers come in order append pages,
//! so their commits journal a few pages each. Identifiers in no order change pages all over
//! their index, and every commit journals and fsyncs them on the writer's path; there WAL
//! goes faster, its commits appending to the log while a background connection copies it
//! into the store. So the writer measures what each commit journals and, once that is
//! large, switches the store to WAL between two commits for the rest of the import
//! (docs/performance.md, "store/journal: rollback journal by default").

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;

use super::checkpoint::Checkpointer;
use super::error::{Doing, StoreError};
use super::open::BUSY_TIMEOUT;

/// A commit that journals more than this an event, and more than [`SWITCH_MIN_BYTES`] in
/// all, switches the store to WAL: far above what appending journals and far below what
/// identifiers in no order journal (docs/performance.md, "store/journal: when to switch").
const SWITCH_BYTES_PER_EVENT: u64 = 64;

/// Small commits journal a few whole pages whatever their order (an 8 KiB page for a
/// handful of events); they never switch.
const SWITCH_MIN_BYTES: u64 = 1 << 20;

/// The page cache, in KiB, once identifiers in no order switched the store to WAL: their
/// index outgrows the 8 MiB a store opens with, and each commit would re-read the pages it
/// spilled (docs/performance.md, "store/journal: identifiers in no order").
const NO_ORDER_CACHE_KIB: i64 = 32 * 1024;

/// Sets a newly opened store's journal: a rollback journal unless another connection keeps
/// the store in WAL (leaving WAL needs the store to itself, and waiting for that would hold
/// up this run behind a concurrent import). Returns whether the store is in WAL.
pub fn prefer_rollback(conn: &Connection) -> Result<bool, StoreError> {
    conn.busy_timeout(Duration::ZERO)
        .doing("setting the busy timeout")?;
    let tried = conn.pragma_update_and_check(None, "journal_mode", "DELETE", |row| {
        row.get::<_, String>(0)
    });
    conn.busy_timeout(BUSY_TIMEOUT)
        .doing("setting the busy timeout")?;
    match tried {
        Ok(_) => {}
        // Busy: another connection has the store; it stays in the mode it is in.
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::DatabaseBusy => {}
        Err(e) => return Err(e).doing("choosing the store's journal"),
    }
    // Which mode that is, once read: before its first read a connection reports its default
    // (a rollback journal) whatever the file says.
    conn.query_row("PRAGMA user_version", [], |_| Ok(()))
        .doing("reading the store")?;
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .doing("reading the store's journal mode")?;
    let wal = mode.eq_ignore_ascii_case("wal");
    // FULL with a rollback journal: a power cut during a commit cannot leave a store that
    // the journal fails to restore. NORMAL with WAL, which stays consistent without it.
    let sync = if wal { "NORMAL" } else { "FULL" };
    conn.pragma_update(None, "synchronous", sync)
        .doing("setting the store's synchronous mode")?;
    Ok(wal)
}

/// The journal of the store a writer commits to.
pub struct Journal {
    /// The rollback journal's file, while commits go through it.
    rollback: Option<PathBuf>,
    /// The store's file, for the checkpoint connection.
    store: PathBuf,
    /// The store's handle for flushing it.
    flush: Arc<File>,
    /// The last commit journaled enough to switch.
    switch_wanted: bool,
    /// This writer switched the store to WAL: its identifiers come in no order.
    switched: bool,
    /// Copies the WAL into the store while the store is in WAL.
    checkpointer: Option<Checkpointer>,
}

impl Journal {
    /// The journal of the store at `store` (its current mode, as opened), with a checkpoint
    /// thread already running if it is in WAL.
    pub fn new(conn: &Connection, store: &Path, flush: Arc<File>) -> Result<Journal, StoreError> {
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .doing("reading the store's journal mode")?;
        let mut journal = Journal {
            rollback: Some(PathBuf::from(format!("{}-journal", store.display()))),
            store: store.to_owned(),
            flush,
            switch_wanted: false,
            switched: false,
            checkpointer: None,
        };
        if mode.eq_ignore_ascii_case("wal") {
            journal.rollback = None;
            journal.checkpointer = Some(Checkpointer::start(
                conn,
                store,
                Arc::clone(&journal.flush),
            )?);
        }
        Ok(journal)
    }

    /// Whether commits go through WAL.
    pub fn is_wal(&self) -> bool {
        self.rollback.is_none()
    }

    /// Whether this writer's commits showed identifiers in no order (it switched the store
    /// to WAL): the writer then commits and inserts as suits them. A store another
    /// connection kept in WAL says nothing of this writer's identifiers.
    pub fn in_no_order(&self) -> bool {
        self.switched
    }

    /// Called with the commit's transaction still open: how much the commit of `events`
    /// events journaled decides whether the next one goes through WAL.
    pub fn before_commit(&mut self, events: usize) {
        let Some(path) = &self.rollback else {
            return;
        };
        // Read before the commit deletes it; a journal that cannot be read keeps the mode.
        let journaled = std::fs::metadata(path).map_or(0, |m| m.len());
        let events = u64::try_from(events).unwrap_or(u64::MAX);
        if journaled > SWITCH_MIN_BYTES && journaled > SWITCH_BYTES_PER_EVENT.saturating_mul(events)
        {
            self.switch_wanted = true;
        }
    }

    /// Called between two commits: switches the store to WAL if the last commit asked for
    /// it. The switch waits for readers of the store to finish, as a commit does.
    pub fn before_begin(&mut self, conn: &Connection) -> Result<(), StoreError> {
        if !std::mem::take(&mut self.switch_wanted) {
            return Ok(());
        }
        let mode = match conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        {
            Ok(mode) => mode,
            // Readers kept the store for the whole busy timeout: commits stay in the
            // rollback journal, and the next large one asks again.
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy =>
            {
                return Ok(());
            }
            Err(e) => return Err(e).doing("switching the store to WAL"),
        };
        if !mode.eq_ignore_ascii_case("wal") {
            return Ok(());
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .doing("setting synchronous=NORMAL")?;
        conn.pragma_update(None, "cache_size", -NO_ORDER_CACHE_KIB)
            .doing("setting the page cache size")?;
        self.rollback = None;
        self.switched = true;
        self.checkpointer = Some(Checkpointer::start(
            conn,
            &self.store,
            Arc::clone(&self.flush),
        )?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store held by another connection (in `mode`, with `hold` run on it), released
    /// after 200 ms; what `prefer_rollback` then says and the synchronous level it sets.
    fn opened_while_held(mode: &str, hold: &str) -> (bool, i64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let holder = Connection::open(&path).unwrap();
        holder.pragma_update(None, "journal_mode", mode).unwrap();
        holder.execute_batch("CREATE TABLE t (x)").unwrap();
        holder.execute_batch(hold).unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            holder.execute_batch("COMMIT").unwrap();
        });
        let conn = Connection::open(&path).unwrap();
        conn.busy_timeout(BUSY_TIMEOUT).unwrap();
        let wal = prefer_rollback(&conn).unwrap();
        let sync = conn
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap();
        release.join().unwrap();
        (wal, sync)
    }

    #[test]
    fn a_switch_that_readers_keep_waiting_leaves_the_rollback_journal_and_a_later_one_goes_through()
    {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let store = super::super::open::open_for_write(&path).unwrap();
        let mut journal = Journal::new(&store.conn, &path, store.flush.clone().unwrap()).unwrap();
        let reader = Connection::open(&path).unwrap();
        reader
            .execute_batch("BEGIN; SELECT count(*) FROM events;")
            .unwrap();
        store.conn.busy_timeout(Duration::from_millis(50)).unwrap();
        journal.switch_wanted = true;
        journal.before_begin(&store.conn).unwrap();
        assert!(!journal.is_wal(), "switched while a reader held the store");
        reader.execute_batch("COMMIT").unwrap();
        journal.switch_wanted = true;
        journal.before_begin(&store.conn).unwrap();
        assert!(journal.is_wal());
        assert!(journal.checkpointer.is_some());
    }

    #[test]
    fn a_store_written_by_another_connection_keeps_its_rollback_journal_and_full_sync() {
        let held = opened_while_held("DELETE", "BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);");
        assert_eq!(held, (false, 2), "(in WAL, synchronous): 2 is FULL");
    }

    #[test]
    fn a_store_another_connection_reads_in_wal_stays_in_wal_with_normal_sync() {
        let held = opened_while_held("WAL", "BEGIN; SELECT * FROM t;");
        assert_eq!(held, (true, 1), "(in WAL, synchronous): 1 is NORMAL");
    }
}
