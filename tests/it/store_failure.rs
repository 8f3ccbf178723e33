//! A store that fails in the middle of an import (here: the disk is "full", through a file
//! size limit on the process): exit status 3, a clear error, whole batches only, a report
//! that is still a valid envelope listing exactly what was committed, and a re-run that
//! finishes the job as if nothing had happened.

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use support::{cebulk_bin, reference};

const EVENTS: usize = 3000;
// Small batches: the writer commits up to 16 batches at once, and the "disk" must fill up
// after some commits, not during the first.
const BATCH: &str = "50";

fn events_file(dir: &Path) -> String {
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
    let path = dir.join("events.ndjson");
    std::fs::write(&path, text).expect("writing the events");
    path.to_str().expect("a UTF-8 path").to_owned()
}

fn store_with_reference(dir: &Path, name: &str) -> String {
    let store = dir.join(name).to_str().expect("a UTF-8 path").to_owned();
    let status = Command::new(cebulk_bin())
        .args(["--store", &store, "reference", "load", &reference()])
        .env_remove("CEBULK_STORE")
        .status()
        .expect("running cebulk");
    assert!(status.success());
    store
}

fn import_args<'a>(store: &'a str, events: &'a str) -> [&'a str; 11] {
    [
        "--store",
        store,
        "import",
        "--kind",
        "web",
        "--batch-size",
        BATCH,
        "--id-seed",
        "5",
        "--quiet",
        events,
    ]
}

/// Runs the import with writes beyond about 1 MB failing (EFBIG) instead of killing the
/// process: the shell ignores SIGXFSZ, and an ignored signal stays ignored across exec.
fn import_on_a_full_disk(store: &str, events: &str) -> Output {
    Command::new("/bin/sh")
        .arg("-c")
        .arg(r#"trap "" XFSZ; ulimit -f 2000; exec "$0" "$@""#)
        .arg(cebulk_bin())
        .args(import_args(store, events))
        .env_remove("CEBULK_STORE")
        .output()
        .expect("running cebulk under a file size limit")
}

fn import(store: &str, events: &str) -> Output {
    Command::new(cebulk_bin())
        .args(import_args(store, events))
        .env_remove("CEBULK_STORE")
        .output()
        .expect("running cebulk")
}

fn numbers(store: &str) -> Vec<i64> {
    let conn = rusqlite::Connection::open(store).expect("opening the store");
    let mut statement = conn
        .prepare("SELECT number FROM events ORDER BY seq")
        .expect("a query");
    statement
        .query_map([], |row| row.get(0))
        .expect("rows")
        .map(|n| n.expect("a number"))
        .collect()
}

#[test]
fn a_full_disk_stops_with_status_3_whole_batches_and_a_valid_report_and_a_rerun_finishes() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let events = events_file(dir.path());

    let reference_store = store_with_reference(dir.path(), "reference.db");
    let uninterrupted = import(&reference_store, &events);
    assert_eq!(uninterrupted.status.code(), Some(0));

    let store = store_with_reference(dir.path(), "store.db");
    let failed = import_on_a_full_disk(&store, &events);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(3), "stderr: {stderr}");
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
    assert_eq!(rerun.status.code(), Some(0));
    assert_eq!(
        rerun.stdout, uninterrupted.stdout,
        "the re-run finishes the job"
    );
    assert_eq!(numbers(&store).len(), EVENTS);
}
