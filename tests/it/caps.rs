//! The caps on input (docs/spec.md §1 and §2, README "Limits"), enforced while reading:
//!
//! - an NDJSON line or a CSV row longer than 1 MiB, however long or endless, is one
//!   unprocessed event at its line, skipped unstored, and the events around it are judged
//!   as usual;
//! - an event of more than 1000 line items is unprocessed, in every format;
//! - reference data that is not a regular file or a directory (a device), or holds a row
//!   over the cap, is refused as a whole.

use std::io::Write;

use serde_json::{Value, json};

use crate::support::{PROCESSED, Run, Store, UNPROCESSED, ndjson, reference, set, web_event_at};

/// One mebibyte, the cap on a line, a row and an event's rows.
const MIB: usize = 1024 * 1024;

const WEB_HEADER: &str = "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,website\n";

fn web_row(rui: &str, website: &str) -> String {
    format!("{rui},ACR0000000020,Admin Unit,2016-06-22T15:00:00,{website}\n")
}

/// The request unique identifiers of a report's set.
fn ruis(report: &Value, name: &str) -> Vec<String> {
    set(report, name)
        .iter()
        .map(|entry| {
            entry["request_unique_identifier"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// The unprocessed entries' error descriptions, as one text each.
fn errors(report: &Value) -> Vec<String> {
    set(report, UNPROCESSED)
        .iter()
        .map(|entry| entry.to_string())
        .collect()
}

fn import(store: &Store, kind: &str, input: &str) -> Run {
    store.import(&[
        "--quiet",
        "--kind",
        kind,
        "--reference",
        &reference(),
        input,
    ])
}

#[test]
fn an_ndjson_line_over_the_cap_is_unprocessed_and_the_lines_around_it_are_processed() {
    let store = Store::new();
    let long = web_event_at("2", &"w".repeat(MIB + 10));
    let input = store.file(
        "web.ndjson",
        ndjson(&[
            web_event_at("1", "https://a.example/"),
            long,
            web_event_at("3", "https://c.example/"),
        ]),
    );
    let run = import(&store, "web", &input);
    run.code(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), ["1", "3"], "{report}");
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    for part in ["InvalidParameterValueException", "line 2", "1 MiB"] {
        assert!(errors[0].contains(part), "{part} in {}", errors[0]);
    }
    assert_eq!(store.count("events"), 2);
}

#[test]
fn a_csv_row_over_the_cap_is_unprocessed_and_the_rows_after_it_keep_their_lines() {
    let store = Store::new();
    // The long cell holds line ends, skipped with it: the rows after it are still counted
    // at their own lines.
    let cell = format!("\"{}\"", "w\n".repeat(MIB / 2 + 10));
    let text = [
        WEB_HEADER.to_owned(),
        web_row("1", "https://a.example/"),
        web_row("2", &cell),
        web_row("3", "https://c.example/"),
        "4,too few cells\n".to_owned(),
    ]
    .concat();
    let ragged_line = text.matches('\n').count();
    let input = store.file("web.csv", text);
    let run = import(&store, "web", &input);
    run.code(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), ["1", "3"], "{report}");
    let errors = errors(&report);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].contains("line 3") && errors[0].contains("1 MiB"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains(&format!("line {ragged_line}")),
        "{} at line {ragged_line}",
        errors[1]
    );
}

/// A purchase of `lines` product lines, as NDJSON's event object.
fn purchase(rui: &str, lines: usize) -> Value {
    let line = json!({"product_identifier": {"code": "Bronze"},
                      "net_amount": 1, "vat_amount": 0, "total_amount": 1});
    json!({
        "request_unique_identifier": rui,
        "accounts_receivable_identifier": {"number": "ACR0000000228"},
        "performed_by_unit_identifier": {"name": "Admin Unit"},
        "performed_on": "2016-06-22T15:00:00",
        "reference_number": "RF01",
        "products_set": vec![line; lines],
    })
}

#[test]
fn an_event_of_1001_line_items_is_unprocessed_and_one_of_1000_processed() {
    let store = Store::new();
    let input = store.file(
        "purchases.ndjson",
        ndjson(&[purchase("1000", 1000), purchase("1001", 1001)]),
    );
    let run = import(&store, "purchases", &input);
    run.code(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), ["1000"], "{report}");
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    for part in ["1001 line items", "products_set", "at most 1000"] {
        assert!(errors[0].contains(part), "{part} in {}", errors[0]);
    }
}

#[test]
fn a_line_item_per_row_csv_event_of_1001_rows_is_unprocessed_and_one_of_1000_processed() {
    let store = Store::new();
    let mut text = "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,reference_number,products_set.product_identifier.code,products_set.total_amount,products_set.net_amount,products_set.vat_amount\n".to_owned();
    for (rui, rows) in [("1000", 1000), ("1001", 1001)] {
        text += &format!("{rui},ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF01,Bronze,1,1,0\n");
        for _ in 1..rows {
            text += &format!("{rui},,,,,Bronze,1,1,0\n");
        }
    }
    let input = store.file("purchases.csv", text);
    let run = import(&store, "purchases", &input);
    run.code(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), ["1000"], "{report}");
    assert_eq!(ruis(&report, UNPROCESSED), ["1001"], "{report}");
    let errors = errors(&report);
    assert!(errors[0].contains("1001 line items"), "{}", errors[0]);
}

#[test]
fn line_item_rows_over_the_cap_together_make_one_unprocessed_event() {
    let store = Store::new();
    let mut text = "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,reference_number,products_set.product_identifier.code,products_set.total_amount,products_set.net_amount,products_set.vat_amount\n".to_owned();
    let code = "x".repeat(4000);
    text += "7,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF01,Bronze,1,1,0\n";
    // Each row well under the cap, all of them over it.
    for _ in 0..300 {
        text += &format!("7,,,,,{code},1,1,0\n");
    }
    text += "8,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF02,Bronze,1,1,0\n";
    let input = store.file("purchases.csv", text);
    let run = import(&store, "purchases", &input);
    run.code(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), ["8"], "{report}");
    assert_eq!(ruis(&report, UNPROCESSED), ["7"], "{report}");
    let errors = errors(&report);
    assert!(
        errors[0].contains("line 2") && errors[0].contains("1 MiB"),
        "{}",
        errors[0]
    );
}

/// Imports from standard input `before`, then 64 MiB of zero bytes (no line end among
/// them: one endless-looking line or row), then `after`, written through the pipe as
/// cebulk reads it.
fn import_through_a_pipe(store: &Store, format: &str, before: &str, after: &str) -> Run {
    let mut running = store
        .cebulk()
        .args(["import", "--quiet", "--kind", "web", "--format", format])
        .args(["--reference", &reference(), "-"])
        .spawn();
    let mut stdin = running.take_stdin();
    let zeros = vec![0u8; MIB];
    stdin
        .write_all(before.as_bytes())
        .expect("writing the input");
    for _ in 0..64 {
        stdin.write_all(&zeros).expect("writing the input");
    }
    stdin.write_all(b"\n").expect("writing the input");
    stdin
        .write_all(after.as_bytes())
        .expect("writing the input");
    drop(stdin);
    running.wait()
}

#[test]
fn an_endless_looking_line_is_skipped_and_the_line_after_it_processed() {
    let store = Store::new();
    let after = ndjson(&[web_event_at("2", "https://b.example/")]);
    let run = import_through_a_pipe(&store, "ndjson", "", &after);
    run.code(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), ["2"], "{report}");
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("line 1") && errors[0].contains("67108864 bytes"),
        "{}",
        errors[0]
    );
}

#[test]
fn an_endless_looking_csv_row_is_skipped_and_the_row_after_it_processed() {
    let store = Store::new();
    let run = import_through_a_pipe(
        &store,
        "csv",
        WEB_HEADER,
        &web_row("2", "https://b.example/"),
    );
    run.code(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), ["2"], "{report}");
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("line 2") && errors[0].contains("67108864 bytes"),
        "{}",
        errors[0]
    );
}

/// Standard error's words on one line: miette wraps its messages to the terminal's width,
/// in a box.
fn words(run: &Run) -> String {
    run.stderr
        .split_whitespace()
        .filter(|word| *word != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn reference_data_from_a_device_is_refused_at_once() {
    let store = Store::new();
    let run = store.run(&["reference", "load", "/dev/zero"]);
    run.code(2);
    assert!(
        words(&run).contains("not a regular file"),
        "{}",
        run.context()
    );

    // A reference directory whose entity file is a link to the device.
    let dir = store.path("reference");
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink("/dev/zero", format!("{dir}/units.csv")).unwrap();
    let run = store.run(&["reference", "load", &dir]);
    run.code(2);
    let words = words(&run);
    assert!(
        words.contains("units.csv") && words.contains("not a regular file"),
        "{}",
        run.context()
    );
}

#[test]
fn a_reference_csv_row_over_the_cap_rejects_the_load() {
    let store = Store::new();
    let dir = store.path("reference");
    std::fs::create_dir(&dir).unwrap();
    let long = "u".repeat(MIB + 1);
    std::fs::write(
        format!("{dir}/currencies.csv"),
        format!("code\nEUR\n{long}\nUSD\n"),
    )
    .unwrap();
    let run = store.run(&["reference", "load", &dir]);
    run.code(2);
    let words = words(&run);
    assert!(
        words.contains("currencies.csv line 3") && words.contains("1 MiB"),
        "{}",
        run.context()
    );
    assert_eq!(store.count_or_zero("currencies"), 0);
}
