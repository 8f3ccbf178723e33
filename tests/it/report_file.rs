//! The report file and the standard streams: `--report` never replaces an input, the
//! store or anything cebulk did not create, and is written through a temporary file of its
//! own; a report that cannot be written says where, and what the store kept; a closed or
//! abandoned standard error or output never makes cebulk panic (docs/spec.md §4, §6).

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{
    Cebulk, PROCESSED, Store, UNPROCESSED, fixture, gone_reader, ndjson, reference, set,
    web_event_at,
};

/// A web request document of events `ruis`, each valid against the reference data.
fn web_document(ruis: &[&str]) -> String {
    let events: Vec<Value> = ruis
        .iter()
        .map(|rui| web_event_at(rui, "www.crm.com"))
        .collect();
    json!({"token": "t", "web_customer_events_set": events}).to_string()
}

/// The request unique identifiers of a report's set `name`.
fn ruis(report: &Value, name: &str) -> Vec<String> {
    set(report, name)
        .iter()
        .map(|e| e["request_unique_identifier"].as_str().unwrap().to_owned())
        .collect()
}

/// A store holding the reference data.
fn store_with_reference() -> Store {
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    store
}

/// The file at `path`, parsed as a report.
fn report_at(path: impl AsRef<Path>) -> Value {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading the report {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the report {} is not JSON ({e}): {text}", path.display()))
}

/// Standard error as one line: miette's frame characters dropped and its wrapped lines
/// joined, so that a sentence can be looked for whatever the width it was drawn at.
fn one_line(stderr: &str) -> String {
    let plain: String = stderr
        .chars()
        .map(|c| if "│╰─▶×".contains(c) { ' ' } else { c })
        .collect();
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The number `N` in "N events" (or "N event") of `text`, the first such.
fn events_counted(text: &str) -> Option<i64> {
    let words: Vec<&str> = text.split(' ').collect();
    words.windows(2).find_map(|pair| {
        pair[1]
            .starts_with("event")
            .then(|| pair[0].parse().ok())
            .flatten()
    })
}

/// `count` valid web events as NDJSON, request unique identifiers `0` to `count - 1`.
fn valid_events(count: usize) -> String {
    let events: Vec<Value> = (0..count)
        .map(|i| web_event_at(&i.to_string(), "www.crm.com"))
        .collect();
    ndjson(&events)
}

// ---------------------------------------------------------------------------------------------
// What the report may not replace

#[test]
fn a_report_naming_an_input_is_refused_before_anything_is_read() {
    let store = Store::new();
    let document = web_document(&["a", "b"]);
    let input = store.file("in.json", &document);
    std::fs::create_dir(store.dir().join("sub")).unwrap();
    std::os::unix::fs::symlink(&input, store.dir().join("link.json")).unwrap();
    std::fs::hard_link(&input, store.dir().join("hard.json")).unwrap();
    let names = store.file_names();
    for report in [
        "in.json",
        "./in.json",
        "sub/../in.json",
        input.as_str(),
        "link.json",
        "hard.json",
    ] {
        let run = store.import(&["--reference", &reference(), "--report", report, "in.json"]);
        run.code_without_panic(2);
        assert!(
            run.stderr.contains(report) && run.stderr.contains("in.json"),
            "the message names the report and the input\n{}",
            run.context()
        );
        assert_eq!(std::fs::read_to_string(&input).unwrap(), document);
        assert!(!store.exists(), "the store was created\n{}", run.context());
        assert_eq!(store.file_names(), names, "{}", run.context());
        assert!(run.stdout.is_empty(), "{}", run.context());
    }

    // The file on standard input is an input too.
    let run = store
        .cebulk()
        .shell("exec < in.json")
        .args(["import", "--reference", &reference(), "--format", "json"])
        .args(["--report", "in.json", "-"])
        .run();
    run.code_without_panic(2);
    assert!(run.stderr.contains("standard input"), "{}", run.context());
    assert_eq!(std::fs::read_to_string(&input).unwrap(), document);
    assert!(!store.exists(), "the store was created\n{}", run.context());
}

/// A device replaces nothing: the same one may be an input and the report.
#[test]
fn a_device_that_is_an_input_too_is_not_refused_as_the_report() {
    let store = Store::new();
    let run = store.import(&[
        "--kind",
        "web",
        "--format",
        "ndjson",
        "--report",
        "/dev/null",
        "/dev/null",
    ]);
    run.code_without_panic(0);
}

#[test]
fn a_report_naming_the_store_or_its_journal_is_refused() {
    let store = store_with_reference();
    let input = store.file("in.json", web_document(&["a"]));
    std::os::unix::fs::symlink(store.db(), store.dir().join("link.db")).unwrap();
    let names = store.file_names();
    let bytes = store.bytes();
    for report in [
        "store.db",
        "./store.db",
        "link.db",
        "store.db-journal",
        "store.db-wal",
        "store.db-shm",
    ] {
        let run = store.import(&["--report", report, &input]);
        run.code_without_panic(2);
        assert!(
            run.stderr.contains(report) && run.stderr.contains("store"),
            "the message names the report and the store\n{}",
            run.context()
        );
        assert_eq!(store.bytes(), bytes, "the store changed\n{}", run.context());
        assert_eq!(store.file_names(), names, "{}", run.context());
    }

    // A store that does not exist yet is not created, nor replaced by the report.
    let fresh = Store::new();
    let input = fresh.file("in.json", web_document(&["a"]));
    let run = fresh.import(&["--reference", &reference(), "--report", "store.db", &input]);
    run.code_without_panic(2);
    assert_eq!(fresh.file_names(), ["in.json"], "{}", run.context());
}

#[test]
fn a_report_naming_the_reference_data_is_refused() {
    let store = Store::new();
    let text = std::fs::read_to_string(reference()).unwrap();
    let copy = store.file("reference.json", &text);
    let input = store.file("in.json", web_document(&["a"]));
    let run = store.import(&["--reference", &copy, "--report", &copy, &input]);
    run.code_without_panic(2);
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), text);
    assert!(!store.exists(), "{}", run.context());
}

#[test]
fn an_input_named_like_the_old_partial_file_is_imported_untouched() {
    let store = Store::new();
    let document = web_document(&["a", "b"]);
    let input = store.file("report.partial", &document);
    let run = store.import(&[
        "--reference",
        &reference(),
        "--format",
        "json",
        "--report",
        "report.json",
        &input,
    ]);
    run.code_without_panic(0);
    assert_eq!(std::fs::read_to_string(&input).unwrap(), document);
    let report = report_at(store.dir().join("report.json"));
    assert_eq!(ruis(&report, PROCESSED), ["a", "b"]);
    assert_eq!(store.count("events"), 2);
}

#[test]
fn a_planted_symlink_beside_the_report_is_not_followed() {
    let store = Store::new();
    let victim = store.file("victim.txt", "precious");
    let planted = store.dir().join("report.partial");
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let input = store.file("in.json", web_document(&["a"]));
    store
        .import(&[
            "--reference",
            &reference(),
            "--report",
            "report.json",
            &input,
        ])
        .code_without_panic(0);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(&planted).unwrap().is_symlink());
    let written = store.dir().join("report.json");
    assert!(
        std::fs::symlink_metadata(&written).unwrap().is_file(),
        "the report is a file of its own"
    );
    assert_eq!(ruis(&report_at(&written), PROCESSED), ["a"]);
}

/// `x.json` and `x.txt` once shared `x.partial`. The first import holds its report open
/// (waiting for its input on a pipe) while the second one writes its whole report.
#[test]
fn two_reports_of_one_stem_written_at_once_are_both_whole() {
    let store = store_with_reference();
    let reports = store.dir().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let mut first = store
        .cebulk()
        .args(["import", "--quiet", "--kind", "web", "--format", "ndjson"])
        .args(["--report", "reports/x.json", "-"])
        .spawn();
    first.wait_until("the first import opens its report", || {
        std::fs::read_dir(&reports).unwrap().next().is_some()
    });
    let second = store.file("second.json", web_document(&["s1", "s2"]));
    store
        .import(&["--quiet", "--report", "reports/x.txt", &second])
        .code_without_panic(0);
    first.feed(ndjson(&[web_event_at("f1", "www.crm.com")]).as_bytes());
    let run = first.wait();
    run.code_without_panic(0);
    assert_eq!(ruis(&report_at(reports.join("x.json")), PROCESSED), ["f1"]);
    assert_eq!(
        ruis(&report_at(reports.join("x.txt")), PROCESSED),
        ["s1", "s2"]
    );
    let mut names: Vec<String> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["x.json", "x.txt"]);
}

#[test]
fn a_report_name_of_255_characters_is_written() {
    let store = Store::new();
    let name = format!("{}.json", "r".repeat(250));
    assert_eq!(name.len(), 255);
    let run = store.import(&[
        "--reference",
        &reference(),
        "--report",
        &name,
        &fixture("requests/web.json"),
    ]);
    run.code_without_panic(1);
    assert_eq!(
        ruis(&report_at(store.dir().join(&name)), PROCESSED),
        ["06", "07"]
    );
}

/// The report file is created the way any new file is: its mode is what the user's umask
/// leaves of 0666, not the 0600 of a private temporary file.
#[test]
fn a_new_report_file_gets_the_mode_of_any_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let store = Store::new();
    let input = store.file("in.json", web_document(&["a"]));
    store
        .import(&[
            "--reference",
            &reference(),
            "--report",
            "report.json",
            &input,
        ])
        .code_without_panic(0);
    let sibling = store.dir().join("sibling");
    std::fs::File::create(&sibling).unwrap();
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o7777;
    assert_eq!(
        mode(&store.dir().join("report.json")),
        mode(&sibling),
        "the report's mode, in octal: {:o}",
        mode(&store.dir().join("report.json"))
    );
}

#[test]
fn a_report_to_dev_stdout_is_written_through() {
    let store = Store::new();
    let run = store.import(&[
        "--reference",
        &reference(),
        "--report",
        "/dev/stdout",
        &fixture("requests/web.json"),
    ]);
    run.code_without_panic(1);
    let report = run.json();
    assert_eq!(ruis(&report, PROCESSED), ["06", "07"]);
    assert_eq!(ruis(&report, UNPROCESSED), ["08", "09"]);
}

// ---------------------------------------------------------------------------------------------
// A report that cannot be written

/// 3000 web events in batches of 50, with `--id-seed 5`, into `report`.
fn import_events(store: &Store, events: &str, report: &str) -> Cebulk {
    store.cebulk().args([
        "import",
        "--kind",
        "web",
        "--batch-size",
        "50",
        "--id-seed",
        "5",
        "--quiet",
        "--report",
        report,
        events,
    ])
}

/// A device that is always full: its first write fails (ENOSPC) after some batches are
/// committed (the report is buffered), and the message names it and counts what the store
/// kept, which a re-run then recognises.
#[test]
fn a_report_into_a_full_device_names_it_and_the_events_committed() {
    let store = store_with_reference();
    let events = store.file("events.ndjson", valid_events(3000));
    let failed = import_events(&store, &events, "/dev/full").run();
    failed.code_without_panic(3);
    let message = one_line(&failed.stderr);
    assert!(
        message.contains("cannot write the report to /dev/full"),
        "{}",
        failed.context()
    );
    let committed = store.count("events");
    assert!(committed > 0, "{}", failed.context());
    assert_eq!(
        events_counted(&message),
        Some(committed),
        "the message counts the events in the store\n{}",
        failed.context()
    );
    assert!(message.contains("re-run"), "{}", failed.context());

    let rerun = import_events(&store, &events, "report.json").run();
    rerun.code_without_panic(0);
    let report = report_at(store.dir().join("report.json"));
    assert_eq!(set(&report, PROCESSED).len(), 3000);
    assert_eq!(store.count("events"), 3000);
    assert_eq!(
        store.query_i64("SELECT max(number) FROM events"),
        3000,
        "the re-run created each event once"
    );
}

/// A report file that reaches the file size limit (the disk is "full"; the shell ignores
/// SIGXFSZ, so the write fails with EFBIG): the earlier report stays whole, nothing of the
/// failed one is left, and the message names the file. The run re-imports events that are
/// already stored, so that only the report grows.
#[test]
fn a_report_file_that_cannot_be_written_leaves_the_earlier_one_and_names_its_path() {
    let store = store_with_reference();
    let events = store.file("events.ndjson", valid_events(3000));
    let report = store.path("report.json");
    import_events(&store, &events, &report)
        .run()
        .code_without_panic(0);
    let earlier = std::fs::read(&report).unwrap();
    let names = store.file_names();

    let failed = import_events(&store, &events, &report)
        .shell(r#"trap "" XFSZ; ulimit -f 100"#)
        .run();
    failed.code_without_panic(3);
    let message = one_line(&failed.stderr);
    assert!(
        message.contains(&format!("cannot write the report to {report}")),
        "{}",
        failed.context()
    );
    let counted = events_counted(&message).unwrap_or(0);
    assert!(
        (1..=3000).contains(&counted),
        "the message counts the committed events\n{}",
        failed.context()
    );
    assert!(message.contains("re-run"), "{}", failed.context());
    assert_eq!(std::fs::read(&report).unwrap(), earlier);
    // The run's row in the store's history is written past the limit too, and fails (a
    // warning); SQLite keeps the journal it could not roll back the pages with, and the
    // next connection to open the store rolls it back, as after a crash.
    assert!(
        failed.stderr.contains("is not in the store's history"),
        "{}",
        failed.context()
    );
    let left: Vec<String> = store
        .file_names()
        .into_iter()
        .filter(|name| name != "store.db-journal")
        .collect();
    assert_eq!(left, names, "{}", failed.context());
    assert_eq!(store.count("events"), 3000);
    assert_eq!(
        store.count("imports"),
        1,
        "the failed run is not in the history"
    );
    assert_eq!(store.file_names(), names, "{}", failed.context());
}

/// The report keeps its unprocessed entries in a temporary file: a `TMPDIR` that cannot hold
/// it is named as such.
#[test]
fn a_tmpdir_that_does_not_exist_is_named() {
    let store = store_with_reference();
    let missing = store.path("no-such-directory");
    let run = store
        .cebulk()
        .shell(&format!("TMPDIR='{missing}'; export TMPDIR"))
        .args(["import", &fixture("requests/web.json")])
        .run();
    run.code_without_panic(3);
    let message = one_line(&run.stderr);
    assert!(
        message.contains("TMPDIR") && message.contains(&missing),
        "{}",
        run.context()
    );
    assert_eq!(store.count("events"), 0);
}

/// Every event unprocessed: the store does not grow, the report's temporary file in TMPDIR
/// does, until it reaches the file size limit.
#[test]
fn a_full_tmpdir_is_named() {
    let store = store_with_reference();
    let events: Vec<Value> = (0..5000)
        .map(|i| {
            json!({
                "request_unique_identifier": i.to_string(),
                "accounts_receivable_identifier": {"number": format!("NO-SUCH-ACCOUNT-{i}")},
                "performed_by_unit_identifier": {"name": "Admin Unit"},
                "performed_on": "2016-06-22T15:00:00",
                "website": "www.crm.com",
            })
        })
        .collect();
    let input = store.file("events.ndjson", ndjson(&events));
    let run = store
        .cebulk()
        .shell(r#"trap "" XFSZ; ulimit -f 100"#)
        .args(["import", "--kind", "web", "--batch-size", "50", &input])
        .run();
    run.code_without_panic(3);
    let message = one_line(&run.stderr);
    assert!(message.contains("TMPDIR"), "{}", run.context());
    assert!(message.contains("no events"), "{}", run.context());
    assert_eq!(store.count("events"), 0);
}

// ---------------------------------------------------------------------------------------------
// Standard error and output that nobody reads

/// Commands that write to standard error, each with its exit status.
fn commands_that_talk(store: &Store) -> Vec<(&'static str, Cebulk, i32)> {
    let web = fixture("requests/web.json");
    let broken = store.file("broken.json", "{");
    let csv = store.file("events.csv", "request_unique_identifier\n1\n");
    vec![
        (
            "an import with a summary",
            store
                .cebulk()
                .args(["import", "--reference", &reference(), &web]),
            1,
        ),
        (
            "an import with a rejected input",
            store.cebulk().args(["import", &web, &broken]),
            2,
        ),
        ("a usage error", store.cebulk().args(["import", &csv]), 2),
        (
            "a store that cannot be opened",
            Cebulk::new()
                .dir(store.dir())
                .store(store.dir())
                .args(["import", &web]),
            3,
        ),
        (
            "a reference load",
            store.cebulk().args(["reference", "load", &reference()]),
            0,
        ),
    ]
}

/// Runs each of [`commands_that_talk`] on a fresh store with `stderr` applied, and checks
/// that it ends as it does with standard error read, and imports what it does.
fn talk_into(what: &str, stderr: impl Fn(Cebulk) -> Cebulk) {
    let heard = Store::new();
    let unheard = Store::new();
    for ((name, normal, code), (_, muted, _)) in commands_that_talk(&heard)
        .into_iter()
        .zip(commands_that_talk(&unheard))
    {
        let normal = normal.run();
        normal.code_without_panic(code);
        let muted = stderr(muted).run();
        assert_eq!(
            muted.code,
            Some(code),
            "{name}, standard error {what}: not the exit status it has otherwise\n{}",
            muted.context()
        );
        assert_eq!(
            heard.count_or_zero("events"),
            unheard.count_or_zero("events"),
            "{name}, standard error {what}: the store holds other events"
        );
    }
    assert_eq!(unheard.count("events"), 2);
}

#[test]
fn a_closed_stderr_changes_nothing_but_the_messages() {
    talk_into("closed", |cebulk| cebulk.shell("exec 2>&-"));
}

#[test]
fn a_stderr_whose_reader_is_gone_changes_nothing_but_the_messages() {
    talk_into("gone", |cebulk| cebulk.stderr(gone_reader()));
}

#[test]
fn a_stdout_whose_reader_is_gone_is_not_a_failure() {
    let store = Store::new();
    let run = store
        .cebulk()
        .args([
            "import",
            "--reference",
            &reference(),
            &fixture("requests/web.json"),
        ])
        .stdout(gone_reader())
        .run();
    run.code_without_panic(1);
    assert_eq!(store.count("events"), 2);
    let listing = store.cebulk().arg("events").stdout(gone_reader()).run();
    listing.code_without_panic(0);
    let both = store
        .cebulk()
        .arg("events")
        .stdout(gone_reader())
        .stderr(gone_reader())
        .run();
    assert_eq!(both.code, Some(0), "{}", both.context());
}
