//! Partner files as they come: other delimiters, gzip and zstd (files and standard input,
//! truncated and corrupt), forgiving headers, `--skip-unknown-columns`, `cebulk columns`
//! and its template, mapping profiles (`--map`) and their errors, and a single reference
//! CSV file.

use std::io::Write;

use serde_json::Value;

use crate::support::{PROCESSED, Store, UNPROCESSED, crate_path, fixture, set};

/// The web fixture's header and rows, written with `delimiter`.
fn web_csv(delimiter: &str) -> String {
    std::fs::read_to_string(fixture("requests/web.csv"))
        .unwrap()
        .replace(',', delimiter)
}

/// `n` valid web events as CSV (`w-0`, `w-1`, …).
fn web_rows(n: usize) -> String {
    let mut text = String::from(
        "request_unique_identifier,accounts_receivable_identifier.number,performed_by_unit_identifier.name,performed_on,website\n",
    );
    for i in 0..n {
        text.push_str(&format!(
            "w-{i},ACR0000000020,Admin Unit,2016-06-22T15:00:00,www.crm.com/{i}\n"
        ));
    }
    text
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

/// `text` gzipped and zstd-compressed, each with its compression's name.
fn archives(text: &str) -> [(&'static str, Vec<u8>); 2] {
    [
        ("gzip", gzip(text.as_bytes())),
        ("zstd", zstd(text.as_bytes())),
    ]
}

fn ruis(report: &Value, name: &str) -> Vec<String> {
    set(report, name)
        .iter()
        .map(|e| {
            e["request_unique_identifier"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

/// The store's events as `cebulk events` lists them.
fn listing(store: &Store) -> Vec<Value> {
    store.events(None)
}

/// A fresh store into which the web CSV `text`, written as `name`, was imported with
/// `args`, the fixtures' reference data and id seed 1 (the fixture's two invalid events
/// unprocessed).
fn seeded_web(name: &str, text: &str, args: &[&str]) -> Store {
    let store = Store::new();
    let input = store.file(name, text);
    let reference = fixture("reference");
    let mut all = vec!["--id-seed", "1", "--kind", "web", "--reference", &reference];
    all.extend(args);
    all.push(&input);
    store.import(&all).code(1);
    store
}

/// The description of a rejected input's status.
fn rejection(run: &crate::support::Run) -> String {
    run.json()["status"]["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn each_delimiter_reads_the_same_events() {
    let expected = listing(&seeded_web("web.csv", &web_csv(","), &[]));
    assert_eq!(expected.len(), 2, "the fixture has two valid web events");
    for (delimiter, flag, name) in [
        (";", Some(";"), "web.csv"),
        ("|", Some("|"), "web.csv"),
        ("\t", Some("tab"), "web.csv"),
        ("\t", None, "web.tsv"),
        (",", Some(","), "web.csv"),
    ] {
        let flag: Vec<&str> = flag
            .map(|f| ["--delimiter", f])
            .into_iter()
            .flatten()
            .collect();
        let store = seeded_web(name, &web_csv(delimiter), &flag);
        assert_eq!(
            listing(&store),
            expected,
            "delimiter {delimiter:?} ({name})"
        );
    }
}

#[test]
fn a_header_in_another_delimiter_is_an_error_naming_the_flag() {
    let store = Store::new();
    for (delimiter, flag) in [
        (";", "--delimiter ';'"),
        ("\t", "--delimiter tab"),
        ("|", "--delimiter '|'"),
    ] {
        let input = store.file("web.csv", web_csv(delimiter));
        let run = store.import(&["--kind", "web", &input]);
        run.code(2);
        assert!(rejection(&run).contains(flag), "{}", run.context());
    }
    assert_eq!(store.count_or_zero("events"), 0);
}

#[test]
fn gzip_and_zstd_are_read_from_files_and_standard_input_whatever_their_names() {
    let reference = fixture("reference");
    let text = web_rows(50);
    for (what, bytes) in archives(&text) {
        for name in ["events.csv.gz", "events.csv.zst", "events.csv"] {
            let store = Store::new();
            let input = store.file(name, &bytes);
            let run = store.import(&["--kind", "web", "--reference", &reference, &input]);
            run.code(0);
            assert_eq!(set(&run.json(), PROCESSED).len(), 50, "{what} as {name}");
        }
        let store = Store::new();
        let run = store
            .cebulk()
            .args([
                "import",
                "--kind",
                "web",
                "--format",
                "csv",
                "--reference",
                &reference,
                "-",
            ])
            .stdin(bytes.clone())
            .run();
        run.code(0);
        assert_eq!(
            set(&run.json(), PROCESSED).len(),
            50,
            "{what} on standard input"
        );
    }
    // NDJSON too, its format from the name under the suffix.
    let store = Store::new();
    let ndjson = crate::support::ndjson(&[crate::support::web_event_at("n-1", "www.crm.com")]);
    let input = store.file("events.ndjson.gz", gzip(ndjson.as_bytes()));
    store
        .import(&["--kind", "web", "--reference", &reference, &input])
        .code(0);
}

#[test]
fn a_truncated_or_corrupt_archive_names_the_file_and_keeps_the_batches_before() {
    let reference = fixture("reference");
    let text = web_rows(3000);
    for (what, archive) in archives(&text) {
        let truncated = archive[..archive.len() * 3 / 4].to_vec();
        let mut corrupt = archive.clone();
        let middle = corrupt.len() * 3 / 4;
        for byte in &mut corrupt[middle..middle + 64] {
            *byte ^= 0x5a;
        }
        for (damage, bytes) in [("truncated", truncated), ("corrupt", corrupt)] {
            for stdin in [false, true] {
                let store = Store::new();
                let input = store.file("events.csv.gz", &bytes);
                let mut command = store.cebulk().args([
                    "import",
                    "--kind",
                    "web",
                    "--batch-size",
                    "100",
                    "--reference",
                    &reference,
                ]);
                command = match stdin {
                    false => command.arg(&input),
                    true => command.args(["--format", "csv", "-"]).stdin(bytes.clone()),
                };
                let run = command.run();
                let context = format!("{what} {damage} stdin={stdin}\n{}", run.context());
                run.code_without_panic(2);
                let report = run.json();
                let description = rejection(&run);
                let name = if stdin { "-" } else { input.as_str() };
                assert!(description.starts_with(name), "{context}");
                assert!(description.contains(what), "{context}");
                assert!(description.contains("compressed bytes"), "{context}");
                assert!(description.contains("line "), "{context}");
                let processed = set(&report, PROCESSED).len();
                // The events read before the damage are committed, batch after batch.
                assert!((100..3000).contains(&processed), "{context}");
                assert_eq!(store.count("events"), processed as i64, "{context}");
            }
        }
    }
}

#[test]
fn a_gzip_bomb_is_read_through_the_row_cap() {
    // 16 MiB of zero bytes, no line end among them, in 16 gzip members of 1 MiB each (a
    // member is compressed once): one endless-looking row between two good ones.
    let header = web_rows(0);
    let mut archive = gzip(
        format!("{header}w-1,ACR0000000020,Admin Unit,2016-06-22T15:00:00,a\nw-2,").as_bytes(),
    );
    let member = gzip(&vec![0u8; 1 << 20]);
    for _ in 0..16 {
        archive.extend_from_slice(&member);
    }
    archive.extend(gzip(
        b"\nw-3,ACR0000000020,Admin Unit,2016-06-22T15:00:00,b\n",
    ));
    let store = Store::new();
    let input = store.file("bomb.csv.gz", archive);
    let run = store.import(&[
        "--kind",
        "web",
        "--reference",
        &fixture("reference"),
        &input,
    ]);
    run.code_without_panic(1);
    let report = run.json();
    assert_eq!(
        ruis(&report, PROCESSED),
        ["w-1", "w-3"],
        "{}",
        run.context()
    );
    let error = set(&report, UNPROCESSED)[0]["error_description"].to_string();
    assert!(
        error.contains("line 3") && error.contains("1048576 bytes"),
        "{error}"
    );
}

#[test]
fn header_names_match_ignoring_case_and_surrounding_spaces() {
    let native = seeded_web("web.csv", &web_csv(","), &[]);
    let text = web_csv(",").replacen(
        "request_unique_identifier,accounts_receivable_identifier.number",
        " Request_Unique_Identifier ,ACCOUNTS_RECEIVABLE_IDENTIFIER.Number",
        1,
    );
    let store = seeded_web("web.csv", &text, &[]);
    assert_eq!(listing(&store), listing(&native));
    // The same column twice, in two spellings, is still a repeat.
    let twice = store.file("twice.csv", "website, WEBSITE\nx,y\n");
    let run = store.import(&["--kind", "web", &twice]);
    run.code(2);
    assert!(rejection(&run).contains("twice"), "{}", run.context());
}

#[test]
fn an_unknown_column_is_told_the_closest_ones_and_how_to_list_them() {
    let store = Store::new();
    let input = store.file(
        "web.csv",
        "request_unique_identifier,webiste,performed_by_unit_identifier.nmae\n1,w,u\n",
    );
    let run = store.import(&["--kind", "web", &input]);
    run.code(2);
    let description = rejection(&run);
    assert!(
        description
            .contains(r#"column "webiste" is not a parameter of web; did you mean "website"?"#),
        "{description}"
    );
    assert!(
        description.contains("cebulk columns --kind web"),
        "{description}"
    );
    let indexed = store.file(
        "purchases.csv",
        "request_unique_identifier,products_set.0.net_amont\n1,2\n",
    );
    let run = store.import(&["--kind", "purchases", &indexed]);
    assert!(
        rejection(&run).contains(r#"did you mean "products_set.0.net_amount"?"#),
        "{}",
        run.context()
    );
}

#[test]
fn skipping_unknown_columns_imports_the_rest_and_warns_once_a_column() {
    let reference = fixture("reference");
    let store = Store::new();
    let text = web_rows(2)
        .replacen(",website", ",website,utm_source,Shop Notes", 1)
        .replace("\n", ",newsletter,fragile\n")
        .replacen(",newsletter,fragile", "", 1);
    let input = store.file("web.csv", text);
    let run = store.import(&[
        "--kind",
        "web",
        "--skip-unknown-columns",
        "--reference",
        &reference,
        &input,
    ]);
    run.code(0);
    assert_eq!(set(&run.json(), PROCESSED).len(), 2, "{}", run.context());
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("warning"))
        .collect();
    assert_eq!(warnings.len(), 2, "{}", run.context());
    assert!(
        warnings[0].contains(r#"skipping column 6 ("utm_source")"#),
        "{}",
        run.context()
    );
    assert!(
        warnings[1].contains(r#"column 7 ("Shop Notes")"#),
        "{}",
        run.context()
    );
    // Quiet runs still warn: a skipped column is never silent.
    let quiet = store.import(&["--kind", "web", "--skip-unknown-columns", "--quiet", &input]);
    assert_eq!(
        quiet.stderr.matches("warning").count(),
        2,
        "{}",
        quiet.context()
    );
}

#[test]
fn columns_lists_each_kind_and_its_template_imports() {
    let store = Store::new();
    let run = store.run(&["columns", "--kind", "purchases"]);
    run.code(0);
    let text = run.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("request_unique_identifier ") && lines[0].ends_with("mandatory"));
    let account: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("accounts_receivable_identifier."))
        .collect();
    assert_eq!(account.len(), 3, "{text}");
    assert!(
        account
            .iter()
            .all(|l| l.ends_with("one of accounts_receivable_identifier.*"))
    );
    // The alternatives of an identifier come together.
    let first = lines
        .iter()
        .position(|l| l.starts_with("accounts_receivable_identifier."))
        .unwrap();
    assert!(
        lines[first..first + 3]
            .iter()
            .all(|l| l.starts_with("accounts_receivable_identifier."))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("products_set.net_amount ") && l.ends_with(" mandatory"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("udf_string_16 ") && l.ends_with(" optional"))
    );
    for kind in crate::support::KINDS {
        let template = store.run(&["columns", "--kind", kind, "--template"]);
        template.code(0);
        let input = store.file(&format!("{kind}.csv"), &template.stdout);
        let run = store.import(&["--kind", kind, "--reference", &fixture("reference"), &input]);
        run.code(0);
        assert_eq!(ruis(&run.json(), PROCESSED), ["template-1"], "{kind}");
    }
}

/// Imports `partner` through `profile` and `native` without one, each into a fresh store,
/// and checks that the stores list the same events.
fn profile_imports_as_native(kind: &str, profile: &str, partner: &str, native: &str) {
    let reference = fixture("reference");
    let mapped = Store::new();
    let run = mapped.import(&[
        "--id-seed",
        "7",
        "--kind",
        kind,
        "--reference",
        &reference,
        "--map",
        &fixture(profile),
        &fixture(partner),
    ]);
    run.code(0);
    let plain = Store::new();
    plain
        .import(&[
            "--id-seed",
            "7",
            "--kind",
            kind,
            "--reference",
            &reference,
            &fixture(native),
        ])
        .code(0);
    let events = listing(&plain);
    assert!(events.len() >= 3);
    assert_eq!(listing(&mapped), events, "{partner}");
}

#[test]
fn the_shopline_profile_imports_its_gzipped_semicolon_export_as_the_native_csv() {
    profile_imports_as_native(
        "purchases",
        "partners/shopline.toml",
        "partners/shopline-orders.csv.gz",
        "partners/shopline-native.csv",
    );
}

#[test]
fn the_clickstream_profile_imports_its_pipe_export_as_the_native_csv() {
    profile_imports_as_native(
        "web",
        "partners/clickstream.toml",
        "partners/clickstream-visits.csv",
        "partners/clickstream-native.csv",
    );
}

#[test]
fn mapping_errors_name_the_profile_line() {
    let store = Store::new();
    let input = store.file("orders.csv", "Order;Date;Net\n1;22/06/2016 15:00;12,50\n");
    let cases = [
        // An unknown cebulk path.
        (
            "[columns]\n\"Order\" = \"request_unique_identifier\"\n\"Date\" = \"performed_onn\"\n",
            "line 3",
            "did you mean \"performed_on\"",
        ),
        // A bad date format.
        (
            "\n[columns]\n\"Date\" = { path = \"performed_on\", date_format = \"%d/%m/%Y %H:%Q\" }\n",
            "line 3",
            "%Q",
        ),
        // A date format on a field that is not a date.
        (
            "[columns]\n\"Date\" = { path = \"reference_number\", date_format = \"%d/%m/%Y\" }\n",
            "line 2",
            "not one",
        ),
        // An unknown constant path.
        (
            "[constants]\n\"classification_identifier.nam\" = \"Purchase 1\"\n",
            "line 2",
            "classification_identifier.nam",
        ),
        // Not a profile at all.
        (
            "[columns]\n\"Order\" = 5\n",
            "line 2",
            "not a valid profile",
        ),
    ];
    for (profile, line, says) in cases {
        let path = store.file("p.toml", profile);
        let run = store.import(&["--kind", "purchases", "--map", &path, &input]);
        run.code(2);
        assert!(
            run.stdout.is_empty(),
            "nothing is imported\n{}",
            run.context()
        );
        assert!(
            run.stderr.contains(&format!("p.toml {line}")),
            "{line}\n{}",
            run.context()
        );
        assert!(run.stderr.contains(says), "{says}\n{}", run.context());
    }
    // A column that the file does not have: the input is rejected, naming the line.
    let path = store.file(
        "p.toml",
        "[columns]\n\"Order\" = \"request_unique_identifier\"\n\"Datum\" = \"performed_on\"\n",
    );
    let run = store.import(&[
        "--kind",
        "purchases",
        "--delimiter",
        ";",
        "--map",
        &path,
        &input,
    ]);
    run.code(2);
    let description = rejection(&run);
    assert!(description.contains("p.toml line 3"), "{description}");
    assert!(description.contains("\"Datum\""), "{description}");
    assert!(!store.exists() || store.count("events") == 0);
}

#[test]
fn a_value_that_does_not_fit_its_declared_format_makes_its_event_unprocessed() {
    let reference = fixture("reference");
    let store = Store::new();
    let profile = store.file(
        "p.toml",
        "delimiter = \";\"\n[columns]\n\"Order\" = \"request_unique_identifier\"\n\
         \"Date\" = { path = \"performed_on\", date_format = \"%d/%m/%Y %H:%M\" }\n\
         \"Net\" = { path = \"products_set.net_amount\", decimal_comma = true }\n\
         [constants]\n\"accounts_receivable_identifier.number\" = \"ACR0000000020\"\n\
         \"performed_by_unit_identifier.name\" = \"Admin Unit\"\n\"reference_number\" = \"R\"\n\
         \"products_set.product_identifier.code\" = \"Bronze\"\n\"products_set.vat_amount\" = \"0\"\n\
         \"products_set.total_amount\" = \"12.50\"\n",
    );
    let input = store.file(
        "orders.csv",
        "Order;Date;Net\n1;22/06/2016 15:00;12,50\n2;2016-06-22 15:00;12,50\n3;22/06/2016 15:00;1.250,00\n\
         4;22/06/2016 15:00;12,50\n4;22/06/2016 15:00;12.50\n5;22/06/2016 15:00;12,50\n",
    );
    let run = store.import(&[
        "--kind",
        "purchases",
        "--reference",
        &reference,
        "--map",
        &profile,
        &input,
    ]);
    run.code(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), ["1", "5"], "{}", run.context());
    assert_eq!(
        ruis(&report, UNPROCESSED),
        ["2", "3", "4"],
        "{}",
        run.context()
    );
    for entry in set(&report, UNPROCESSED) {
        assert_eq!(
            entry["error_code"], "InvalidParameterValueException",
            "{entry}"
        );
    }
    let stored: Vec<String> =
        store.column("SELECT request_unique_identifier FROM events ORDER BY seq");
    assert_eq!(stored, ["1", "5"]);
}

#[test]
fn reference_load_takes_a_single_csv_file_named_after_its_entity() {
    let store = Store::new();
    let run = store.run(&["reference", "load", &fixture("reference/currencies.csv")]);
    run.code(0);
    store
        .run(&["reference", "load", &fixture("reference/units.csv")])
        .code(0);
    assert_eq!(store.count("units"), 2);
    assert_eq!(store.count("accounts_receivable"), 0);
    let misnamed = store.file(
        "unit.csv",
        std::fs::read(fixture("reference/units.csv")).unwrap(),
    );
    let run = store.run(&["reference", "load", &misnamed]);
    run.code(2);
    assert!(run.stderr.contains("units.csv"), "{}", run.context());
    // The readme's crate path, so the fixture is known to be the one the docs name.
    assert!(std::path::Path::new(&crate_path("fixtures/partners/shopline.toml")).exists());
}
