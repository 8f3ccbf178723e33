//! Crash safety (SPEC §5): "A process killed at any moment leaves the store as it was before or
//! after each whole batch, and re-running the same command finishes the job with no event lost
//! or duplicated."
//!
//! A reference run imports 10,000 generated purchases (two products each) into a fresh store
//! with `--id-seed 7 --batch-size 500`. Each kill test then starts the same import in another
//! fresh store, SIGKILLs it after a seeded delay spread over the reference run's duration,
//! checks that the store holds whole batches only, re-runs the same command and compares the
//! exit status, the report (byte for byte), the `cebulk events` listing (byte for byte) and
//! every row of the event tables with the reference run's. The kill tests run one at a time,
//! so that the killed runs go at the reference run's pace.
//!
//! Every command runs in its test's temporary directory with relative paths
//! (`--store store.db`, `purchases.ndjson`), so all runs are literally the same command.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    Cebulk, PROCESSED, Run, STORE, Store, UNPROCESSED, XorShift, money, reference_names, set,
};

// ---------------------------------------------------------------------------------------------
// Parameters

/// Events in the generated file: 20 batches of 500. (Each kill point costs about a whole
/// import of the debug binary and a listing of the store, some 2 s and 3 s for 10,000 events
/// on two cores; this size keeps five kill points within the file's time budget.)
const EVENTS: usize = 10_000;
/// `--batch-size` of every import: whole batches are multiples of it.
const BATCH: usize = 500;
/// Products of every generated event.
const PRODUCTS_PER_EVENT: i64 = 2;
/// Seed of the event generator (the same file in every test).
const EVENT_SEED: u64 = 0x0C0F_FEE0_2016_0622;
/// Seed of the kill delays.
const KILL_SEED: u64 = 0x5EED_0000_DEAD_BEEF;
/// Kill points spread over the reference run's duration, one test each.
const KILL_POINTS: usize = 5;

const INPUT: &str = "purchases.ndjson";

/// The import that every run makes (relative to the run's directory, on `--store store.db`).
const IMPORT: [&str; 9] = [
    "import",
    "--kind",
    "purchases",
    "--id-seed",
    "7",
    "--batch-size",
    "500",
    "--quiet",
    INPUT,
];

// ---------------------------------------------------------------------------------------------
// Helpers

/// `EVENTS` valid purchase events, one a line, each with two different products.
fn generate_events() -> String {
    let (accounts, products) = reference_names();
    assert!(products.len() >= 2, "reference.json needs two products");
    let mut rng = XorShift::new(EVENT_SEED);
    let mut out = String::with_capacity(EVENTS * 520);
    for i in 0..EVENTS {
        let account = &accounts[rng.below(accounts.len() as u64) as usize];
        let first = rng.below(products.len() as u64) as usize;
        let second = (first + 1 + rng.below(products.len() as u64 - 1) as usize) % products.len();
        let mut lines = Vec::new();
        for product in [first, second] {
            let net = 1 + rng.below(100_000);
            let vat = net * 19 / 100;
            let quantity = match rng.below(3) {
                0 => String::new(),
                _ => format!(r#""quantity":{},"#, 1 + rng.below(5)),
            };
            lines.push(format!(
                r#"{{"product_identifier":{{"code":"{}"}},{quantity}"net_amount":{},"vat_amount":{},"total_amount":{}}}"#,
                products[product],
                money(net),
                money(vat),
                money(net + vat)
            ));
        }
        let classification = if rng.below(2) == 0 {
            r#""classification_identifier":{"name":"Purchase 1"},"#
        } else {
            ""
        };
        out.push_str(&format!(
            r#"{{"request_unique_identifier":"crash-{i:05}","accounts_receivable_identifier":{{"number":"{account}"}},{classification}"performed_by_unit_identifier":{{"name":"Admin Unit"}},"performed_on":"2016-06-{:02}T{:02}:{:02}:{:02}","reference_number":"RF{i}","products_set":[{}]}}"#,
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
            rng.below(60),
            lines.join(",")
        ));
        out.push('\n');
    }
    out
}

/// The generated file's text, built once per test binary.
fn events_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(generate_events)
}

/// `cebulk --store store.db` in the store's directory.
fn cebulk(store: &Store) -> Cebulk {
    Cebulk::new().dir(store.dir()).store(STORE)
}

/// A fresh store with the reference loaded, the input file beside it.
fn prepared() -> Store {
    let store = Store::new();
    store.file(INPUT, events_text());
    cebulk(&store)
        .args(["reference", "load", &crate::support::reference()])
        .run()
        .code(0);
    store
}

/// The import, to completion.
fn import(store: &Store) -> Run {
    cebulk(store).args(IMPORT).run()
}

/// `cebulk events`, as bytes.
fn listing(store: &Store) -> Vec<u8> {
    let run = cebulk(store).arg("events").run();
    assert_eq!(run.code, Some(0), "cebulk events failed\n{}", run.context());
    run.stdout
}

/// Where two texts first differ, for failure messages (a full diff of megabytes is useless).
fn first_difference(what: &str, expected: &[u8], actual: &[u8]) -> String {
    let expected = String::from_utf8_lossy(expected);
    let actual = String::from_utf8_lossy(actual);
    let mut e = expected.lines();
    let mut a = actual.lines();
    let mut line = 1;
    loop {
        match (e.next(), a.next()) {
            (None, None) => return format!("{what}: same lines, different bytes (line ends?)"),
            (x, y) if x != y => {
                return format!(
                    "{what} differs first at line {line} ({} vs {} bytes in all)\n  expected: {}\n  actual:   {}",
                    expected.len(),
                    actual.len(),
                    x.unwrap_or("<end>"),
                    y.unwrap_or("<end>")
                );
            }
            _ => line += 1,
        }
    }
}

/// What the uninterrupted import gives.
struct Reference {
    code: Option<i32>,
    report: Vec<u8>,
    listing: Vec<u8>,
    tables: Tables,
    duration: Duration,
}

fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        assert_eq!(
            IMPORT[6],
            BATCH.to_string(),
            "IMPORT's --batch-size is BATCH"
        );
        let store = prepared();
        let started = Instant::now();
        let out = import(&store);
        let duration = started.elapsed();
        assert!(!out.panicked(), "reference run panicked\n{}", out.context());
        assert_eq!(
            out.code,
            Some(0),
            "every generated event is valid, so the reference run exits 0\n{}",
            out.context()
        );
        let report = out.json();
        assert_eq!(report["status"]["code"], "OK");
        assert_eq!(
            set(&report, PROCESSED).len(),
            EVENTS,
            "every event is processed"
        );
        let unprocessed = set(&report, UNPROCESSED);
        assert!(
            unprocessed.is_empty(),
            "{}",
            Value::from(unprocessed.to_vec())
        );
        let listing = listing(&store);
        let check = check_whole_batches(&store);
        assert_eq!(check, EVENTS, "the reference store holds every event");
        let tables = tables(&store);

        // A second uninterrupted run in another fresh store: the same bytes (the id seed makes
        // the report deterministic), and a second measure of the duration, the shorter of the
        // two being the better estimate of an undisturbed run.
        let again = prepared();
        let started = Instant::now();
        let second = import(&again);
        let duration = duration.min(started.elapsed());
        assert_eq!(second.code, out.code);
        assert!(
            second.stdout == out.stdout,
            "{}",
            first_difference(
                "two fresh runs with --id-seed 7: report",
                &out.stdout,
                &second.stdout
            )
        );
        eprintln!(
            "crash: reference run of {EVENTS} events took {:.2} s (report {} bytes, listing {} bytes)",
            duration.as_secs_f64(),
            out.stdout.len(),
            listing.len()
        );
        Reference {
            code: out.code,
            report: out.stdout,
            listing,
            tables,
            duration,
        }
    })
}

/// Every row of the tables that imports write, in key order.
type Tables = Vec<(&'static str, Vec<Vec<rusqlite::types::Value>>)>;

/// The event tables of the store, every column: equal tables mean an equal store, down to
/// sequence numbers, row ids and content hashes.
fn tables(store: &Store) -> Tables {
    [
        ("events", "SELECT * FROM events ORDER BY seq"),
        (
            "event_products",
            "SELECT * FROM event_products ORDER BY event_seq, line",
        ),
        (
            "event_kpis",
            "SELECT * FROM event_kpis ORDER BY event_seq, line",
        ),
        (
            "referrals",
            "SELECT * FROM referrals ORDER BY referred_participant_id",
        ),
        ("sequences", "SELECT * FROM sequences ORDER BY kind"),
    ]
    .into_iter()
    .map(|(table, sql)| (table, store.rows(sql)))
    .collect()
}

/// Asserts that the store holds exactly the reference run's rows.
fn assert_same_tables(store: &Store, what: &str) {
    let reference = &reference().tables;
    for ((table, expected), (_, actual)) in reference.iter().zip(tables(store)) {
        if *expected == actual {
            continue;
        }
        let at = expected
            .iter()
            .zip(&actual)
            .position(|(e, a)| e != a)
            .unwrap_or(expected.len().min(actual.len()));
        panic!(
            "{what}: table {table} differs from the reference run's ({} vs {} rows), first at row {at}:\n  expected: {:?}\n  actual:   {:?}",
            expected.len(),
            actual.len(),
            expected.get(at),
            actual.get(at)
        );
    }
}

/// Asserts that the store holds whole batches only, and returns its event count: a multiple
/// of the batch size (or every event), numbers 1..=n with no gap, one event per
/// request_unique_identifier, exactly two products per event and the kind's sequence at n.
fn check_whole_batches(store: &Store) -> usize {
    let n = store.query_i64("SELECT count(*) FROM events") as usize;
    assert!(
        n % BATCH == 0 || n == EVENTS,
        "the store holds {n} events: not a whole number of batches of {BATCH}"
    );
    let numbers: Vec<i64> = store.column("SELECT number FROM events ORDER BY number");
    let expected: Vec<i64> = (1..=n as i64).collect();
    if numbers != expected {
        let present: BTreeSet<i64> = numbers.iter().copied().collect();
        let missing: Vec<_> = expected
            .iter()
            .filter(|x| !present.contains(x))
            .take(10)
            .collect();
        panic!(
            "event numbers are not 1..={n}: first {:?}, last {:?}, missing (first 10) {missing:?}",
            numbers.first(),
            numbers.last()
        );
    }
    let kinds = store.query_i64("SELECT count(*) FROM events WHERE kind <> 'purchases'");
    assert_eq!(kinds, 0, "events of another kind than purchases");
    let distinct =
        store.query_i64("SELECT count(DISTINCT request_unique_identifier) FROM events") as usize;
    assert_eq!(distinct, n, "a request_unique_identifier stored twice");
    let wrong = store.query_i64(
        "SELECT count(*) FROM events e WHERE \
         (SELECT count(*) FROM event_products p WHERE p.event_seq = e.seq) <> 2",
    );
    assert_eq!(
        wrong, 0,
        "{wrong} events without exactly two event_products rows"
    );
    let products = store.query_i64("SELECT count(*) FROM event_products");
    assert_eq!(
        products,
        n as i64 * PRODUCTS_PER_EVENT,
        "event_products rows of no event"
    );
    let sequence = store
        .query_i64("SELECT coalesce(max(last_number), 0) FROM sequences WHERE kind = 'purchases'");
    assert_eq!(
        sequence, n as i64,
        "the purchases sequence is at {sequence} with {n} events stored"
    );
    n
}

/// How much of the reference run's duration the kill delays cover: nearly all of it, short
/// of the noise between two runs of the same import.
const KILL_SPAN: f64 = 0.9;

/// The kill delays: one per kill point, each at a seeded place in its share of the reference
/// run's duration, so together they go from about 0 ms to near the end of the run.
fn kill_delays(duration: Duration) -> Vec<Duration> {
    let mut rng = XorShift::new(KILL_SEED);
    (0..KILL_POINTS)
        .map(|i| duration.mul_f64(KILL_SPAN * (i as f64 + rng.unit()) / KILL_POINTS as f64))
        .collect()
}

/// Starts the import, SIGKILLs it after `delay`, and returns whether the kill interrupted it
/// (it was still running and died of SIGKILL) and the event count of whole batches it left.
fn start_and_kill(store: &Store, delay: Duration) -> (bool, usize) {
    let mut import = cebulk(store).args(IMPORT).spawn();
    std::thread::sleep(delay);
    let running = import.is_running();
    let killed = import.kill();
    let interrupted = running && killed.signal() == Some(libc::SIGKILL);
    if !interrupted {
        assert_eq!(
            killed.code,
            Some(0),
            "the run that was not killed did not finish cleanly"
        );
    }
    // Read from a copy, so that reading does not recover the store the re-run opens.
    let n = check_whole_batches(&store.snapshot());
    (interrupted, n)
}

/// Asserts that a re-run gives exactly the reference run's exit status and report.
fn assert_same_as_reference(out: &Run, what: &str) {
    let reference = reference();
    assert!(!out.panicked(), "{what} panicked\n{}", out.context());
    assert_eq!(
        out.code,
        reference.code,
        "{what}: exit status differs from the reference run's\n{}",
        out.context()
    );
    assert!(
        out.stdout == reference.report,
        "{}",
        first_difference(&format!("{what}: report"), &reference.report, &out.stdout)
    );
}

/// One crash test at a time: the kill delays are fractions of the reference run's duration,
/// measured alone, so the runs that are killed must run alone too for the delays to spread
/// over the whole run (and CPU-bound imports gain nothing from running side by side).
fn alone() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

static TRIED: AtomicUsize = AtomicUsize::new(0);
static INTERRUPTED: AtomicUsize = AtomicUsize::new(0);

/// Kill point `index` of `KILL_POINTS`: kill, check whole batches, re-run, compare.
fn kill_point(index: usize) {
    let _alone = alone();
    let reference = reference();
    let delay = kill_delays(reference.duration)[index];
    let store = prepared();
    let (interrupted, left) = start_and_kill(&store, delay);

    let rerun = import(&store);
    assert_same_as_reference(&rerun, &format!("kill point {index}: re-run"));
    let listing = listing(&store);
    assert!(
        listing == reference.listing,
        "{}",
        first_difference(
            &format!("kill point {index}: events listing"),
            &reference.listing,
            &listing
        )
    );
    assert_eq!(check_whole_batches(&store), EVENTS);
    assert_same_tables(&store, &format!("kill point {index}"));

    let tried = TRIED.fetch_add(1, Ordering::SeqCst) + 1;
    let interrupting = INTERRUPTED.fetch_add(usize::from(interrupted), Ordering::SeqCst)
        + usize::from(interrupted);
    eprintln!(
        "crash: kill point {index} at {} ms: {} ({left} of {EVENTS} events committed); \
         {interrupting} of {tried} kills so far interrupted a run",
        delay.as_millis(),
        if interrupted {
            "interrupted the run"
        } else {
            "the run had already finished"
        },
    );
    if tried == KILL_POINTS {
        eprintln!(
            "crash: {interrupting} of {KILL_POINTS} kills interrupted a run, and every re-run \
             gave the reference report and listing"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn killed_at_point_0_rerun_finishes_the_job() {
    kill_point(0);
}

#[test]
fn killed_at_point_1_rerun_finishes_the_job() {
    kill_point(1);
}

#[test]
fn killed_at_point_2_rerun_finishes_the_job() {
    kill_point(2);
}

#[test]
fn killed_at_point_3_rerun_finishes_the_job() {
    kill_point(3);
}

#[test]
fn killed_at_point_4_rerun_finishes_the_job() {
    kill_point(4);
}

#[test]
fn a_second_rerun_after_a_kill_creates_nothing_and_reports_the_same() {
    let _alone = alone();
    let reference = reference();
    let mut rng = XorShift::new(KILL_SEED ^ 0x2222);
    // Somewhere in the middle of the run, so that some batches are committed.
    let delay = reference.duration.mul_f64(0.3 + 0.4 * rng.unit());
    let store = prepared();
    let (interrupted, left) = start_and_kill(&store, delay);
    eprintln!(
        "crash: double re-run: kill at {} ms {} ({left} events committed)",
        delay.as_millis(),
        if interrupted {
            "interrupted the run"
        } else {
            "came after the run finished"
        }
    );

    let first = import(&store);
    assert_same_as_reference(&first, "first re-run");
    let after_first = check_whole_batches(&store);
    assert_eq!(after_first, EVENTS);

    let second = import(&store);
    assert_same_as_reference(&second, "second re-run");
    assert!(
        second.stdout == first.stdout,
        "{}",
        first_difference("second re-run's report", &first.stdout, &second.stdout)
    );
    assert_eq!(
        check_whole_batches(&store),
        after_first,
        "the second re-run created events"
    );
    assert_same_tables(&store, "after the second re-run");
    let ids: BTreeSet<String> = store
        .column::<String>("SELECT id FROM events")
        .into_iter()
        .collect();
    assert_eq!(ids.len(), EVENTS, "event ids are not unique");
}
