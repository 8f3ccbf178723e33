//! Golden tests: the seed's seven examples, imported by the real binary into a fresh store,
//! give the API responses in `tests/golden/{kind}.response.json`.
//!
//! Compared as JSON values (key order does not matter): `status` exactly, the processed
//! `request_unique_identifier`s in order, the unprocessed entries exactly; processed `id`s and
//! `number`s by shape only (32 upper-case hex characters; a decimal string), because the seed's
//! examples come from a store that did not start at 1.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

use crate::support::{KINDS, Run, Store, crate_path, fixture, is_id, reference, set};

fn request(kind: &str) -> PathBuf {
    PathBuf::from(fixture(&format!("requests/{kind}.json")))
}

fn golden(kind: &str) -> Value {
    let path = PathBuf::from(crate_path(&format!("tests/golden/{kind}.response.json")));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// `cebulk --store STORE import --reference fixtures/reference.json FILES…` in a fresh store.
fn import(files: &[PathBuf]) -> Run {
    Store::new()
        .cebulk()
        .arg("import")
        .arg("--reference")
        .arg(reference())
        .args(files)
        .run()
}

fn keys(entry: &Value) -> BTreeSet<&str> {
    entry
        .as_object()
        .unwrap_or_else(|| panic!("{entry} is not an object"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn is_number(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

/// Compares one report with the expected status and sets (as the golden files hold them).
fn assert_matches(actual: &Value, status: &Value, processed: &[Value], unprocessed: &[Value]) {
    assert_eq!(
        keys(actual),
        BTreeSet::from(["data", "status"]),
        "envelope keys of {actual}"
    );
    assert_eq!(&actual["status"], status, "status of {actual}");

    let got = set(actual, "processed_customer_events_set");
    let got_ruis: Vec<&Value> = got
        .iter()
        .map(|e| &e["request_unique_identifier"])
        .collect();
    let want_ruis: Vec<&Value> = processed
        .iter()
        .map(|e| &e["request_unique_identifier"])
        .collect();
    assert_eq!(got_ruis, want_ruis, "processed request_unique_identifiers");
    for (got, want) in got.iter().zip(processed) {
        assert_eq!(keys(got), keys(want), "keys of processed entry {got}");
        assert!(
            got["id"].as_str().is_some_and(is_id),
            "id of {got} is not 32 upper-case hex"
        );
        assert!(is_number(&got["number"]), "number of {got} is not decimal");
    }
    let ids: BTreeSet<&str> = got.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(
        ids.len(),
        got.len(),
        "processed ids are not unique: {got:?}"
    );

    let got = set(actual, "unprocessed_customer_events_set");
    assert_eq!(got.len(), unprocessed.len(), "unprocessed entries: {got:?}");
    for (got, want) in got.iter().zip(unprocessed) {
        assert_eq!(keys(got), keys(want), "keys of unprocessed entry {got}");
        for key in keys(want) {
            assert_eq!(got[key], want[key], "{key} of unprocessed entry {got}");
        }
    }
}

fn assert_golden(kind: &str) {
    let run = import(&[request(kind)]);
    let actual = run.json();
    let expected = golden(kind);
    assert_matches(
        &actual,
        &expected["status"],
        set(&expected, "processed_customer_events_set"),
        set(&expected, "unprocessed_customer_events_set"),
    );
    // A fresh store numbers each kind from 1.
    let numbers: Vec<&str> = set(&actual, "processed_customer_events_set")
        .iter()
        .map(|e| e["number"].as_str().unwrap())
        .collect();
    let first: Vec<String> = (1..=numbers.len()).map(|n| n.to_string()).collect();
    assert_eq!(numbers, first, "numbers of a fresh store");
    assert_eq!(
        run.code,
        Some(1),
        "{kind}: each example has unprocessed events\n{}",
        run.context()
    );
}

#[test]
fn golden_achievements() {
    assert_golden("achievements");
}

#[test]
fn golden_purchases() {
    assert_golden("purchases");
}

#[test]
fn golden_referrals() {
    assert_golden("referrals");
}

#[test]
fn golden_social_media() {
    assert_golden("social_media");
}

#[test]
fn golden_web() {
    assert_golden("web");
}

#[test]
fn golden_financial_achievements() {
    assert_golden("financial_achievements");
}

#[test]
fn golden_financial_statements() {
    assert_golden("financial_statements");
}

#[test]
fn golden_all_seven_in_one_store_concatenate_in_file_order() {
    let files: Vec<PathBuf> = KINDS.iter().map(|k| request(k)).collect();
    let run = import(&files);
    let actual = run.json();

    let mut processed = Vec::new();
    let mut unprocessed = Vec::new();
    let mut status = None;
    for kind in KINDS {
        let expected = golden(kind);
        processed.extend_from_slice(set(&expected, "processed_customer_events_set"));
        unprocessed.extend_from_slice(set(&expected, "unprocessed_customer_events_set"));
        let status = status.get_or_insert_with(|| expected["status"].clone());
        assert_eq!(*status, expected["status"], "the golden statuses agree");
    }
    assert_matches(&actual, &status.unwrap(), &processed, &unprocessed);
    run.code(1);
}
