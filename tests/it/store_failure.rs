//! A store that fails in the middle of an import (here: the disk is "full", through a file
//! size limit on the process): exit status 3, a clear error, whole batches only, a report
//! that is still a valid envelope listing exactly what was committed, and a re-run that
//! finishes the job as if nothing had happened.

use serde_json::Value;

use crate::support::{Cebulk, Run, Store, reference};

const EVENTS: usize = 3000;
// Small batches: the writer commits up to 16 batches at once, and the "disk" must fill up
// after some commits, not during the first.
const BATCH: &str = "50";

/// A fresh store holding the reference data.
fn store_with_reference() -> Store {
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    store
}

/// The events file, written beside `store`; returns its path.
fn events_file(store: &Store) -> String {
    let mut text = String::new();
    for i in 0..EVENTS {
        let event = serde_json::json!({
            "request_unique_identifier": i.to_string(),
            "accounts_receivable_identifier": {"number": "ACR0000000020"},
            "performed_by_unit_identifier": {"name": "Admin Unit"},
            "performed_on": "2016-06-22T15:00:00",
            "website": format!("www.crm.com/{}", "x".repeat(200)),
        });
        text.push_str(&event.to_string());
        text.push('\n');
    }
    store.file("events.ndjson", text)
}

/// The import every run makes, with batches of `BATCH` and `--id-seed 5`.
fn import_command(store: &Store, events: &str) -> Cebulk {
    store.cebulk().args([
        "import",
        "--kind",
        "web",
        "--batch-size",
        BATCH,
        "--id-seed",
        "5",
        "--quiet",
        events,
    ])
}

/// Runs the import with writes beyond about 1 MB failing (EFBIG) instead of killing the
/// process: the shell ignores SIGXFSZ, and an ignored signal stays ignored across exec.
fn import_on_a_full_disk(store: &Store, events: &str) -> Run {
    import_command(store, events)
        .shell(r#"trap "" XFSZ; ulimit -f 2000"#)
        .run()
}

fn import(store: &Store, events: &str) -> Run {
    import_command(store, events).run()
}

fn numbers(store: &Store) -> Vec<i64> {
    store.column("SELECT number FROM events ORDER BY seq")
}

#[test]
fn a_full_disk_stops_with_status_3_whole_batches_and_a_valid_report_and_a_rerun_finishes() {
    let reference_store = store_with_reference();
    let events = events_file(&reference_store);
    let uninterrupted = import(&reference_store, &events);
    assert_eq!(uninterrupted.code, Some(0));

    let store = store_with_reference();
    let failed = import_on_a_full_disk(&store, &events);
    let stderr = &failed.stderr;
    assert_eq!(failed.code, Some(3), "stderr: {stderr}");
    assert!(stderr.contains("store failure"), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");

    let committed = numbers(&store);
    let n = committed.len();
    assert!(
        n > 0 && n < EVENTS,
        "the failure should fall mid-run ({n} events)"
    );
    assert_eq!(n % 50, 0, "the store holds whole batches only ({n} events)");
    assert_eq!(committed, (1..=n as i64).collect::<Vec<_>>());

    let report: Value = serde_json::from_slice(&failed.stdout).expect("a valid JSON envelope");
    assert_eq!(report["status"]["code"], "StoreFailureException");
    let processed = report["data"]["processed_customer_events_set"]
        .as_array()
        .expect("the processed set");
    assert_eq!(
        processed.len(),
        n,
        "the report lists exactly the committed events"
    );
    let full: Value = serde_json::from_slice(&uninterrupted.stdout).expect("a report");
    let full_processed = full["data"]["processed_customer_events_set"]
        .as_array()
        .expect("the processed set");
    assert_eq!(processed.as_slice(), &full_processed[..n]);

    let rerun = import(&store, &events);
    assert_eq!(rerun.code, Some(0));
    assert_eq!(
        rerun.stdout, uninterrupted.stdout,
        "the re-run finishes the job"
    );
    assert_eq!(numbers(&store).len(), EVENTS);
}

#[test]
fn a_reference_load_that_fills_the_disk_leaves_the_store_as_it_was_and_readable() {
    let store = store_with_reference();
    let before = store.bytes();
    // Far more than the 1 MB the load may write: the disk fills while its transaction runs.
    let accounts: Vec<Value> = (0..60_000)
        .map(|i| {
            serde_json::json!({
                "id": format!("{i:032X}"),
                "number": format!("PARTNER{i:08}"),
                "name": format!("Partner account {i}"),
            })
        })
        .collect();
    let document = store.file(
        "accounts.json",
        serde_json::json!({ "accounts_receivable": accounts }).to_string(),
    );

    let failed = store
        .cebulk()
        .args(["reference", "load", &document])
        .shell(r#"trap "" XFSZ; ulimit -f 1000"#)
        .run();
    assert_eq!(failed.code, Some(3), "stderr: {}", failed.stderr);

    assert!(
        !std::path::Path::new(&store.path("store.db-journal")).exists(),
        "the failed load's journal was rolled back, not left for the next writer"
    );
    assert_eq!(store.bytes(), before, "the store is as it was");
    // Read-only commands read it at once, and nothing of the failed load is in it.
    store.run(&["check"]).code(0);
    store.run(&["events"]).code(0);
    let accounts: Vec<i64> = store.column("SELECT count(*) FROM accounts_receivable");
    let expected: Vec<i64> =
        store_with_reference().column("SELECT count(*) FROM accounts_receivable");
    assert_eq!(accounts, expected);
}
