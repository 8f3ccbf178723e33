//! A corpus of broken input files (`tests/broken/`), each with its expected outcome in the
//! table below, plus deeply nested inputs generated here (too big to keep as files).
//!
//! What the table expects comes from docs/spec.md §1, §4, §6, ERRORS.md and the README's decisions:
//! a JSON request document that cannot be read is rejected whole (`"data": null`, a non-OK
//! `status` naming file, line and column, exit 2); in NDJSON a line that is not one JSON
//! object, and in CSV a row that cannot be read (wrong number of cells, not UTF-8), is one
//! unprocessed event (`InvalidParameterValueException`, its path `line N…`) while the other
//! events go on (exit 1); a CSV header naming no parameter rejects the file. Every case also
//! checks that cebulk never panics, writes the API envelope, and stores what it reports.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{Store, crate_path, reference};

/// What a case must give.
#[derive(Debug)]
enum Expect {
    /// The whole input rejected: `"data": null`, this `status.code`, each substring in
    /// `status.description`, nothing stored.
    Rejected {
        code: &'static str,
        description: &'static [&'static str],
    },
    /// Exactly these events processed (in order), and no unprocessed one.
    Processed(&'static [&'static str]),
    /// These events processed (in order) and exactly one unprocessed, with this
    /// `request_unique_identifier` (`None`: not checked, the line could not be read), error
    /// code and a substring of its description.
    Unprocessed {
        processed: &'static [&'static str],
        request_unique_identifier: Option<&'static str>,
        error_code: &'static str,
        description: &'static str,
    },
}

use Expect::{Processed, Rejected, Unprocessed};

const INVALID_DOCUMENT: &str = "InvalidRequestDocumentException";
const INVALID_VALUE: &str = "InvalidParameterValueException";

/// One case: a file of tests/broken/ (or a generated one), the arguments before it, the
/// expected exit status and outcome.
struct Case {
    file: &'static str,
    args: &'static [&'static str],
    exit: i32,
    expect: Expect,
}

const WEB: &[&str] = &["--kind", "web"];
const PURCHASES: &[&str] = &["--kind", "purchases"];
const NONE: &[&str] = &[];

/// The corpus and what each file must give.
fn table() -> Vec<Case> {
    vec![
        // --- encodings: not UTF-8, NUL bytes
        Case {
            file: "invalid_utf8.json",
            args: NONE,
            exit: 2,
            expect: Rejected {
                code: INVALID_DOCUMENT,
                description: &["invalid_utf8.json", "line 16"],
            },
        },
        Case {
            file: "invalid_utf8_line.ndjson",
            args: WEB,
            exit: 1,
            expect: Unprocessed {
                processed: &["1", "3"],
                request_unique_identifier: None,
                error_code: INVALID_VALUE,
                description: "line 2",
            },
        },
        Case {
            file: "invalid_utf8_row.csv",
            args: WEB,
            exit: 1,
            expect: Unprocessed {
                processed: &["1", "3"],
                request_unique_identifier: None,
                error_code: INVALID_VALUE,
                description: "line 3",
            },
        },
        Case {
            file: "nul_in_string.json",
            args: NONE,
            exit: 2,
            expect: Rejected {
                code: INVALID_DOCUMENT,
                description: &["nul_in_string.json", "line 13"],
            },
        },
        Case {
            file: "nul_outside_string.json",
            args: NONE,
            exit: 2,
            expect: Rejected {
                code: INVALID_DOCUMENT,
                description: &["nul_outside_string.json", "line 3"],
            },
        },
        Case {
            file: "nul_outside_string.ndjson",
            args: WEB,
            exit: 1,
            expect: Unprocessed {
                processed: &["1", "3"],
                request_unique_identifier: None,
                error_code: INVALID_VALUE,
                description: "line 2",
            },
        },
        // A NUL inside a CSV cell is a character of the value, as `\u0000` is in JSON.
        Case {
            file: "nul_in_cell.csv",
            args: WEB,
            exit: 0,
            expect: Processed(&["1"]),
        },
        // --- numbers out of range: the caller's own value and the path (ERRORS.md)
        Case {
            file: "amount_1e400.json",
            args: NONE,
            exit: 1,
            expect: Unprocessed {
                processed: &["1"],
                request_unique_identifier: Some("2"),
                error_code: INVALID_VALUE,
                description: "Invalid Value (1e400) for Parameter (products_set.0.net_amount)",
            },
        },
        Case {
            file: "amount_1e400.ndjson",
            args: PURCHASES,
            exit: 1,
            expect: Unprocessed {
                processed: &["1"],
                request_unique_identifier: Some("2"),
                error_code: INVALID_VALUE,
                description: "Invalid Value (1e400) for Parameter (products_set.0.net_amount)",
            },
        },
        Case {
            file: "amount_1e400.csv",
            args: PURCHASES,
            exit: 1,
            expect: Unprocessed {
                processed: &["2"],
                request_unique_identifier: Some("1"),
                error_code: INVALID_VALUE,
                description: "Invalid Value (1e400) for Parameter (products_set.0.net_amount)",
            },
        },
        // README: types are strict, an amount given as a string is an invalid value.
        Case {
            file: "amount_as_string.json",
            args: NONE,
            exit: 1,
            expect: Unprocessed {
                processed: &[],
                request_unique_identifier: Some("1"),
                error_code: INVALID_VALUE,
                description: "products_set.0.net_amount",
            },
        },
        // --- wrong shapes
        Case {
            file: "array_as_request.json",
            args: NONE,
            exit: 2,
            expect: Rejected {
                code: INVALID_DOCUMENT,
                description: &["array_as_request.json"],
            },
        },
        Case {
            file: "set_is_object.json",
            args: NONE,
            exit: 2,
            expect: Rejected {
                code: INVALID_DOCUMENT,
                description: &["set_is_object.json", "web_customer_events_set"],
            },
        },
        Case {
            file: "event_is_array.json",
            args: NONE,
            exit: 1,
            expect: Unprocessed {
                processed: &["1", "3"],
                request_unique_identifier: None,
                error_code: INVALID_VALUE,
                description: "web_customer_events_set.1",
            },
        },
        // README: "A line that is not a JSON object is one unprocessed event
        // (InvalidParameterValueException, its path line N, column C)".
        Case {
            file: "event_is_array.ndjson",
            args: WEB,
            exit: 1,
            expect: Unprocessed {
                processed: &["1", "3"],
                request_unique_identifier: None,
                error_code: INVALID_VALUE,
                description: "line 2",
            },
        },
        Case {
            file: "two_objects_one_line.ndjson",
            args: WEB,
            exit: 1,
            expect: Unprocessed {
                processed: &["1", "4"],
                request_unique_identifier: None,
                error_code: INVALID_VALUE,
                description: "line 2",
            },
        },
        Case {
            file: "products_set_is_object.json",
            args: NONE,
            exit: 1,
            expect: Unprocessed {
                processed: &["1"],
                request_unique_identifier: Some("2"),
                error_code: INVALID_VALUE,
                description: "Parameter (products_set)",
            },
        },
        // --- empty inputs
        Case {
            file: "empty.json",
            args: NONE,
            exit: 2,
            expect: Rejected {
                code: INVALID_DOCUMENT,
                description: &["empty.json", "line 1"],
            },
        },
        Case {
            file: "empty.ndjson",
            args: WEB,
            exit: 0,
            expect: Processed(&[]),
        },
        // A CSV input needs its header row.
        Case {
            file: "empty.csv",
            args: WEB,
            exit: 2,
            expect: Rejected {
                code: INVALID_DOCUMENT,
                description: &["empty.csv", "line 1"],
            },
        },
        Case {
            file: "header_only.csv",
            args: WEB,
            exit: 0,
            expect: Processed(&[]),
        },
        // --- files ending mid-record
        Case {
            file: "truncated.json",
            args: NONE,
            exit: 2,
            expect: Rejected {
                code: INVALID_DOCUMENT,
                description: &["truncated.json", "line 28"],
            },
        },
        Case {
            file: "truncated.ndjson",
            args: WEB,
            exit: 1,
            expect: Unprocessed {
                processed: &["1", "2", "3"],
                request_unique_identifier: None,
                error_code: INVALID_VALUE,
                description: "line 4",
            },
        },
        Case {
            file: "truncated.csv",
            args: WEB,
            exit: 1,
            expect: Unprocessed {
                processed: &["1", "2"],
                request_unique_identifier: None,
                error_code: INVALID_VALUE,
                description: "line 4",
            },
        },
        // The last row ends inside a quoted field: the record is cut, not complete; it must
        // not be created with a truncated value (`"www.cr`) as if nothing happened.
        Case {
            file: "truncated_in_quote.csv",
            args: WEB,
            exit: 1,
            expect: Unprocessed {
                processed: &["1"],
                request_unique_identifier: None,
                error_code: INVALID_VALUE,
                description: "line 3",
            },
        },
        // --- CSV structure
        Case {
            file: "ragged.csv",
            args: WEB,
            exit: 1,
            expect: Unprocessed {
                processed: &["1", "3"],
                request_unique_identifier: None,
                error_code: INVALID_VALUE,
                description: "line 3",
            },
        },
        Case {
            file: "unknown_column.csv",
            args: WEB,
            exit: 2,
            expect: Rejected {
                code: INVALID_DOCUMENT,
                description: &["unknown_column.csv", "colour"],
            },
        },
        Case {
            file: "inconsistent_rows.csv",
            args: PURCHASES,
            exit: 1,
            expect: Unprocessed {
                processed: &["31", "33"],
                request_unique_identifier: Some("32"),
                error_code: "InconsistentEventRowsException",
                description: "Rows of Request (32) Disagree on (accounts_receivable_identifier.number)",
            },
        },
        // --- valid files in the encodings the spec allows
        Case {
            file: "bom_crlf.csv",
            args: PURCHASES,
            exit: 0,
            expect: Processed(&["1", "2"]),
        },
        Case {
            file: "crlf.ndjson",
            args: WEB,
            exit: 0,
            expect: Processed(&["1", "2", "3"]),
        },
        // --- one broken line among valid ones
        Case {
            file: "one_broken_line.ndjson",
            args: WEB,
            exit: 1,
            expect: Unprocessed {
                processed: &["1", "2", "4", "5"],
                request_unique_identifier: None,
                error_code: INVALID_VALUE,
                description: "line 3",
            },
        },
    ]
}

/// Nesting depth of the generated inputs.
const DEEP: usize = 100_000;

/// A web event line that resolves against fixtures/reference.json.
fn web_line(rui: &str) -> String {
    format!(
        r#"{{"request_unique_identifier":"{rui}","accounts_receivable_identifier":{{"number":"ACR0000000020"}},"performed_by_unit_identifier":{{"name":"Admin Unit"}},"performed_on":"2016-06-22T15:00:00","website":"www.crm.com"}}"#
    )
}

/// Inputs too big to keep in the corpus: nesting 100,000 deep.
fn generated() -> Vec<(Case, Vec<u8>)> {
    let arrays = "[".repeat(DEEP) + &"]".repeat(DEEP);
    let objects = "{\"a\":".repeat(DEEP) + "1" + &"}".repeat(DEEP);
    vec![
        // A JSON document is read whole, but each event is judged on its own (docs/spec.md §3): an
        // event nested too deep is one unprocessed event.
        (
            Case {
                file: "deep_in_event.json",
                args: NONE,
                exit: 1,
                expect: Unprocessed {
                    processed: &["1"],
                    request_unique_identifier: None,
                    error_code: INVALID_VALUE,
                    description: "web_customer_events_set.1",
                },
            },
            format!(
                r#"{{"web_customer_events_set":[{},{{"request_unique_identifier":"2","website":{arrays}}}]}}"#,
                web_line("1")
            )
            .into_bytes(),
        ),
        (
            Case {
                file: "deep_document.json",
                args: NONE,
                exit: 2,
                expect: Rejected {
                    code: INVALID_DOCUMENT,
                    description: &["deep_document.json"],
                },
            },
            arrays.clone().into_bytes(),
        ),
        // docs/spec.md §1: "`token` is accepted and not checked by the command-line importer".
        (
            Case {
                file: "deep_token.json",
                args: NONE,
                exit: 0,
                expect: Processed(&["1"]),
            },
            format!(
                r#"{{"token":{objects},"web_customer_events_set":[{}]}}"#,
                web_line("1")
            )
            .into_bytes(),
        ),
        (
            Case {
                file: "deep_line.ndjson",
                args: WEB,
                exit: 1,
                expect: Unprocessed {
                    processed: &["1", "3"],
                    request_unique_identifier: None,
                    error_code: INVALID_VALUE,
                    description: "line 2",
                },
            },
            format!(
                "{}\n{{\"request_unique_identifier\":\"2\",\"website\":{objects}}}\n{}\n",
                web_line("1"),
                web_line("3")
            )
            .into_bytes(),
        ),
        (
            Case {
                file: "deep_top_level_line.ndjson",
                args: WEB,
                exit: 1,
                expect: Unprocessed {
                    processed: &["1", "3"],
                    request_unique_identifier: None,
                    error_code: INVALID_VALUE,
                    description: "line 2",
                },
            },
            format!("{}\n{arrays}\n{}\n", web_line("1"), web_line("3")).into_bytes(),
        ),
        (
            Case {
                file: "deep_column.csv",
                args: PURCHASES,
                exit: 2,
                expect: Rejected {
                    code: INVALID_DOCUMENT,
                    description: &["deep_column.csv", "line 1"],
                },
            },
            format!(
                "request_unique_identifier,{}code\n1,Bronze\n",
                "products_set.0.".repeat(DEEP / 10)
            )
            .into_bytes(),
        ),
    ]
}

fn corpus() -> PathBuf {
    PathBuf::from(crate_path("tests/broken"))
}

/// Runs one case (the file at `path`) in a fresh store with the reference loaded, and
/// returns what does not meet the expectation.
fn run_case(case: &Case, path: &Path) -> Result<(), String> {
    let store = Store::new();
    let run = store
        .cebulk()
        .args(["import", "--quiet", "--reference"])
        .arg(reference())
        .args(case.args)
        .arg(path)
        .run();
    let context = run.context();
    let fail = |why: &str| Err(format!("{}: {why}\n{context}", case.file));

    // Never panics, always an envelope.
    if run.panicked() || run.code == Some(101) {
        return fail("cebulk panicked");
    }
    let Ok(report) = serde_json::from_slice::<Value>(&run.stdout) else {
        return fail("standard output is not a JSON report");
    };
    if !report["status"]["code"].is_string() {
        return fail("the report has no status.code");
    }
    if run.code != Some(case.exit) {
        return fail(&format!("exit status is not {}", case.exit));
    }
    let stored = store
        .try_count("events")
        .map_err(|e| format!("{}: reading the store: {e}", case.file))?;

    let data = &report["data"];
    let ruis = |set: &str| -> Vec<String> {
        data[set]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| e["request_unique_identifier"].to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let quoted = |names: &[&str]| -> Vec<String> {
        names.iter().map(|n| Value::from(*n).to_string()).collect()
    };
    match &case.expect {
        Rejected { code, description } => {
            if !data.is_null() {
                return fail("data is not null");
            }
            if report["status"]["code"] != *code {
                return fail(&format!("status.code is not {code}"));
            }
            let text = report["status"]["description"].as_str().unwrap_or("");
            for part in *description {
                if !text.contains(part) {
                    return fail(&format!("status.description does not name {part:?}"));
                }
            }
            if stored != 0 {
                return fail(&format!("{stored} events stored from a rejected input"));
            }
        }
        Processed(processed) => {
            if report["status"]["code"] != "OK" {
                return fail("status.code is not OK");
            }
            if ruis("processed_customer_events_set") != quoted(processed) {
                return fail(&format!("the processed events are not {processed:?}"));
            }
            if !ruis("unprocessed_customer_events_set").is_empty() {
                return fail("some events are unprocessed");
            }
            if stored != processed.len() as i64 {
                return fail(&format!("{stored} events stored"));
            }
        }
        Unprocessed {
            processed,
            request_unique_identifier,
            error_code,
            description,
        } => {
            if report["status"]["code"] != "OK" {
                return fail("status.code is not OK");
            }
            if ruis("processed_customer_events_set") != quoted(processed) {
                return fail(&format!("the processed events are not {processed:?}"));
            }
            let unprocessed = data["unprocessed_customer_events_set"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let [entry] = unprocessed.as_slice() else {
                return fail("not exactly one unprocessed event");
            };
            if let Some(rui) = request_unique_identifier
                && entry["request_unique_identifier"] != *rui
            {
                return fail(&format!("the unprocessed event is not {rui:?}"));
            }
            if entry["error_code"] != *error_code {
                return fail(&format!("error_code is not {error_code}"));
            }
            let text = entry["error_description"].as_str().unwrap_or("");
            if !text.contains(description) {
                return fail(&format!(
                    "error_description does not contain {description:?}"
                ));
            }
            if stored != processed.len() as i64 {
                return fail(&format!("{stored} events stored"));
            }
        }
    }
    Ok(())
}

/// Runs every case, then fails once listing every case that did not meet its expectation.
fn run_all(cases: &[(&Case, PathBuf)], what: &str) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(case, path)| run_case(case, path).err())
        .collect();
    eprintln!(
        "broken: {} {what} tried, {} as expected",
        cases.len(),
        cases.len() - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} {what} did not meet the expectation:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_corpus_and_the_table_list_the_same_files() {
    let mut on_disk: Vec<String> = std::fs::read_dir(corpus())
        .expect("tests/broken")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut in_table: Vec<String> = table().iter().map(|c| c.file.to_owned()).collect();
    in_table.sort();
    assert_eq!(on_disk, in_table, "tests/broken/ and the table differ");
}

#[test]
fn broken_files_of_the_corpus_meet_their_expectations() {
    let table = table();
    let cases: Vec<(&Case, PathBuf)> = table.iter().map(|c| (c, corpus().join(c.file))).collect();
    run_all(&cases, "broken files of tests/broken/");
}

#[test]
fn generated_deeply_nested_inputs_meet_their_expectations() {
    let dir = TempDir::new().unwrap();
    let generated = generated();
    let cases: Vec<(&Case, PathBuf)> = generated
        .iter()
        .map(|(case, contents)| {
            let path = dir.path().join(case.file);
            std::fs::write(&path, contents).unwrap();
            (case, path)
        })
        .collect();
    run_all(&cases, "generated broken files");
}
