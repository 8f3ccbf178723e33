//! [`Store`]: a store file in a fresh temporary directory, the runs of cebulk on it, and what
//! the tests read of it, through cebulk (`cebulk events`) and straight from SQLite.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::types::{FromSql, Value as Cell, ValueRef};
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use tempfile::TempDir;

use super::cebulk::{Cebulk, Run};
use super::fixtures::ENTITIES;

/// The store's file name in its directory.
pub const STORE: &str = "store.db";

/// A temporary directory with a store path in it (`store.db`, created by cebulk) and the
/// test's other files beside it.
pub struct Store {
    dir: TempDir,
}

impl Store {
    /// A fresh temporary directory, with no store file yet.
    pub fn new() -> Store {
        Store {
            dir: TempDir::new().expect("a temporary directory"),
        }
    }

    /// The temporary directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The store's path.
    pub fn db(&self) -> PathBuf {
        self.dir().join(STORE)
    }

    /// The path of `name` in the temporary directory.
    pub fn path(&self, name: &str) -> String {
        self.dir().join(name).to_str().unwrap().to_owned()
    }

    /// Writes a file into the temporary directory and returns its path.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// The names of the files in the temporary directory, sorted.
    pub fn file_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Whether the store file exists.
    pub fn exists(&self) -> bool {
        self.db().exists()
    }

    // -----------------------------------------------------------------------------------------
    // Running cebulk on it

    /// `cebulk --store STORE`, in the temporary directory; the caller adds the rest.
    pub fn cebulk(&self) -> Cebulk {
        Cebulk::new().dir(self.dir()).store(self.db())
    }

    /// `cebulk --store STORE ARGS…`, in the temporary directory, nothing on standard input.
    pub fn run(&self, args: &[&str]) -> Run {
        self.cebulk().args(args).run()
    }

    /// `cebulk import ARGS…`
    pub fn import(&self, args: &[&str]) -> Run {
        self.cebulk().arg("import").args(args).run()
    }

    /// `cebulk events [--kind KIND]`, not checked.
    pub fn events_run(&self, kind: Option<&str>) -> Run {
        let kind = kind.map(|kind| ["--kind", kind]);
        self.cebulk()
            .arg("events")
            .args(kind.iter().flatten())
            .run()
    }

    /// `cebulk events [--kind KIND]`, parsed, after checking that it exited 0.
    pub fn events(&self, kind: Option<&str>) -> Vec<Value> {
        let run = self.events_run(kind);
        run.code(0);
        match run.json() {
            Value::Array(events) => events,
            other => panic!("`cebulk events` printed {other}, not an array"),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Reading it with SQLite

    /// A read-write connection to the store, which must exist.
    pub fn conn(&self) -> Connection {
        assert!(self.exists(), "no store file at {}", self.db().display());
        Connection::open_with_flags(self.db(), OpenFlags::SQLITE_OPEN_READ_WRITE)
            .expect("opening the store")
    }

    /// `SELECT count(*) FROM table`, 0 when there is no store.
    pub fn try_count(&self, table: &str) -> rusqlite::Result<i64> {
        if !self.exists() {
            return Ok(0);
        }
        Connection::open_with_flags(self.db(), OpenFlags::SQLITE_OPEN_READ_WRITE)?.query_row(
            &format!("SELECT count(*) FROM {table}"),
            [],
            |r| r.get(0),
        )
    }

    /// `SELECT count(*) FROM table`; the store must exist.
    pub fn count(&self, table: &str) -> i64 {
        assert!(self.exists(), "no store file at {}", self.db().display());
        self.count_or_zero(table)
    }

    /// `SELECT count(*) FROM table`, 0 when there is no store.
    pub fn count_or_zero(&self, table: &str) -> i64 {
        self.try_count(table)
            .unwrap_or_else(|e| panic!("counting {table}: {e}"))
    }

    /// The events committed so far, read through a read-only connection of its own (closed
    /// before this returns) while cebulk may be writing; 0 while the store cannot be read.
    pub fn committed_events(&self) -> i64 {
        Connection::open_with_flags(self.db(), OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|conn| conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0)))
            .unwrap_or(0)
    }

    /// The single integer `sql` selects.
    pub fn query_i64(&self, sql: &str) -> i64 {
        self.conn()
            .query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Every row `sql` selects, each made by `row` from its cells (given the column count).
    fn select<T>(
        &self,
        sql: &str,
        row: impl Fn(&rusqlite::Row<'_>, usize) -> rusqlite::Result<T>,
    ) -> Vec<T> {
        let conn = self.conn();
        let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let columns = stmt.column_count();
        stmt.query_map([], |r| row(r, columns))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .map(|row| row.unwrap_or_else(|e| panic!("{sql}: {e}")))
            .collect()
    }

    /// The one column `sql` selects, every row.
    pub fn column<T: FromSql>(&self, sql: &str) -> Vec<T> {
        self.select(sql, |r, _| r.get(0))
    }

    /// Every row `sql` selects, each cell as SQLite holds it.
    pub fn rows(&self, sql: &str) -> Vec<Vec<Cell>> {
        self.select(sql, |r, columns| (0..columns).map(|i| r.get(i)).collect())
    }

    /// Every row `sql` selects, each cell as text: NULL, the number, or the text or blob
    /// (read as UTF-8): the same values whichever SQLite type holds them.
    pub fn text_rows(&self, sql: &str) -> Vec<Vec<String>> {
        self.select(sql, |r, columns| {
            (0..columns)
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        ValueRef::Null => "NULL".to_owned(),
                        ValueRef::Integer(n) => n.to_string(),
                        ValueRef::Real(x) => x.to_string(),
                        ValueRef::Text(t) | ValueRef::Blob(t) => {
                            String::from_utf8_lossy(t).into_owned()
                        }
                    })
                })
                .collect()
        })
    }

    /// Row counts of every reference table.
    pub fn reference_counts(&self) -> BTreeMap<&'static str, i64> {
        ENTITIES.iter().map(|e| (*e, self.count(e))).collect()
    }

    /// Every row of every reference table, ordered by id, each cell as written by SQLite.
    pub fn reference_rows(&self) -> BTreeMap<&'static str, Vec<Vec<String>>> {
        ENTITIES
            .iter()
            .map(|table| {
                let rows = self
                    .rows(&format!("SELECT * FROM {table} ORDER BY id"))
                    .into_iter()
                    .map(|row| row.iter().map(|cell| format!("{cell:?}")).collect())
                    .collect();
                (*table, rows)
            })
            .collect()
    }

    // -----------------------------------------------------------------------------------------
    // Its files

    /// The store's bytes: the database file, its rollback journal and its write-ahead log
    /// (empty when absent).
    pub fn bytes(&self) -> [Vec<u8>; 3] {
        let beside = |suffix: &str| {
            std::fs::read(self.dir().join(format!("{STORE}{suffix}"))).unwrap_or_default()
        };
        [
            std::fs::read(self.db()).expect("the store file"),
            beside("-journal"),
            beside("-wal"),
        ]
    }

    /// A copy of the store's files (database, rollback journal and write-ahead log, as a
    /// killed process left them) in a store of its own, so that reading the copy does not
    /// recover or checkpoint this store.
    pub fn snapshot(&self) -> Store {
        let copy = Store::new();
        for suffix in ["", "-journal", "-wal"] {
            let name = format!("{STORE}{suffix}");
            let from = self.dir().join(&name);
            if from.exists() {
                std::fs::copy(&from, copy.dir().join(&name)).unwrap();
            }
        }
        copy
    }
}
