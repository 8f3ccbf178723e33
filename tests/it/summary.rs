//! What an import says it did: the summary on standard error and `--summary FILE` (counts of
//! a first run, a re-run and a run with amended rows, errors by code, missing references),
//! `--max-errors` (exit status 4, the committed part reported), and the warning when the
//! store has no reference data to resolve against.

use serde_json::{Value, json};

use crate::support::{PROCESSED, Store, UNPROCESSED, fixture, ndjson, set, web_event_at};

fn summary(store: &Store, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(store.path(name)).unwrap()).unwrap()
}

/// The purchases fixture (CSV), with the fixtures' reference data: 31 and 32 resolve, 33 and
/// 34 name missing accounts.
fn import(store: &Store, input: &str, extra: &[&str]) -> crate::support::Run {
    let reference = fixture("reference");
    let args = [
        &[
            "--kind",
            "purchases",
            "--reference",
            &reference,
            "--report",
            "out.json",
        ][..],
        extra,
        &[input],
    ]
    .concat();
    store.import(&args)
}

#[test]
fn a_first_run_a_rerun_and_amended_rows_are_counted_apart() {
    let store = Store::new();
    let input = fixture("requests/purchases.csv");
    let first = import(&store, &input, &["--summary", "first.json"]);
    first.code(1);
    let first_summary = summary(&store, "first.json");
    assert_eq!(first_summary["events_read"], 4);
    assert_eq!(first_summary["created"], 2);
    assert_eq!(first_summary["already_in_store"], 0);
    assert_eq!(first_summary["unprocessed"], 2);
    assert_eq!(
        first_summary["unprocessed_by_code"],
        json!({"NotFoundAPIValueException": 2})
    );
    let missing = first_summary["missing_references"].as_array().unwrap();
    let values: Vec<&str> = missing
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["ACR0000058", "ACR00008"]);
    assert_eq!(missing[1]["entity"], "accounts_receivable");
    assert_eq!(missing[1]["events"], 1);
    assert_eq!(first_summary["amended"], 0);
    assert_eq!(first_summary["ended"], "finished");
    assert!(first_summary["duration_seconds"].is_number());
    assert!(first_summary["events_per_second"].is_number());
    assert!(
        first
            .stderr
            .contains("4 events read: 2 created, 0 already in the store, 2 unprocessed"),
        "{}",
        first.context()
    );
    assert!(
        first
            .stderr
            .contains("Account (ACR00008) not found: 1 event"),
        "{}",
        first.context()
    );
    assert!(
        first.stderr.contains("NotFoundAPIValueException 2"),
        "{}",
        first.context()
    );

    // The same file again: nothing new, the two events recognised.
    let rerun = import(&store, &input, &["--summary", "rerun.json"]);
    rerun.code(1);
    let rerun_summary = summary(&store, "rerun.json");
    assert_eq!(rerun_summary["created"], 0);
    assert_eq!(rerun_summary["already_in_store"], 2);
    assert_eq!(rerun_summary["unprocessed"], 2);
    assert!(
        rerun.stderr.contains("0 created, 2 already in the store"),
        "{}",
        rerun.context()
    );

    // 31 amended (another amount): a new event, as the API makes one, and a warning.
    let text = std::fs::read_to_string(&input).unwrap();
    let amended = store.file(
        "amended.csv",
        text.replacen("Serendipity,60,50,10", "Serendipity,61,51,10", 1),
    );
    let run = import(&store, &amended, &["--summary", "amended.json"]);
    run.code(1);
    let amended_summary = summary(&store, "amended.json");
    assert_eq!(amended_summary["created"], 1);
    assert_eq!(amended_summary["amended"], 1);
    assert_eq!(amended_summary["amended_identifiers"], json!(["31"]));
    assert_eq!(amended_summary["already_in_store"], 1);
    assert!(
        run.stderr.contains(
            "warning: 1 event had a request_unique_identifier already stored with other content"
        ) && run.stderr.contains(": 31"),
        "{}",
        run.context()
    );
    assert_eq!(store.count("events"), 3);
}

/// A nightly file's identifiers come after every stored one, so the store is not asked
/// about them; one that the same run created is still found: a later input of the run
/// sending it again is recognised, and sending it with other content creates a second event.
#[test]
fn identifiers_past_the_stored_ones_are_recognised_and_amended_within_the_run() {
    let store = Store::new();
    let input = fixture("requests/purchases.csv");
    import(&store, &input, &[]).code(1);
    let text = std::fs::read_to_string(&input).unwrap();
    let night = text.replace("31,", "41,").replace("32,", "42,");
    let amended = night.replacen("Serendipity,60,50,10", "Serendipity,61,51,10", 1);
    let night = store.file("night.csv", night);
    let amended = store.file("amended.csv", amended);
    let run = import(&store, &input, &["--summary", "s.json", &night, &amended]);
    run.code(1);
    let summary = summary(&store, "s.json");
    assert_eq!(summary["created"], 3, "{}", run.context());
    assert_eq!(summary["amended_identifiers"], json!(["41"]));
    assert_eq!(summary["already_in_store"], 3);
    assert_eq!(store.count("events"), 5);
}

/// A body leaves an account named by its record's row to the row's column: an event that
/// differs from a stored one only in its account is other content all the same, in a dry
/// run as in a real one, and each is listed with its own account.
#[test]
fn a_row_whose_only_change_is_its_account_is_not_recognised() {
    let store = Store::new();
    let input = fixture("requests/purchases.csv");
    let text = std::fs::read_to_string(&input).unwrap();
    let other = store.file(
        "other.csv",
        text.replacen("31,ACR0000000228", "31,ACR0000000020", 1),
    );
    let run = import(
        &store,
        &input,
        &["--dry-run", "--summary", "dry.json", &other],
    );
    run.code(1);
    let dry = summary(&store, "dry.json");
    assert_eq!(dry["created"], 3, "{}", run.context());
    assert_eq!(dry["already_in_store"], 1);

    import(&store, &input, &[]).code(1);
    let run = import(&store, &other, &["--summary", "s.json"]);
    run.code(1);
    let real = summary(&store, "s.json");
    assert_eq!(real["created"], 1, "{}", run.context());
    assert_eq!(real["amended_identifiers"], json!(["31"]));
    assert_eq!(real["already_in_store"], 1);
    assert_eq!(store.count("events"), 3);

    let listed = store.run(&["events", "--rid", "31", "--format", "ndjson"]);
    listed.code(0);
    let accounts: Vec<String> = listed
        .stdout_text()
        .lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line).unwrap();
            event["accounts_receivable_identifier"]["number"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(accounts, ["ACR0000000228", "ACR0000000020"]);
}

#[test]
fn a_dry_run_has_its_summary_too() {
    let store = Store::new();
    let run = import(
        &store,
        &fixture("requests/purchases.csv"),
        &["--dry-run", "--summary", "s.json"],
    );
    run.code(1);
    let dry = summary(&store, "s.json");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["created"], 2);
    assert!(run.stderr.contains("a dry run"), "{}", run.context());
}

#[test]
fn max_errors_stops_reading_and_reports_what_was_committed_with_exit_4() {
    let store = Store::new();
    // 1000 valid events, then 2000 naming an account that does not exist.
    let mut events: Vec<Value> = (0..1000)
        .map(|i| web_event_at(&format!("v{i}"), "w"))
        .collect();
    events.extend((0..2000).map(|i| {
        let mut event = web_event_at(&format!("x{i}"), "w");
        event["accounts_receivable_identifier"]["number"] = json!("NOPE");
        event
    }));
    let input = store.file("in.ndjson", ndjson(&events));
    let run = store.import(&[
        "--kind",
        "web",
        "--reference",
        &fixture("reference.json"),
        "--batch-size",
        "100",
        "--max-errors",
        "10",
        "--summary",
        "s.json",
        "--rejects",
        "rejects.ndjson",
        &input,
    ]);
    run.code(4);
    let report = run.json();
    assert_eq!(
        report["status"]["code"],
        "TooManyUnprocessedEventsException",
        "{}",
        run.context()
    );
    // Reading stopped at the end of the batch that went past 10: every valid event and
    // that batch are committed and reported, nothing after.
    assert_eq!(set(&report, PROCESSED).len(), 1000);
    assert_eq!(set(&report, UNPROCESSED).len(), 100);
    assert_eq!(store.count("events"), 1000);
    let written = summary(&store, "s.json");
    assert_eq!(written["ended"], "max_errors");
    assert_eq!(written["unprocessed"], 100);
    let rejects = std::fs::read_to_string(store.path("rejects.ndjson")).unwrap();
    assert_eq!(rejects.lines().count(), 100);
    assert!(run.stderr.contains("--max-errors 10"), "{}", run.context());

    // Within the limit, the import runs to its end.
    let other = Store::new();
    let input = other.file("in.ndjson", ndjson(&events[..1005]));
    let run = other.import(&[
        "--kind",
        "web",
        "--reference",
        &fixture("reference.json"),
        "--max-errors",
        "10",
        &input,
    ]);
    run.code(1);
    assert_eq!(run.json()["status"]["code"], "OK");
}

#[test]
fn a_store_without_reference_data_is_warned_of_naming_the_fix() {
    let store = Store::new();
    let input = fixture("requests/web.csv");
    let run = store.import(&["--kind", "web", &input]);
    run.code(1);
    assert!(
        run.stderr.contains("no reference data")
            && run.stderr.contains("--reference")
            && run.stderr.contains("cebulk reference load"),
        "{}",
        run.context()
    );

    // Reference data without any unit, which every web event names.
    let mut reference: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("reference.json")).unwrap()).unwrap();
    reference["units"] = json!([]);
    let reference = store.file("no_units.json", reference.to_string());
    let other = Store::new();
    let run = other.import(&["--kind", "web", "--reference", &reference, &input]);
    assert!(run.stderr.contains("holds no units"), "{}", run.context());

    // With the reference data, no warning.
    let run = Store::new().import(&[
        "--kind",
        "web",
        "--reference",
        &fixture("reference.json"),
        &input,
    ]);
    assert!(!run.stderr.contains("warning"), "{}", run.context());
}

/// The store's history of imports (read by the console) holds one row a run of the command
/// line, with the counts and the summary of `--summary`; a dry run leaves no row.
#[test]
fn each_import_is_recorded_in_the_store_history_with_its_summary() {
    let store = Store::new();
    let input = fixture("requests/purchases.csv");
    import(&store, &input, &["--summary", "first.json"]).code(1);
    import(&store, &input, &["--dry-run"]).code(1);
    import(&store, &input, &["--summary", "second.json"]).code(1);
    let rows = store.text_rows(
        "SELECT origin, file, kind, status, events_read, created, already_stored, unprocessed,
                dry_run, summary FROM imports ORDER BY id",
    );
    assert_eq!(rows.len(), 2, "the dry run is not recorded: {rows:?}");
    for (row, name) in rows.iter().zip(["first.json", "second.json"]) {
        let written = summary(&store, name);
        assert_eq!(row[0], "command line");
        assert!(row[1].ends_with("purchases.csv"), "{row:?}");
        assert_eq!(row[2..4], ["purchases", "finished"]);
        let counts: Vec<String> = ["events_read", "created", "already_in_store", "unprocessed"]
            .iter()
            .map(|key| written[key].to_string())
            .collect();
        assert_eq!(row[4..8], counts[..], "{row:?}");
        assert_eq!(row[8], "0");
        let mut recorded: Value = serde_json::from_str(&row[9]).unwrap();
        let mut written = written;
        // The durations are the run's own, measured once each.
        for key in ["duration_seconds", "events_per_second"] {
            recorded[key] = Value::Null;
            written[key] = Value::Null;
        }
        assert_eq!(recorded, written);
    }
    assert_eq!(rows[1][5..7], ["0", "2"], "the re-run created nothing new");
}

/// A JSON request document names its kind by its set: the history records that kind when
/// no `--kind` was given.
#[test]
fn the_history_records_the_kind_a_document_gave() {
    let store = Store::new();
    store
        .import(&["--quiet", &fixture("requests/web.json")])
        .code(1);
    let rows = store.text_rows("SELECT kind FROM imports");
    assert_eq!(rows, [["web"]]);
}
