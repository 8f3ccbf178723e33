//! Opening the store: for writing (created on first use, with a rollback journal: see
//! [`super::journal`]), or
//! read-only for `--dry-run` and listing, which must not write anything.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::error::{Doing, StoreError};
use super::journal;
use super::schema;

/// How long a writer waits for another process's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// An open store.
pub struct Store {
    /// The connection (the one writer of the process).
    pub conn: Connection,
    /// The file, or `None` for an in-memory stand-in.
    pub path: Option<PathBuf>,
    /// A handle on the store file for other threads to flush it (a store opened for
    /// writing only).
    /// It is a field after `conn` so that it closes after the connection: closing any
    /// handle of a file drops every POSIX lock the process holds on it, SQLite's included
    /// (in WAL the connection holds a shared lock on the store file between transactions,
    /// which keeps other processes from taking the store out of WAL under it).
    pub flush: Option<Arc<File>>,
}

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// SQLite failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A newer cebulk made this store.
    #[error("the store has schema version {found}; this cebulk reads version {supported}")]
    TooNew {
        /// The store's version.
        found: i64,
        /// This build's version.
        supported: i64,
    },
    /// A killed writer left a commit half done; only a connection that may write puts the
    /// store back as it was before it.
    #[error(
        "a write to the store was cut short (its rollback journal is beside it) and must be rolled back before it can be read; run `cebulk reference load` or an import without --dry-run once, which does that"
    )]
    Unfinished,
    /// An older store, opened read-only, so it cannot be brought up to date here.
    #[error(
        "the store has schema version {found}; this cebulk reads version {supported} and upgrades older stores when it opens them for writing (run `cebulk reference load` or an import without --dry-run once)"
    )]
    NeedsUpgrade {
        /// The store's version.
        found: i64,
        /// This build's version.
        supported: i64,
    },
}

fn check_version(conn: &Connection) -> Result<i64, OpenError> {
    let found = schema::version(conn)?;
    if found > schema::VERSION {
        return Err(OpenError::TooNew {
            found,
            supported: schema::VERSION,
        });
    }
    Ok(found)
}

/// Opens the store for writing, creating it and its schema if needed.
pub fn open_for_write(path: &Path) -> Result<Store, OpenError> {
    let conn = Connection::open(path).doing("opening the store")?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .doing("setting the busy timeout")?;
    // 8 KiB pages, set before a new store's first write (an existing store keeps its own):
    // half the WAL frames and write calls of 4 KiB pages; 16 KiB pages are slower again, as
    // each commit rewrites whole index pages
    // (docs/performance.md, "store/open: page size").
    conn.pragma_update(None, "page_size", 8192)
        .doing("setting the page size")?;
    journal::prefer_rollback(&conn)?;
    // 8 MiB of page cache, which a small import already fills, so that memory does not grow
    // with the input beyond it. Identifiers in order run as fast as with a larger cache; in
    // no order, their index outgrows the cache and commits re-read some of it, the price of
    // that bound (docs/performance.md, "store/open: page cache size").
    conn.pragma_update(None, "cache_size", -8_192)
        .doing("setting the page cache size")?;
    match check_version(&conn)? {
        0 => schema::create(&conn)?,
        1 => {
            schema::migrate_from_1(&conn)?;
            schema::migrate_from_2(&conn)?;
        }
        2 => schema::migrate_from_2(&conn)?,
        _ => {}
    }
    // A multi-row insert runs in a statement transaction (an explicit rowid and the partial
    // index's ifnull() can abort it), whose journal copies each page the statement changes:
    // in a temporary file that is a pwrite per page, in memory a few pages a statement
    // (docs/performance.md, "store/open: statement journals in memory").
    // Set after an upgrade, whose sorts can be as large as the store.
    conn.pragma_update(None, "temp_store", "MEMORY")
        .doing("keeping statement journals in memory")?;
    let flush = File::open(path).map_err(|e| StoreError {
        doing: format!("opening the store file to flush it: {e}"),
        source: rusqlite::Error::InvalidPath(path.to_owned()),
    })?;
    Ok(Store {
        conn,
        path: Some(path.to_owned()),
        flush: Some(Arc::new(flush)),
    })
}

/// Whether the database file's header marks it as a WAL store (its read and write format
/// versions, bytes 18 and 19, are 2); an unreadable or short file is not.
fn header_says_wal(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut header))
        .is_ok_and(|()| header[18] == 2 && header[19] == 2)
}

/// Whether SQLite refused to read because a killed writer's journal must be rolled back
/// first, which a read-only connection may not do.
fn is_unfinished(error: &StoreError) -> bool {
    matches!(
        &error.source,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_READONLY_ROLLBACK
    )
}

/// A path as the path part of an SQLite URI (`%`, `?` and `#` escaped).
fn uri_path(path: &Path) -> String {
    let text = path.display().to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3F"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

/// Opens the store without writing to it: read-only if the file exists, else an empty
/// in-memory store with the schema (what a new store would hold).
pub fn open_read_only(path: &Path) -> Result<Store, OpenError> {
    if !path.exists() {
        let conn = Connection::open_in_memory().doing("opening an in-memory store")?;
        schema::create(&conn)?;
        return Ok(Store {
            conn,
            path: None,
            flush: None,
        });
    }
    // A store in WAL with no WAL file beside it holds all its data in the main file and no
    // writer is active, so `immutable=1` reads it without creating `-wal` and `-shm` files
    // (a dry run writes nothing at all). A store with a rollback journal is read as it is:
    // that creates no file and sees a concurrent writer's commits whole. Otherwise read
    // through the WAL like any reader.
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = if wal.exists() || !header_says_wal(path) {
        Connection::open_with_flags(path, flags)
    } else {
        let uri = format!("file:{}?immutable=1", uri_path(path));
        Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
    }
    .doing("opening the store read-only")?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .doing("setting the busy timeout")?;
    let found = match check_version(&conn) {
        Err(OpenError::Store(e)) if is_unfinished(&e) => return Err(OpenError::Unfinished),
        found => found?,
    };
    if found != 0 && found < schema::VERSION {
        return Err(OpenError::NeedsUpgrade {
            found,
            supported: schema::VERSION,
        });
    }
    if found == 0 {
        // An empty file: read as a new store would be, without creating anything in it.
        let conn = Connection::open_in_memory().doing("opening an in-memory store")?;
        schema::create(&conn)?;
        return Ok(Store {
            conn,
            path: None,
            flush: None,
        });
    }
    Ok(Store {
        conn,
        path: Some(path.to_owned()),
        flush: None,
    })
}
