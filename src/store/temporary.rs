//! Private temporary SQLite databases, for what a run must remember without holding it on
//! the heap (a dry run's events, a request's identifiers). SQLite creates the file under
//! `TMPDIR` only when its page cache spills, and unlinks it as soon as it has opened it, so
//! nothing is left behind however the run ends.

use rusqlite::Connection;

use super::error::{Doing, StoreError};

/// A new temporary database holding `schema`, with a page cache of `cache_kib` KiB;
/// `doing` names it in a failure's message.
pub fn open(schema: &str, cache_kib: u32, doing: &str) -> Result<Connection, StoreError> {
    // An empty name is SQLite's private temporary database.
    let conn = Connection::open("").doing(doing)?;
    // Nothing in it must survive a crash, so it is written without a journal or syncs.
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         PRAGMA cache_size = -{cache_kib};
         {schema}"
    ))
    .doing(doing)?;
    Ok(conn)
}
