//! SIGINT and SIGTERM during an import (docs/spec.md §5, "Interrupted imports"): the first
//! signal stops the reading, and the run commits and reports what was handed to the writer,
//! writes a valid report whose status is `InterruptedException`, says so on standard error
//! (at once, and at the end) and exits 130 (SIGINT) or 143 (SIGTERM); a second signal ends
//! the process at once.
//!
//! Each test writes NDJSON into the import's standard input and keeps it open, so the import
//! cannot finish by itself; it synchronises on what the store shows (whole batches
//! committed) and on the signal having been heard (said on standard error), never on time.
//! Signals are sent with kill(1), since the crate forbids `unsafe` (so no `libc::kill`).

use std::collections::BTreeMap;
use std::io::Read;
use std::process::Stdio;

use serde_json::{Value, json};

use crate::support::cebulk::Running;
use crate::support::{
    Cebulk, PROCESSED, Run, STORE, Store, UNPROCESSED, ndjson, reference, rui_id_number, set,
    web_event_at,
};

/// `--batch-size` of the small imports.
const BATCH: usize = 10;
/// Events in the whole input of the small imports.
const EVENTS: usize = 100;
/// Events written before the signal: three whole batches, committed, and half a batch that
/// the reader holds waiting for the rest, so never committed.
const BEFORE_SIGNAL: usize = 35;

/// A fresh store with the reference loaded.
fn prepared() -> Store {
    let store = Store::new();
    store
        .cebulk()
        .args(["reference", "load", &reference()])
        .run()
        .code(0);
    store
}

/// `cebulk --store store.db import --kind web … -`, in the store's directory.
fn import(store: &Store, extra: &[&str]) -> Cebulk {
    let batch = BATCH.to_string();
    Cebulk::new()
        .dir(store.dir())
        .store(STORE)
        .args([
            "import",
            "--kind",
            "web",
            "--format",
            "ndjson",
            "--batch-size",
            &batch,
            "--quiet",
        ])
        .args(extra)
        .arg("-")
}

/// `count` valid web events, `sig-00000` on, as NDJSON lines.
fn lines(count: usize, rui_padding: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let rui = format!("sig-{i:05}{}", "x".repeat(rui_padding));
            ndjson(&[web_event_at(&rui, &format!("https://example.com/{i}"))])
        })
        .collect()
}

/// Sends `signal` (`INT`, `TERM`) to the process with kill(1).
fn send(running: &Running, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(running.id().to_string())
        .status()
        .expect("running kill");
    assert!(status.success(), "kill -{signal} failed");
}

/// The store's events as request unique identifier → (id, number), as the report gives them.
fn stored(store: &Store) -> BTreeMap<String, (String, String)> {
    store
        .text_rows("SELECT request_unique_identifier, i.id, number FROM events JOIN event_ids i USING (seq)")
        .into_iter()
        .map(|row| (row[0].clone(), (row[1].clone(), row[2].clone())))
        .collect()
}

/// The processed entries of a report, as request unique identifier → (id, number); none
/// when `data` is null.
fn processed(report: &Value) -> BTreeMap<String, (String, String)> {
    if report["data"].is_null() {
        return BTreeMap::new();
    }
    set(report, PROCESSED).iter().map(rui_id_number).collect()
}

/// Writes `BEFORE_SIGNAL` events, waits until their whole batches are committed, sends
/// `signal` with standard input still open and returns the finished run.
fn interrupted(store: &Store, extra: &[&str], signal: &str, input: &[String]) -> Run {
    let mut running = import(store, extra).spawn();
    running.feed(input[..BEFORE_SIGNAL].concat().as_bytes());
    let whole = (BEFORE_SIGNAL / BATCH * BATCH) as i64;
    running.wait_until("the whole batches written are committed", || {
        store.committed_events() >= whole
    });
    // Held open until the run has ended: the import cannot reach the end of its input.
    let stdin = running.take_stdin();
    send(&running, signal);
    let run = running.wait();
    drop(stdin);
    run
}

/// What every interrupted run must show: its exit status, a valid report naming the
/// interruption whose processed set is exactly the store's events (the whole batches written
/// before the signal), the message on standard error, and a re-run that finishes the job.
fn assert_interrupted(store: &Store, run: &Run, report: &Value, name: &str, code: i32) {
    run.code_without_panic(code);
    assert_eq!(report["status"]["code"], "InterruptedException", "{report}");
    assert_eq!(
        report["status"]["message"],
        format!("interrupted by {name}"),
        "{report}"
    );
    let committed = processed(report);
    assert_eq!(
        committed,
        stored(store),
        "the report lists exactly the store's events"
    );
    assert_eq!(committed.len(), BEFORE_SIGNAL / BATCH * BATCH, "{report}");
    assert!(set(report, UNPROCESSED).is_empty(), "{report}");
    let message = format!(
        "interrupted by {name}: {} events committed and reported; re-run the same command to finish",
        committed.len()
    );
    assert!(run.stderr.contains(&message), "{}", run.context());
}

/// Re-runs the whole input and checks that it finishes the job: every event once, those of
/// the interrupted run recognised with their ids and numbers.
fn assert_rerun_finishes(store: &Store, input: &[String], first: &Value) {
    let rerun = import(store, &[]).stdin(input.concat()).run();
    rerun.code(0);
    let report = rerun.json();
    assert_eq!(report["status"]["code"], "OK");
    let all = processed(&report);
    assert_eq!(all.len(), input.len(), "every event processed once");
    assert_eq!(all, stored(store), "the store holds each event once");
    for (rui, id_number) in processed(first) {
        assert_eq!(all[&rui], id_number, "{rui} recognised as the original");
    }
}

#[test]
fn sigint_commits_reports_and_exits_130_and_a_rerun_finishes() {
    let store = prepared();
    let input = lines(EVENTS, 0);
    let run = interrupted(&store, &[], "INT", &input);
    let report = run.json();
    assert_interrupted(&store, &run, &report, "SIGINT", 130);
    assert_rerun_finishes(&store, &input, &report);
}

#[test]
fn sigterm_with_report_file_leaves_a_whole_report_and_exits_143() {
    let store = prepared();
    let input = lines(EVENTS, 0);
    let run = interrupted(&store, &["--report", "report.json"], "TERM", &input);
    assert!(run.stdout.is_empty(), "{}", run.context());
    let text = std::fs::read_to_string(store.path("report.json")).expect("the report file");
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_interrupted(&store, &run, &report, "SIGTERM", 143);
    let left: Vec<String> = store
        .file_names()
        .into_iter()
        .filter(|name| name.starts_with(".cebulk-report"))
        .collect();
    assert!(left.is_empty(), "temporary reports left: {left:?}");
    assert_rerun_finishes(&store, &input, &report);
}

#[test]
fn a_signal_before_any_commit_reports_none_and_creates_nothing() {
    let store = prepared();
    let input = lines(EVENTS, 0);
    let mut running = import(&store, &[]).spawn();
    // Half a batch: the reader holds it, waiting for the rest.
    running.feed(input[..BATCH / 2].concat().as_bytes());
    // Nothing is committed to wait for: the event is the handler installed.
    let pid = running.id();
    running.wait_until("the import catches SIGINT", || in_mask(pid, "SigCgt", 2));
    let stdin = running.take_stdin();
    send(&running, "INT");
    let run = running.wait();
    drop(stdin);
    run.code_without_panic(130);
    let report = run.json();
    assert_eq!(
        report,
        json!({"data": null, "status": report["status"].clone()}),
        "{report}"
    );
    assert_eq!(report["status"]["code"], "InterruptedException");
    assert_eq!(store.committed_events(), 0);
    assert!(
        run.stderr.contains(
            "cebulk: SIGINT received: no more input is read, and what was read is committed and reported; a second signal stops at once\n"
        ),
        "the signal is said to be heard\n{}",
        run.context()
    );
    assert!(
        run.stderr
            .contains("interrupted by SIGINT: 0 events committed and reported")
    );
    assert_rerun_finishes(&store, &input, &report);
}

/// Whether `signal` (its number) is in the signal mask `field` of /proc/PID/status:
/// `SigCgt`, caught by a handler.
fn in_mask(pid: u32, field: &str, signal: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|mask| u64::from_str_radix(mask.trim_start_matches(':').trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (signal - 1)) != 0)
}

/// A second signal ends the process at once, even while the first one's run cannot finish:
/// here its report is blocked on a standard output that the test does not read yet.
#[test]
fn a_second_signal_exits_at_once() {
    // Entries of about 340 bytes, in batches of 100. With at least 320 events committed,
    // the report owes some 109 KB, more than the pipe (64 KiB) and the report's buffers
    // (9 KiB) hold, so the run cannot end while nobody reads it; and the writer commits
    // more than that before it blocks (the pipe's and the buffers' worth, about 220, the
    // two batches waiting for the report and the one it is sending).
    const BIG_BATCH: &str = "100";
    const COMMITTED: i64 = 320;
    let store = prepared();
    let input = lines(600, 250);
    let (mut stdout, stdout_writer) = std::io::pipe().expect("a pipe");
    // Standard error in a file, read while the import runs.
    let said = store.dir().join("stderr.txt");
    let stderr = std::fs::File::create(&said).expect("a file for standard error");
    let mut running = Cebulk::new()
        .dir(store.dir())
        .store(STORE)
        .args([
            "import",
            "--kind",
            "web",
            "--format",
            "ndjson",
            "--batch-size",
            BIG_BATCH,
            "--quiet",
            "-",
        ])
        .stdout(Stdio::from(stdout_writer))
        .stderr(stderr)
        .spawn();
    let mut stdin = running.take_stdin();
    // Written from a thread, since the import stops reading once its report blocks.
    let writing = {
        let input = input.concat();
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(input.as_bytes());
            // Kept open until the test ends: the import must not reach the end of its input.
            stdin
        })
    };
    running.wait_until("more is committed than the report's pipe holds", || {
        store.committed_events() >= COMMITTED
    });
    send(&running, "INT");
    // Said once the first signal's handler has run to its end. Not just taken from the
    // pending signals (ShdPnd): a handler taken but not yet run would then arm the exit
    // only after the second signal's ran, and exit with SIGINT's status.
    running.wait_until("the first signal is heard", || {
        std::fs::read_to_string(&said).is_ok_and(|said| said.contains("SIGINT received"))
    });
    send(&running, "TERM");
    let run = running.wait();
    let mut written = Vec::new();
    stdout
        .read_to_end(&mut written)
        .expect("reading the report");
    run.code_without_panic(143);
    assert!(
        serde_json::from_slice::<Value>(&written).is_err(),
        "the run was cut short, its report with it"
    );
    let committed = stored(&store);
    assert!(
        committed.len() >= COMMITTED as usize && committed.len().is_multiple_of(100),
        "whole batches only: {}",
        committed.len()
    );
    let stdin = writing.join().expect("the writing thread");
    drop(stdin);
    // The store is as a kill leaves it: a re-run finishes the job, each event once.
    let rerun = Cebulk::new()
        .dir(store.dir())
        .store(STORE)
        .args([
            "import",
            "--kind",
            "web",
            "--format",
            "ndjson",
            "--batch-size",
            BIG_BATCH,
            "--quiet",
            "-",
        ])
        .stdin(input.concat())
        .run();
    rerun.code(0);
    let all = processed(&rerun.json());
    assert_eq!(all.len(), input.len());
    assert_eq!(all, stored(&store));
}
