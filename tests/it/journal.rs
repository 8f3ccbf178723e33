//! The store's journal through the real `cebulk` binary: commits go through a rollback
//! journal while they append (identifiers in order), and the store switches to WAL for the
//! rest of an import once identifiers in no order make every commit rewrite pages all over
//! their index; either way an import leaves the store file alone beside its input. An import
//! killed after the switch leaves its WAL, which the re-run takes in and finishes the job
//! from; a killed writer's rollback journal stops every read-only command until a writing
//! one rolls it back.

use serde_json::Value;

use crate::support::{PROCESSED, Store, XorShift, ndjson, reference, set, web_event_at};

/// Events of the large imports: enough that, in no order, the switch comes before the last
/// commit however the writer groups batches. A commit journals about 49 bytes for each event
/// stored before it (measured), so a commit that starts after about 22,000 events asks for
/// the switch; the commit holding that event may be a whole group of 16,000 events and the
/// switch comes at the start of the commit after the one that asked, so it needs more than
/// about 54,000 events. With 50,000, a grouping that made the asking commit the last one
/// left an import on a loaded machine in the rollback journal.
const EVENTS: usize = 80_000;

/// The journal mode the store's header records: its read and write format versions, 1 for
/// a rollback journal and 2 for WAL.
fn header_mode(store: &Store) -> &'static str {
    let bytes = std::fs::read(store.db()).expect("the store file");
    match (bytes[18], bytes[19]) {
        (1, 1) => "rollback",
        (2, 2) => "wal",
        other => panic!("unexpected file format versions {other:?}"),
    }
}

/// Whether the store's header records WAL (a store file still being written may be short).
fn in_wal(store: &Store) -> bool {
    std::fs::read(store.db()).is_ok_and(|b| b.len() > 19 && b[18] == 2)
}

/// `EVENTS` web events as NDJSON, with these request unique identifiers.
fn web_lines(ruis: &[String]) -> String {
    let events: Vec<Value> = ruis
        .iter()
        .map(|rui| web_event_at(rui, "https://www.example.com/"))
        .collect();
    ndjson(&events)
}

/// `EVENTS` request unique identifiers in no order (32 hex digits each).
fn random_ruis(seed: u64) -> Vec<String> {
    let mut rng = XorShift::new(seed);
    (0..EVENTS)
        .map(|_| format!("{:016x}{:016x}", rng.next(), rng.next()))
        .collect()
}

/// The arguments after `import` that import `input` (web events) with batches of 1000,
/// the report going to `report` (a path).
fn import_args(input: &str, report: &str) -> Vec<String> {
    [
        "--kind",
        "web",
        "--batch-size",
        "1000",
        "--quiet",
        "--reference",
        &reference(),
        "--report",
        report,
        input,
    ]
    .map(String::from)
    .to_vec()
}

/// Imports `input` (web events) with batches of 1000, into `report`; checks exit status 0.
fn import(store: &Store, input: &str, report: &str) -> Value {
    let report = store.path(report);
    let args = import_args(input, &report);
    let run = store.import(&args.iter().map(String::as_str).collect::<Vec<_>>());
    run.code(0);
    serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap()
}

#[test]
fn identifiers_in_order_keep_the_rollback_journal_and_leave_one_file() {
    let store = Store::new();
    let ruis: Vec<String> = (0..EVENTS).map(|i| format!("w{i:06}")).collect();
    let input = store.file("web.ndjson", web_lines(&ruis));
    let report = import(&store, &input, "report.json");
    assert_eq!(set(&report, PROCESSED).len(), EVENTS);
    assert_eq!(header_mode(&store), "rollback");
    assert_eq!(
        store.file_names(),
        ["report.json", "store.db", "web.ndjson"]
    );
    assert_eq!(store.count("events"), EVENTS as i64);
}

#[test]
fn identifiers_in_no_order_switch_the_store_to_wal_and_the_next_import_back() {
    let store = Store::new();
    let ruis = random_ruis(0x6A0F_2026_1129_0001);
    let input = store.file("web.ndjson", web_lines(&ruis));
    let first = import(&store, &input, "first.json");
    assert_eq!(
        header_mode(&store),
        "wal",
        "the import did not switch to WAL"
    );
    // The WAL is copied into the store and removed when the import ends.
    assert_eq!(store.file_names(), ["first.json", "store.db", "web.ndjson"]);
    assert_eq!(store.count("events"), EVENTS as i64);
    let numbers: Vec<i64> = set(&first, PROCESSED)
        .iter()
        .map(|e| e["number"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(numbers, (1..=EVENTS as i64).collect::<Vec<_>>());

    // The same file again creates nothing, commits next to nothing, and so stays in the
    // rollback journal that every import opens the store with.
    let second = import(&store, &input, "second.json");
    assert_eq!(set(&second, PROCESSED), set(&first, PROCESSED));
    assert_eq!(store.count("events"), EVENTS as i64);
    assert_eq!(header_mode(&store), "rollback");
}

#[test]
fn a_killed_writers_journal_stops_reads_until_a_writing_command_rolls_it_back() {
    let store = Store::new();
    let ruis: Vec<String> = (0..3000).map(|i| format!("w{i:06}")).collect();
    let input = store.file("web.ndjson", web_lines(&ruis));
    import(&store, &input, "report.json");
    let listed = store.events(None);

    // A write cut short: with two pages of cache, changing every event writes changed pages
    // into the store file before the commit; the journal holds what they were. The copy of
    // both files is the store as a killed process leaves it.
    let killed = Store::new();
    {
        let conn = store.conn();
        conn.pragma_update(None, "cache_size", 2).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE; UPDATE events SET body = body || ' ';")
            .unwrap();
        for suffix in ["", "-journal"] {
            std::fs::copy(
                store.path(&format!("store.db{suffix}")),
                killed.path(&format!("store.db{suffix}")),
            )
            .unwrap();
        }
    }
    assert_ne!(
        std::fs::read(killed.db()).unwrap(),
        std::fs::read(store.db()).unwrap(),
        "the cut-short write changed nothing in the store file"
    );

    let before = killed.bytes();
    let events = killed.events_run(None);
    events.code(3);
    assert!(events.stderr.contains("cut short"), "{}", events.context());
    let dry = killed.import(&["--dry-run", "--kind", "web", "--quiet", &input]);
    dry.code(3);
    assert!(dry.stderr.contains("cut short"), "{}", dry.context());
    assert!(
        killed.bytes() == before,
        "a read-only command wrote to the store"
    );

    killed.run(&["reference", "load", &reference()]).code(0);
    assert_eq!(killed.events(None), listed);
    assert_eq!(killed.file_names(), ["store.db"]);
}

/// The killed import reads the events from a pipe that the test keeps open: every event but
/// the last is written, so the import cannot end before the test kills it, as soon as its
/// store is in WAL (and the WAL file is there).
#[test]
fn an_import_killed_after_switching_to_wal_is_finished_by_its_rerun() {
    let store = Store::new();
    let ruis = random_ruis(0x6A0F_2026_1129_0002);
    let text = web_lines(&ruis);
    let input = store.file("web.ndjson", &text);
    let report = store.path("killed.json");
    let mut killed = store
        .cebulk()
        .arg("import")
        .args(import_args("-", &report))
        .args(["--format", "ndjson"])
        .spawn();
    let last = text[..text.len() - 1]
        .rfind('\n')
        .expect("more than one line")
        + 1;
    killed.feed(&text.as_bytes()[..last]);
    let wal = store.db().with_extension("db-wal");
    killed.wait_until("the store is switched to WAL", || {
        in_wal(&store) && wal.exists()
    });
    killed.kill().sigkilled("after the switch to WAL");
    assert!(wal.exists(), "the killed run left no WAL");
    // Read-only, so that closing it leaves the WAL for the re-run to find.
    let left: i64 = rusqlite::Connection::open_with_flags(
        store.db(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
    .query_row("SELECT count(*) FROM events", [], |row| row.get(0))
    .unwrap();
    let left = left as usize;
    assert!(left < EVENTS, "the kill came after the last commit");
    assert_eq!(left % 1000, 0, "{left} events: not whole batches");

    let rerun = import(&store, &input, "rerun.json");
    assert_eq!(set(&rerun, PROCESSED).len(), EVENTS);
    assert_eq!(store.count("events"), EVENTS as i64);
    let numbers: Vec<i64> = set(&rerun, PROCESSED)
        .iter()
        .map(|e| e["number"].as_str().unwrap().parse().unwrap())
        .collect();
    let mut sorted = numbers.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=EVENTS as i64).collect::<Vec<_>>());
    // The events of the killed run keep their numbers: the first ones of the file.
    assert_eq!(numbers[..left], (1..=left as i64).collect::<Vec<_>>());
}
