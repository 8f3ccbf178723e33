//! Input formats through the real `cebulk` binary: the JSON, CSV and NDJSON forms of the same
//! events give byte-identical reports and listings; reference data from a CSV directory equals
//! the JSON document; CSV line items one per row; every CSV and NDJSON error path; batches
//! across their boundaries; standard input. Every test uses its own fresh store in a temporary
//! directory.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{
    ENTITIES, KINDS, PROCESSED, Run, Store, UNPROCESSED, fixture, reference, reference_id, set,
    web_event_at,
};

// ---------------------------------------------------------------------------------------------
// Helpers

/// The header of the web CSV inputs built here.
const WEB_HEADER: &str = "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,website";

/// The header of the purchases CSV inputs with line items one per row.
const PURCHASE_ROWS_HEADER: &str = "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,reference_number,products_set.product_identifier.code,products_set.net_amount,products_set.vat_amount,products_set.total_amount";

fn reference_dir() -> String {
    fixture("reference")
}

fn request(kind: &str, extension: &str) -> String {
    fixture(&format!("requests/{kind}.{extension}"))
}

/// `cebulk events [--kind KIND]` as printed, after checking that it exited 0 and did not
/// panic.
fn events_text(store: &Store, kind: Option<&str>) -> Vec<u8> {
    let run = store.events_run(kind);
    run.code_without_panic(0);
    run.stdout
}

/// `cebulk events [--kind KIND]`, parsed, checked as by `events_text`.
fn events(store: &Store, kind: Option<&str>) -> Vec<Value> {
    match serde_json::from_slice(&events_text(store, kind)) {
        Ok(Value::Array(events)) => events,
        other => panic!("`cebulk events` printed {other:?}, not an array"),
    }
}

/// The created event of `rui` (the only one).
fn stored_event(store: &Store, rui: &str) -> Value {
    let events: Vec<Value> = events(store, None)
        .into_iter()
        .filter(|e| e["request_unique_identifier"] == rui)
        .collect();
    assert_eq!(events.len(), 1, "events of {rui}: {events:?}");
    events.into_iter().next().unwrap()
}

fn ruis(report: &Value, name: &str) -> Vec<Value> {
    set(report, name)
        .iter()
        .map(|e| e["request_unique_identifier"].clone())
        .collect()
}

fn strings(values: &[&str]) -> Vec<Value> {
    values.iter().map(|v| json!(v)).collect()
}

/// The unprocessed entry of `rui` (the only one).
fn unprocessed<'a>(report: &'a Value, rui: &str) -> &'a Value {
    let entries: Vec<&Value> = set(report, UNPROCESSED)
        .iter()
        .filter(|e| e["request_unique_identifier"] == rui)
        .collect();
    assert_eq!(entries.len(), 1, "unprocessed entries of {rui} in {report}");
    entries[0]
}

/// The one unprocessed entry of the report.
fn only_unprocessed(report: &Value) -> &Value {
    let entries = set(report, UNPROCESSED);
    assert_eq!(entries.len(), 1, "unprocessed entries in {report}");
    &entries[0]
}

/// Asserts a request-level rejection: exit status 2, `"data": null`, the status code, and
/// no event in the store. Gives `status.description`.
fn assert_rejected(store: &Store, run: &Run, code: &str) -> String {
    run.code_without_panic(2);
    let report = run.json();
    assert_eq!(report["data"], Value::Null, "data\n{}", run.context());
    assert_eq!(
        report["status"]["code"],
        code,
        "status.code\n{}",
        run.context()
    );
    assert_eq!(store.count_or_zero("events"), 0, "events were created");
    report["status"]["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// One web event as a CSV row (the columns of `WEB_HEADER`).
fn web_row(rui: &str, website: &str) -> String {
    format!("{rui},ACR0000000020,Admin Unit,2016-06-22T15:00:00,{website}")
}

/// One web event as an NDJSON line (no newline).
fn web_line(rui: &str, website: &str) -> String {
    web_event_at(rui, website).to_string()
}

/// The request unique identifier of the `i`th (0-based) generated event.
fn generated_rui(i: usize) -> String {
    format!("ev-{i:05}")
}

/// `n` valid web events as NDJSON and as CSV.
fn web_files(n: usize) -> (String, String) {
    let mut ndjson = String::new();
    let mut csv = format!("{WEB_HEADER}\n");
    for i in 0..n {
        let rui = generated_rui(i);
        let website = format!("www.site{i}.com");
        ndjson.push_str(&web_line(&rui, &website));
        ndjson.push('\n');
        csv.push_str(&web_row(&rui, &website));
        csv.push('\n');
    }
    (ndjson, csv)
}

/// Asserts that a report processed exactly `expected` in that order, numbered 1.. in that
/// order, with nothing unprocessed.
fn assert_all_processed_in_order(report: &Value, expected: &[String], what: &str) {
    let processed = set(report, PROCESSED);
    assert!(
        set(report, UNPROCESSED).is_empty(),
        "{what}: unprocessed entries: {:?}",
        &set(report, UNPROCESSED)[..set(report, UNPROCESSED).len().min(3)]
    );
    assert_eq!(processed.len(), expected.len(), "{what}: processed count");
    for (i, (entry, rui)) in processed.iter().zip(expected).enumerate() {
        assert_eq!(
            entry["request_unique_identifier"],
            rui.as_str(),
            "{what}: entry {i}"
        );
        assert_eq!(
            entry["number"],
            (i + 1).to_string(),
            "{what}: number of entry {i}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 1. The JSON, CSV and NDJSON fixtures of each kind give the same report and events

/// Imports the three forms of the `kind` fixture, each into its own store with `--id-seed 3`,
/// and requires byte-identical reports and `events` listings.
fn three_forms_agree(kind: &str) {
    let json_store = Store::new();
    let mut json_args = vec!["--id-seed", "3"];
    let reference = reference();
    let json_file = request(kind, "json");
    json_args.extend(["--reference", &reference, &json_file]);
    let json_run = json_store.import(&json_args);
    assert!(
        matches!(json_run.code, Some(0 | 1)),
        "the JSON fixture\n{}",
        json_run.context()
    );
    let report = json_run.json();
    assert_eq!(report["status"]["code"], "OK", "{}", json_run.context());
    assert!(
        !set(&report, PROCESSED).is_empty(),
        "the {kind} fixture processes nothing: the comparison would say little"
    );
    let json_events = events_text(&json_store, Some(kind));

    let reference_directory = reference_dir();
    for (extension, reference) in [("csv", &reference_directory), ("ndjson", &reference)] {
        let store = Store::new();
        let file = request(kind, extension);
        let run = store.import(&[
            "--id-seed",
            "3",
            "--kind",
            kind,
            "--reference",
            reference,
            &file,
        ]);
        assert_eq!(
            run.code,
            json_run.code,
            "exit status of {extension} vs JSON\n{}",
            run.context()
        );
        assert_eq!(
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&json_run.stdout),
            "the {extension} report of {kind} differs from the JSON report"
        );
        assert_eq!(
            String::from_utf8_lossy(&events_text(&store, Some(kind))),
            String::from_utf8_lossy(&json_events),
            "the events listing after the {extension} import of {kind} differs from the JSON one"
        );
    }
}

#[test]
fn achievements_fixture_gives_the_same_report_from_json_csv_and_ndjson() {
    three_forms_agree("achievements");
}

#[test]
fn purchases_fixture_gives_the_same_report_from_json_csv_and_ndjson() {
    three_forms_agree("purchases");
}

#[test]
fn referrals_fixture_gives_the_same_report_from_json_csv_and_ndjson() {
    three_forms_agree("referrals");
}

#[test]
fn social_media_fixture_gives_the_same_report_from_json_csv_and_ndjson() {
    three_forms_agree("social_media");
}

#[test]
fn web_fixture_gives_the_same_report_from_json_csv_and_ndjson() {
    three_forms_agree("web");
}

#[test]
fn financial_achievements_fixture_gives_the_same_report_from_json_csv_and_ndjson() {
    three_forms_agree("financial_achievements");
}

#[test]
fn financial_statements_fixture_gives_the_same_report_from_json_csv_and_ndjson() {
    three_forms_agree("financial_statements");
}

#[test]
fn every_kind_has_all_three_fixture_forms() {
    for kind in KINDS {
        for extension in ["json", "csv", "ndjson"] {
            assert!(
                Path::new(&request(kind, extension)).is_file(),
                "fixtures/requests/{kind}.{extension} is missing"
            );
        }
    }
}

#[test]
fn a_richer_purchase_gives_the_same_report_and_event_from_json_csv_and_ndjson() {
    // Fractional seconds and an offset, UDFs, an alternative code, decimals with trailing
    // zeros, quoted CSV cells with a comma, doubled quotes and a non-ASCII letter.
    let event = json!({
        "request_unique_identifier": "p1",
        "accounts_receivable_identifier": {"number": "ACR0000000228"},
        "performed_by_unit_identifier": {"name": "Admin Unit"},
        "performed_on": "2016-06-22T15:00:00.250+02:00",
        "reference_number": "RF é \"q\"",
        "description": "multi, comma",
        "udf_string_16": "u16",
        "udf_float_2": 1.5,
        "udf_date_1": "2020-01-02",
        "products_set": [
            {"product_identifier": {"code": "Bronze"}, "quantity": 2,
             "net_amount": 120.5, "vat_amount": 0, "total_amount": 120.5},
            {"product_identifier": {"alternative_code": "SER"},
             "net_amount": 1, "vat_amount": 0, "total_amount": 1}
        ]
    });
    // The same numbers written with trailing zeros, as a caller's JSON might.
    let line = event
        .to_string()
        .replace("\"net_amount\":120.5", "\"net_amount\":120.50")
        .replace("\"total_amount\":120.5", "\"total_amount\":120.500")
        .replace("\"udf_float_2\":1.5", "\"udf_float_2\":1.50");
    assert!(line.contains("120.500"), "{line}");
    let csv = "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,reference_number,description,udf_string_16,udf_float_2,udf_date_1,products_set.0.product_identifier.code,products_set.0.quantity,products_set.0.net_amount,products_set.0.vat_amount,products_set.0.total_amount,products_set.1.product_identifier.alternative_code,products_set.1.net_amount,products_set.1.vat_amount,products_set.1.total_amount\n\
               p1,ACR0000000228,Admin Unit,2016-06-22T15:00:00.250+02:00,\"RF é \"\"q\"\"\",\"multi, comma\",u16,1.50,2020-01-02,Bronze,2.0,120.50,0.00,120.500,SER,1,0,1\n";
    let document = format!("{{\"token\":\"t\",\"purchase_customer_events_set\":[{line}]}}");

    let mut outputs = Vec::new();
    for (name, contents) in [
        ("rich.json", document),
        ("rich.ndjson", format!("{line}\n")),
        ("rich.csv", csv.to_owned()),
    ] {
        let store = Store::new();
        let file = store.file(name, contents);
        let run = store.import(&[
            "--id-seed",
            "3",
            "--kind",
            "purchases",
            "--reference",
            &reference(),
            &file,
        ]);
        run.code_without_panic(0);
        outputs.push((
            name,
            String::from_utf8_lossy(&run.stdout).into_owned(),
            String::from_utf8_lossy(&events_text(&store, None)).into_owned(),
        ));
        if name == "rich.csv" {
            let stored = stored_event(&store, "p1");
            assert_eq!(stored["reference_number"], "RF é \"q\"");
            assert_eq!(stored["products_set"][0]["net_amount"].to_string(), "120.5");
            assert_eq!(stored["udf_float_2"].to_string(), "1.5");
        }
    }
    for (name, report, events) in &outputs[1..] {
        assert_eq!(report, &outputs[0].1, "the report of {name} vs rich.json");
        assert_eq!(events, &outputs[0].2, "the events of {name} vs rich.json");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Reference data from a CSV directory

#[test]
fn reference_csv_directory_loads_the_same_rows_as_the_json_document() {
    let from_dir = Store::new();
    from_dir
        .run(&["reference", "load", &reference_dir()])
        .code_without_panic(0);
    let from_json = Store::new();
    from_json
        .run(&["reference", "load", &reference()])
        .code_without_panic(0);
    let dir_rows = from_dir.reference_rows();
    let json_rows = from_json.reference_rows();
    for table in ENTITIES {
        assert!(!json_rows[table].is_empty(), "{table} is empty");
        assert_eq!(
            dir_rows[table], json_rows[table],
            "{table}: rows from fixtures/reference/ vs fixtures/reference.json"
        );
    }
}

#[test]
fn loading_the_reference_directory_twice_changes_nothing() {
    let store = Store::new();
    store
        .run(&["reference", "load", &reference_dir()])
        .code_without_panic(0);
    let first = store.reference_rows();
    store
        .run(&["reference", "load", &reference_dir()])
        .code_without_panic(0);
    assert_eq!(store.reference_rows(), first, "after a second load");
    // The JSON document holds the same records with the same ids.
    store
        .run(&["reference", "load", &reference()])
        .code_without_panic(0);
    assert_eq!(
        store.reference_rows(),
        first,
        "after loading reference.json"
    );
}

#[test]
fn reference_directories_without_ids_derive_the_same_ids_as_json_without_ids() {
    let store = Store::new();
    let dir = store.path("noid");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(format!("{dir}/currencies.csv"), "code\nEUR\nUSD\n").unwrap();
    std::fs::write(
        format!("{dir}/units.csv"),
        "name,alternative_code,currency\nAdmin Unit,ADM,EUR\n\"Shop, Unit\",SHP,USD\n",
    )
    .unwrap();
    std::fs::write(
        format!("{dir}/accounts_receivable.csv"),
        "number,name,payment_medium_types,payment_medium_brands\nACR1,A,Credit Card|Cash,\n",
    )
    .unwrap();
    std::fs::write(
        format!("{dir}/payment_medium_types.csv"),
        "name,alternative_code\nCredit Card,CC\nCash,CSH\n",
    )
    .unwrap();
    let document = store.file(
        "noid.json",
        json!({
            "currencies": [{"code": "EUR"}, {"code": "USD"}],
            "units": [
                {"name": "Admin Unit", "alternative_code": "ADM", "currency": "EUR"},
                {"name": "Shop, Unit", "alternative_code": "SHP", "currency": "USD"}
            ],
            "accounts_receivable": [
                {"number": "ACR1", "name": "A", "payment_medium_types": ["Credit Card", "Cash"]}
            ],
            "payment_medium_types": [
                {"name": "Credit Card", "alternative_code": "CC"},
                {"name": "Cash", "alternative_code": "CSH"}
            ]
        })
        .to_string(),
    );
    store
        .run(&["reference", "load", &dir])
        .code_without_panic(0);
    let other = Store::new();
    other
        .run(&["reference", "load", &document])
        .code_without_panic(0);
    let rows = store.reference_rows();
    assert_eq!(rows["units"].len(), 2);
    assert_eq!(rows, other.reference_rows());
}

/// A copy of fixtures/reference/ in `store`'s directory, for spoiling.
fn reference_copy(store: &Store, name: &str) -> String {
    let dir = store.path(name);
    std::fs::create_dir(&dir).unwrap();
    for entry in std::fs::read_dir(reference_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), Path::new(&dir).join(entry.file_name())).unwrap();
    }
    dir
}

#[test]
fn a_reference_directory_with_a_misspelt_file_name_is_rejected_whole() {
    let store = Store::new();
    let dir = reference_copy(&store, "misspelt");
    std::fs::rename(format!("{dir}/units.csv"), format!("{dir}/unit.csv")).unwrap();
    let run = store.run(&["reference", "load", &dir]);
    run.code_without_panic(2);
    assert!(run.stderr.contains("unit.csv"), "{}", run.context());
    for table in ENTITIES {
        assert_eq!(
            store.count_or_zero(table),
            0,
            "{table} was loaded\n{}",
            run.context()
        );
    }
    // An import naming it loads nothing and imports nothing either.
    let run = store.import(&["--reference", &dir, &request("web", "json")]);
    run.code_without_panic(2);
    assert_eq!(store.count_or_zero("events"), 0);
    assert_eq!(store.count_or_zero("currencies"), 0);
}

#[test]
fn a_reference_directory_with_an_unknown_column_is_rejected_whole() {
    let store = Store::new();
    let dir = reference_copy(&store, "unknown_column");
    let products = format!("{dir}/products.csv");
    let text = std::fs::read_to_string(&products).unwrap();
    std::fs::write(&products, text.replacen("alternative_code", "alt_code", 1)).unwrap();
    // Another file of the directory brings a new record: it must not be loaded either.
    let currencies = format!("{dir}/currencies.csv");
    let mut text = std::fs::read_to_string(&currencies).unwrap();
    text.push_str("0123456789ABCDEF0123456789ABCDEF,XTS\n");
    std::fs::write(&currencies, text).unwrap();

    let run = store.run(&["reference", "load", &dir]);
    run.code_without_panic(2);
    assert!(run.stderr.contains("alt_code"), "{}", run.context());
    assert!(run.stderr.contains("products"), "{}", run.context());
    for table in ENTITIES {
        assert_eq!(
            store.count_or_zero(table),
            0,
            "{table} was loaded\n{}",
            run.context()
        );
    }

    // Into a loaded store: nothing changes.
    store
        .run(&["reference", "load", &reference()])
        .code_without_panic(0);
    let before = store.reference_rows();
    store
        .run(&["reference", "load", &dir])
        .code_without_panic(2);
    assert_eq!(store.reference_rows(), before);
}

// ---------------------------------------------------------------------------------------------
// 3. CSV line items one per row

#[test]
fn csv_consecutive_rows_of_one_request_form_one_event_with_its_products_in_order() {
    let store = Store::new();
    let file = store.file(
        "rows.csv",
        format!(
            "{PURCHASE_ROWS_HEADER}\n\
             31,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF01,Serendipity,50,10,60\n\
             31,,,,,Bronze,160,20,180\n\
             31,ACR0000000228,,2016-06-22T15:00:00,RF01,Serendipity,1.5,0.5,2\n\
             32,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF02,Bronze,1,1,2\n\
             32,,,,RF02,Serendipity,3,1,4\n\
             33,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF03,Bronze,5,1,6\n"
        ),
    );
    let run = store.import(&["--kind", "purchases", "--reference", &reference(), &file]);
    run.code_without_panic(0);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), strings(&["31", "32", "33"]));

    let serendipity = reference_id("products", "code", "Serendipity");
    let bronze = reference_id("products", "code", "Bronze");
    let lines = |rui: &str| -> Vec<(String, String)> {
        stored_event(&store, rui)["products_set"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["product_identifier"]["id"].as_str().unwrap().to_owned(),
                    p["net_amount"].to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        lines("31"),
        [
            (serendipity.clone(), "50".to_owned()),
            (bronze.clone(), "160".to_owned()),
            (serendipity.clone(), "1.5".to_owned()),
        ]
    );
    assert_eq!(
        lines("32"),
        [
            (bronze.clone(), "1".to_owned()),
            (serendipity.clone(), "3".to_owned())
        ]
    );
    assert_eq!(lines("33"), [(bronze, "5".to_owned())]);
    assert_eq!(stored_event(&store, "32")["reference_number"], "RF02");
    assert_eq!(store.count_or_zero("event_products"), 6);
}

#[test]
fn csv_same_identifier_after_another_event_is_a_duplicate_whatever_the_batches() {
    let contents = format!(
        "{PURCHASE_ROWS_HEADER}\n\
         31,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF01,Serendipity,50,10,60\n\
         31,,,,,Bronze,160,20,180\n\
         32,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF02,Bronze,1,1,2\n\
         31,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF09,Bronze,7,1,8\n"
    );

    // In one batch the second event of 31 is a duplicate (ERRORS.md).
    let store = Store::new();
    let file = store.file("again.csv", &contents);
    let run = store.import(&["--kind", "purchases", "--reference", &reference(), &file]);
    run.code_without_panic(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), strings(&["31", "32"]));
    let entry = only_unprocessed(&report);
    assert_eq!(entry["request_unique_identifier"], "31");
    assert_eq!(
        entry["error_code"],
        "DuplicateRequestUniqueIdentifierException"
    );
    assert_eq!(
        entry["error_description"],
        "Error:Request Unique Identifier (31) Is Not Unique. - Description:The request unique identifier must be unique within the request."
    );
    let first = stored_event(&store, "31");
    assert_eq!(first["reference_number"], "RF01");
    assert_eq!(first["products_set"].as_array().unwrap().len(), 2);

    // In batches of two events the later 31 is in a batch of its own: the same answer
    // (docs/spec.md §3: the answer never depends on --batch-size).
    let in_one_batch = run.stdout;
    let store = Store::new();
    let file = store.file("again.csv", &contents);
    let run = store.import(&[
        "--kind",
        "purchases",
        "--batch-size",
        "2",
        "--reference",
        &reference(),
        &file,
    ]);
    run.code_without_panic(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), strings(&["31", "32"]));
    let entry = only_unprocessed(&report);
    assert_eq!(
        entry["error_code"],
        "DuplicateRequestUniqueIdentifierException"
    );
    let ids_aside = |bytes: &[u8]| {
        let mut report: Value = serde_json::from_slice(bytes).unwrap();
        for entry in report["data"][PROCESSED].as_array_mut().unwrap() {
            entry["id"] = Value::Null;
        }
        report
    };
    assert_eq!(ids_aside(&run.stdout), ids_aside(&in_one_batch));
    assert_eq!(stored_event(&store, "31")["reference_number"], "RF01");
}

#[test]
fn csv_rows_disagreeing_on_an_event_cell_make_that_event_unprocessed() {
    let store = Store::new();
    let file = store.file(
        "disagree.csv",
        format!(
            "{PURCHASE_ROWS_HEADER}\n\
             30,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF00,Bronze,1,1,2\n\
             31,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF01,Serendipity,50,10,60\n\
             31,,,,,Bronze,160,20,180\n\
             31,,,,RF02,Bronze,1,1,2\n\
             32,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF02,Bronze,1,1,2\n\
             32,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF02,Serendipity,1,1,2\n"
        ),
    );
    let run = store.import(&["--kind", "purchases", "--reference", &reference(), &file]);
    run.code_without_panic(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), strings(&["30", "32"]));
    let entry = only_unprocessed(&report);
    assert_eq!(entry["request_unique_identifier"], "31");
    assert_eq!(entry["error_code"], "InconsistentEventRowsException");
    assert_eq!(
        entry["error_description"],
        "Error:Rows of Request (31) Disagree on (reference_number). - Description:Line-item rows of one event must repeat the same event values."
    );
    // Nothing of 31 is stored; 32 (equal cells repeated) has both products.
    assert_eq!(store.count_or_zero("events"), 2);
    assert_eq!(store.count_or_zero("event_products"), 3);
    assert_eq!(
        stored_event(&store, "32")["products_set"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

// ---------------------------------------------------------------------------------------------
// 4. CSV error paths

#[test]
fn csv_unknown_column_rejects_the_file_naming_the_column() {
    let store = Store::new();
    let file = store.file(
        "typo.csv",
        "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,webiste\n\
         1,ACR0000000020,Admin Unit,2016-06-22T15:00:00,w\n",
    );
    let run = store.import(&["--kind", "web", "--reference", &reference(), &file]);
    let description = assert_rejected(&store, &run, "InvalidRequestDocumentException");
    assert!(description.contains("webiste"), "{}", run.context());
    assert!(run.stderr.contains("webiste"), "{}", run.context());
}

#[test]
fn csv_indexed_and_unindexed_set_columns_mixed_reject_the_file() {
    let store = Store::new();
    let file = store.file(
        "mixed.csv",
        "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,reference_number,products_set.0.product_identifier.code,products_set.0.net_amount,products_set.vat_amount,products_set.total_amount\n\
         31,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF01,Bronze,1,1,2\n",
    );
    let run = store.import(&["--kind", "purchases", "--reference", &reference(), &file]);
    assert_rejected(&store, &run, "InvalidRequestDocumentException");
}

#[test]
fn csv_line_items_without_a_request_unique_identifier_column_reject_the_file() {
    let store = Store::new();
    let file = store.file(
        "norui.csv",
        "accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,reference_number,products_set.product_identifier.code,products_set.net_amount,products_set.vat_amount,products_set.total_amount\n\
         ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF01,Bronze,1,1,2\n",
    );
    let run = store.import(&["--kind", "purchases", "--reference", &reference(), &file]);
    let description = assert_rejected(&store, &run, "InvalidRequestDocumentException");
    assert!(
        description.contains("request_unique_identifier"),
        "{}",
        run.context()
    );
}

#[test]
fn csv_empty_file_is_rejected() {
    let store = Store::new();
    let file = store.file("empty.csv", "");
    let run = store.import(&["--kind", "web", "--reference", &reference(), &file]);
    assert_rejected(&store, &run, "InvalidRequestDocumentException");
}

#[test]
fn csv_header_only_is_an_empty_request() {
    let store = Store::new();
    let file = store.file("header.csv", format!("{WEB_HEADER}\n"));
    let run = store.import(&["--kind", "web", "--reference", &reference(), &file]);
    run.code_without_panic(0);
    let report = run.json();
    assert_eq!(report["status"]["code"], "OK");
    assert!(set(&report, PROCESSED).is_empty());
    assert!(set(&report, UNPROCESSED).is_empty());
    assert_eq!(store.count_or_zero("events"), 0);
}

#[test]
fn csv_ragged_rows_are_unprocessed_naming_their_line_and_the_others_go_on() {
    let store = Store::new();
    let file = store.file(
        "ragged.csv",
        format!(
            "{WEB_HEADER}\n{}\n2,ACR0000000020,Admin Unit\n{},extra\n{}\n",
            web_row("1", "w1"),
            web_row("3", "w3"),
            web_row("4", "w4")
        ),
    );
    let run = store.import(&["--kind", "web", "--reference", &reference(), &file]);
    run.code_without_panic(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), strings(&["1", "4"]));
    let unprocessed = set(&report, UNPROCESSED);
    assert_eq!(unprocessed.len(), 2, "{report}");
    for (entry, line) in unprocessed.iter().zip(["line 3", "line 4"]) {
        assert_eq!(
            entry["error_code"], "InvalidParameterValueException",
            "{entry}"
        );
        let description = entry["error_description"].as_str().unwrap();
        assert!(description.contains(line), "{line}: {description}");
    }
    assert_eq!(store.count_or_zero("events"), 2);
}

#[test]
fn csv_invalid_utf8_in_a_cell_makes_that_row_unprocessed() {
    let store = Store::new();
    let mut contents = format!("{WEB_HEADER}\n{}\n", web_row("1", "w1")).into_bytes();
    contents.extend_from_slice(web_row("2", "w").as_bytes());
    contents.extend_from_slice(b"\xff\xfe2\n");
    contents.extend_from_slice(format!("{}\n", web_row("3", "w3")).as_bytes());
    let file = store.file("latin1.csv", contents);
    let run = store.import(&["--kind", "web", "--reference", &reference(), &file]);
    run.code_without_panic(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), strings(&["1", "3"]));
    let entry = only_unprocessed(&report);
    assert_eq!(entry["error_code"], "InvalidParameterValueException");
    assert!(
        entry["error_description"]
            .as_str()
            .unwrap()
            .contains("line 3"),
        "{entry}"
    );
    assert_eq!(store.count_or_zero("events"), 2);
}

#[test]
fn csv_bom_crlf_and_quoted_fields_keep_their_values_exactly() {
    let store = Store::new();
    let header = format!("{WEB_HEADER},description");
    let contents = format!(
        "\u{feff}{header}\r\n\
         1,ACR0000000020,Admin Unit,2016-06-22T15:00:00,\"www.a.com, and b\",\"say \"\"hi\"\", ok\"\r\n\
         \"2\",ACR0000000020,\"Admin Unit\",2016-06-22T15:00:00,\"multi\r\nline\",\"  spaced  \"\r\n\
         3,ACR0000000020,Admin Unit,2016-06-22T15:00:00,\"\"\"\",\"é, ü; 中文\"\r\n"
    );
    let file = store.file("quoted.csv", contents);
    let run = store.import(&["--kind", "web", "--reference", &reference(), &file]);
    run.code_without_panic(0);
    assert_eq!(ruis(&run.json(), PROCESSED), strings(&["1", "2", "3"]));
    let one = stored_event(&store, "1");
    assert_eq!(one["website"], "www.a.com, and b");
    assert_eq!(one["description"], "say \"hi\", ok");
    let two = stored_event(&store, "2");
    assert_eq!(two["website"], "multi\r\nline");
    assert_eq!(two["description"], "  spaced  ");
    assert_eq!(
        two["performed_by_unit_identifier"]["id"],
        reference_id("units", "name", "Admin Unit")
    );
    let three = stored_event(&store, "3");
    assert_eq!(three["website"], "\"");
    assert_eq!(three["description"], "é, ü; 中文");
}

#[test]
fn csv_file_ending_inside_a_quoted_field_makes_its_last_row_unprocessed() {
    let store = Store::new();
    let file = store.file(
        "open.csv",
        format!(
            "{WEB_HEADER}\n{}\n{}\n2,ACR0000000020,Admin Unit,2016-06-22T15:00:00,\"w2\n",
            web_row("0", "\"a \"\"b\"\"\""),
            web_row("1", "w1")
        ),
    );
    let run = store.import(&["--kind", "web", "--reference", &reference(), &file]);
    run.code_without_panic(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), strings(&["0", "1"]));
    let entry = only_unprocessed(&report);
    assert_eq!(entry["request_unique_identifier"], "2");
    assert_eq!(entry["error_code"], "InvalidParameterValueException");
    assert!(
        entry["error_description"]
            .as_str()
            .unwrap()
            .contains("line 4"),
        "{entry}"
    );
    assert_eq!(stored_event(&store, "0")["website"], "a \"b\"");
    assert_eq!(store.count_or_zero("events"), 2);
}

/// A quote inside an unquoted field is data (the CSV reader keeps it: row 1 is created with
/// it), so the file does not end inside a quoted field and its last row, which has no quote
/// at all, must not be rejected as if it did.
#[test]
fn csv_a_stray_quote_inside_an_unquoted_field_does_not_reject_the_last_row() {
    let store = Store::new();
    let file = store.file(
        "inches.csv",
        format!(
            "{WEB_HEADER}\n{}\n{}\n",
            web_row("1", "5\" screen"),
            web_row("2", "w2")
        ),
    );
    let run = store.import(&["--kind", "web", "--reference", &reference(), &file]);
    let report = run.json();
    assert!(
        !ruis(&report, UNPROCESSED).contains(&json!("2")),
        "row 2 (no quote in it) is unprocessed\n{}",
        run.context()
    );
    assert!(
        ruis(&report, PROCESSED).contains(&json!("2")),
        "{}",
        run.context()
    );
}

#[test]
fn csv_numbers_are_decimal_strings_kept_exact() {
    let store = Store::new();
    let file = store.file(
        "decimals.csv",
        "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,reference_number,products_set.0.product_identifier.code,products_set.0.quantity,products_set.0.net_amount,products_set.0.vat_amount,products_set.0.total_amount\n\
         1,ACR0000000228,Admin Unit,2016-06-22T15:00:00,R1,Bronze,2.0,120.50,0.00,120.500\n\
         2,ACR0000000228,Admin Unit,2016-06-22T15:00:00,R2,Bronze,,\"12,5\",1,13.5\n\
         3,ACR0000000228,Admin Unit,2016-06-22T15:00:00,R3,Bronze,,0.1,0.2,0.30000000000000000000000001\n",
    );
    let run = store.import(&["--kind", "purchases", "--reference", &reference(), &file]);
    run.code_without_panic(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), strings(&["1", "3"]));
    let entry = unprocessed(&report, "2");
    assert_eq!(entry["error_code"], "InvalidParameterValueException");
    let description = entry["error_description"].as_str().unwrap();
    assert!(
        description
            .starts_with("Error:Invalid Value (12,5) for Parameter (products_set.0.net_amount)."),
        "{description}"
    );

    let line = &stored_event(&store, "1")["products_set"][0];
    assert_eq!(line["net_amount"].to_string(), "120.5");
    assert_eq!(line["vat_amount"].to_string(), "0");
    assert_eq!(line["total_amount"].to_string(), "120.5");
    assert_eq!(line["quantity"].to_string(), "2");
    assert_eq!(
        stored_event(&store, "3")["products_set"][0]["total_amount"].to_string(),
        "0.30000000000000000000000001"
    );
    let stored: Vec<(String, String, String)> = {
        let conn = store.conn();
        let mut stmt = conn
            .prepare(
                "SELECT p.net_amount, p.total_amount, p.quantity FROM event_products p
                 JOIN events e ON e.seq = p.event_seq ORDER BY e.number, p.line",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        stored,
        [
            ("120.5".into(), "120.5".into(), "2".into()),
            (
                "0.1".into(),
                "0.30000000000000000000000001".into(),
                "1".into()
            )
        ]
    );
}

#[test]
fn csv_without_kind_is_rejected_and_creates_nothing() {
    let store = Store::new();
    let run = store.import(&["--reference", &reference(), &request("web", "csv")]);
    run.code_without_panic(2);
    assert!(run.stderr.contains("--kind"), "{}", run.context());
    assert_eq!(store.count_or_zero("events"), 0);
    assert!(!store.exists(), "the store was created");
}

#[test]
fn ndjson_without_kind_is_rejected_and_creates_nothing() {
    let store = Store::new();
    let run = store.import(&["--reference", &reference(), &request("web", "ndjson")]);
    run.code_without_panic(2);
    assert!(run.stderr.contains("--kind"), "{}", run.context());
    assert_eq!(store.count_or_zero("events"), 0);
}

// ---------------------------------------------------------------------------------------------
// 5. NDJSON

/// The lines of fixtures/requests/web.ndjson.
fn web_fixture_lines() -> Vec<String> {
    std::fs::read_to_string(request("web", "ndjson"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Imports `file` as web events with `--id-seed 3` into a fresh store.
fn seeded_web_import(store: &Store, file: &str, extra: &[&str]) -> Run {
    let reference = reference();
    let mut args = vec!["--id-seed", "3", "--kind", "web", "--reference", &reference];
    args.extend_from_slice(extra);
    args.push(file);
    store.import(&args)
}

#[test]
fn ndjson_blank_lines_are_skipped() {
    let plain = Store::new();
    let expected = seeded_web_import(&plain, &request("web", "ndjson"), &[]);
    expected.code_without_panic(1);

    let lines = web_fixture_lines();
    let spaced = format!(
        "\n{}\n   \n\n{}\r\n\t\r\n{}\n\n{}\n\n\n",
        lines[0], lines[1], lines[2], lines[3]
    );
    let store = Store::new();
    let file = store.file("spaced.ndjson", spaced);
    let run = seeded_web_import(&store, &file, &[]);
    run.code_without_panic(1);
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&expected.stdout)
    );
}

#[test]
fn ndjson_broken_line_is_one_unprocessed_event_naming_its_line() {
    let store = Store::new();
    let contents = format!(
        "{}\n\n{}\n{{\"request_unique_identifier\": \"x\", broken\n{}\n",
        web_line("1", "w1"),
        web_line("2", "w2"),
        web_line("3", "w3")
    );
    let file = store.file("broken.ndjson", contents);
    let run = store.import(&["--kind", "web", "--reference", &reference(), &file]);
    run.code_without_panic(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), strings(&["1", "2", "3"]));
    let entry = only_unprocessed(&report);
    assert_eq!(entry["error_code"], "InvalidParameterValueException");
    let description = entry["error_description"].as_str().unwrap();
    assert!(description.contains("line 4"), "{description}");
    assert_eq!(store.count_or_zero("events"), 3);
}

/// README: "A line that is not a JSON object is one unprocessed event
/// (`InvalidParameterValueException`, its path `line N, column C`)".
#[test]
fn ndjson_broken_line_path_is_line_and_column_as_the_readme_says() {
    let store = Store::new();
    let contents = format!(
        "{}\n{{\"request_unique_identifier\": \"x\", broken\n",
        web_line("1", "w1")
    );
    let file = store.file("broken.ndjson", contents);
    let run = store.import(&["--kind", "web", "--reference", &reference(), &file]);
    run.code_without_panic(1);
    let report = run.json();
    let description = only_unprocessed(&report)["error_description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        description.contains("for Parameter (line 2, column "),
        "the path is not `line N, column C`: {description}"
    );
}

#[test]
fn ndjson_jsonl_extension_works() {
    let plain = Store::new();
    let expected = seeded_web_import(&plain, &request("web", "ndjson"), &[]);
    expected.code_without_panic(1);
    let store = Store::new();
    let file = store.file(
        "web.jsonl",
        std::fs::read(request("web", "ndjson")).unwrap(),
    );
    let run = seeded_web_import(&store, &file, &[]);
    run.code_without_panic(1);
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&expected.stdout)
    );
}

#[test]
fn ndjson_line_that_is_a_json_array_is_unprocessed_naming_its_line() {
    let store = Store::new();
    let contents = format!(
        "{}\n[{}]\n{}\n",
        web_line("1", "w1"),
        web_line("2", "w2"),
        web_line("3", "w3")
    );
    let file = store.file("array.ndjson", contents);
    let run = store.import(&["--kind", "web", "--reference", &reference(), &file]);
    run.code_without_panic(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), strings(&["1", "3"]));
    let entry = only_unprocessed(&report);
    assert_eq!(entry["error_code"], "InvalidParameterValueException");
    let description = entry["error_description"].as_str().unwrap();
    assert!(description.contains("line 2"), "{description}");
    assert_eq!(store.count_or_zero("events"), 2);
}

#[test]
fn ndjson_with_bom_and_crlf_gives_the_same_report() {
    let plain = Store::new();
    let expected = seeded_web_import(&plain, &request("web", "ndjson"), &[]);
    expected.code_without_panic(1);
    let lines = web_fixture_lines();
    let contents = format!("\u{feff}{}", lines.join("\r\n"));
    let store = Store::new();
    let file = store.file("crlf.ndjson", contents);
    let run = seeded_web_import(&store, &file, &[]);
    run.code_without_panic(1);
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&expected.stdout)
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Batches across their boundaries

/// Imports `n` generated web events from NDJSON and from CSV, with the default batch size
/// and with 7, and checks order, numbering, the store and byte-identical reports.
fn batches_keep_order_and_numbering(n: usize) {
    let (ndjson, csv) = web_files(n);
    let expected: Vec<String> = (0..n).map(generated_rui).collect();
    let mut reports: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, contents) in [("events.ndjson", &ndjson), ("events.csv", &csv)] {
        for batch in [None, Some("7")] {
            let store = Store::new();
            let file = store.file(name, contents);
            let extra: Vec<&str> = batch.map(|b| vec!["--batch-size", b]).unwrap_or_default();
            let run = seeded_web_import(&store, &file, &extra);
            run.code_without_panic(0);
            let what = format!("{n} events from {name}, batch size {batch:?}");
            assert_all_processed_in_order(&run.json(), &expected, &what);
            assert_eq!(
                store.count_or_zero("events"),
                n as i64,
                "{what}: stored events"
            );
            let numbers: (i64, i64, i64) = store
                .conn()
                .query_row(
                    "SELECT min(number), max(number), count(DISTINCT number) FROM events",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .unwrap();
            assert_eq!(numbers, (1, n as i64, n as i64), "{what}: stored numbers");
            reports.push((what, run.stdout));
        }
    }
    for (what, report) in &reports[1..] {
        assert!(
            report == &reports[0].1,
            "the report of {what} differs from that of {}",
            reports[0].0
        );
    }
}

#[test]
fn batches_999_events() {
    batches_keep_order_and_numbering(999);
}

#[test]
fn batches_1000_events() {
    batches_keep_order_and_numbering(1000);
}

#[test]
fn batches_1001_events() {
    batches_keep_order_and_numbering(1001);
}

#[test]
fn batches_2500_events() {
    batches_keep_order_and_numbering(2500);
}

/// 2500 generated NDJSON lines with line `at` (0-based) replaced.
fn with_line_replaced(at: usize, line: &str) -> String {
    let (ndjson, _) = web_files(2500);
    let mut lines: Vec<&str> = ndjson.lines().collect();
    lines[at] = line;
    lines.join("\n") + "\n"
}

#[test]
fn a_reused_identifier_is_a_duplicate_however_far_apart_and_whatever_the_batch_size() {
    let first = generated_rui(0);
    let other_content = web_line(&first, "www.other.com");
    // Positions 1 and 1500: batches 1 and 2 with the default batch size of 1000, and far
    // apart with any other.
    let contents = with_line_replaced(1499, &other_content);
    let mut reports = Vec::new();
    for batch_size in ["1", "7", "1000"] {
        let store = Store::new();
        let file = store.file("reuse.ndjson", &contents);
        let run = seeded_web_import(&store, &file, &["--batch-size", batch_size]);
        run.code_without_panic(1);
        let report = run.json();
        let entry = only_unprocessed(&report);
        assert_eq!(entry["request_unique_identifier"], first.as_str());
        assert_eq!(
            entry["error_code"],
            "DuplicateRequestUniqueIdentifierException"
        );
        assert_eq!(set(&report, PROCESSED).len(), 2499);
        assert_eq!(store.count_or_zero("events"), 2499);
        assert_eq!(stored_event(&store, &first)["website"], "www.site0.com");
        reports.push(run.stdout);
    }
    assert!(
        reports.iter().all(|r| *r == reports[0]),
        "the report depends on --batch-size"
    );
}

#[test]
fn a_reused_identifier_in_the_same_batch_is_a_duplicate() {
    let first = generated_rui(0);
    let other_content = web_line(&first, "www.other.com");
    let description = format!(
        "Error:Request Unique Identifier ({first}) Is Not Unique. - Description:The request unique identifier must be unique within the request."
    );
    for (at, extra) in [(499, vec![]), (6, vec!["--batch-size", "7"])] {
        let store = Store::new();
        let file = store.file("reuse.ndjson", with_line_replaced(at, &other_content));
        let run = seeded_web_import(&store, &file, &extra);
        run.code_without_panic(1);
        let report = run.json();
        let entry = only_unprocessed(&report);
        assert_eq!(entry["request_unique_identifier"], first.as_str());
        assert_eq!(
            entry["error_code"],
            "DuplicateRequestUniqueIdentifierException"
        );
        assert_eq!(entry["error_description"], description.as_str());
        let processed = set(&report, PROCESSED);
        assert_eq!(processed.len(), 2499);
        assert_eq!(processed[0]["request_unique_identifier"], first.as_str());
        assert_eq!(store.count_or_zero("events"), 2499);
        // The first one is created with the first content.
        let stored = stored_event(&store, &first);
        assert_eq!(stored["website"], "www.site0.com");
    }
}

#[test]
fn the_same_event_again_in_a_later_batch_is_a_duplicate() {
    let (ndjson, _) = web_files(2500);
    let first_line = ndjson.lines().next().unwrap().to_owned();
    let store = Store::new();
    let file = store.file("again.ndjson", with_line_replaced(1499, &first_line));
    let run = seeded_web_import(&store, &file, &[]);
    run.code_without_panic(1);
    let report = run.json();
    assert_eq!(set(&report, PROCESSED).len(), 2499);
    assert_eq!(
        only_unprocessed(&report)["error_code"],
        "DuplicateRequestUniqueIdentifierException"
    );
    assert_eq!(store.count_or_zero("events"), 2499);
    // Imported again, the file is a re-run: the first copy is recognised with its number,
    // the second is again the duplicate, and nothing is created.
    let again = seeded_web_import(&store, &file, &[]);
    again.code_without_panic(1);
    assert_eq!(again.stdout, run.stdout);
    assert_eq!(store.count_or_zero("events"), 2499);
}

#[test]
fn csv_line_item_groups_across_batch_boundaries() {
    let mut csv = format!("{PURCHASE_ROWS_HEADER}\n");
    for i in 0..1200 {
        csv.push_str(&format!(
            "g{i:04},ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF{i},Bronze,{i}.5,1,2\n\
             g{i:04},,,,,Serendipity,1,0.25,2\n"
        ));
    }
    let expected: Vec<String> = (0..1200).map(|i| format!("g{i:04}")).collect();
    let mut reports = Vec::new();
    for batch in ["1000", "7"] {
        let store = Store::new();
        let file = store.file("groups.csv", &csv);
        let run = store.import(&[
            "--id-seed",
            "3",
            "--kind",
            "purchases",
            "--batch-size",
            batch,
            "--reference",
            &reference(),
            &file,
        ]);
        run.code_without_panic(0);
        assert_all_processed_in_order(&run.json(), &expected, &format!("batch size {batch}"));
        assert_eq!(store.count_or_zero("events"), 1200);
        assert_eq!(store.count_or_zero("event_products"), 2400);
        reports.push(run.stdout);
    }
    assert!(
        reports[0] == reports[1],
        "reports differ between batch sizes"
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Standard input

/// `cebulk import - --format FORMAT [--kind web] --id-seed 3 --reference …` into `store`,
/// with the fixture `requests/web.FORMAT` on standard input.
fn seeded_web_stdin_import(store: &Store, format: &str, kind: bool) -> Run {
    let kind: &[&str] = if kind { &["--kind", "web"] } else { &[] };
    store
        .cebulk()
        .args(["import", "-", "--format", format])
        .args(kind)
        .args(["--id-seed", "3", "--reference", &reference()])
        .stdin(std::fs::read(request("web", format)).unwrap())
        .run()
}

#[test]
fn stdin_ndjson_gives_the_same_report_as_the_file() {
    let plain = Store::new();
    let expected = seeded_web_import(&plain, &request("web", "ndjson"), &[]);
    expected.code_without_panic(1);
    let store = Store::new();
    let run = seeded_web_stdin_import(&store, "ndjson", true);
    run.code_without_panic(1);
    assert_eq!(run.stdout_text(), expected.stdout_text());
    assert_eq!(events_text(&store, None), events_text(&plain, None));
}

#[test]
fn stdin_without_format_is_rejected() {
    let store = Store::new();
    let run = store
        .cebulk()
        .args(["import", "-", "--kind", "web", "--reference", &reference()])
        .stdin(std::fs::read(request("web", "ndjson")).unwrap())
        .run();
    run.code_without_panic(2);
    assert!(run.stderr.contains("--format"), "{}", run.context());
    assert_eq!(store.count_or_zero("events"), 0);
}

#[test]
fn stdin_json_document_works() {
    let plain = Store::new();
    let expected = plain.import(&[
        "--id-seed",
        "3",
        "--reference",
        &reference(),
        &request("web", "json"),
    ]);
    expected.code_without_panic(1);
    let store = Store::new();
    let run = seeded_web_stdin_import(&store, "json", false);
    run.code_without_panic(1);
    assert_eq!(run.stdout_text(), expected.stdout_text());
    assert!(!set(&run.json(), PROCESSED).is_empty());
}

#[test]
fn stdin_csv_gives_the_same_report_as_the_file() {
    let plain = Store::new();
    let expected = seeded_web_import(&plain, &request("web", "csv"), &[]);
    expected.code_without_panic(1);
    let store = Store::new();
    let run = seeded_web_stdin_import(&store, "csv", true);
    run.code_without_panic(1);
    assert_eq!(run.stdout_text(), expected.stdout_text());
}

/// The workers yield the CPU to the writer: they run at a niceness 10 above cebulk's other
/// threads (README, "Speed"). Read from /proc while cebulk waits for its input.
#[cfg(target_os = "linux")]
#[test]
fn worker_threads_run_nicer_than_the_writer() {
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    // Standard input stays open until the threads are read: cebulk waits for its input.
    let mut import = store
        .cebulk()
        .args([
            "import", "-", "--format", "ndjson", "--kind", "web", "--quiet",
        ])
        .args(["--jobs", "2"])
        .spawn();
    let threads = |pid: u32| -> Vec<(String, i32)> {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return Vec::new();
        };
        tasks
            .flatten()
            .filter_map(|task| {
                let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
                let name = stat[stat.find('(')? + 1..stat.rfind(')')?].to_owned();
                // Field 19 of stat (niceness), the 17th after the name.
                let nice = stat[stat.rfind(')')? + 2..]
                    .split(' ')
                    .nth(16)?
                    .parse()
                    .ok()?;
                Some((name, nice))
            })
            .collect()
    };
    let pid = import.id();
    let mut seen = Vec::new();
    // A worker lowers its own priority once started, so its thread can be seen a moment
    // before: wait for both to have done it (a worker that never does fails the wait).
    import.wait_until("two workers nicer than the writer", || {
        seen = threads(pid);
        let Some(writer) = seen
            .iter()
            .find(|(name, _)| name == "cebulk-writer")
            .map(|(_, nice)| *nice)
        else {
            return false;
        };
        seen.iter()
            .filter(|(name, nice)| {
                name.starts_with("cebulk-worker") && *nice == (writer + 10).min(19)
            })
            .count()
            == 2
    });
    let run = import.wait();
    assert_eq!(run.code, Some(0), "{seen:?}");
    let writer = seen
        .iter()
        .find(|(name, _)| name == "cebulk-writer")
        .map(|(_, nice)| *nice)
        .unwrap_or_else(|| panic!("no writer thread in {seen:?}"));
    let workers: Vec<i32> = seen
        .iter()
        .filter(|(name, _)| name.starts_with("cebulk-worker"))
        .map(|(_, nice)| *nice)
        .collect();
    assert_eq!(workers, vec![(writer + 10).min(19); 2], "{seen:?}");
}

/// A producer that writes its events slowly (a pipe from a long-running job): whole batches
/// are committed while the input is still open, not only at its end, so a kill or a failure
/// later keeps them.
#[test]
fn stdin_batches_are_committed_while_the_input_is_still_open() {
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    let mut import = store
        .cebulk()
        .args(["import", "-", "--format", "ndjson", "--kind", "web"])
        .args(["--batch-size", "10", "--quiet"])
        .spawn();
    let events = |range: std::ops::Range<usize>| -> String {
        range
            .map(|i| format!("{}\n", web_event_at(&format!("p{i}"), "www.crm.com")))
            .collect()
    };
    // Two whole batches of 10, and half of a third.
    import.feed(events(0..25).as_bytes());
    import.wait_until("two batches are committed", || {
        store.committed_events() >= 20
    });
    assert_eq!(
        store.committed_events(),
        20,
        "the two whole batches, and not the half one"
    );
    assert!(
        import.is_running(),
        "cebulk still waits for the rest of its input"
    );

    import.feed(events(25..30).as_bytes());
    // The end of the input.
    let run = import.wait();
    run.code(0);
    assert_eq!(set(&run.json(), PROCESSED).len(), 30);
    assert_eq!(store.count("events"), 30);
}
