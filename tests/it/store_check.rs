//! What cebulk does with a file that is not its store, and with a store that contradicts
//! itself (docs/spec.md §5 and §6):
//!
//! - a file at `--store` that is not a cebulk store (another application's SQLite database,
//!   a newer cebulk's store, a file that is not SQLite) is refused by every command with
//!   exit status 3 and a message naming it, and left byte for byte as it was, with no
//!   journal or WAL beside it; an empty file, or an SQLite database with no schema, becomes
//!   a store;
//! - `cebulk check` finds what SQLite's integrity check and cebulk's own invariants find
//!   wrong, each problem on a line, exit status 3, and says `ok` (exit 0) otherwise;
//! - an import that meets such a store stops with exit status 3 and says to run `cebulk
//!   check`, instead of numbering events over the ones stored.

use rusqlite::Connection;

use crate::support::{Run, Store, fixture, reference};

/// Every command that opens the store, each given its arguments after `--store`.
fn store_commands() -> Vec<Vec<String>> {
    let purchases = fixture("requests/purchases.json");
    [
        vec!["import", "--quiet", "--reference", &reference(), &purchases],
        vec!["import", "--quiet", "--dry-run", &purchases],
        vec!["reference", "load", &reference()],
        vec!["events"],
    ]
    .into_iter()
    .map(|args| args.into_iter().map(str::to_owned).collect())
    .collect()
}

/// The store's bytes and the names of the files beside it.
fn state(store: &Store) -> (Vec<u8>, Vec<String>) {
    (
        std::fs::read(store.db()).expect("the file at the store's path"),
        store.file_names(),
    )
}

/// Standard error's words on one line: miette wraps its messages to the terminal's width,
/// continuing them after a `│`.
fn said(run: &Run) -> String {
    run.stderr
        .split_whitespace()
        .filter(|word| *word != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs every command on `store`, whose file is not a cebulk store: each must exit 3, say
/// on standard error that the store's path `is not a cebulk store` and `why`, and leave the
/// file and its directory as they were.
fn refused_by_every_command(store: &Store, why: &str) {
    let before = state(store);
    let path = store.db().display().to_string();
    for args in store_commands() {
        let run = store.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        run.code_without_panic(3);
        let said = said(&run);
        assert!(
            said.contains(&format!("{path} is not a cebulk store")) && said.contains(why),
            "the message does not name the path, say it is not a cebulk store and {why:?}\n{}",
            run.context()
        );
        assert!(
            state(store) == before,
            "{:?} changed the file or left files beside it: {:?}",
            args,
            store.file_names()
        );
    }
}

/// A database of another application at the store's path: a table of its own, with
/// `journal_mode` and `user_version` set.
fn foreign_database(store: &Store, journal_mode: &str, user_version: i64) {
    let conn = Connection::open(store.db()).unwrap();
    conn.pragma_update(None, "journal_mode", journal_mode)
        .unwrap();
    conn.execute_batch(&format!(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);
         INSERT INTO notes (text) VALUES ('keep me');
         PRAGMA user_version = {user_version};"
    ))
    .unwrap();
}

#[test]
fn another_applications_database_is_refused_and_left_untouched() {
    let store = Store::new();
    foreign_database(&store, "DELETE", 0);
    refused_by_every_command(&store, "another application");
}

#[test]
fn another_applications_database_in_wal_is_refused_and_left_untouched() {
    let store = Store::new();
    foreign_database(&store, "WAL", 0);
    // Closing the last connection took the WAL in: the file alone holds the database.
    assert_eq!(store.file_names(), ["store.db"]);
    refused_by_every_command(&store, "another application");
}

#[test]
fn another_applications_database_with_a_schema_version_of_cebulks_is_refused() {
    for version in [1, 2, 3] {
        let store = Store::new();
        foreign_database(&store, "DELETE", version);
        refused_by_every_command(&store, "another application");
    }
}

#[test]
fn a_newer_cebulks_store_is_refused_and_left_untouched() {
    let store = Store::new();
    store
        .import(&[
            "--quiet",
            "--reference",
            &reference(),
            &fixture("requests/web.json"),
        ])
        .code(1);
    store
        .conn()
        .execute_batch("PRAGMA user_version = 4")
        .unwrap();
    refused_by_every_command(&store, "a newer cebulk made it");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
    for contents in [
        b"request_unique_identifier,website\n1,www.crm.com\n".to_vec(),
        vec![0xA5; 8192],
        b"SQLite".to_vec(),
    ] {
        let store = Store::new();
        std::fs::write(store.db(), &contents).unwrap();
        refused_by_every_command(&store, "not an SQLite database");
    }
}

/// Imports the purchases fixture into `store`; the run.
fn import_purchases(store: &Store) -> Run {
    store.import(&[
        "--quiet",
        "--id-seed",
        "1",
        "--reference",
        &reference(),
        &fixture("requests/purchases.json"),
    ])
}

#[test]
fn an_empty_file_or_an_sqlite_database_with_no_schema_becomes_a_store() {
    let empty = Store::new();
    std::fs::write(empty.db(), b"").unwrap();
    let blank = Store::new();
    let conn = Connection::open(blank.db()).unwrap();
    conn.execute_batch("CREATE TABLE t (x); DROP TABLE t;")
        .unwrap();
    drop(conn);
    for store in [empty, blank] {
        assert_eq!(store.events(None), Vec::<serde_json::Value>::new());
        import_purchases(&store).code(1);
        assert_eq!(store.count("events"), 2);
    }
}
