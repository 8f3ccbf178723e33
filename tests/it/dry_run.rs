//! Dry runs: the report of a real import, whatever the batch size and for every kind, with
//! what the run would have created remembered outside the heap (in a temporary SQLite
//! database under `TMPDIR`), so that a killed dry run leaves nothing behind.

use serde_json::Value;

use crate::support::{KINDS, Store, fixture, reference};

/// The seed's events of `kind` (its NDJSON fixture), each also given an external reference,
/// then each again as it was (a repeated identifier, in a later batch), then each under a
/// new request unique identifier with the same external reference and participants (the
/// rules that need what the run created: external references, referrals).
fn request_with_repeats(kind: &str) -> String {
    let text = std::fs::read_to_string(fixture(&format!("requests/{kind}.ndjson"))).unwrap();
    let events: Vec<Value> = text
        .lines()
        .map(|line| {
            let mut event: Value = serde_json::from_str(line).unwrap();
            let rui = event["request_unique_identifier"]
                .as_str()
                .unwrap()
                .to_owned();
            event["external_system"] = "PARTNER".into();
            event["external_system_reference_number"] = format!("X{rui}").into();
            event
        })
        .collect();
    let mut lines = Vec::new();
    for event in &events {
        lines.push(event.to_string());
    }
    for event in &events {
        lines.push(event.to_string());
    }
    for event in &events {
        let mut again = event.clone();
        let rui = again["request_unique_identifier"]
            .as_str()
            .unwrap()
            .to_owned();
        again["request_unique_identifier"] = format!("{rui}-again").into();
        lines.push(again.to_string());
    }
    lines.join("\n") + "\n"
}

/// The report of importing `input` (NDJSON of `kind`) into a copy of `store`, dry or not.
fn report(store: &Store, kind: &str, input: &str, batch_size: &str, dry: bool) -> String {
    let copy = store.snapshot();
    let path = copy.file("input.ndjson", input);
    let mut args = vec!["--id-seed", "1", "--kind", kind, "--batch-size", batch_size];
    if dry {
        args.push("--dry-run");
    }
    args.push(&path);
    let run = copy.import(&args);
    assert!(matches!(run.code, Some(0 | 1)), "{}", run.context());
    if dry {
        assert_eq!(
            copy.bytes(),
            store.snapshot().bytes(),
            "the dry run wrote to the store"
        );
    }
    run.stdout_text()
}

#[test]
fn a_dry_run_reports_what_the_import_does_across_batches_for_every_kind() {
    let empty = Store::new();
    empty.run(&["reference", "load", &reference()]).code(0);
    // The same store after the same inputs were imported once: what the run finds stored
    // (a re-run) counts as well as what it would create itself.
    let loaded = empty.snapshot();
    for kind in KINDS {
        let path = loaded.file(&format!("{kind}.ndjson"), request_with_repeats(kind));
        loaded
            .import(&["--id-seed", "1", "--kind", kind, &path])
            .no_panic();
    }
    let (mut recognised, mut repeats) = (0, 0);
    for kind in KINDS {
        let input = request_with_repeats(kind);
        for (store, is_rerun) in [(&empty, false), (&loaded, true)] {
            for batch_size in ["1", "3", "1000"] {
                let real = report(store, kind, &input, batch_size, false);
                let dry = report(store, kind, &input, batch_size, true);
                assert_eq!(dry, real, "{kind}, batches of {batch_size}");
                let parsed: Value = serde_json::from_str(&real).unwrap();
                let processed = parsed["data"]["processed_customer_events_set"]
                    .as_array()
                    .unwrap();
                if is_rerun {
                    recognised += processed.len();
                }
                repeats += parsed["data"]["unprocessed_customer_events_set"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|e| e["error_code"] == "DuplicateRequestUniqueIdentifierException")
                    .count();
            }
        }
    }
    assert!(
        recognised > 0 && repeats > 0,
        "no re-run recognised ({recognised}) or no repeat found ({repeats}): the test checks nothing"
    );
}

/// The files under `dir` that the process `pid` holds open though they were deleted.
fn deleted_files_held(pid: u32, dir: &std::path::Path) -> usize {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| {
            target.starts_with(dir) && target.to_string_lossy().ends_with(" (deleted)")
        })
        .count()
}

#[test]
fn a_killed_dry_run_leaves_nothing_behind_and_the_store_untouched() {
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    let before = store.bytes();
    let files_before = store.file_names();
    let tmp = tempfile::tempdir().unwrap();
    let mut running = store
        .cebulk()
        .shell(&format!("export TMPDIR='{}'", tmp.path().display()))
        .args([
            "import",
            "--dry-run",
            "--kind",
            "web",
            "--format",
            "ndjson",
            "-",
        ])
        .spawn();
    // Enough events that the dry run's memory outgrows SQLite's page cache and spills to
    // its temporary file (the report keeps one of its own there too).
    let mut batch = String::new();
    let mut fed = 0;
    let pid = running.id();
    while deleted_files_held(pid, tmp.path()) < 2 {
        assert!(fed < 2_000_000, "the dry run never used a temporary file");
        batch.clear();
        for i in fed..fed + 5000 {
            batch.push_str(&format!(
                r#"{{"request_unique_identifier": "{i}", "accounts_receivable_identifier": {{"number": "ACR0000000020"}}, "performed_by_unit_identifier": {{"name": "Admin Unit"}}, "performed_on": "2016-06-22T15:00:00", "website": "www.crm.com"}}"#
            ));
            batch.push('\n');
        }
        fed += 5000;
        // Blocks while the dry run is behind: the pipe paces the test.
        running.feed(batch.as_bytes());
    }
    running.kill().sigkilled("the dry run");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(
        left.is_empty(),
        "the killed dry run left {left:?} in TMPDIR"
    );
    assert_eq!(
        store.file_names(),
        files_before,
        "files appeared beside the store"
    );
    assert!(store.bytes() == before, "the dry run changed the store");
}
