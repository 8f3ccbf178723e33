//! Review tests: each runs the real binary on a fresh store and pins a behaviour that a
//! review found wrong once and that is now right (error descriptions quote values
//! verbatim, a cut-off CSV row without an identifier echoes `null`, an unreadable input
//! alone gives `"data": null`, an empty `fields_set` returns every field), or guards a
//! risky area that was checked and holds (the store skipping lookups of a kind that had no
//! events before the run).

use serde_json::{Value, json};

use crate::support::{PROCESSED, Run, Store, UNPROCESSED, ndjson, reference, set, web_event_at};

/// `cebulk import --quiet ARGS…` on `store`.
fn import(store: &Store, args: &[&str]) -> Run {
    let mut all = vec!["--quiet"];
    all.extend_from_slice(args);
    store.import(&all)
}

/// (rui, number) of processed entries, or (rui, error_code) of unprocessed ones.
fn pairs(report: &Value, name: &str, field: &str) -> Vec<(String, String)> {
    set(report, name)
        .iter()
        .map(|e| {
            (
                e["request_unique_identifier"]
                    .as_str()
                    .unwrap_or("<null>")
                    .to_owned(),
                e[field].as_str().unwrap_or("<none>").to_owned(),
            )
        })
        .collect()
}

fn referral(rui: &str, referred: &str, by: &str) -> Value {
    json!({
        "request_unique_identifier": rui,
        "performed_by_unit_identifier": {"name": "Admin Unit"},
        "performed_on": "2016-06-22T15:00:00",
        "referred_rewards_participant_identifier": {"number": referred},
        "referred_by_rewards_participant_identifier": {"number": by}
    })
}

// ---------------------------------------------------------------------------------------------
// Error descriptions quote the caller's value verbatim, even when it holds text that looks
// like one of the template's placeholders ("{path}", "{system}", …): ERRORS.md fills `{…}`
// with the caller's own value, and the placeholders filled after it must not rewrite it.

#[test]
fn error_descriptions_quote_the_callers_value_verbatim() {
    let store = Store::new();
    let mut bad_date = web_event_at("1", "w");
    bad_date["performed_on"] = json!("x{path}");
    let mut first = web_event_at("2", "w");
    first["external_system"] = json!("SAP");
    first["external_system_reference_number"] = json!("R-{system}");
    let mut second = web_event_at("3", "w2");
    second["external_system"] = json!("SAP");
    second["external_system_reference_number"] = json!("R-{system}");
    let file = store.file("web.ndjson", ndjson(&[bad_date, first, second]));
    let run = import(
        &store,
        &["--reference", &reference(), "--kind", "web", &file],
    );
    run.code(1);
    let report = run.json();
    let descriptions: Vec<&str> = set(&report, UNPROCESSED)
        .iter()
        .map(|e| e["error_description"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(descriptions.len(), 2, "{report}");
    assert!(
        descriptions[0].starts_with("Error:Invalid Value (x{path}) for Parameter (performed_on)."),
        "{}",
        descriptions[0]
    );
    assert_eq!(
        descriptions[1],
        "Error:External System Reference Number (R-{system}) of System (SAP) Already Exists. \
         - Description:The external reference must identify one customer event."
    );
}

// ---------------------------------------------------------------------------------------------
// A CSV row cut off inside a quoted field, with no request unique identifier, is echoed
// with `null` as its identifier: README ("Empty request unique identifier"), `""` is
// reported as `null`, as an absent one and an empty CSV cell are.

#[test]
fn csv_row_cut_off_in_quotes_without_identifier_echoes_null() {
    let store = Store::new();
    let file = store.file(
        "cut.csv",
        "request_unique_identifier,website\n,\"never closed",
    );
    let run = import(&store, &["--kind", "web", &file]);
    run.code(1);
    let report = run.json();
    let entries = set(&report, UNPROCESSED);
    assert_eq!(entries.len(), 1, "{report}");
    assert_eq!(entries[0]["error_code"], "InvalidParameterValueException");
    assert_eq!(
        entries[0]["request_unique_identifier"],
        Value::Null,
        "{report}"
    );
}

// ---------------------------------------------------------------------------------------------
// An input that cannot be read at all (here a directory named *.csv, *.json or *.ndjson)
// is rejected, and when it is the only input the envelope's `data` is `null`, for NDJSON
// as for CSV and JSON: docs/spec.md §4 / README ("When every input is rejected, `data` is
// `null`").

#[test]
fn an_unreadable_ndjson_input_alone_gives_null_data() {
    let store = Store::new();
    for name in ["input.csv", "input.json", "input.ndjson"] {
        let dir = store.dir().join(name);
        std::fs::create_dir(&dir).unwrap();
        let run = import(&store, &["--kind", "web", dir.to_str().unwrap()]);
        run.code(2);
        let report = run.json();
        assert_eq!(
            report["status"]["code"], "InvalidRequestDocumentException",
            "{name}: {report}"
        );
        assert_eq!(report["data"], Value::Null, "{name}: {report}");
    }
}

// ---------------------------------------------------------------------------------------------
// `"fields_set": ""` counts as not given, like `"fields_set": null`: every field is
// returned, a processed entry's `id` and `number` among them. The seed: "If not specified
// then all the available fields will be returned"; README: `null`, `""`, `[]` count as not
// given.

#[test]
fn an_empty_fields_set_returns_every_field() {
    let store = Store::new();
    let doc = json!({
        "token": "t",
        "fields_set": "",
        "web_customer_events_set": [web_event_at("1", "w")]
    });
    let file = store.file("web.json", doc.to_string());
    let run = import(&store, &["--reference", &reference(), &file]);
    run.code(0);
    let report = run.json();
    let entry = &set(&report, PROCESSED)[0];
    assert!(
        entry.get("id").is_some() && entry.get("number").is_some(),
        "{report}"
    );
}

// ---------------------------------------------------------------------------------------------
// Guards: the "fresh kind" lookup skipping (a kind with no events before the run is looked
// up in what the run created, not in the store).

/// Guards: in a fresh store, one run with batches of 1 over two files of the same kind
/// (JSON, then NDJSON and CSV forms of the same events) recognises every event created by
/// an earlier batch or file (same id and number), rejects a reused external reference and
/// a second referral of a participant in a later batch, and a dry run reports exactly the
/// same. Then a real re-run in a second process reports the originals again.
#[test]
fn fresh_store_skipping_never_misses_an_event_of_this_run() {
    let store = Store::new();
    let mut a = web_event_at("A", "w");
    a["external_system_reference_number"] = json!("E1");
    let mut b = web_event_at("B", "w2");
    b["external_system_reference_number"] = json!("E1");
    let web_a = store.file("a.ndjson", ndjson(&[a.clone(), web_event_at("C", "w")]));
    let web_b = store.file("b.ndjson", ndjson(&[b, a, web_event_at("C", "w")]));
    let refs_1 = store.file(
        "r1.ndjson",
        ndjson(&[referral("R1", "RP0000000017", "RP0000000010")]),
    );
    let refs_2 = store.file(
        "r2.ndjson",
        ndjson(&[
            referral("R2", "RP0000000017", "RP0000000012"),
            // already referred in the reference data (RP0000000004 by RP0000000001)
            referral("R3", "RP0000000004", "RP0000000010"),
            referral("R1", "RP0000000017", "RP0000000010"),
        ]),
    );
    let common = [
        "--reference",
        &reference(),
        "--id-seed",
        "9",
        "--batch-size",
        "1",
    ];
    let web = |store: &Store, dry: bool| {
        let mut args = common.to_vec();
        if dry {
            args.push("--dry-run");
        }
        args.extend(["--kind", "web", &web_a, &web_b]);
        import(store, &args)
    };
    let refs = |store: &Store, dry: bool| {
        let mut args = common.to_vec();
        if dry {
            args.push("--dry-run");
        }
        args.extend(["--kind", "referrals", &refs_1, &refs_2]);
        import(store, &args)
    };
    let dry_web = web(&store, true);
    let dry_refs = refs(&store, true);
    assert!(!store.db().exists(), "a dry run created the store");
    let real_web = web(&store, false);
    let real_refs = refs(&store, false);
    assert_eq!(dry_web.stdout, real_web.stdout, "dry run differs (web)");
    assert_eq!(dry_refs.stdout, real_refs.stdout, "dry run differs (refs)");
    real_web.code(1);
    let report = real_web.json();
    assert_eq!(
        pairs(&report, PROCESSED, "number"),
        [("A", "1"), ("C", "2"), ("A", "1"), ("C", "2")].map(|(r, n)| (r.into(), n.into()))
    );
    assert_eq!(
        pairs(&report, UNPROCESSED, "error_code"),
        [(
            "B".to_owned(),
            "DuplicateExternalReferenceException".to_owned()
        )]
    );
    real_refs.code(1);
    let report = real_refs.json();
    assert_eq!(
        pairs(&report, PROCESSED, "number"),
        [("R1", "1"), ("R1", "1")].map(|(r, n)| (r.into(), n.into()))
    );
    assert_eq!(
        pairs(&report, UNPROCESSED, "error_code"),
        [
            ("R2", "ReferredByAnotherParticipantException"),
            ("R3", "ReferredByAnotherParticipantException")
        ]
        .map(|(r, c)| (r.into(), c.into()))
    );
    // A re-run (new process, store no longer fresh) and a dry run over the filled store
    // give the same reports.
    assert_eq!(web(&store, false).stdout, real_web.stdout);
    assert_eq!(refs(&store, true).stdout, real_refs.stdout);
}

/// Guards: a kind that is fresh in this run while another kind already has events (an
/// earlier run of a different kind) still finds a referral recorded by an earlier run
/// once that kind has events, and numbering per kind continues without gaps or reuse.
#[test]
fn numbering_continues_per_kind_across_runs_and_kinds() {
    let store = Store::new();
    let w1 = store.file("w1.ndjson", ndjson(&[web_event_at("1", "w")]));
    let r1 = store.file(
        "r1.ndjson",
        ndjson(&[referral("R1", "RP0000000014", "RP0000000012")]),
    );
    let r2 = store.file(
        "r2.ndjson",
        ndjson(&[
            referral("R9", "RP0000000014", "RP0000000010"),
            referral("R10", "RP0000000017", "RP0000000010"),
        ]),
    );
    let w2 = store.file(
        "w2.ndjson",
        ndjson(&[web_event_at("2", "w"), web_event_at("1", "w")]),
    );
    store
        .import(&["--reference", &reference(), "--kind", "web", &w1])
        .code(0);
    import(&store, &["--kind", "referrals", &r1]).code(0);
    let run = import(&store, &["--kind", "referrals", &r2]);
    run.code(1);
    let report = run.json();
    assert_eq!(
        pairs(&report, PROCESSED, "number"),
        [("R10".to_owned(), "2".to_owned())]
    );
    assert_eq!(
        pairs(&report, UNPROCESSED, "error_code"),
        [(
            "R9".to_owned(),
            "ReferredByAnotherParticipantException".to_owned()
        )]
    );
    let run = import(&store, &["--kind", "web", &w2]);
    run.code(0);
    assert_eq!(
        pairs(&run.json(), PROCESSED, "number"),
        [("2", "2"), ("1", "1")].map(|(r, n)| (r.into(), n.into()))
    );
}

/// Guards: CSV line items one per row and the same events as NDJSON are the same content
/// (a re-run in the other format creates nothing), and a CSV group whose later row
/// disagrees is InconsistentEventRowsException while the next group still imports.
#[test]
fn csv_groups_match_ndjson_and_disagreeing_rows_are_unprocessed() {
    let store = Store::new();
    let csv = store.file(
        "p.csv",
        "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,reference_number,products_set.product_identifier.code,products_set.net_amount,products_set.vat_amount,products_set.total_amount\n\
         1,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF01,Bronze,10.50,0,10.5\n\
         1,,,,,Serendipity,1,0,1\n\
         2,ACR0000000228,Admin Unit,2016-06-22T15:00:00,RF01,Bronze,1,0,1\n\
         2,,,,RF02,Bronze,1,0,1\n",
    );
    let event = json!({
        "request_unique_identifier": "1",
        "accounts_receivable_identifier": {"number": "ACR0000000228"},
        "performed_by_unit_identifier": {"name": "Admin Unit"},
        "performed_on": "2016-06-22T15:00:00",
        "reference_number": "RF01",
        "products_set": [
            {"product_identifier": {"code": "Bronze"}, "quantity": 1, "net_amount": 10.5, "vat_amount": 0, "total_amount": 10.50},
            {"product_identifier": {"code": "Serendipity"}, "net_amount": 1, "vat_amount": 0.0, "total_amount": 1}
        ]
    });
    let nd = store.file("p.ndjson", ndjson(&[event]));
    let run = import(
        &store,
        &["--reference", &reference(), "--kind", "purchases", &csv],
    );
    run.code(1);
    let report = run.json();
    assert_eq!(
        pairs(&report, PROCESSED, "number"),
        [("1".to_owned(), "1".to_owned())]
    );
    assert_eq!(
        pairs(&report, UNPROCESSED, "error_code"),
        [("2".to_owned(), "InconsistentEventRowsException".to_owned())]
    );
    let run = import(&store, &["--kind", "purchases", &nd]);
    run.code(0);
    assert_eq!(
        pairs(&run.json(), PROCESSED, "number"),
        [("1".to_owned(), "1".to_owned())]
    );
}
