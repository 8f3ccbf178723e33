//! Opening the store: for writing (created on first use, with a rollback journal: see
//! [`super::journal`]), or
//! read-only for `--dry-run` and listing, which must not write anything.
//!
//! Either way, what the file at the store's path holds is looked at first, without writing
//! to it ([`probe`]): only a cebulk store, or a file that holds nothing yet, is opened. Any
//! other file is left as it was, for the application it belongs to.

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
    /// The file at the store's path is not a store this cebulk can use; it was not changed.
    #[error("it is not a cebulk store{0}")]
    NotAStore(NotAStore),
    /// A killed writer left a commit half done; only a connection that may write puts the
    /// store back as it was before it.
    #[error(
        "a write to the store was cut short (its rollback journal is beside it) and must be rolled back before it can be read; run `cebulk reference load` or an import without --dry-run once, which does that"
    )]
    Unfinished,
    /// A command that writes cannot write the store, as the file system says before
    /// anything is tried (so that the message says why, and no batch fails half way).
    #[error("cannot write to it: {0}")]
    NotWritable(NotWritable),
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

/// Why a command that writes cannot write the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotWritable {
    /// The directory the store is to be in does not exist.
    #[error("its directory {} does not exist", .0.display())]
    NoDirectory(PathBuf),
    /// The store's file is read-only for this user.
    #[error("the file is read-only (its permissions do not let this user write to it)")]
    ReadOnlyFile,
    /// The store's directory is read-only for this user: SQLite creates the store, and its
    /// journal at each commit, beside it.
    #[error(
        "its directory {} is read-only for this user, and SQLite writes its journal beside the store",
        .0.display()
    )]
    ReadOnlyDirectory(PathBuf),
    /// The store is on a read-only file system.
    #[error("it is on a read-only file system")]
    ReadOnlyFileSystem,
}

impl NotWritable {
    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            NotWritable::NoDirectory(_) => {
                "create the directory first, or give --store (or CEBULK_STORE) a path in an existing one"
            }
            NotWritable::ReadOnlyFile => {
                "make the file writable (chmod u+w) for commands that write; `cebulk events` and `cebulk check` only read it"
            }
            NotWritable::ReadOnlyDirectory(_) => {
                "make the directory writable for this user, or move the store to a directory that is"
            }
            NotWritable::ReadOnlyFileSystem => {
                "copy the store to a writable file system; `cebulk events` and `cebulk check` only read it"
            }
        }
    }
}

/// Whether this user may write the store at `path` (the file, if there is one, and its
/// directory), as `access(2)` answers: a command that writes says why it cannot before it
/// starts, rather than fail at its first commit with SQLite's "unable to open database
/// file" or "attempt to write a readonly database".
fn writable(path: &Path) -> Result<(), NotWritable> {
    use rustix::fs::{Access, access};
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(NotWritable::NoDirectory(dir.to_owned()));
    }
    let refused = |error: rustix::io::Errno, read_only: NotWritable| {
        if error == rustix::io::Errno::ROFS {
            NotWritable::ReadOnlyFileSystem
        } else {
            read_only
        }
    };
    if path.exists() {
        access(path, Access::WRITE_OK).map_err(|e| refused(e, NotWritable::ReadOnlyFile))?;
    }
    access(dir, Access::WRITE_OK)
        .map_err(|e| refused(e, NotWritable::ReadOnlyDirectory(dir.to_owned())))
}

/// Why the file at the store's path is not a store this cebulk can use. Shown after
/// "PATH is not a cebulk store".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAStore {
    /// A directory.
    #[error(": it is a directory")]
    Directory,
    /// A file that is not an SQLite database.
    #[error(": it is not an SQLite database")]
    NotSqlite,
    /// An SQLite database without cebulk's tables, or with a schema but no version of
    /// cebulk's: another application's.
    #[error(
        ": it is an SQLite database of another application (schema version {version}, tables: {})",
        if tables.is_empty() { "none".to_owned() } else { tables.join(", ") }
    )]
    Foreign {
        /// Its `user_version`.
        version: i64,
        /// Its first few tables, by name.
        tables: Vec<String>,
    },
    /// cebulk's tables, and a schema version above this build's.
    #[error(
        " this cebulk can use: a newer cebulk made it (schema version {found}; this cebulk knows versions 1 to {supported})"
    )]
    Newer {
        /// The store's version.
        found: i64,
        /// This build's version.
        supported: i64,
    },
}

impl NotAStore {
    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            NotAStore::Newer { .. } => {
                "cebulk left the file as it was; use the newer cebulk that made it"
            }

            _ => {
                "cebulk left the file as it was; give --store (or CEBULK_STORE) the path of a cebulk store, or of a file that does not exist yet"
            }
        }
    }
}

/// The tables every version of cebulk's store has, by which a store is told apart from
/// another application's database.
const STORE_TABLES: [&str; 3] = ["events", "referrals", "sequences"];

/// Tables a foreign database's message names at most.
const TABLES_NAMED: usize = 5;

/// What a file at the store's path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    /// Nothing yet: no file, an empty file, or an SQLite database with no schema and
    /// schema version 0. It becomes a store when written to.
    Nothing,
    /// A cebulk store of this schema version (1 to [`schema::VERSION`]).
    Store(i64),
}

/// Reads what the database on `conn` holds: its schema version and whether it has
/// cebulk's tables. Only reads.
fn holds(conn: &Connection) -> Result<Holds, OpenError> {
    let doing = "reading the store's schema";
    let version = schema::version(conn)?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
        .doing(doing)?;
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .doing(doing)?;
    if version == 0 && objects == 0 {
        return Ok(Holds::Nothing);
    }
    let cebulks = STORE_TABLES
        .iter()
        .all(|table| tables.iter().any(|t| t == table));
    match version {
        1..=schema::VERSION if cebulks => Ok(Holds::Store(version)),
        found if found > schema::VERSION && cebulks => {
            Err(OpenError::NotAStore(NotAStore::Newer {
                found,
                supported: schema::VERSION,
            }))
        }
        version => Err(OpenError::NotAStore(NotAStore::Foreign {
            version,
            tables: tables.into_iter().take(TABLES_NAMED).collect(),
        })),
    }
}

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Whether there is an SQLite database at `path`, from the file system and the file's first
/// bytes: `false` for no file or an empty one, an error for a file that is something else.
/// A file that cannot be read (permissions) counts as a database, for SQLite to say why.
fn is_database(path: &Path) -> Result<bool, OpenError> {
    use std::io::Read;
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(_) => return Ok(true),
    };
    if metadata.is_dir() {
        return Err(OpenError::NotAStore(NotAStore::Directory));
    }
    if metadata.is_file() && metadata.len() == 0 {
        return Ok(false);
    }
    let mut magic = [0u8; 16];
    match File::open(path).and_then(|mut file| file.read_exact(&mut magic)) {
        Ok(()) if &magic == SQLITE_MAGIC => Ok(true),
        Ok(()) => Err(OpenError::NotAStore(NotAStore::NotSqlite)),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(OpenError::NotAStore(NotAStore::NotSqlite))
        }
        Err(_) => Ok(true),
    }
}

/// What the file at `path` holds, found without writing to it or leaving any file beside
/// it: the file's first bytes, then a read-only connection. `Ok(None)`: an SQLite database
/// whose killed writer left a rollback journal, which only a writing connection can roll
/// back before its schema can be read.
fn probe(path: &Path) -> Result<Option<Holds>, OpenError> {
    if !is_database(path)? {
        return Ok(Some(Holds::Nothing));
    }
    let conn = read_only_connection(path)?;
    match holds(&conn) {
        Err(OpenError::Store(e)) if is_unfinished(&e) => Ok(None),
        found => found.map(Some),
    }
}

fn check_version(conn: &Connection) -> Result<i64, OpenError> {
    let found = schema::version(conn)?;
    if found > schema::VERSION {
        return Err(OpenError::NotAStore(NotAStore::Newer {
            found,
            supported: schema::VERSION,
        }));
    }
    Ok(found)
}

/// Opens the store for writing, creating it and its schema if needed.
pub fn open_for_write(path: &Path) -> Result<Store, OpenError> {
    open_for_write_noting(path, &mut |_, _| {})
}

/// [`open_for_write`], calling `upgrading` with the store's schema version and this
/// build's before it upgrades an older store, which takes minutes for millions of events.
pub fn open_for_write_noting(
    path: &Path,
    upgrading: &mut dyn FnMut(i64, i64),
) -> Result<Store, OpenError> {
    let probed = probe(path)?;
    writable(path).map_err(OpenError::NotWritable)?;
    let conn = Connection::open(path).doing("opening the store")?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .doing("setting the busy timeout")?;
    if probed.is_none() {
        // Its killed writer's journal is rolled back by this first read; only then can
        // what it holds be read, still before anything is written to it.
        holds(&conn)?;
    }
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
        // Each upgrade takes a store one version up, so an older store goes through each.
        found => {
            if found < schema::VERSION {
                upgrading(found, schema::VERSION);
            }
            let from = usize::try_from(found - 1).unwrap_or(usize::MAX);
            for upgrade in schema::UPGRADES.iter().skip(from) {
                upgrade(&conn)?;
            }
        }
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
        inconsistent: false,
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

/// An empty in-memory store with the schema: what a new store would hold.
fn empty_in_memory() -> Result<Store, OpenError> {
    let conn = Connection::open_in_memory().doing("opening an in-memory store")?;
    schema::create(&conn)?;
    Ok(Store {
        conn,
        path: None,
        flush: None,
    })
}

/// A read-only connection to the database at `path`, which creates no file beside it where
/// that can be helped.
pub(super) fn read_only_connection(path: &Path) -> Result<Connection, OpenError> {
    // A store in WAL with no WAL file beside it holds all its data in the main file and no
    // writer is active, so `immutable=1` reads it without creating `-wal` and `-shm` files
    // (a dry run writes nothing at all). A store with a rollback journal is read as it is:
    // that creates no file and sees a concurrent writer's commits whole. Otherwise read
    // through the WAL like any reader.
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = if read_as_immutable(path) {
        let uri = format!("file:{}?immutable=1", uri_path(path));
        Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
    } else {
        Connection::open_with_flags(path, flags)
    }
    .doing("opening the store read-only")?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .doing("setting the busy timeout")?;
    Ok(conn)
}

/// Whether [`read_only_connection`] reads the store at `path` as immutable: in WAL with no
/// WAL file beside it, so no writer is at work.
pub(super) fn read_as_immutable(path: &Path) -> bool {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    !wal.exists() && header_says_wal(path)
}

/// Opens the store without writing to it: read-only if the file holds a store, else an
/// empty in-memory store with the schema (what a new store would hold).
pub fn open_read_only(path: &Path) -> Result<Store, OpenError> {
    if !is_database(path)? {
        return empty_in_memory();
    }
    let conn = read_only_connection(path)?;
    let found = match holds(&conn) {
        Err(OpenError::Store(e)) if is_unfinished(&e) => return Err(OpenError::Unfinished),
        found => found?,
    };
    match found {
        // An SQLite database with nothing in it: read as a new store would be, without
        // creating anything in it.
        Holds::Nothing => empty_in_memory(),
        Holds::Store(found) if found < schema::VERSION => Err(OpenError::NeedsUpgrade {
            found,
            supported: schema::VERSION,
        }),
        Holds::Store(_) => Ok(Store {
            conn,
            path: Some(path.to_owned()),
            flush: None,
        }),
    }
}
