//! Crash safety (docs/spec.md §5): "A process killed at any moment leaves the store as it was before or
//! after each whole batch, and re-running the same command finishes the job with no event lost
//! or duplicated."
//!
//! A reference run imports 10,000 generated purchases (two products each), written on its
//! standard input, into a fresh store with `--id-seed 7 --batch-size 500`. Each kill test
//! starts the same import in another fresh store and writes its input itself, through a
//! pipe it keeps open, and synchronises on what the store shows, never on time:
//!
//! 1. it writes a seeded number of events (kill points spread over the input) and waits
//!    until the store holds every whole batch of them (the rest of the last batch waits for
//!    more input, so the store cannot hold more);
//! 2. it writes the rest of that batch and up to a batch more, waits until the store is
//!    being written again (its rollback journal appears; or, should that transaction come
//!    and go between two looks, more events are committed) and SIGKILLs the import at once,
//!    cutting that transaction short.
//!
//! With its input still open the import cannot have finished, however loaded the machine:
//! each test asserts that the kill interrupted it (it died of SIGKILL) and that the store it
//! left holds whole batches only, at least those seen committed and at most those written,
//! so never none and never all. Then it re-runs the same command and compares the exit
//! status, the report (byte for byte), the `cebulk events` listing (byte for byte) and
//! every row of the event tables with the reference run's.
//!
//! Every command runs in its test's temporary directory with the same relative arguments
//! (`--store store.db`, the events on standard input), so all runs are literally the same
//! command.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::{
    Cebulk, PROCESSED, Run, STORE, Store, UNPROCESSED, XorShift, money, reference_names, set,
};

// ---------------------------------------------------------------------------------------------
// Parameters

/// Events in the generated input: 20 batches of 500. (Each kill point costs about a whole
/// import of the debug binary and a listing of the store, some 2 s and 3 s for 10,000 events
/// on two cores; this size keeps five kill points within the area's time budget.)
const EVENTS: usize = 10_000;
/// `--batch-size` of every import: whole batches are multiples of it.
const BATCH: usize = 500;
/// Products of every generated event.
const PRODUCTS_PER_EVENT: i64 = 2;
/// Seed of the event generator (the same input in every test).
const EVENT_SEED: u64 = 0x0C0F_FEE0_2016_0622;
/// Seed of the kill points.
const KILL_SEED: u64 = 0x5EED_0000_DEAD_BEEF;
/// Kill points spread over the input, one test each.
const KILL_POINTS: usize = 5;

/// The import that every run makes (in the run's directory, on `--store store.db`), its
/// events on standard input.
const IMPORT: [&str; 11] = [
    "import",
    "--kind",
    "purchases",
    "--id-seed",
    "7",
    "--batch-size",
    "500",
    "--quiet",
    "--format",
    "ndjson",
    "-",
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

/// The generated events' text, built once per test binary.
fn events_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(generate_events)
}

/// The generated events, one line (newline included) an event.
fn event_lines() -> Vec<&'static str> {
    events_text().split_inclusive('\n').collect()
}

/// `cebulk --store store.db` in the store's directory.
fn cebulk(store: &Store) -> Cebulk {
    Cebulk::new().dir(store.dir()).store(STORE)
}

/// A fresh store with the reference loaded.
fn prepared() -> Store {
    let store = Store::new();
    cebulk(&store)
        .args(["reference", "load", &crate::support::reference()])
        .run()
        .code(0);
    store
}

/// The import of every event, to completion.
fn import(store: &Store) -> Run {
    cebulk(store).args(IMPORT).stdin(events_text()).run()
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
        let out = import(&store);
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
        // the report deterministic).
        let second = import(&prepared());
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
            "crash: reference run of {EVENTS} events (report {} bytes, listing {} bytes)",
            out.stdout.len(),
            listing.len()
        );
        Reference {
            code: out.code,
            report: out.stdout,
            listing,
            tables,
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
        n.is_multiple_of(BATCH) || n == EVENTS,
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

/// Where a kill lands: the events written before waiting for their whole batches to be
/// committed, then the events written before waiting for the next write to the store.
#[derive(Clone, Copy, Debug)]
struct KillPoint {
    written: usize,
    more: usize,
}

impl KillPoint {
    /// A kill point with `written` drawn from the share `at` (in [0, 1)) of the input, past
    /// the first batch and short of the last two, and `more` the rest of the batch under way
    /// and up to a batch beyond: the import is always killed with at least one batch
    /// committed, one more to write and one not written.
    fn drawn(at: f64, rng: &mut XorShift) -> KillPoint {
        let span = (EVENTS - 3 * BATCH) as f64;
        let written = BATCH + (span * at) as usize;
        KillPoint {
            written,
            more: BATCH - written % BATCH + rng.below(BATCH as u64) as usize,
        }
    }

    /// Kill point `index` of `KILL_POINTS`, each at a seeded place in its share of the input.
    fn seeded(index: usize) -> KillPoint {
        let mut rng = XorShift::new(KILL_SEED);
        let points: Vec<KillPoint> = (0..KILL_POINTS)
            .map(|i| {
                let at = (i as f64 + rng.unit()) / KILL_POINTS as f64;
                KillPoint::drawn(at, &mut rng)
            })
            .collect();
        points[index]
    }
}

/// What a kill left: the events committed, and whether the kill cut a transaction short
/// (the store's rollback journal was left beside it).
struct Killed {
    left: usize,
    mid_transaction: bool,
}

/// Starts the import and SIGKILLs it at `point`, its input still open: writes
/// `point.written` events, waits until the store shows their whole batches committed,
/// writes `point.more` events (so at least one more batch is complete), waits until the
/// store is being written again (its rollback journal exists, or, had the transaction come
/// and gone between two looks, more events are committed) and kills it. Asserts that the
/// kill interrupted the import and that it left whole batches only, at least those seen
/// committed and at most those written.
fn start_and_kill(store: &Store, point: KillPoint) -> Killed {
    let KillPoint { written, more } = point;
    let lines = event_lines();
    let mut import = cebulk(store).args(IMPORT).spawn();
    import.feed(lines[..written].concat().as_bytes());
    let committed = written / BATCH * BATCH;
    import.wait_until(
        &format!("the {committed} events of the whole batches written are committed"),
        || store.committed_events() >= committed as i64,
    );
    import.feed(lines[written..written + more].concat().as_bytes());
    let journal = store.dir().join(format!("{STORE}-journal"));
    import.wait_until("the next batches are being written", || {
        journal.exists() || store.committed_events() > committed as i64
    });
    import.kill().sigkilled(&format!("{point:?}"));
    // Read from a copy, so that reading does not recover the store the re-run opens.
    let snapshot = store.snapshot();
    let mid_transaction = !snapshot.bytes()[1].is_empty();
    let left = check_whole_batches(&snapshot);
    let at_most = (written + more) / BATCH * BATCH;
    assert!(
        (committed..=at_most).contains(&left) && 0 < left && left < EVENTS,
        "killed at {point:?}, the store holds {left} events: not from {committed} to {at_most}"
    );
    Killed {
        left,
        mid_transaction,
    }
}

/// How a kill landed, for the test's output.
fn landed(killed: &Killed) -> String {
    format!(
        "{} of {EVENTS} events committed, {}",
        killed.left,
        if killed.mid_transaction {
            "a transaction cut short"
        } else {
            "between two transactions"
        }
    )
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

/// Kill point `index` of `KILL_POINTS`: kill, check whole batches, re-run, compare.
fn kill_point(index: usize) {
    let reference = reference();
    let point = KillPoint::seeded(index);
    let store = prepared();
    let killed = start_and_kill(&store, point);

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
    eprintln!(
        "crash: kill point {index} ({point:?}) interrupted the run ({}); the re-run gave the \
         reference report and listing",
        landed(&killed)
    );
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
    let mut rng = XorShift::new(KILL_SEED ^ 0x2222);
    // Somewhere in the middle of the input, so that some batches are committed.
    let point = KillPoint::drawn(0.3 + 0.4 * rng.unit(), &mut rng);
    let store = prepared();
    let killed = start_and_kill(&store, point);
    eprintln!(
        "crash: double re-run: the kill at {point:?} interrupted the run ({})",
        landed(&killed)
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
        .column::<String>("SELECT id FROM event_ids")
        .into_iter()
        .collect();
    assert_eq!(ids.len(), EVENTS, "event ids are not unique");
}
