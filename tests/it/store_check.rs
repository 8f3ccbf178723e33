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

use crate::support::{Run, Store, fixture, ndjson, reference, web_event_at};

/// Every command that opens the store, each given its arguments after `--store`.
fn store_commands() -> Vec<Vec<String>> {
    let purchases = fixture("requests/purchases.json");
    [
        vec!["import", "--quiet", "--reference", &reference(), &purchases],
        vec!["import", "--quiet", "--dry-run", &purchases],
        vec!["reference", "load", &reference()],
        vec!["events"],
        vec!["check"],
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
    // One version past this build's own, whatever that is.
    let newer = store.query_i64("PRAGMA user_version") + 1;
    store
        .conn()
        .execute_batch(&format!("PRAGMA user_version = {newer}"))
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

/// A store holding the reference data and the events of the purchases, web, referrals and
/// financial statements fixtures (two created of each), with `--id-seed 1`.
fn store_with_events() -> Store {
    let store = Store::new();
    for kind in ["purchases", "web", "referrals", "financial_statements"] {
        let request = fixture(&format!("requests/{kind}.json"));
        let run = store.import(&[
            "--quiet",
            "--id-seed",
            "1",
            "--reference",
            &reference(),
            &request,
        ]);
        assert!(matches!(run.code, Some(0 | 1)), "{}", run.context());
    }
    assert_eq!(store.count("events"), 8);
    store
}

/// A store holding `count` valid web events, identifiers `0`, `1`, …, imported from one
/// NDJSON file with the fixtures' reference data.
fn store_with_web_events(count: usize) -> Store {
    let store = Store::new();
    let events: Vec<serde_json::Value> = (0..count)
        .map(|i| web_event_at(&i.to_string(), "https://www.example.com/"))
        .collect();
    let input = store.file("web.ndjson", ndjson(&events));
    store
        .import(&[
            "--quiet",
            "--kind",
            "web",
            "--reference",
            &reference(),
            &input,
        ])
        .code(0);
    store
}

/// `cebulk check` on `store`.
fn check(store: &Store) -> Run {
    store.run(&["check"])
}

/// What `cebulk check` says of a sound store of `events` events and the fixtures' 37
/// reference records.
fn ok_verdict(events: i64) -> String {
    format!("ok: {events} events, 37 reference records, no problem found\n")
}

#[test]
fn a_sound_store_checks_ok_and_is_left_as_it_was() {
    let store = store_with_events();
    let before = state(&store);
    let run = check(&store);
    run.code_without_panic(0);
    assert_eq!(run.stdout_text(), ok_verdict(8), "{}", run.context());
    assert!(state(&store) == before, "check changed the store");
}

#[test]
fn stores_upgraded_from_schemas_1_and_2_check_ok() {
    for version in [1, 2] {
        let store = crate::migration::old_store(version);
        store.run(&["reference", "load", &reference()]).code(0);
        let run = check(&store);
        run.code_without_panic(0);
        assert_eq!(run.stdout_text(), ok_verdict(6), "{}", run.context());
    }
}

#[test]
fn check_on_a_path_with_no_store_is_refused_and_creates_nothing() {
    let store = Store::new();
    let run = check(&store);
    run.code_without_panic(3);
    assert!(
        said(&run).contains(&format!(
            "there is no store at {}: no such file",
            store.db().display()
        )),
        "{}",
        run.context()
    );
    assert!(store.file_names().is_empty(), "{:?}", store.file_names());
}

/// Damages `store` with `sql`, then runs `cebulk check`: it must exit 3, list one problem
/// a line, among them a line holding every part of `expected`, and end with the verdict.
fn finds(store: &Store, sql: &str, expected: &[&str]) -> Run {
    store.conn().execute_batch(sql).unwrap();
    let run = check(store);
    run.code_without_panic(3);
    let stdout = run.stdout_text();
    let lines: Vec<&str> = stdout.lines().collect();
    let (verdict, problems) = lines.split_last().expect("a verdict");
    assert!(
        verdict.starts_with("not ok: ") && verdict.contains("problem"),
        "no verdict at the end\n{}",
        run.context()
    );
    assert!(
        problems.iter().all(|line| line.starts_with("problem: ")),
        "{}",
        run.context()
    );
    assert!(
        problems
            .iter()
            .any(|line| expected.iter().all(|part| line.contains(part))),
        "no problem line holds {expected:?}\n{}",
        run.context()
    );
    run
}

#[test]
fn a_sequence_behind_the_stored_numbers_is_found() {
    let store = store_with_events();
    finds(
        &store,
        "UPDATE sequences SET last_number = 1 WHERE kind = 'purchases'",
        &["purchases", "last number 1", "highest stored number 2"],
    );
}

#[test]
fn a_kind_with_events_and_no_sequence_is_found() {
    let store = store_with_events();
    finds(
        &store,
        "DELETE FROM sequences WHERE kind = 'web'",
        &["web", "no sequence", "number 2"],
    );
}

#[test]
fn a_body_that_does_not_decode_is_found() {
    let store = store_with_events();
    finds(
        &store,
        "UPDATE events SET body = 'garbage' WHERE kind = 'web' AND number = 2",
        &["web 2", "body"],
    );
}

#[test]
fn a_body_of_another_request_unique_identifier_is_found() {
    let store = store_with_events();
    // The body leaves the identifier to its row: one written into it must be the row's.
    finds(
        &store,
        "UPDATE events SET body = json_set(body, '$.\"0\"', 'other')
             WHERE kind = 'web' AND number = 1",
        &["web 1", "body", "\"other\"", "the row's \"06\""],
    );
}

#[test]
fn a_body_that_leaves_its_account_to_a_row_without_one_is_found() {
    let store = store_with_events();
    // The body names its account by the row the column holds: without it, the listing
    // would have no account to put back.
    finds(
        &store,
        "UPDATE events SET accounts_receivable_id = 'ACR0000000020'
             WHERE kind = 'web' AND number = 1",
        &["web 1", "leaves the account to the row", "ACR0000000020"],
    );
}

#[test]
fn an_event_at_a_rowid_of_no_kind_is_found() {
    let store = store_with_events();
    // Schema 7 reads an event's kind and number from its rowid, so no two events of a kind
    // can share a number; a row moved where no kind's events are has no kind at all.
    finds(
        &store,
        "UPDATE events SET seq = (9 << 40) | number WHERE kind = 'web' AND number = 2",
        &["rowid", "9 is no kind"],
    );
}

#[test]
fn an_event_numbered_zero_is_found() {
    let store = store_with_events();
    finds(
        &store,
        "UPDATE events SET seq = 5 << 40 WHERE kind = 'web' AND number = 2",
        &["web 0", "not positive"],
    );
}

#[test]
fn a_malformed_id_is_found() {
    let store = store_with_events();
    finds(
        &store,
        "UPDATE events SET id = (SELECT 'x' || substr(id, 2) FROM event_ids i
                                 WHERE i.seq = events.seq)
             WHERE kind = 'purchases' AND number = 1",
        &["purchases 1", "id"],
    );
    let store = store_with_events();
    finds(
        &store,
        "UPDATE events SET id = (SELECT i.id FROM event_ids i JOIN events e USING (seq)
                                 WHERE e.kind = 'purchases' AND e.number = 2)
             WHERE kind = 'purchases' AND number = 1",
        &["purchases 1", "id"],
    );
}

#[test]
fn an_event_whose_batch_of_ids_is_gone_or_damaged_is_found() {
    let store = store_with_events();
    finds(
        &store,
        "DELETE FROM id_batches WHERE first_seq >> 40 = 5",
        &["web 1", "no id", "id_batches"],
    );
    let store = store_with_events();
    finds(
        &store,
        "UPDATE id_batches SET random = 'x' WHERE first_seq >> 40 = 2",
        &["purchases 2", "no id"],
    );
    let store = store_with_events();
    finds(
        &store,
        "UPDATE id_batches SET millis = -1 WHERE first_seq >> 40 = 2",
        &["id batch", "id_batches", "millis -1"],
    );
    let store = store_with_events();
    finds(
        &store,
        "INSERT INTO id_batches (first_seq, millis) VALUES (9 << 40, 1)",
        &["id batch", "no event number of a kind"],
    );
}

/// An event whose id neither its row nor its batch gives stops what would show that id:
/// the listing, and a re-run that recognises the event, each as a damaged store to check,
/// never with an empty id.
#[test]
fn an_event_with_no_id_stops_its_listing_and_its_rerun_and_shows_no_empty_id() {
    let store = Store::new();
    let ruis: Vec<String> = (0..3).map(|i| format!("w{i}")).collect();
    let events: Vec<serde_json::Value> = ruis
        .iter()
        .map(|rui| web_event_at(rui, "https://www.example.com/"))
        .collect();
    let input = store.file("web.ndjson", ndjson(&events));
    let args = [
        "--quiet",
        "--kind",
        "web",
        "--reference",
        &reference(),
        &input,
    ];
    store.import(&args).code(0);
    store
        .conn()
        .execute_batch("DELETE FROM id_batches")
        .unwrap();

    let listing = store.events_run(None);
    listing.code_without_panic(3);
    let said_listing = said(&listing);
    assert!(
        said_listing.contains("reading the id of web event 1")
            && said_listing.contains("`cebulk check`"),
        "{}",
        listing.context()
    );
    assert!(
        !listing.stdout_text().contains("\"id\":\"\""),
        "{}",
        listing.context()
    );

    let rerun = store.import(&args);
    rerun.code_without_panic(3);
    let said_rerun = said(&rerun);
    assert!(
        said_rerun.contains("the store is inconsistent")
            && said_rerun.contains("reading the id of web event 1")
            && said_rerun.contains("run `cebulk check`"),
        "{}",
        rerun.context()
    );
    assert_eq!(rerun.json()["status"]["code"], "StoreFailureException");
    assert_eq!(store.count("events"), 3);
}

/// A body, or the account column a body leaves the account to, naming a record by a row
/// that holds none: the listing would have no id to show for it.
#[test]
fn a_record_named_by_a_row_that_holds_none_is_found() {
    let store = store_with_events();
    finds(
        &store,
        "UPDATE events SET accounts_receivable_id = 99999 WHERE kind = 'purchases' AND number = 1",
        &["purchases 1", "accounts_receivable", "row 99999"],
    );
    let store = store_with_events();
    finds(
        &store,
        "UPDATE events SET body = json_set(body, '$.\"38\"[0].\"0\"', 77777)
             WHERE kind = 'purchases' AND number = 2",
        &["purchases 2", "products", "row 77777"],
    );
    // A record gone from the middle of its table: rows are no longer 1 to the highest,
    // and each is looked up.
    let store = store_with_events();
    finds(
        &store,
        "PRAGMA foreign_keys = OFF; DELETE FROM products WHERE rid = 1",
        &["products", "row 1,"],
    );
}

#[test]
fn a_referral_whose_event_is_gone_is_found() {
    let store = store_with_events();
    finds(
        &store,
        "UPDATE referrals SET event_seq = 12345 WHERE rowid = 1",
        &["referral", "12345"],
    );
}

#[test]
fn an_index_that_disagrees_with_its_table_is_found() {
    let store = store_with_events();
    // The request index's entries stay those of request unique identifiers, but the schema
    // now says they are ids: SQLite's integrity check finds every row missing from it.
    finds(
        &store,
        "PRAGMA writable_schema = ON;
         UPDATE sqlite_schema SET sql = 'CREATE INDEX events_request ON events (id)'
             WHERE name = 'events_request';",
        &["integrity check", "events_request"],
    );
}

#[test]
fn a_damaged_page_is_found_not_a_crash() {
    let store = store_with_web_events(3000);
    // A page in the middle of the file (among the events' pages) overwritten with noise.
    let mut bytes = std::fs::read(store.db()).unwrap();
    let page = 8192;
    let middle = bytes.len() / page / 2 * page;
    bytes[middle..middle + page].fill(0x55);
    std::fs::write(store.db(), &bytes).unwrap();
    let run = check(&store);
    run.code_without_panic(3);
    let stdout = run.stdout_text();
    assert!(
        stdout.contains("problem: SQLite's integrity check: ") && stdout.contains("\nnot ok: "),
        "{}",
        run.context()
    );
}

/// Imports `input` (web events) into `store`, which must stop with exit status 3, say the
/// store is inconsistent and to run `cebulk check`, and leave the events as they were.
fn import_stops_at_the_inconsistency(store: &Store, input: &str) {
    let before = store.text_rows("SELECT * FROM events ORDER BY seq");
    let run = store.import(&["--quiet", "--kind", "web", input]);
    run.code_without_panic(3);
    let said = said(&run);
    assert!(
        said.contains("the store is inconsistent") && said.contains("run `cebulk check`"),
        "{}",
        run.context()
    );
    let report = run.json();
    assert_eq!(
        report["status"]["code"], "StoreFailureException",
        "{report}"
    );
    assert!(
        report["status"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("inconsistent") && m.contains("cebulk check")),
        "{report}"
    );
    assert_eq!(
        store.text_rows("SELECT * FROM events ORDER BY seq"),
        before,
        "the import changed the events"
    );
    // And `cebulk check` names what is wrong.
    let check = check(store);
    check.code(3);
    assert!(check.stdout_text().contains("web: "), "{}", check.context());
}

#[test]
fn an_import_into_a_store_whose_sequence_is_behind_stops_and_says_to_run_check() {
    let store = store_with_events();
    store
        .conn()
        .execute_batch("UPDATE sequences SET last_number = 1 WHERE kind = 'web'")
        .unwrap();
    let event = web_event_at("new-1", "https://www.example.com/");
    let input = store.file("new.ndjson", ndjson(&[event]));
    import_stops_at_the_inconsistency(&store, &input);
}

#[test]
fn an_import_into_a_store_whose_sequence_is_gone_stops_and_says_to_run_check() {
    let store = store_with_events();
    // With no sequence, the kind looks as if it had no events, and its events go unlooked
    // for (store/seen.rs): a re-run of them meets its own events when it inserts.
    store
        .conn()
        .execute_batch("DELETE FROM sequences WHERE kind = 'web'")
        .unwrap();
    import_stops_at_the_inconsistency(&store, &fixture("requests/web.ndjson"));
}

/// A batch digest stands for events all in the store: one deleted by hand (which a re-run
/// judges again) is found, and so is a digest whose events are not of one kind.
#[test]
fn a_batch_digest_whose_events_are_not_all_there_is_found() {
    let store = store_with_web_events(5);
    assert_eq!(store.count("batch_digests"), 1);
    check(&store).code(0);
    finds(
        &store,
        "DELETE FROM events WHERE request_unique_identifier = '3'",
        &["batch digest", "web events 1 to 5", "of which 1 are not"],
    );
    finds(
        &store,
        "UPDATE batch_digests SET first_seq = first_seq - 2",
        &["batch digest", "not events of one kind"],
    );
}
