//! Hardening of values (issue 15), through the real binary: dates are accepted in exactly
//! the documented forms (docs/spec.md §1), `--jobs` is bounded by the cores available
//! (§6), and `events --format csv` lists an event of thousands of line items with every
//! cell in its column and escapes cells that a spreadsheet would run as formulas (§6).

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use crate::support::{PROCESSED, Run, Store, UNPROCESSED, ndjson, reference, set, web_event_at};

// ---------------------------------------------------------------------------------------------
// Strict dates

/// Dates that docs/spec.md §1 accepts.
const ACCEPTED_DATES: &[&str] = &[
    "2016-06-22",
    "2016-06-22T15:00:00",
    "2016-06-22T15:00:00.123456789",
    "2016-06-22T15:00:00Z",
    "2016-06-22T15:00:00.5-05:30",
    "0001-01-01",
    "9999-12-31T23:59:59Z",
    "2016-02-29",
];

/// Dates it refuses, most of which cebulk 0.1.0 accepted.
const REJECTED_DATES: &[&str] = &[
    "2016-6-2",
    "16-06-22",
    " 2016-06-22",
    "  2016-06-22T15:00:00",
    "+99999-01-01",
    "-0001-01-01",
    "0000-01-01",
    "2016-06-22t15:00:00",
    "2016-06-22T15:00:00z",
    "2016-06-22T15:00:60",
    "2016-06-22T5:00:00",
    "2015-02-29",
    "2016-06-22T15:00:00.1234567890",
    "2016-06-22 15:00:00",
];

/// The fields holding a date in the date tests, and the letter of their events' identifiers.
const DATE_FIELDS: [(&str, &str); 2] = [("performed_on", "p"), ("udf_date_1", "u")];

/// Every date of both lists, with whether it is accepted.
fn dates() -> impl Iterator<Item = (&'static str, bool)> {
    let accepted = ACCEPTED_DATES.iter().map(|d| (*d, true));
    accepted.chain(REJECTED_DATES.iter().map(|d| (*d, false)))
}

/// The web events of the date tests: for each date and each date field, one event that is
/// valid but for that field holding the date, identified `p<i>` or `u<i>`.
fn date_events() -> Vec<Value> {
    let mut events = Vec::new();
    for (field, letter) in DATE_FIELDS {
        for (i, (date, _)) in dates().enumerate() {
            let mut event = web_event_at(&format!("{letter}{i}"), "www.crm.com");
            event[field] = json!(date);
            events.push(event);
        }
    }
    events
}

/// The same events as a web CSV file.
fn date_events_csv(events: &[Value]) -> String {
    let columns = [
        "request_unique_identifier",
        "accounts_receivable_identifier.number",
        "performed_by_unit_identifier.name",
        "performed_on",
        "website",
        "udf_date_1",
    ];
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(columns).unwrap();
    for event in events {
        let cell = |column: &str| {
            let value = column
                .split('.')
                .fold(event, |value, key| &value[key])
                .as_str();
            value.unwrap_or_default().to_owned()
        };
        writer.write_record(columns.map(cell)).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

/// Checks that the report of the date events has each accepted date processed and each
/// rejected one unprocessed with `InvalidParameterValueException` naming the field and
/// quoting the date as given.
fn assert_date_outcomes(run: &Run, what: &str) {
    run.code_without_panic(1);
    let report = run.json();
    let outcome: HashMap<&str, &Value> = set(&report, PROCESSED)
        .iter()
        .chain(set(&report, UNPROCESSED))
        .map(|e| (e["request_unique_identifier"].as_str().unwrap(), e))
        .collect();
    for (field, letter) in DATE_FIELDS {
        for (i, (date, accepted)) in dates().enumerate() {
            let rui = format!("{letter}{i}");
            let entry = outcome
                .get(rui.as_str())
                .unwrap_or_else(|| panic!("{what}: no entry for {rui}\n{}", run.context()));
            if accepted {
                assert!(
                    entry.get("error_code").is_none(),
                    "{what}: {field} {date:?} was refused: {entry}"
                );
                continue;
            }
            assert_eq!(
                entry["error_code"], "InvalidParameterValueException",
                "{what}: {field} {date:?} was not refused: {entry}"
            );
            let description = entry["error_description"].as_str().unwrap();
            let expected = format!(
                "Error:Invalid Value ({date}) for Parameter ({field}). - Description:The value must be a date YYYY-MM-DDTHH:MM:SS"
            );
            assert!(
                description.starts_with(&expected),
                "{what}: {field} {date:?}: {description}"
            );
        }
    }
}

#[test]
fn dates_are_accepted_in_exactly_the_documented_forms_from_json() {
    let store = Store::new();
    let document = json!({"token": "t", "web_customer_events_set": date_events()});
    let file = store.file("dates.json", document.to_string());
    let run = store.import(&["--quiet", "--reference", &reference(), &file]);
    assert_date_outcomes(&run, "JSON");
}

#[test]
fn dates_are_accepted_in_exactly_the_documented_forms_from_csv() {
    let store = Store::new();
    let file = store.file("dates.csv", date_events_csv(&date_events()));
    let run = store.import(&[
        "--quiet",
        "--reference",
        &reference(),
        "--kind",
        "web",
        &file,
    ]);
    assert_date_outcomes(&run, "CSV");
}

// ---------------------------------------------------------------------------------------------
// --jobs

/// The largest `--jobs` cebulk accepts on this machine: 4 a core.
fn max_jobs() -> usize {
    4 * std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

#[test]
fn jobs_above_four_a_core_is_a_usage_error_naming_the_maximum() {
    let store = Store::new();
    let file = store.file("web.ndjson", ndjson(&[web_event_at("1", "www.crm.com")]));
    for jobs in [max_jobs() + 1, 16000] {
        let run = store.import(&["--kind", "web", "--jobs", &jobs.to_string(), &file]);
        run.code_without_panic(2);
        let maximum = format!("at most {}", max_jobs());
        assert!(
            run.stderr.contains("--jobs") && run.stderr.contains(&maximum),
            "--jobs {jobs}: the error does not say {maximum:?}\n{}",
            run.context()
        );
        assert!(run.stdout.is_empty(), "a usage error writes no report");
        assert!(!store.exists(), "--jobs {jobs} created the store");
    }
}

#[test]
fn jobs_up_to_four_a_core_is_accepted() {
    let store = Store::new();
    let file = store.file("web.ndjson", ndjson(&[web_event_at("1", "www.crm.com")]));
    let run = store.import(&[
        "--quiet",
        "--reference",
        &reference(),
        "--kind",
        "web",
        "--jobs",
        &max_jobs().to_string(),
        &file,
    ]);
    run.code_without_panic(0);
}

// ---------------------------------------------------------------------------------------------
// The CSV listing

/// The listing of an event as (dotted path, cell) pairs, in the listing's key order: the
/// import's header form, computed here independently of cebulk's own flattening.
fn flatten(value: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
    let join = |key: &str| match prefix {
        "" => key.to_owned(),
        _ => format!("{prefix}.{key}"),
    };
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| flatten(v, &join(k), out)),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(v, &join(&i.to_string()), out);
            }
        }
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        Value::Null => out.push((prefix.to_owned(), String::new())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// `cebulk events --format csv ARGS…`, parsed: the header and the rows.
fn csv_listing(store: &Store, args: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    let run = store
        .cebulk()
        .args(["events", "--format", "csv"])
        .args(args)
        .run();
    run.code_without_panic(0);
    let mut reader = csv::Reader::from_reader(run.stdout.as_slice());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// A purchase of `lines` product lines, each with its own amounts and quantity.
fn purchase(rui: &str, lines: usize) -> Value {
    let products = ["Serendipity", "Bronze", "Silver"];
    let set: Vec<Value> = (0..lines)
        .map(|i| {
            json!({
                "product_identifier": {"code": products[i % products.len()]},
                "quantity": i % 7 + 1,
                "net_amount": format!("{i}.25").parse::<f64>().unwrap(),
                "vat_amount": i * 2 + 1,
                "total_amount": i * 3 + 2
            })
        })
        .collect();
    json!({
        "request_unique_identifier": rui,
        "accounts_receivable_identifier": {"number": "ACR0000000020"},
        "performed_by_unit_identifier": {"name": "Admin Unit"},
        "performed_on": "2016-06-22T15:00:00",
        "reference_number": format!("RF{rui}"),
        "products_set": set
    })
}

#[test]
fn an_event_of_1000_line_items_is_listed_as_csv_in_the_right_columns() {
    let store = Store::new();
    let mut small = purchase("small", 3);
    small["udf_string_1"] = json!("after the lines");
    let file = store.file("big.ndjson", ndjson(&[small, purchase("big", 1000)]));
    let run = store.import(&[
        "--quiet",
        "--reference",
        &reference(),
        "--kind",
        "purchases",
        &file,
    ]);
    run.code_without_panic(0);
    let listed = store.events(Some("purchases"));
    let expected: Vec<Vec<(String, String)>> = listed
        .iter()
        .map(|event| {
            let mut cells = Vec::new();
            flatten(event, "", &mut cells);
            cells
        })
        .collect();
    // 1000 line items, the most an event may hold. The header is the union of the events' paths, in the order they first appear.
    let mut seen = HashSet::new();
    let union: Vec<String> = expected
        .iter()
        .flatten()
        .filter(|(path, _)| seen.insert(path.clone()))
        .map(|(path, _)| path.clone())
        .collect();

    let (header, rows) = csv_listing(&store, &["--kind", "purchases"]);
    assert_eq!(header, union);
    assert_eq!(rows.len(), 2);
    for (row, cells) in rows.iter().zip(&expected) {
        assert_eq!(row.len(), header.len());
        let by_path: HashMap<&str, &str> = cells
            .iter()
            .map(|(p, v)| (p.as_str(), v.as_str()))
            .collect();
        for (column, cell) in header.iter().zip(row) {
            let want = by_path.get(column.as_str()).copied().unwrap_or("");
            assert_eq!(cell, want, "column {column} of {}", row[3]);
        }
    }
    // Spelled out for the last line, and a line of the small event's width left empty.
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let big = &rows[1];
    assert_eq!(big[column("request_unique_identifier")], "big");
    assert_eq!(big[column("products_set.999.net_amount")], "999.25");
    assert_eq!(big[column("products_set.999.vat_amount")], "1999");
    assert_eq!(big[column("products_set.999.total_amount")], "2999");
    assert_eq!(big[column("products_set.999.quantity")], "6");
    assert_eq!(big[column("udf_string_1")], "");
    assert_eq!(rows[0][column("products_set.999.net_amount")], "");
    assert_eq!(rows[0][column("udf_string_1")], "after the lines");
}

// ---------------------------------------------------------------------------------------------
// Formula injection

/// A web event whose text fields hold what a spreadsheet would run as formulas, and values
/// that it would read as plain numbers.
fn formula_event() -> Value {
    let mut event = web_event_at("f1", r#"=HYPERLINK("http://x")"#);
    event["udf_string_1"] = json!("@SUM(A1)");
    event["udf_string_2"] = json!("+1+2");
    event["udf_string_3"] = json!("-2+3+cmd|' /C calc'!A0");
    event["udf_string_4"] = json!("\tTAB");
    event["udf_string_5"] = json!("\rCR");
    event["udf_string_6"] = json!("-5.2");
    event["udf_string_7"] = json!("a=b");
    event["udf_float_1"] = json!(-5.2);
    event["udf_float_2"] = json!(-7);
    event["description"] = json!("-");
    event
}

/// The cells of `columns` of the only event listed as CSV, with `args` added.
fn formula_cells(store: &Store, args: &[&str], columns: &[&str]) -> Vec<String> {
    let (header, rows) = csv_listing(store, args);
    assert_eq!(rows.len(), 1);
    columns
        .iter()
        .map(|name| {
            let i = header.iter().position(|h| h == name).unwrap();
            rows[0][i].clone()
        })
        .collect()
}

const FORMULA_COLUMNS: [&str; 11] = [
    "website",
    "udf_string_1",
    "udf_string_2",
    "udf_string_3",
    "udf_string_4",
    "udf_string_5",
    "udf_string_6",
    "udf_string_7",
    "udf_float_1",
    "udf_float_2",
    "description",
];

/// A store holding the formula event.
fn formula_store() -> Store {
    let store = Store::new();
    let file = store.file("formulas.ndjson", ndjson(&[formula_event()]));
    store
        .import(&[
            "--quiet",
            "--reference",
            &reference(),
            "--kind",
            "web",
            &file,
        ])
        .code_without_panic(0);
    store
}

#[test]
fn csv_listing_escapes_cells_a_spreadsheet_would_run_as_formulas() {
    let store = formula_store();
    let cells = formula_cells(&store, &[], &FORMULA_COLUMNS);
    assert_eq!(
        cells,
        [
            r#"'=HYPERLINK("http://x")"#,
            "'@SUM(A1)",
            "'+1+2",
            "'-2+3+cmd|' /C calc'!A0",
            "'\tTAB",
            "'\rCR",
            // Plain numbers, negative ones included, stay numbers.
            "-5.2",
            "a=b",
            "-5.2",
            "-7",
            "'-",
        ]
    );
    // The JSON listing is data for programs, and keeps every value as it is.
    let listed = store.events(None);
    assert_eq!(listed[0]["website"], r#"=HYPERLINK("http://x")"#);
    assert_eq!(listed[0]["udf_string_1"], "@SUM(A1)");
}

#[test]
fn no_formula_escaping_keeps_csv_cells_as_they_are() {
    let store = formula_store();
    let cells = formula_cells(&store, &["--no-formula-escaping"], &FORMULA_COLUMNS);
    assert_eq!(
        cells,
        [
            r#"=HYPERLINK("http://x")"#,
            "@SUM(A1)",
            "+1+2",
            "-2+3+cmd|' /C calc'!A0",
            "\tTAB",
            "\rCR",
            "-5.2",
            "a=b",
            "-5.2",
            "-7",
            "-",
        ]
    );
}

#[test]
fn no_formula_escaping_without_csv_is_a_usage_error() {
    let store = formula_store();
    let run = store.run(&["events", "--no-formula-escaping"]);
    run.code_without_panic(2);
    assert!(
        run.stderr.contains("--format csv"),
        "the error does not say the flag needs --format csv\n{}",
        run.context()
    );
    assert!(run.stdout.is_empty());
}
