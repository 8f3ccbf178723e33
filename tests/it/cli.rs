//! Behaviour of the real `cebulk` binary, each test checking both what it writes (report,
//! exit status, standard error) and what landed in the store (`cebulk events` and the SQLite
//! tables themselves). Every test uses its own fresh store in a temporary directory.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::support::{
    ENTITIES, KINDS, PROCESSED, Run, Store, UNPROCESSED, fixture, is_id, reference, reference_id,
    reference_json, rui_id_number, set,
};

// ---------------------------------------------------------------------------------------------
// Helpers

fn request(kind: &str) -> String {
    fixture(&format!("requests/{kind}.json"))
}

fn ruis(report: &Value, name: &str) -> Vec<String> {
    set(report, name)
        .iter()
        .map(|e| e["request_unique_identifier"].as_str().unwrap().to_owned())
        .collect()
}

fn keys(entry: &Value) -> BTreeSet<String> {
    entry.as_object().unwrap().keys().cloned().collect()
}

fn key_set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// Asserts a request-level rejection: `"data": null`, the status code, exit status 2, and
/// no event in the store.
fn assert_rejected(store: &Store, run: &Run, code: &str) -> Value {
    run.code(2);
    let report = run.json();
    assert_eq!(report["data"], Value::Null, "data\n{}", run.context());
    assert_eq!(
        report["status"]["code"],
        code,
        "status.code\n{}",
        run.context()
    );
    for field in ["description", "message"] {
        assert!(
            report["status"][field]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "status.{field} is empty\n{}",
            run.context()
        );
    }
    assert!(store.events(None).is_empty(), "events were created");
    if store.exists() {
        assert_eq!(store.count("events"), 0);
    }
    report
}

/// A web event that resolves against fixtures/reference.json.
fn web_event(rui: &str, account: &str) -> Value {
    json!({
        "request_unique_identifier": rui,
        "accounts_receivable_identifier": {"number": account},
        "performed_by_unit_identifier": {"name": "Admin Unit"},
        "performed_on": "2016-06-22T15:00:00",
        "website": "www.crm.com"
    })
}

fn web_document(events: &[Value]) -> String {
    json!({"token": "t", "web_customer_events_set": events}).to_string()
}

/// The store's events of `kind` as (id, number) by request_unique_identifier, from SQLite.
fn stored_ids(store: &Store, kind: &str) -> BTreeMap<String, (String, i64)> {
    let conn = store.conn();
    let mut stmt = conn
        .prepare("SELECT request_unique_identifier, i.id, number FROM events JOIN event_ids i USING (seq)
             WHERE kind = ?1")
        .unwrap();
    stmt.query_map([kind], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// What an import stores

#[test]
fn purchases_land_in_the_store_with_resolved_ids_quantity_and_amounts() {
    let store = Store::new();
    let run = store.import(&["--reference", &reference(), &request("purchases")]);
    run.code(1);
    let report = run.json();
    let processed: BTreeMap<String, (String, String)> =
        set(&report, PROCESSED).iter().map(rui_id_number).collect();
    assert_eq!(processed.keys().collect::<Vec<_>>(), ["31", "32"]);

    let events = store.events(Some("purchases"));
    assert_eq!(events.len(), 2, "{events:?}");
    let account = reference_id("accounts_receivable", "number", "ACR0000000228");
    let unit = reference_id("units", "name", "Admin Unit");
    let serendipity = reference_id("products", "code", "Serendipity");
    let bronze = reference_id("products", "code", "Bronze");
    let mut numbers = Vec::new();
    for event in &events {
        let rui = event["request_unique_identifier"].as_str().unwrap();
        let (id, number) = &processed[rui];
        assert_eq!(event["kind"], "purchases");
        assert_eq!(event["id"], id.as_str(), "the report's id for {rui}");
        assert_eq!(
            event["number"],
            number.as_str(),
            "the report's number for {rui}"
        );
        numbers.push(number.clone());
        // Each identifier resolved to its record's id, with its natural key (and an
        // account's name) beside it.
        assert_eq!(
            event["accounts_receivable_identifier"],
            json!({"id": account, "number": "ACR0000000228", "name": "Costas Charalambous"})
        );
        assert_eq!(
            event["performed_by_unit_identifier"],
            json!({"id": unit, "name": "Admin Unit"})
        );
        assert_eq!(event["performed_on"], "2016-06-22T15:00:00");
        assert_eq!(event["reference_number"], "RF01");
        let lines = event["products_set"].as_array().unwrap();
        assert_eq!(lines.len(), 2, "{event}");
        let expected = [
            (&serendipity, "Serendipity", "50", "10", "60"),
            (&bronze, "Bronze", "160", "20", "180"),
        ];
        for (line, (product, code, net, vat, total)) in lines.iter().zip(expected) {
            assert_eq!(
                line["product_identifier"],
                json!({"id": product, "code": code}),
                "{line}"
            );
            assert_eq!(line["quantity"], json!(1), "quantity filled in: {line}");
            assert_eq!(line["net_amount"].to_string(), net, "{line}");
            assert_eq!(line["vat_amount"].to_string(), vat, "{line}");
            assert_eq!(line["total_amount"].to_string(), total, "{line}");
        }
    }
    numbers.sort();
    assert_eq!(numbers, ["1", "2"]);

    // The tables themselves.
    assert_eq!(store.count("events"), 2);
    assert_eq!(store.count("event_products"), 4);
    let stored = stored_ids(&store, "purchases");
    for (rui, (id, number)) in &processed {
        assert_eq!(stored[rui].0, *id);
        assert_eq!(stored[rui].1.to_string(), *number);
    }
    let conn = store.conn();
    let mut stmt = conn
        .prepare(
            "SELECT p.product_id, p.quantity, p.net_amount, p.vat_amount, p.total_amount
             FROM event_products p JOIN events e ON e.seq = p.event_seq
             WHERE e.request_unique_identifier = '31' ORDER BY p.line",
        )
        .unwrap();
    let rows: Vec<[String; 5]> = stmt
        .query_map([], |r| {
            Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rows,
        [
            [
                serendipity.clone(),
                "1".into(),
                "50".into(),
                "10".into(),
                "60".into()
            ],
            [
                bronze.clone(),
                "1".into(),
                "160".into(),
                "20".into(),
                "180".into()
            ],
        ]
    );

    // `events --kind` filters.
    assert!(store.events(Some("web")).is_empty());
    assert_eq!(store.events(None).len(), 2);
}

#[test]
fn amounts_are_kept_exact() {
    let store = Store::new();
    // Written as text, so that the numbers are exactly these.
    let text = r#"{"purchase_customer_events_set": [{
        "request_unique_identifier": "1",
        "accounts_receivable_identifier": {"number": "ACR0000000228"},
        "performed_by_unit_identifier": {"name": "Admin Unit"},
        "performed_on": "2016-06-22T15:00:00",
        "reference_number": "R1",
        "products_set": [
            {"product_identifier": {"code": "Bronze"}, "quantity": 3,
             "net_amount": 0.1, "vat_amount": 0.2, "total_amount": 0.30},
            {"product_identifier": {"code": "Silver"},
             "net_amount": 1234567890123456789.12, "vat_amount": 0.01,
             "total_amount": 1234567890123456789.13}
        ]
    }]}"#;
    let file = store.file("exact.json", text);
    store.import(&["--reference", &reference(), &file]).code(0);

    let events = store.events(Some("purchases"));
    assert_eq!(events.len(), 1);
    let lines = events[0]["products_set"].as_array().unwrap();
    let shown: Vec<[String; 4]> = lines
        .iter()
        .map(|l| {
            [
                l["quantity"].to_string(),
                l["net_amount"].to_string(),
                l["vat_amount"].to_string(),
                l["total_amount"].to_string(),
            ]
        })
        .collect();
    assert_eq!(
        shown,
        [
            ["3", "0.1", "0.2", "0.3"].map(String::from),
            [
                "1",
                "1234567890123456789.12",
                "0.01",
                "1234567890123456789.13"
            ]
            .map(String::from),
        ]
    );
    let conn = store.conn();
    let mut stmt = conn
        .prepare(
            "SELECT quantity, net_amount, vat_amount, total_amount FROM event_products
             ORDER BY line",
        )
        .unwrap();
    let rows: Vec<[String; 4]> = stmt
        .query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows, shown);
}

#[test]
fn every_event_processed_exits_zero() {
    let store = Store::new();
    let file = store.file(
        "valid.json",
        web_document(&[
            web_event("a", "ACR0000000020"),
            web_event("b", "ACR0000000077"),
        ]),
    );
    let run = store.import(&["--reference", &reference(), &file]);
    run.code(0);
    let report = run.json();
    assert_eq!(
        report["status"],
        json!({"code": "OK", "description": "", "message": ""})
    );
    assert_eq!(ruis(&report, PROCESSED), ["a", "b"]);
    assert!(set(&report, UNPROCESSED).is_empty());
    let events = store.events(Some("web"));
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["website"], "www.crm.com");
    assert_eq!(
        events[0]["accounts_receivable_identifier"],
        json!({
            "id": reference_id("accounts_receivable", "number", "ACR0000000020"),
            "number": "ACR0000000020",
            "name": "Andreas Georgiou"
        })
    );
}

#[test]
fn duplicate_request_unique_identifier_in_one_batch_is_unprocessed() {
    let store = Store::new();
    let file = store.file(
        "dup.json",
        web_document(&[
            web_event("a", "ACR0000000020"),
            web_event("a", "ACR0000000077"),
        ]),
    );
    let run = store.import(&["--reference", &reference(), &file]);
    run.code(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), ["a"]);
    assert_eq!(
        set(&report, UNPROCESSED),
        [json!({
            "request_unique_identifier": "a",
            "error_code": "DuplicateRequestUniqueIdentifierException",
            "error_description": "Error:Request Unique Identifier (a) Is Not Unique. - Description:The request unique identifier must be unique within the request."
        })]
    );
    assert_eq!(store.count("events"), 1);
}

// ---------------------------------------------------------------------------------------------
// Re-runs

#[test]
fn importing_the_same_document_twice_changes_nothing() {
    let store = Store::new();
    let first = store.import(&["--reference", &reference(), &request("purchases")]);
    first.code(1);
    let events = store.events(None);
    let products = store.count("event_products");
    assert_eq!(store.count("events"), 2);

    let second = store.import(&["--reference", &reference(), &request("purchases")]);
    second.code(1);
    assert_eq!(
        second.stdout_text(),
        first.stdout_text(),
        "the second report is the first"
    );
    assert_eq!(second.json(), first.json());
    assert_eq!(store.count("events"), 2);
    assert_eq!(store.count("event_products"), products);
    assert_eq!(store.events(None), events);

    // And a third time without --reference (the store already holds it).
    let third = store.import(&[&request("purchases")]);
    third.code(1);
    assert_eq!(third.json(), first.json());
    assert_eq!(store.count("events"), 2);
}

#[test]
fn a_changed_event_reusing_a_request_unique_identifier_is_a_new_event() {
    let store = Store::new();
    let first = store.import(&["--reference", &reference(), &request("web")]);
    first.code(1);
    let first = first.json();
    let original = set(&first, PROCESSED)[0].clone();
    assert_eq!(original["request_unique_identifier"], "06");

    let mut changed = web_event("06", "ACR0000000020");
    changed["website"] = json!("www.crm.com/changed");
    let file = store.file("changed.json", web_document(&[changed]));
    let run = store.import(&[&file]);
    run.code(0);
    let report = run.json();
    let created = &set(&report, PROCESSED)[0];
    assert_eq!(created["request_unique_identifier"], "06");
    assert_eq!(created["number"], "3", "numbers continue after 1 and 2");
    assert_ne!(created["id"], original["id"]);

    assert_eq!(store.count("events"), 3);
    let events = store.events(Some("web"));
    let websites: Vec<(&Value, &Value)> = events
        .iter()
        .filter(|e| e["request_unique_identifier"] == "06")
        .map(|e| (&e["number"], &e["website"]))
        .collect();
    assert_eq!(
        websites,
        [
            (&json!("1"), &json!("www.crm.com")),
            (&json!("3"), &json!("www.crm.com/changed"))
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// External references

fn with_external(mut event: Value, system: Option<&str>, number: &str) -> Value {
    if let Some(system) = system {
        event["external_system"] = json!(system);
    }
    event["external_system_reference_number"] = json!(number);
    event
}

#[test]
fn an_external_reference_of_a_stored_event_cannot_be_reused() {
    let store = Store::new();
    let stored = with_external(web_event("1", "ACR0000000020"), Some("POS"), "EXT-1");
    let file = store.file("first.json", web_document(&[stored]));
    store.import(&["--reference", &reference(), &file]).code(0);

    let mut other = with_external(web_event("2", "ACR0000000077"), Some("POS"), "EXT-1");
    other["performed_on"] = json!("2016-06-23T10:00:00");
    let file = store.file("second.json", web_document(&[other]));
    let run = store.import(&[&file]);
    run.code(1);
    let report = run.json();
    assert!(set(&report, PROCESSED).is_empty());
    assert_eq!(
        set(&report, UNPROCESSED),
        [json!({
            "request_unique_identifier": "2",
            "error_code": "DuplicateExternalReferenceException",
            "error_description": "Error:External System Reference Number (EXT-1) of System (POS) Already Exists. - Description:The external reference must identify one customer event."
        })]
    );
    assert_eq!(store.count("events"), 1);
    assert_eq!(store.events(None)[0]["request_unique_identifier"], "1");
}

#[test]
fn external_references_are_unique_per_kind_and_system_within_a_batch_too() {
    let store = Store::new();
    let achievement = json!({
        "request_unique_identifier": "x",
        "accounts_receivable_identifier": {"number": "ACR0000000077"},
        "classification_identifier": {"name": "Customer Feedback 3"},
        "performed_by_unit_identifier": {"name": "Admin Unit"},
        "performed_on": "2016-06-22T15:00:00",
        "external_system": "POS",
        "external_system_reference_number": "EXT-1"
    });
    let file = store.file(
        "achievement.json",
        json!({"achievement_customer_events_set": [achievement]}).to_string(),
    );
    store.import(&["--reference", &reference(), &file]).code(0);

    let mut second = with_external(web_event("2", "ACR0000000077"), Some("POS"), "EXT-1");
    second["website"] = json!("www.example.com");
    let file = store.file(
        "web.json",
        web_document(&[
            // Another kind's pair: allowed.
            with_external(web_event("1", "ACR0000000020"), Some("POS"), "EXT-1"),
            // The same pair earlier in this batch.
            second,
            // Same number, another system: allowed.
            with_external(web_event("3", "ACR0000000020"), Some("ERP"), "EXT-1"),
            // No system counts as the empty system, so the number alone is unique.
            with_external(web_event("4", "ACR0000000020"), None, "EXT-2"),
            with_external(web_event("5", "ACR0000000077"), None, "EXT-2"),
        ]),
    );
    let run = store.import(&[&file]);
    run.code(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), ["1", "3", "4"]);
    assert_eq!(ruis(&report, UNPROCESSED), ["2", "5"]);
    for entry in set(&report, UNPROCESSED) {
        assert_eq!(entry["error_code"], "DuplicateExternalReferenceException");
    }
    assert_eq!(store.count("events"), 4);
    assert_eq!(store.events(Some("web")).len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Dry run and deterministic ids

#[test]
fn dry_run_reports_what_an_import_would_and_writes_nothing() {
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    let before = store.bytes();
    let files_before = store.file_names();
    let files: Vec<String> = ["purchases", "web"].iter().map(|k| request(k)).collect();

    let dry = store.import(&[
        "--dry-run",
        "--id-seed",
        "9",
        "--reference",
        &reference(),
        &files[0],
        &files[1],
    ]);
    dry.code(1);
    assert!(store.events(None).is_empty(), "the dry run created events");
    assert_eq!(store.count("events"), 0);
    assert_eq!(store.count("event_products"), 0);
    assert!(
        store.bytes() == before,
        "the dry run changed the store's bytes"
    );
    assert_eq!(
        store.file_names(),
        files_before,
        "the dry run left files beside the store"
    );

    let real = store.import(&["--id-seed", "9", &files[0], &files[1]]);
    real.code(1);
    assert_eq!(
        dry.stdout_text(),
        real.stdout_text(),
        "dry run and import agree"
    );
    assert_eq!(store.count("events"), 4);
}

#[test]
fn dry_run_without_a_store_creates_no_file() {
    let store = Store::new();
    let dry = store.import(&[
        "--dry-run",
        "--id-seed",
        "5",
        "--reference",
        &reference(),
        &request("achievements"),
    ]);
    dry.code(1);
    assert!(!store.exists(), "the dry run created the store");
    let files: Vec<_> = std::fs::read_dir(store.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(files.is_empty(), "the dry run left files: {files:?}");

    let real = store.import(&[
        "--id-seed",
        "5",
        "--reference",
        &reference(),
        &request("achievements"),
    ]);
    real.code(1);
    assert_eq!(dry.stdout_text(), real.stdout_text());
}

#[test]
fn the_same_id_seed_gives_byte_identical_reports() {
    let files: Vec<String> = KINDS.iter().map(|k| request(k)).collect();
    let mut args = vec!["--id-seed", "42", "--reference"];
    let reference = reference();
    args.push(&reference);
    args.extend(files.iter().map(String::as_str));

    let (a, b) = (Store::new(), Store::new());
    let first = a.import(&args);
    let second = b.import(&args);
    first.code(1);
    second.code(1);
    assert_eq!(first.stdout, second.stdout, "the reports differ");
    let report = first.json();
    for entry in set(&report, PROCESSED) {
        assert!(is_id(entry["id"].as_str().unwrap()), "{entry}");
    }
    let ids: BTreeSet<&str> = set(&report, PROCESSED)
        .iter()
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert_eq!(ids.len(), set(&report, PROCESSED).len(), "ids are unique");
    assert_eq!(a.events(None), b.events(None));
}

// ---------------------------------------------------------------------------------------------
// Request-level errors

#[test]
fn malformed_json_is_rejected_with_line_and_column() {
    let store = Store::new();
    let file = store.file(
        "malformed.json",
        "{\n  \"web_customer_events_set\": [\n    {\"request_unique_identifier\": \"1\",}\n  ]\n}\n",
    );
    let run = store.import(&["--reference", &reference(), &file]);
    let report = assert_rejected(&store, &run, "InvalidRequestDocumentException");
    let description = report["status"]["description"].as_str().unwrap();
    assert!(description.contains("malformed.json"), "{description}");
    assert!(description.contains("line 3"), "{description}");
    assert!(description.contains("column"), "{description}");
    assert!(run.stderr.contains("malformed.json"), "{}", run.context());
    assert!(run.stderr.contains("line 3"), "{}", run.context());
}

#[test]
fn a_document_that_is_not_utf8_is_rejected() {
    let store = Store::new();
    let file = store.file(
        "latin1.json",
        b"{\"web_customer_events_set\": [{\"request_unique_identifier\": \"caf\xe9\"}]}",
    );
    let run = store.import(&["--reference", &reference(), &file]);
    assert_rejected(&store, &run, "InvalidRequestDocumentException");
}

#[test]
fn an_unknown_set_key_is_rejected() {
    let store = Store::new();
    let file = store.file(
        "unknown.json",
        json!({"token": "t", "coupon_customer_events_set": [web_event("1", "ACR0000000020")]})
            .to_string(),
    );
    let run = store.import(&["--reference", &reference(), &file]);
    assert_rejected(&store, &run, "UnknownCustomerEventsSetException");

    let file = store.file("none.json", json!({"token": "t"}).to_string());
    let run = store.import(&[&file]);
    assert_rejected(&store, &run, "UnknownCustomerEventsSetException");
}

#[test]
fn two_set_keys_are_rejected() {
    let store = Store::new();
    let file = store.file(
        "two.json",
        json!({
            "web_customer_events_set": [web_event("1", "ACR0000000020")],
            "social_media_customer_events_set": []
        })
        .to_string(),
    );
    let run = store.import(&["--reference", &reference(), &file]);
    assert_rejected(&store, &run, "UnknownCustomerEventsSetException");
}

#[test]
fn more_than_1000_events_in_a_json_document_are_rejected() {
    let store = Store::new();
    let events: Vec<Value> = (0..1001)
        .map(|i| web_event(&i.to_string(), "ACR0000000020"))
        .collect();
    let file = store.file("many.json", web_document(&events));
    let run = store.import(&["--reference", &reference(), &file]);
    assert_rejected(&store, &run, "TooManyCustomerEventsException");
}

#[test]
fn exactly_1000_events_in_a_json_document_are_accepted() {
    let store = Store::new();
    let events: Vec<Value> = (0..1000)
        .map(|i| web_event(&i.to_string(), "ACR0000000020"))
        .collect();
    let file = store.file("thousand.json", web_document(&events));
    let run = store.import(&["--quiet", "--reference", &reference(), &file]);
    run.code(0);
    assert_eq!(set(&run.json(), PROCESSED).len(), 1000);
    assert_eq!(store.count("events"), 1000);
}

#[test]
fn an_unknown_fields_set_name_is_rejected() {
    let store = Store::new();
    let file = store.file(
        "fields.json",
        json!({"fields_set": "id,colour", "web_customer_events_set": [web_event("1", "ACR0000000020")]})
            .to_string(),
    );
    let run = store.import(&["--reference", &reference(), &file]);
    assert_rejected(&store, &run, "InvalidFieldsSetException");

    let run = store.import(&[
        "--fields-set",
        "id,colour",
        "--reference",
        &reference(),
        &request("web"),
    ]);
    assert_rejected(&store, &run, "InvalidFieldsSetException");
}

#[test]
fn the_seed_financial_statements_set_name_needs_kind_financial_statements() {
    let text = std::fs::read_to_string(request("financial_statements"))
        .unwrap()
        .replace(
            "financial_statement_customer_events_set",
            "financial_achievement_customer_events_set",
        );

    // With --kind financial_statements: financial statements events.
    let store = Store::new();
    let file = store.file("statements.json", &text);
    let run = store.import(&[
        "--kind",
        "financial_statements",
        "--reference",
        &reference(),
        &file,
    ]);
    run.code(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), ["71", "72"]);
    assert_eq!(ruis(&report, UNPROCESSED), ["73", "74"]);
    let events = store.events(None);
    assert_eq!(events.len(), 2);
    assert!(
        events.iter().all(|e| e["kind"] == "financial_statements"),
        "{events:?}"
    );
    assert_eq!(store.count("event_kpis"), 3);
    assert_eq!(
        events[1]["measured_key_performance_indicators_set"][0]["key_performance_indicator_identifier"],
        json!({
            "id": reference_id("key_performance_indicators", "name", "Monthly Spend"),
            "name": "Monthly Spend"
        })
    );

    // Without --kind: financial achievements, which have no measured KPIs.
    let store = Store::new();
    let file = store.file("statements.json", &text);
    let run = store.import(&["--reference", &reference(), &file]);
    run.code(1);
    let report = run.json();
    assert!(set(&report, PROCESSED).is_empty(), "{report}");
    for entry in set(&report, UNPROCESSED) {
        assert_eq!(entry["error_code"], "UnknownParameterException", "{entry}");
        assert!(
            entry["error_description"]
                .as_str()
                .unwrap()
                .contains("measured_key_performance_indicators_set"),
            "{entry}"
        );
    }
    assert!(store.events(Some("financial_statements")).is_empty());
    assert_eq!(store.count("events"), 0);
}

#[test]
fn several_files_one_rejected_the_others_are_imported() {
    let store = Store::new();
    let rejected = store.file(
        "rejected.json",
        json!({"coupon_customer_events_set": []}).to_string(),
    );
    let run = store.import(&[
        "--reference",
        &reference(),
        &request("web"),
        &rejected,
        &request("achievements"),
    ]);
    run.code(2);
    assert!(run.stderr.contains("rejected.json"), "{}", run.context());
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), ["06", "07", "221", "222"]);
    assert_eq!(ruis(&report, UNPROCESSED), ["08", "09", "223", "224"]);
    assert_eq!(
        report["status"]["code"],
        "UnknownCustomerEventsSetException"
    );
    assert!(
        report["status"]["description"]
            .as_str()
            .unwrap()
            .contains("rejected.json"),
        "{report}"
    );
    assert_eq!(store.count("events"), 4);
    assert_eq!(store.events(Some("web")).len(), 2);
    assert_eq!(store.events(Some("achievements")).len(), 2);
}

// ---------------------------------------------------------------------------------------------
// fields_set

fn assert_id_only(report: &Value) {
    assert_eq!(ruis(report, PROCESSED), ["06", "07"]);
    for entry in set(report, PROCESSED) {
        assert_eq!(
            keys(entry),
            key_set(&["request_unique_identifier", "id"]),
            "{entry}"
        );
        assert!(is_id(entry["id"].as_str().unwrap()), "{entry}");
    }
    assert_eq!(ruis(report, UNPROCESSED), ["08", "09"]);
    for entry in set(report, UNPROCESSED) {
        assert_eq!(
            keys(entry),
            key_set(&["request_unique_identifier"]),
            "{entry}"
        );
    }
}

#[test]
fn fields_set_id_in_the_document_limits_the_entries() {
    let store = Store::new();
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(request("web")).unwrap()).unwrap();
    doc["fields_set"] = json!("id");
    let file = store.file("fields.json", doc.to_string());
    let run = store.import(&["--reference", &reference(), &file]);
    run.code(1);
    assert_id_only(&run.json());
    assert_eq!(store.count("events"), 2);

    // The array form.
    let store = Store::new();
    doc["fields_set"] = json!(["id"]);
    let file = store.file("fields.json", doc.to_string());
    let run = store.import(&["--reference", &reference(), &file]);
    run.code(1);
    assert_id_only(&run.json());
}

#[test]
fn fields_set_on_the_command_line_overrides_the_document() {
    let store = Store::new();
    let run = store.import(&[
        "--fields-set",
        "id",
        "--reference",
        &reference(),
        &request("web"),
    ]);
    run.code(1);
    assert_id_only(&run.json());
    assert_eq!(store.count("events"), 2);

    let store = Store::new();
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(request("web")).unwrap()).unwrap();
    doc["fields_set"] = json!("number,error_code");
    let file = store.file("fields.json", doc.to_string());
    let run = store.import(&["--fields-set", "id", "--reference", &reference(), &file]);
    run.code(1);
    assert_id_only(&run.json());
}

// ---------------------------------------------------------------------------------------------
// Reference data

#[test]
fn loading_the_reference_twice_changes_nothing() {
    let store = Store::new();
    let first = store.run(&["reference", "load", &reference()]);
    first.code(0);
    let counts = store.reference_counts();
    let fixture = reference_json();
    for entity in ENTITIES {
        let expected = fixture[entity].as_array().map_or(0, Vec::len) as i64;
        assert_eq!(counts[entity], expected, "{entity} rows");
    }
    let id: String = store
        .conn()
        .query_row("SELECT id FROM units WHERE name = 'Admin Unit'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(id, reference_id("units", "name", "Admin Unit"));

    let second = store.run(&["reference", "load", &reference()]);
    second.code(0);
    assert_eq!(store.reference_counts(), counts);
    let line = second
        .stderr
        .lines()
        .find(|l| l.contains("new or changed"))
        .unwrap_or_else(|| panic!("no summary on stderr\n{}", second.context()));
    let first_number = line
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty());
    assert_eq!(first_number, Some("0"), "{line}");
}

/// fixtures/reference.json with `change` applied.
fn changed_reference(change: impl FnOnce(&mut Value)) -> String {
    let mut doc = reference_json();
    change(&mut doc);
    doc.to_string()
}

#[test]
fn a_reference_document_with_a_dangling_currency_loads_nothing() {
    let store = Store::new();
    let file = store.file(
        "bad.json",
        changed_reference(|doc| doc["units"][0]["currency"] = json!("XXX")),
    );
    let run = store.run(&["reference", "load", &file]);
    run.code(2);
    assert!(
        run.stderr.contains("units[0].currency"),
        "{}",
        run.context()
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.context());
    if store.exists() {
        assert!(
            store.reference_counts().values().all(|n| *n == 0),
            "{:?}",
            store.reference_counts()
        );
    }
}

#[test]
fn a_reference_document_with_an_unknown_field_loads_nothing() {
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    let counts = store.reference_counts();
    let file = store.file(
        "bad.json",
        changed_reference(|doc| {
            doc["currencies"]
                .as_array_mut()
                .unwrap()
                .push(json!({"code": "GBP"}));
            doc["units"][0]["name"] = json!("Renamed Unit");
            doc["products"][1]["colour"] = json!("brown");
        }),
    );
    let run = store.run(&["reference", "load", &file]);
    run.code(2);
    assert!(
        run.stderr.contains("products[1].colour"),
        "{}",
        run.context()
    );
    assert_eq!(store.reference_counts(), counts);
    let conn = store.conn();
    let gbp: i64 = conn
        .query_row(
            "SELECT count(*) FROM currencies WHERE code = 'GBP'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(gbp, 0, "part of the rejected document was loaded");
    let renamed: i64 = conn
        .query_row(
            "SELECT count(*) FROM units WHERE name = 'Renamed Unit'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(renamed, 0, "part of the rejected document was loaded");
}

#[test]
fn import_with_a_malformed_reference_imports_nothing() {
    let store = Store::new();
    let file = store.file(
        "bad.json",
        changed_reference(|doc| doc["units"][0]["currency"] = json!("XXX")),
    );
    let run = store.import(&["--reference", &file, &request("web")]);
    run.code(2);
    assert!(
        run.stderr.contains("units[0].currency"),
        "{}",
        run.context()
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.context());
    if store.exists() {
        assert_eq!(store.count("events"), 0);
        assert!(store.reference_counts().values().all(|n| *n == 0));
    }
}

// ---------------------------------------------------------------------------------------------
// Output

#[test]
fn report_file_receives_the_report_and_stdout_nothing() {
    let store = Store::new();
    let report_path = store.dir().join("report.json");
    let run = store.import(&[
        "--report",
        report_path.to_str().unwrap(),
        "--reference",
        &reference(),
        &request("web"),
    ]);
    run.code(1);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout_text());
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(report["status"]["code"], "OK");
    assert_eq!(ruis(&report, PROCESSED), ["06", "07"]);
    assert_eq!(ruis(&report, UNPROCESSED), ["08", "09"]);
    let stored = stored_ids(&store, "web");
    for entry in set(&report, PROCESSED) {
        let rui = entry["request_unique_identifier"].as_str().unwrap();
        assert_eq!(entry["id"], stored[rui].0.as_str());
    }
}

/// The store is closed (WAL copied in and deleted) while the report is moved into place;
/// both are done before cebulk exits.
#[test]
fn a_report_replacing_an_earlier_one_leaves_a_closed_store_and_no_partial_file() {
    let store = Store::new();
    let report_path = store.dir().join("report.json");
    let report = report_path.to_str().unwrap();
    let first = store.file(
        "first.json",
        web_document(&[web_event("a", "ACR0000000020")]),
    );
    store
        .import(&["--report", report, "--reference", &reference(), &first])
        .code(0);
    assert_eq!(
        store.file_names(),
        ["first.json", "report.json", "store.db"]
    );
    let second = store.file(
        "second.json",
        web_document(&[web_event("b", "ACR0000000077")]),
    );
    store.import(&["--report", report, &second]).code(0);
    assert_eq!(
        store.file_names(),
        ["first.json", "report.json", "second.json", "store.db"]
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(ruis(&report, PROCESSED), ["b"]);
    assert_eq!(stored_ids(&store, "web").len(), 2);
}

#[test]
fn quiet_silences_the_summary_but_not_the_report() {
    let store = Store::new();
    let loud = store.import(&["--reference", &reference(), &request("web")]);
    assert!(
        !loud.stderr.trim().is_empty(),
        "no summary\n{}",
        loud.context()
    );
    let store = Store::new();
    let quiet = store.import(&["--quiet", "--reference", &reference(), &request("web")]);
    quiet.code(1);
    assert_eq!(quiet.stderr.trim(), "", "{}", quiet.context());
    assert_eq!(ruis(&quiet.json(), PROCESSED), ["06", "07"]);
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs

fn purchase_with_amount(amount: &str) -> String {
    format!(
        r#"{{"purchase_customer_events_set":[{{"request_unique_identifier":"1",
        "accounts_receivable_identifier":{{"number":"ACR0000000228"}},
        "performed_by_unit_identifier":{{"name":"Admin Unit"}},
        "performed_on":"2016-06-22T15:00:00","reference_number":"R",
        "products_set":[{{"product_identifier":{{"code":"Bronze"}},
        "net_amount":{amount},"vat_amount":0,"total_amount":1}}]}}]}}"#
    )
}

fn hostile_documents() -> Vec<(&'static str, Vec<u8>)> {
    let deep = 100_000;
    let nested = |open: &str, close: &str| format!("{}{}", open.repeat(deep), close.repeat(deep));
    let purchases = std::fs::read(request("purchases")).unwrap();
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(&std::fs::read(request("web")).unwrap());

    vec![
        ("empty", Vec::new()),
        ("whitespace", b"  \n\t ".to_vec()),
        ("empty array", b"[]".to_vec()),
        ("null", b"null".to_vec()),
        ("number", b"42".to_vec()),
        ("string", b"\"web_customer_events_set\"".to_vec()),
        ("empty object", b"{}".to_vec()),
        (
            "set of scalars",
            br#"{"web_customer_events_set":[1,"x",null,true,false,[],1.5,-0]}"#.to_vec(),
        ),
        ("set is a string", br#"{"web_customer_events_set":"abc"}"#.to_vec()),
        ("set is null", br#"{"web_customer_events_set":null}"#.to_vec()),
        ("set is an object", br#"{"web_customer_events_set":{"a":1}}"#.to_vec()),
        ("empty set", br#"{"web_customer_events_set":[]}"#.to_vec()),
        ("deep arrays", nested("[", "]").into_bytes()),
        ("deep objects", nested("{\"a\":", "}").into_bytes()),
        ("deep unclosed", "[".repeat(deep).into_bytes()),
        (
            "deep inside an event",
            format!(
                r#"{{"web_customer_events_set":[{{"request_unique_identifier":{}}}]}}"#,
                nested("[", "]")
            )
            .into_bytes(),
        ),
        (
            "deep inside the set",
            format!(r#"{{"web_customer_events_set":{}}}"#, nested("[", "]")).into_bytes(),
        ),
        (
            "raw NUL in a string",
            b"{\"web_customer_events_set\":[{\"request_unique_identifier\":\"1\x00\"}]}".to_vec(),
        ),
        ("raw NUL outside strings", b"{\x00}".to_vec()),
        ("only NULs", vec![0; 64]),
        (
            "escaped NUL",
            web_document(&[web_event("1\u{0}", "ACR\u{0}0000000020")]).into_bytes(),
        ),
        (
            "lone surrogate escape",
            br#"{"web_customer_events_set":[{"request_unique_identifier":"\ud800"}]}"#.to_vec(),
        ),
        ("1e400 amount", purchase_with_amount("1e400").into_bytes()),
        ("-1e400 amount", purchase_with_amount("-1e400").into_bytes()),
        ("1e-400 amount", purchase_with_amount("1e-400").into_bytes()),
        (
            "40-digit amount",
            purchase_with_amount("1234567890123456789012345678901234567890").into_bytes(),
        ),
        ("amount as a string", purchase_with_amount("\"12\"").into_bytes()),
        ("amount as an object", purchase_with_amount("{}").into_bytes()),
        ("invalid UTF-8", b"\xff\xfe{\"a\":1}".to_vec()),
        (
            "invalid UTF-8 in a string",
            b"{\"web_customer_events_set\":[{\"request_unique_identifier\":\"\xc3\x28\"}]}"
                .to_vec(),
        ),
        ("UTF-8 BOM", with_bom),
        ("truncated document", purchases[..300].to_vec()),
        ("truncated in an escape", br#"{"web_customer_events_set":["\u00"#.to_vec()),
        (
            "fields_set of the wrong type",
            br#"{"fields_set":5,"web_customer_events_set":[]}"#.to_vec(),
        ),
        (
            "fields_set array of numbers",
            br#"{"fields_set":[1,null],"web_customer_events_set":[]}"#.to_vec(),
        ),
        (
            "identifiers of the wrong types",
            br#"{"purchase_customer_events_set":[
                {"request_unique_identifier":"1","accounts_receivable_identifier":"ACR",
                 "performed_by_unit_identifier":[],"performed_on":5,"products_set":"x"},
                {"request_unique_identifier":"2","accounts_receivable_identifier":{"number":5},
                 "performed_by_unit_identifier":{"name":{"a":1}},"performed_on":"2016-13-45T99:99:99",
                 "products_set":[1,null,{"quantity":-1},{"quantity":0},{"quantity":1e400}]},
                {"request_unique_identifier":"3","rewards_participant_identifier":{},
                 "accounts_receivable_identifier":null,"performed_by_unit_identifier":{"name":""},
                 "performed_on":"99999-01-01","products_set":[]},
                {"request_unique_identifier":4,"accounts_receivable_identifier":{"number":"ACR0000000228","name":"x"},
                 "performed_by_unit_identifier":{"name":"Admin Unit","id":null},"performed_on":"2016-06-22",
                 "products_set":[{"product_identifier":{"code":"Bronze"},"quantity":"2",
                 "net_amount":true,"vat_amount":[],"total_amount":null}]}]}"#
                .to_vec(),
        ),
        (
            "intended currency of the wrong type",
            br#"{"intended_currency_identifier":5,"purchase_customer_events_set":[]}"#.to_vec(),
        ),
        (
            "intended currency with a null code",
            br#"{"intended_currency_identifier":{"code":null},"purchase_customer_events_set":[
                {"request_unique_identifier":"1"}]}"#
                .to_vec(),
        ),
        (
            "odd dates",
            br#"{"web_customer_events_set":[
                {"request_unique_identifier":"1","accounts_receivable_identifier":{"number":"ACR0000000020"},
                 "performed_by_unit_identifier":{"name":"Admin Unit"},"website":"w",
                 "performed_on":"2016-02-30T25:61:61+99:99","udf_date_1":"0000-00-00",
                 "udf_float_1":1e400}]}"#
                .to_vec(),
        ),
        (
            "measured KPIs of the wrong types",
            br#"{"financial_statement_customer_events_set":[
                {"request_unique_identifier":"1","accounts_receivable_identifier":{"number":"ACR0000000077"},
                 "classification_identifier":{"name":"Financial Statement 1"},
                 "performed_by_unit_identifier":{"name":"Admin Unit"},"performed_on":"2016-06-22T15:00:00",
                 "measured_key_performance_indicators_set":[1,"x",{"value":"v"},{"value":1e400,
                 "key_performance_indicator_identifier":{"name":"Visits"}}]}]}"#
                .to_vec(),
        ),
        (
            "self referral",
            br#"{"referral_customer_events_set":[
                {"request_unique_identifier":"1","performed_by_unit_identifier":{"name":"Admin Unit"},
                 "performed_on":"2016-06-22T15:00:00",
                 "referred_rewards_participant_identifier":{"number":"RP0000000017"},
                 "referred_by_rewards_participant_identifier":{"number":"RP0000000017"}}]}"#
                .to_vec(),
        ),
    ]
}

#[test]
fn hostile_inputs_never_panic() {
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    for (i, (name, contents)) in hostile_documents().into_iter().enumerate() {
        let file = store.file(&format!("hostile-{i}.json"), contents);
        let run = store.import(&["--quiet", &file]);
        run.no_panic();
        let report = run.json();
        assert!(
            report["status"]["code"].is_string(),
            "{name}: {}",
            run.context()
        );
        assert!(
            report["data"].is_null() || report["data"].is_object(),
            "{name}: {}",
            run.context()
        );
        if report["data"].is_null() {
            assert_eq!(run.code, Some(2), "{name}: {}", run.context());
        }
    }
    // The store is still usable.
    store.run(&["events"]).code(0);
}

/// Imports one document holding a 10 MB string into a store with the reference loaded.
fn assert_big_string_does_not_panic(event: Value) {
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    let file = store.file("big.json", web_document(&[event]));
    let run = store.import(&["--quiet", &file]);
    run.no_panic();
    assert!(run.json()["data"].is_object(), "{}", run.context());
    store.run(&["events"]).code(0);
}

fn ten_megabytes() -> String {
    "x".repeat(10 * 1024 * 1024)
}

#[test]
fn a_10_mb_string_value_does_not_panic() {
    let mut event = web_event("big", "ACR0000000020");
    event["website"] = json!(ten_megabytes());
    assert_big_string_does_not_panic(event);
}

#[test]
fn a_10_mb_identifier_does_not_panic() {
    let mut event = web_event("big", &ten_megabytes());
    event["website"] = json!("w");
    assert_big_string_does_not_panic(event);
}

#[test]
fn a_10_mb_request_unique_identifier_does_not_panic() {
    assert_big_string_does_not_panic(web_event(&ten_megabytes(), "ACR0000000020"));
}

#[test]
fn a_10_mb_key_does_not_panic() {
    let mut event = web_event("big", "ACR0000000020");
    event[ten_megabytes()] = json!(1);
    assert_big_string_does_not_panic(event);
}

#[test]
fn hostile_reference_documents_never_panic() {
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let documents: Vec<&[u8]> = vec![
        b"",
        b"[]",
        b"null",
        b"{}",
        b"\xff\xfe",
        b"{\"units\": 5}",
        b"{\"units\": [1, null, \"x\"]}",
        b"{\"currencies\": [{\"code\": 5}]}",
        b"{\"currencies\": [{\"code\": \"EUR\"}, {\"code\": \"EUR\"}]}",
        b"{\"currencies\": [{\"id\": \"A\", \"code\": \"EUR\"}, {\"id\": \"A\", \"code\": \"USD\"}]}",
        b"{\"rewards_participants\": [{\"number\": \"P1\", \"referred_by\": \"P1\"}]}",
        b"{\"accounts_receivable\": [{\"number\": \"A\", \"payment_medium_types\": \"Cash\"}]}",
        b"{\"planets\": []}",
        b"{\"currencies\": [{\"code\": \"EUR\"}",
        deep.as_bytes(),
    ];
    for (i, contents) in documents.into_iter().enumerate() {
        let store = Store::new();
        let file = store.file(&format!("reference-{i}.json"), contents);
        store.run(&["reference", "load", &file]).no_panic();
    }
}

#[test]
fn an_amount_out_of_range_is_an_invalid_value() {
    let store = Store::new();
    let file = store.file("huge.json", purchase_with_amount("1e400"));
    let run = store.import(&["--reference", &reference(), &file]);
    run.code(1);
    let report = run.json();
    let entries = set(&report, UNPROCESSED);
    assert_eq!(entries.len(), 1, "{report}");
    assert_eq!(entries[0]["error_code"], "InvalidParameterValueException");
    assert!(
        entries[0]["error_description"]
            .as_str()
            .unwrap()
            .contains("products_set.0.net_amount"),
        "{report}"
    );
    assert_eq!(store.count("events"), 0);
}

#[test]
fn a_store_that_cannot_be_opened_exits_3() {
    let store = Store::new();
    std::fs::create_dir(store.db()).unwrap();
    let run = store.import(&["--reference", &reference(), &request("web")]);
    run.code(3);
    assert!(!run.stderr.contains("panicked"), "{}", run.context());
}

// ---------------------------------------------------------------------------------------------
// More re-runs, dry runs, batches and several files

#[test]
fn a_rerun_with_equivalent_content_is_the_same_event() {
    let store = Store::new();
    let first = store.import(&["--reference", &reference(), &request("purchases")]);
    first.code(1);

    // The same events written differently: keys in another order, quantity 1 given,
    // amounts as 50.0 and 160.00.
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(request("purchases")).unwrap()).unwrap();
    for event in doc["purchase_customer_events_set"].as_array_mut().unwrap() {
        for line in event["products_set"].as_array_mut().unwrap() {
            line["quantity"] = json!(1);
        }
        let reversed: serde_json::Map<String, Value> = event
            .as_object()
            .unwrap()
            .iter()
            .rev()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        *event = Value::Object(reversed);
    }
    let text = doc
        .to_string()
        .replace("\"net_amount\":50,", "\"net_amount\":50.0,")
        .replace("\"net_amount\":160,", "\"net_amount\":160.00,");
    assert!(text.contains("50.0,") && text.contains("160.00,"), "{text}");
    let file = store.file("equivalent.json", text);
    let second = store.import(&[&file]);
    second.code(1);
    assert_eq!(second.json(), first.json());
    assert_eq!(store.count("events"), 2);
    assert_eq!(store.count("event_products"), 4);
}

#[test]
fn a_participant_is_referred_once_in_a_run_and_across_runs() {
    let referral = |rui: &str, referred: &str, by: &str| {
        json!({
            "request_unique_identifier": rui,
            "performed_by_unit_identifier": {"name": "Admin Unit"},
            "performed_on": "2016-06-22T15:00:00",
            "referred_rewards_participant_identifier": {"number": referred},
            "referred_by_rewards_participant_identifier": {"number": by}
        })
    };
    let text = |events: Vec<Value>| json!({"referral_customer_events_set": events}).to_string();
    let already = |number: &str| {
        format!(
            "Error:Participant {number} Was Already Referred by Another Participant. - Description:The participant was already referred by another participant."
        )
    };

    let store = Store::new();
    let file = store.file(
        "first.json",
        text(vec![
            referral("1", "RP0000000017", "RP0000000010"),
            referral("2", "RP0000000017", "RP0000000012"),
        ]),
    );
    let run = store.import(&["--reference", &reference(), &file]);
    run.code(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), ["1"]);
    assert_eq!(
        set(&report, UNPROCESSED),
        [json!({
            "request_unique_identifier": "2",
            "error_code": "ReferredByAnotherParticipantException",
            "error_description": already("RP0000000017")
        })]
    );
    assert_eq!(store.count("referrals"), 1);

    let file = store.file(
        "second.json",
        text(vec![referral("3", "RP0000000017", "RP0000000014")]),
    );
    let run = store.import(&[&file]);
    run.code(1);
    assert_eq!(
        set(&run.json(), UNPROCESSED)[0]["error_description"],
        already("RP0000000017").as_str()
    );
    assert_eq!(store.count("events"), 1);
    assert_eq!(store.count("referrals"), 1);
}

#[test]
fn dry_run_applies_the_reference_in_memory_only() {
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    let counts = store.reference_counts();
    let before = store.bytes();
    let more = store.file(
        "more.json",
        changed_reference(|doc| {
            doc["accounts_receivable"]
                .as_array_mut()
                .unwrap()
                .push(json!({"number": "ACR00045000", "name": "New Account"}));
        }),
    );
    let dry = store.import(&["--dry-run", "--reference", &more, &request("web")]);
    dry.code(1);
    assert_eq!(ruis(&dry.json(), PROCESSED), ["06", "07", "08"]);
    assert_eq!(store.reference_counts(), counts);
    assert!(
        store.bytes() == before,
        "the dry run changed the store's bytes"
    );
    assert_eq!(store.count("events"), 0);

    let real = store.import(&[&request("web")]);
    real.code(1);
    assert_eq!(ruis(&real.json(), PROCESSED), ["06", "07"]);
}

#[test]
fn every_input_rejected_writes_data_null() {
    let store = Store::new();
    let unknown = store.file("unknown.json", r#"{"coupon_customer_events_set": []}"#);
    let broken = store.file("broken.json", "[");
    let run = store.import(&["--reference", &reference(), &unknown, &broken]);
    let report = assert_rejected(&store, &run, "UnknownCustomerEventsSetException");
    assert!(
        report["status"]["description"]
            .as_str()
            .unwrap()
            .contains("unknown.json")
    );
    assert!(run.stderr.contains("unknown.json"), "{}", run.context());
    assert!(run.stderr.contains("broken.json"), "{}", run.context());
}

#[test]
fn the_batch_size_does_not_change_the_report() {
    let files: Vec<String> = ["referrals", "purchases", "web"]
        .iter()
        .map(|k| request(k))
        .collect();
    let reference = reference();
    let mut args = vec!["--id-seed", "3", "--reference", &reference];
    args.extend(files.iter().map(String::as_str));
    let whole = Store::new();
    let one = Store::new();
    let default = whole.import(&args);
    let mut small = vec!["--batch-size", "1"];
    small.extend_from_slice(&args);
    let batched = one.import(&small);
    default.code(1);
    batched.code(1);
    assert_eq!(default.stdout_text(), batched.stdout_text());
    assert_eq!(whole.events(None), one.events(None));
}

#[test]
fn a_batch_size_out_of_range_is_rejected() {
    for size in ["0", "1001", "x"] {
        let store = Store::new();
        let run = store.import(&["--batch-size", size, &request("web")]);
        run.code(2);
        assert!(!store.exists(), "--batch-size {size} created the store");
    }
}

#[test]
fn events_as_csv_use_the_import_header_form_and_match_the_json_listing() {
    let store = Store::new();
    store
        .import(&["--reference", &reference(), &request("purchases")])
        .code(1);
    let json = store.events(Some("purchases"));
    let run = store.run(&["events", "--kind", "purchases", "--format", "csv"]);
    run.code(0);
    let mut reader = csv::Reader::from_reader(run.stdout.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert!(
        header.contains(&"products_set.1.net_amount".to_owned()),
        "{header:?}"
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), json.len());
    for (row, event) in rows.iter().zip(&json) {
        let cell = |name: &str| {
            let i = header.iter().position(|h| h == name).unwrap();
            row[i].to_owned()
        };
        assert_eq!(cell("id"), event["id"].as_str().unwrap());
        assert_eq!(cell("number"), event["number"].as_str().unwrap());
        assert_eq!(
            cell("products_set.1.net_amount"),
            event["products_set"][1]["net_amount"].to_string()
        );
        assert_eq!(
            cell("accounts_receivable_identifier.id"),
            event["accounts_receivable_identifier"]["id"]
                .as_str()
                .unwrap()
        );
    }
}

#[test]
fn a_report_path_that_is_a_symlink_is_written_through_not_replaced() {
    let store = Store::new();
    let target = store.dir().join("real.json");
    let link = store.dir().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    store
        .import(&[
            "--reference",
            &reference(),
            "--report",
            link.to_str().unwrap(),
            &request("web"),
        ])
        .code(1);
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the symlink was replaced");
    let report: Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(report["status"]["code"], "OK");
}
