//! `import --rejects`: every unprocessed event written back in its input's format (CSV
//! rows under the input's header, NDJSON lines, a JSON request document with the same set
//! key), as the input had it, with `cebulk_error_code`, `cebulk_error_description` and
//! `cebulk_source`; imported as it is once the reference data is fixed, it gives what a
//! clean import gives.

use serde_json::Value;

use crate::support::{PROCESSED, Run, Store, UNPROCESSED, fixture, set};

/// The fix of the fixtures' two missing accounts (ACR00008 and ACR0000058).
fn fix() -> String {
    fixture("missing_accounts.json")
}

/// `import --kind KIND --reference fixtures/reference.json --report out.json --rejects
/// REJECTS ARGS…`
fn import_with_rejects(store: &Store, kind: &str, rejects: &str, args: &[&str]) -> Run {
    let reference = fixture("reference.json");
    let flags = [
        "--kind",
        kind,
        "--reference",
        &reference,
        "--report",
        "out.json",
        "--rejects",
        rejects,
    ];
    store.import(&[&flags[..], args].concat())
}

/// The report of a run that wrote it to standard output.
fn report(run: &Run) -> Value {
    run.json()
}

fn ruis(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| {
            e["request_unique_identifier"]
                .as_str()
                .unwrap_or("null")
                .to_owned()
        })
        .collect()
}

/// Imports `input` (with the fixtures' reference data, which lacks two accounts) writing
/// rejects to `rejects`; loads the missing accounts; imports the rejects file as it is;
/// and checks that the store then lists what a clean import of `input` lists. Returns the
/// rejects file's text.
fn round_trip(input: &str, kind: &[&str], reference: &str, rejects: &str) -> String {
    let store = Store::new();
    let mut args = vec!["--id-seed", "1", "--reference", reference];
    args.extend(kind);
    let first = store.import(&[&args[..], &["--rejects", rejects, input]].concat());
    first.code(1);
    let first_report = report(&first);
    assert_eq!(
        ruis(set(&first_report, UNPROCESSED)),
        ["33", "34"],
        "{}",
        first.context()
    );
    let text = std::fs::read_to_string(store.path(rejects)).unwrap();

    store.run(&["reference", "load", &fix()]).code(0);
    let mut again = vec!["--id-seed", "1"];
    again.extend(kind);
    let second = store.import(&[&again[..], &["--rejects", "again", rejects]].concat());
    second.code(0);
    let second_report = report(&second);
    assert_eq!(
        ruis(set(&second_report, PROCESSED)),
        ["33", "34"],
        "{}",
        second.context()
    );
    assert!(set(&second_report, UNPROCESSED).is_empty());

    let clean = Store::new();
    clean.run(&["reference", "load", reference]).code(0);
    clean.run(&["reference", "load", &fix()]).code(0);
    let mut args = vec!["--id-seed", "1"];
    args.extend(kind);
    clean.import(&[&args[..], &[input]].concat()).code(0);
    assert_eq!(
        store.events(None),
        clean.events(None),
        "the store equals a clean import"
    );
    assert_eq!(store.reference_rows(), clean.reference_rows());
    text
}

#[test]
fn csv_rows_of_line_items_come_back_all_under_the_header_and_reimport() {
    let input = fixture("requests/purchases.csv");
    let text = round_trip(
        &input,
        &["--kind", "purchases"],
        &fixture("reference"),
        "rejects.csv",
    );
    let lines: Vec<&str> = text.lines().collect();
    let source = std::fs::read_to_string(&input).unwrap();
    let header = source.lines().next().unwrap();
    assert_eq!(
        lines[0],
        format!("{header},cebulk_error_code,cebulk_error_description,cebulk_source")
    );
    // Both rows of each event, as the input had them, then the annotations.
    let input_rows: Vec<&str> = source.lines().skip(5).collect();
    assert_eq!(lines.len(), 5, "{text}");
    for (row, (input_row, at)) in lines[1..].iter().zip(input_rows.iter().zip([6, 6, 8, 8])) {
        let missing = if at == 6 { "ACR00008" } else { "ACR0000058" };
        assert_eq!(
            *row,
            format!(
                "{input_row},NotFoundAPIValueException,Error:Account ({missing}) Not Found. - \
                 Description:The specified API value was not found.,{input}:{at}"
            )
        );
    }
}

#[test]
fn indexed_csv_rows_reimport() {
    let store = Store::new();
    let header = "request_unique_identifier,accounts_receivable_identifier.number,\
        performed_by_unit_identifier.name,performed_on,reference_number,\
        products_set.0.product_identifier.code,products_set.0.total_amount,\
        products_set.0.net_amount,products_set.0.vat_amount,\
        products_set.1.product_identifier.code,products_set.1.total_amount,\
        products_set.1.net_amount,products_set.1.vat_amount";
    let mut text = format!("{header}\n");
    for (rui, account) in [
        ("31", "ACR0000000228"),
        ("32", "ACR0000000228"),
        ("33", "ACR00008"),
        ("34", "ACR0000058"),
    ] {
        text.push_str(&format!(
            "{rui},{account},Admin Unit,2016-06-22T15:00:00,RF01,Serendipity,60,50,10,\
             Bronze,180,160,20\n"
        ));
    }
    let input = store.file("indexed.csv", &text);
    let rejects = round_trip(
        &input,
        &["--kind", "purchases"],
        &fixture("reference.json"),
        "r.csv",
    );
    let rows: Vec<&str> = rejects.lines().collect();
    assert_eq!(rows.len(), 3, "{rejects}");
    assert!(
        rows[1].starts_with(text.lines().nth(3).unwrap()),
        "{rejects}"
    );
    assert!(rows[1].ends_with(&format!("{input}:4")), "{rejects}");
    assert!(rows[2].ends_with(&format!("{input}:5")), "{rejects}");
}

#[test]
fn ndjson_lines_come_back_with_the_annotations_as_keys_and_reimport() {
    let input = fixture("requests/purchases.ndjson");
    let text = round_trip(
        &input,
        &["--kind", "purchases"],
        &fixture("reference.json"),
        "r.ndjson",
    );
    let source = std::fs::read_to_string(&input).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for (line, (input_line, at)) in lines.iter().zip(source.lines().skip(2).zip([3, 4])) {
        // The line as written, the annotations added before its closing brace.
        let open = input_line.trim_end().strip_suffix('}').unwrap();
        assert!(line.starts_with(open), "{line}\nis not\n{input_line}");
        let event: Value = serde_json::from_str(line).unwrap();
        assert_eq!(event["cebulk_error_code"], "NotFoundAPIValueException");
        assert_eq!(event["cebulk_source"], format!("{input}:{at}"));
    }
}

#[test]
fn a_json_document_comes_back_with_its_set_key_and_reimports() {
    let input = fixture("requests/purchases.json");
    let text = round_trip(&input, &[], &fixture("reference.json"), "r.json");
    let document: Value = serde_json::from_str(&text).unwrap();
    let original: Value = serde_json::from_str(&std::fs::read_to_string(&input).unwrap()).unwrap();
    let events = document["purchase_customer_events_set"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{text}");
    assert_eq!(document["token"], original["token"]);
    for (event, original) in events
        .iter()
        .zip(&original["purchase_customer_events_set"].as_array().unwrap()[2..])
    {
        let mut without = event.clone();
        for key in [
            "cebulk_error_code",
            "cebulk_error_description",
            "cebulk_source",
        ] {
            assert!(
                without.as_object_mut().unwrap().remove(key).is_some(),
                "{key}"
            );
        }
        assert_eq!(&without, original);
    }
    // The line each event starts on in the document.
    let source = std::fs::read_to_string(&input).unwrap();
    let line_of = |rui: &str| {
        1 + source
            .lines()
            .position(|l| l.contains(&format!("\"request_unique_identifier\": \"{rui}\"")))
            .unwrap()
            - 1
    };
    assert_eq!(
        events[0]["cebulk_source"],
        format!("{input}:{}", line_of("33"))
    );
}

#[test]
fn unreadable_rows_and_empty_identifiers_come_back_as_read_with_their_line() {
    let store = Store::new();
    let csv = "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,website\n\
               1,ACR0000000020,Admin Unit,2016-06-22T15:00:00,w\n\
               2,ACR0000000020,Admin Unit\n\
               ,ACR0000000020,Admin Unit,2016-06-22T15:00:00,w\n\
               4,ACR0000000020,Admin Unit,2016-06-22T15:00:00,w,extra,\"x\"\"y\"\n";
    let input = store.file("web.csv", csv);
    let run = import_with_rejects(&store, "web", "rejects.csv", &[&input]);
    run.code(1);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_path(store.path("rejects.csv"))
        .unwrap();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), 4, "{rows:?}");
    // The ragged row: its three cells as read, then the annotations.
    assert_eq!(rows[1][..3], ["2", "ACR0000000020", "Admin Unit"]);
    assert_eq!(rows[1][3], "InvalidParameterValueException");
    assert_eq!(rows[1][5], format!("{input}:3"));
    // The row with no identifier, in the header's columns.
    assert_eq!(rows[2][0], "");
    assert_eq!(rows[2][5], "MissingMandatoryParameterException");
    assert_eq!(rows[2][7], format!("{input}:4"));
    // The long row: every cell as read (a quote in a cell kept).
    assert_eq!(rows[3][5..7], ["extra", "x\"y"]);
    assert_eq!(rows[3][9], format!("{input}:5"));

    let ndjson = "{\"request_unique_identifier\":\"1\",\n\n{\"request_unique_identifier\":\"\",\"website\":\"w\"}\n[1]\n";
    let input = store.file("web.ndjson", ndjson);
    let run = import_with_rejects(&store, "web", "rejects.ndjson", &[&input]);
    run.code(1);
    let text = std::fs::read_to_string(store.path("rejects.ndjson")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(
        lines[0]["cebulk_text"],
        "{\"request_unique_identifier\":\"1\","
    );
    assert_eq!(lines[0]["cebulk_source"], format!("{input}:1"));
    assert_eq!(lines[1]["request_unique_identifier"], "");
    assert_eq!(lines[1]["cebulk_source"], format!("{input}:3"));
    assert_eq!(lines[2]["cebulk_text"], "[1]");
    assert_eq!(lines[2]["cebulk_source"], format!("{input}:4"));
}

#[test]
fn every_event_processed_leaves_a_rejects_file_with_only_its_header() {
    let store = Store::new();
    let input = fixture("requests/web.csv");
    let run = import_with_rejects(&store, "web", "rejects.csv", &["--id-seed", "1", &input]);
    let text = std::fs::read_to_string(store.path("rejects.csv")).unwrap();
    let unprocessed = set(
        &serde_json::from_str(&std::fs::read_to_string(store.path("out.json")).unwrap()).unwrap(),
        UNPROCESSED,
    )
    .len();
    assert_eq!(
        text.lines().count(),
        1 + unprocessed,
        "{text}\n{}",
        run.context()
    );
}

#[test]
fn several_inputs_write_one_rejects_file_each_in_a_directory() {
    let store = Store::new();
    let csv = fixture("requests/purchases.csv");
    let ndjson = fixture("requests/purchases.ndjson");
    let run = import_with_rejects(&store, "purchases", "rejects", &[&csv, &ndjson]);
    run.code(1);
    let csv_rejects = std::fs::read_to_string(store.path("rejects/purchases.csv")).unwrap();
    let ndjson_rejects = std::fs::read_to_string(store.path("rejects/purchases.ndjson")).unwrap();
    assert_eq!(csv_rejects.lines().count(), 5, "{csv_rejects}");
    // The same events: the NDJSON's 31 and 32 are the CSV's, recognised.
    assert_eq!(ndjson_rejects.lines().count(), 2, "{ndjson_rejects}");

    // Two inputs of one name cannot share a directory.
    std::fs::create_dir(store.path("other")).unwrap();
    let copy = store.path("other/purchases.csv");
    std::fs::copy(&csv, &copy).unwrap();
    let run = store.import(&["--kind", "purchases", "--rejects", "rejects", &csv, &copy]);
    run.code(2);
    assert!(
        run.stderr.contains("two inputs are named purchases.csv"),
        "{}",
        run.context()
    );
}

#[test]
fn a_rejects_path_that_is_an_input_or_the_store_is_refused() {
    let store = Store::new();
    let input = store.file(
        "in.csv",
        std::fs::read_to_string(fixture("requests/web.csv")).unwrap(),
    );
    for path in [input.as_str(), store.db().to_str().unwrap()] {
        let run = store.import(&["--kind", "web", "--rejects", path, &input]);
        run.code(2);
        assert!(run.stderr.contains("--rejects"), "{}", run.context());
        assert!(!store.exists(), "{}", run.context());
    }
    assert_eq!(
        std::fs::read_to_string(&input).unwrap(),
        std::fs::read_to_string(fixture("requests/web.csv")).unwrap()
    );
}

#[test]
fn a_line_over_the_cap_is_annotated_not_copied() {
    let store = Store::new();
    let long = format!("{{\"website\":\"{}\"}}", "w".repeat(1 << 20));
    let input = store.file("web.ndjson", format!("{long}\n{{}}\n"));
    let run = import_with_rejects(&store, "web", "rejects.ndjson", &[&input]);
    run.code(1);
    let text = std::fs::read_to_string(store.path("rejects.ndjson")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{}", run.context());
    assert_eq!(lines[0]["cebulk_source"], format!("{input}:1"));
    assert!(lines[0].get("cebulk_text").is_none() && lines[0].get("website").is_none());
    assert!(text.len() < 4096, "the long line was copied");
    assert_eq!(lines[1]["cebulk_source"], format!("{input}:2"));
}

#[test]
fn standard_input_is_named_stdin_in_the_source() {
    let store = Store::new();
    let csv = std::fs::read(fixture("requests/purchases.csv")).unwrap();
    let reference = fixture("reference");
    let run = store
        .cebulk()
        .args([
            "import",
            "--kind",
            "purchases",
            "--format",
            "csv",
            "--reference",
            &reference,
        ])
        .args(["--report", "out.json", "--rejects", "rejects.csv", "-"])
        .stdin(csv)
        .run();
    run.code(1);
    let text = std::fs::read_to_string(store.path("rejects.csv")).unwrap();
    let sources: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(
        sources,
        ["stdin:6", "stdin:6", "stdin:8", "stdin:8"],
        "{text}"
    );
}

#[test]
fn a_mapped_partner_files_rejects_keep_its_delimiter_and_reimport_through_the_same_profile() {
    // A gzipped, semicolon-separated partner export read through its profile, into a store
    // that lacks the reference data: every event is unprocessed.
    let input = fixture("partners/shopline-orders.csv.gz");
    let profile = fixture("partners/shopline.toml");
    let reference = fixture("reference");
    let mapped = ["--id-seed", "1", "--kind", "purchases", "--map", &profile];
    let store = Store::new();
    let first = store.import(&[&mapped[..], &["--rejects", "rejects.csv", &input]].concat());
    first.code(1);
    let text = std::fs::read_to_string(store.path("rejects.csv")).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.starts_with("Order No;Customer No;")
            && header.ends_with(";cebulk_error_code;cebulk_error_description;cebulk_source"),
        "the rejects file is written in the input's dialect: {header}"
    );

    store.run(&["reference", "load", &reference]).code(0);
    let second = store.import(&[&mapped[..], &["rejects.csv"]].concat());
    second.code(0);
    assert!(set(&report(&second), UNPROCESSED).is_empty());

    let clean = Store::new();
    clean.run(&["reference", "load", &reference]).code(0);
    clean.import(&[&mapped[..], &[&input]].concat()).code(0);
    assert_eq!(
        store.events(None),
        clean.events(None),
        "the store equals a clean import"
    );
}

#[test]
fn a_crlf_file_names_the_same_lines_as_its_lf_twin() {
    // Excel writes CRLF; the csv crate counts such a row's line one short
    // (BurntSushi/rust-csv#395), which cebulk corrects.
    let lf = "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,website\n\
              a1,NOPE,Admin Unit,2016-06-22T15:00:00,x\n\
              a2,ACR0000000020,Admin Unit,2016-06-22T15:00:00,\"multi\nline\"\n\
              a3,too,few\n\
              a4,NOPE,Admin Unit,2016-06-22T15:00:00,x\n";
    let crlf = lf.replace('\n', "\r\n");
    let store = Store::new();
    let sources = |name: &str, text: &str| {
        let input = store.file(name, text);
        let rejects = format!("{name}.rejects");
        import_with_rejects(&store, "web", &rejects, &[&input]).code(1);
        let written = std::fs::read_to_string(store.path(&rejects)).unwrap();
        written
            .lines()
            .filter_map(|row| {
                row.rsplit_once(&format!("{name}:"))
                    .map(|(_, line)| line.to_owned())
            })
            .collect::<Vec<_>>()
    };
    let lf_lines = sources("lf.csv", lf);
    assert_eq!(lf_lines, ["2", "5", "6"]);
    assert_eq!(sources("crlf.csv", &crlf), lf_lines);
}
