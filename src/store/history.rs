//! The store's history of imports: who ran which file, when, and what came of it, newest
//! first, for the console's history page. Every SQL statement on the `imports` table is
//! here, behind this one narrow interface (so that another store keeps the same functions).
//!
//! Both ways of importing write it: `cebulk import` records itself when it ends
//! ([`record`], from `commands/import.rs`, unless [`ImportConfig::history`] is off), and
//! the console records a run when it starts ([`begin`]) and again when it ends ([`end`]),
//! so that a run in progress is listed too. A dry run from the command line opens the store
//! read-only and leaves no trace; the console's dry runs are listed, marked as such.
//!
//! [`ImportConfig::history`]: crate::cli::config::ImportConfig::history

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::error::{Doing, StoreError};

/// The table (schema 5).
pub const TABLES: &str = "
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL CHECK (origin IN ('command line', 'console')),
    user TEXT NOT NULL,
    started TEXT NOT NULL,
    file TEXT NOT NULL,
    kind TEXT,
    dry_run INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
    events_read INTEGER,
    created INTEGER,
    already_stored INTEGER,
    unprocessed INTEGER,
    duration_ms INTEGER,
    summary TEXT,
    error TEXT
);
";

/// Where an import was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `cebulk import`.
    CommandLine,
    /// The console of `cebulk serve`.
    Console,
}

impl Origin {
    /// The origin as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::CommandLine => "command line",
            Origin::Console => "console",
        }
    }

    fn from_stored(text: &str) -> Origin {
        if text == "console" {
            Origin::Console
        } else {
            Origin::CommandLine
        }
    }
}

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Still reading its input (or stopped without saying so: see [`abandon_running`]).
    Running,
    /// It read its input to the end, or was stopped by a signal or `--max-errors`: the
    /// summary says which.
    Finished,
    /// It ended in a fatal error, said in [`Outcome::error`].
    Failed,
}

impl Status {
    /// The status as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Finished => "finished",
            Status::Failed => "failed",
        }
    }

    fn from_stored(text: &str) -> Status {
        match text {
            "finished" => Status::Finished,
            "failed" => Status::Failed,
            _ => Status::Running,
        }
    }
}

/// What is known of an import when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Begin {
    /// Where it was started.
    pub origin: Origin,
    /// Who started it: the console's user, or the command line's operating-system user.
    pub user: String,
    /// The input's name as given (several, comma-separated, for one command with several).
    pub file: String,
    /// The kind's API name, when one was given or settled.
    pub kind: Option<String>,
    /// Whether it was a dry run.
    pub dry_run: bool,
}

/// What came of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Finished or failed.
    pub status: Status,
    /// Events read.
    pub read: u64,
    /// Events created.
    pub created: u64,
    /// Events an earlier run had created.
    pub already_stored: u64,
    /// Events unprocessed.
    pub unprocessed: u64,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// The summary, as `cebulk import --summary` writes it (JSON), when it got that far.
    pub summary: Option<String>,
    /// The fatal error's message, when it failed.
    pub error: Option<String>,
}

impl Outcome {
    /// An import that failed with `error` before it counted anything.
    pub fn failed(error: String) -> Outcome {
        Outcome {
            status: Status::Failed,
            read: 0,
            created: 0,
            already_stored: 0,
            unprocessed: 0,
            duration_ms: 0,
            summary: None,
            error: Some(error),
        }
    }
}

/// One import of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its number in the history, increasing.
    pub id: i64,
    /// When it started: UTC, RFC 3339 to the second.
    pub started: String,
    /// What was known when it started.
    pub begin: Begin,
    /// Running, finished or failed.
    pub status: Status,
    /// What came of it: `None` while it runs.
    pub outcome: Option<Outcome>,
}

/// Records the start of an import; returns its id.
pub fn begin(conn: &Connection, begin: &Begin) -> Result<i64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO imports (origin, user, started, file, kind, dry_run, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running')",
    )
    .and_then(|mut s| {
        s.execute(params![
            begin.origin.as_str(),
            begin.user,
            now(),
            begin.file,
            begin.kind,
            begin.dry_run,
        ])
    })
    .doing("recording the import in the history")?;
    Ok(conn.last_insert_rowid())
}

/// Records what came of import `id`.
pub fn end(conn: &Connection, id: i64, outcome: &Outcome) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE imports SET status = ?2, events_read = ?3, created = ?4, already_stored = ?5,
                unprocessed = ?6, duration_ms = ?7, summary = ?8, error = ?9
         WHERE id = ?1",
    )
    .and_then(|mut s| {
        s.execute(params![
            id,
            outcome.status.as_str(),
            count(outcome.read),
            count(outcome.created),
            count(outcome.already_stored),
            count(outcome.unprocessed),
            count(outcome.duration_ms),
            outcome.summary,
            outcome.error,
        ])
    })
    .doing("recording the end of the import in the history")?;
    Ok(())
}

/// Records an import that has ended, start and outcome at once; returns its id.
pub fn record(conn: &Connection, started: &Begin, outcome: &Outcome) -> Result<i64, StoreError> {
    // One transaction, so that no reader sees the import running.
    conn.execute_batch("SAVEPOINT history")
        .doing("recording the import in the history")?;
    let recorded = begin(conn, started).and_then(|id| end(conn, id, outcome).map(|()| id));
    let closing = if recorded.is_ok() {
        "RELEASE history"
    } else {
        "ROLLBACK TO history; RELEASE history"
    };
    conn.execute_batch(closing)
        .doing("recording the import in the history")?;
    recorded
}

/// Up to `limit` imports, newest first, those with an id below `before` when given.
pub fn list(conn: &Connection, before: Option<i64>, limit: u32) -> Result<Vec<Entry>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM imports WHERE id < ?1 ORDER BY id DESC LIMIT ?2"
    ))
    .and_then(|mut s| {
        s.query_map(params![before.unwrap_or(i64::MAX), limit], entry)?
            .collect()
    })
    .doing("reading the history of imports")
}

/// Import `id`, if the history has it.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Entry>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM imports WHERE id = ?1"))
        .and_then(|mut s| s.query_row([id], entry).optional())
        .doing("reading the history of imports")
}

/// Marks the console's imports still running as failed: called when `cebulk serve` starts,
/// as a server that stopped left them so. The command line's are recorded only at their end.
pub fn abandon_running(conn: &Connection) -> Result<usize, StoreError> {
    conn.execute(
        "UPDATE imports SET status = 'failed',
                error = 'the server stopped before the import ended; import the file again'
         WHERE status = 'running' AND origin = 'console'",
        [],
    )
    .doing("marking interrupted imports in the history")
}

const COLUMNS: &str = "id, started, origin, user, file, kind, dry_run, status, events_read, \
                       created, already_stored, unprocessed, duration_ms, summary, error";

fn entry(row: &Row<'_>) -> rusqlite::Result<Entry> {
    let status = Status::from_stored(&row.get::<_, String>(7)?);
    let number = |i| -> rusqlite::Result<u64> {
        Ok(row
            .get::<_, Option<i64>>(i)?
            .map_or(0, |n| n.max(0).unsigned_abs()))
    };
    let outcome = match status {
        Status::Running => None,
        Status::Finished | Status::Failed => Some(Outcome {
            status,
            read: number(8)?,
            created: number(9)?,
            already_stored: number(10)?,
            unprocessed: number(11)?,
            duration_ms: number(12)?,
            summary: row.get(13)?,
            error: row.get(14)?,
        }),
    };
    Ok(Entry {
        id: row.get(0)?,
        started: row.get(1)?,
        begin: Begin {
            origin: Origin::from_stored(&row.get::<_, String>(2)?),
            user: row.get(3)?,
            file: row.get(4)?,
            kind: row.get(5)?,
            dry_run: row.get(6)?,
        },
        status,
        outcome,
    })
}

/// A count as SQLite stores it (they never reach 2^63).
fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Now, UTC, RFC 3339 to the second.
fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Connection {
        let conn = Connection::open_in_memory().expect("an in-memory database");
        conn.execute_batch(TABLES).expect("the table");
        conn
    }

    fn started(origin: Origin, file: &str) -> Begin {
        Begin {
            origin,
            user: "ada".into(),
            file: file.into(),
            kind: Some("purchases".into()),
            dry_run: false,
        }
    }

    fn finished(created: u64) -> Outcome {
        Outcome {
            status: Status::Finished,
            read: created + 1,
            created,
            already_stored: 0,
            unprocessed: 1,
            duration_ms: 12,
            summary: Some("{}".into()),
            error: None,
        }
    }

    #[test]
    fn a_run_is_listed_while_running_then_with_its_outcome() {
        let conn = store();
        let id = begin(&conn, &started(Origin::Console, "a.csv")).expect("begun");
        let running = get(&conn, id).expect("read").expect("listed");
        assert_eq!(running.status, Status::Running);
        assert_eq!(running.outcome, None);
        assert!(running.started.ends_with('Z'), "{}", running.started);
        end(&conn, id, &finished(3)).expect("ended");
        let done = get(&conn, id).expect("read").expect("listed");
        assert_eq!(done.outcome, Some(finished(3)));
        assert_eq!(done.begin, started(Origin::Console, "a.csv"));
    }

    #[test]
    fn the_list_is_newest_first_and_pages_by_id() {
        let conn = store();
        let ids: Vec<i64> = (0..5)
            .map(|n| {
                record(
                    &conn,
                    &started(Origin::CommandLine, &format!("{n}.csv")),
                    &finished(n),
                )
                .expect("recorded")
            })
            .collect();
        let first: Vec<i64> = list(&conn, None, 2)
            .expect("listed")
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(first, vec![ids[4], ids[3]]);
        let next: Vec<i64> = list(&conn, Some(ids[3]), 10)
            .expect("listed")
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(next, vec![ids[2], ids[1], ids[0]]);
    }

    #[test]
    fn a_server_start_fails_the_console_runs_left_running_only() {
        let conn = store();
        let console = begin(&conn, &started(Origin::Console, "a.csv")).expect("begun");
        let other = begin(&conn, &started(Origin::CommandLine, "b.csv")).expect("begun");
        assert_eq!(abandon_running(&conn).expect("marked"), 1);
        let marked = get(&conn, console).expect("read").expect("listed");
        assert_eq!(marked.status, Status::Failed);
        assert!(marked.outcome.and_then(|o| o.error).is_some());
        let untouched = get(&conn, other).expect("read").expect("listed");
        assert_eq!(untouched.status, Status::Running);
    }
}
