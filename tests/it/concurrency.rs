//! Two `cebulk import` processes at once on one store. Nightly jobs overlap: two partner files
//! imported together must both land whole, numbered from one sequence with no gap, and the
//! same file imported twice at once must still create each event once (docs/spec.md §3, §5). And
//! listings taken while an import runs see whole batches and do not stop it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Barrier;

use serde_json::Value;

use crate::support::{
    PROCESSED, Run, Store, UNPROCESSED, XorShift, money, reference, reference_names, rui_id_number,
    set,
};

/// Events in each generated file.
const EVENTS: usize = 3_000;
/// The `--batch-size` of each round: whole 1000-event transactions, then many small ones so
/// that the two writers interleave more.
const BATCH_SIZES: [&str; 2] = ["1000", "50"];

/// `EVENTS` valid purchases (two products each) whose request_unique_identifiers start with
/// `prefix`, one a line.
fn purchases(prefix: &str, seed: u64) -> String {
    let (accounts, products) = reference_names();
    let mut rng = XorShift::new(seed);
    let mut out = String::new();
    for i in 0..EVENTS {
        let account = &accounts[rng.below(accounts.len() as u64) as usize];
        let first = rng.below(products.len() as u64) as usize;
        let second = (first + 1) % products.len();
        let lines: Vec<String> = [first, second]
            .iter()
            .map(|&p| {
                let net = 1 + rng.below(50_000);
                let vat = net / 5;
                format!(
                    r#"{{"product_identifier":{{"code":"{}"}},"net_amount":{},"vat_amount":{},"total_amount":{}}}"#,
                    products[p],
                    money(net),
                    money(vat),
                    money(net + vat)
                )
            })
            .collect();
        out.push_str(&format!(
            r#"{{"request_unique_identifier":"{prefix}-{i:04}","accounts_receivable_identifier":{{"number":"{account}"}},"performed_by_unit_identifier":{{"name":"Admin Unit"}},"performed_on":"2016-06-22T15:{:02}:{:02}","reference_number":"{prefix}{i}","products_set":[{}]}}"#,
            rng.below(60),
            rng.below(60),
            lines.join(",")
        ));
        out.push('\n');
    }
    out
}

/// A fresh store holding the reference data.
fn prepared() -> Store {
    let store = Store::new();
    store.run(&["reference", "load", &reference()]).code(0);
    store
}

/// `import --kind purchases --batch-size BATCH --quiet FILE`.
fn import_args<'a>(batch: &'a str, file: &'a str) -> [&'a str; 7] {
    [
        "import",
        "--kind",
        "purchases",
        "--batch-size",
        batch,
        "--quiet",
        file,
    ]
}

/// Runs the two argument lists as two processes started together, and returns their runs.
fn at_once(store: &Store, first: &[&str], second: &[&str]) -> (Run, Run) {
    let barrier = Barrier::new(2);
    std::thread::scope(|s| {
        let a = s.spawn(|| {
            barrier.wait();
            store.run(first)
        });
        let b = s.spawn(|| {
            barrier.wait();
            store.run(second)
        });
        (a.join().unwrap(), b.join().unwrap())
    })
}

/// The report's processed entries as request_unique_identifier -> (id, number), in order,
/// after checking that every event of the file is processed.
fn processed(run: &Run, what: &str, ruis: &[String]) -> Vec<(String, (String, String))> {
    let err = &run.stderr;
    assert!(!run.panicked(), "{what} panicked: {err}");
    assert_eq!(run.code, Some(0), "{what}: exit status; stderr: {err}");
    let report: Value = serde_json::from_slice(&run.stdout)
        .unwrap_or_else(|e| panic!("{what}: the report is not JSON ({e}); stderr: {err}"));
    assert_eq!(
        report["status"]["code"], "OK",
        "{what}: {}",
        report["status"]
    );
    let unprocessed = set(&report, UNPROCESSED);
    assert!(
        unprocessed.is_empty(),
        "{what}: unprocessed events, first {}",
        unprocessed[0]
    );
    let entries: Vec<(String, (String, String))> =
        set(&report, PROCESSED).iter().map(rui_id_number).collect();
    let reported: Vec<&String> = entries.iter().map(|(rui, _)| rui).collect();
    let expected: Vec<&String> = ruis.iter().collect();
    assert!(
        reported == expected,
        "{what}: the processed set is not the file's events in input order ({} entries)",
        entries.len()
    );
    entries
}

/// The store's events as request_unique_identifier -> (id, number), after checking that no
/// request_unique_identifier is stored twice; and the sorted numbers.
fn stored(store: &Store) -> (BTreeMap<String, (String, String)>, Vec<i64>) {
    let conn = store.conn();
    let rows: Vec<(String, String, i64)> = conn
        .prepare("SELECT request_unique_identifier, i.id, number FROM events JOIN event_ids i USING (seq)
             ORDER BY number")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut map = BTreeMap::new();
    for (rui, id, number) in &rows {
        let before = map.insert(rui.clone(), (id.clone(), number.to_string()));
        assert!(
            before.is_none(),
            "request_unique_identifier {rui} is stored twice: {before:?} and ({id}, {number})"
        );
    }
    let ids: BTreeSet<&String> = rows.iter().map(|(_, id, _)| id).collect();
    assert_eq!(ids.len(), rows.len(), "an event id is stored twice");
    let products = store.count("event_products");
    assert_eq!(products, 2 * rows.len() as i64, "event_products rows");
    (map, rows.iter().map(|(_, _, n)| *n).collect())
}

fn ruis_of(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["request_unique_identifier"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn two_files_imported_at_once_both_land_whole_with_one_gapless_numbering() {
    let a_text = purchases("a", 0xA11CE);
    let b_text = purchases("b", 0xB0B);
    let (a_ruis, b_ruis) = (ruis_of(&a_text), ruis_of(&b_text));
    for batch in BATCH_SIZES {
        let db = prepared();
        db.file("a.ndjson", &a_text);
        db.file("b.ndjson", &b_text);
        let (a, b) = at_once(
            &db,
            &import_args(batch, "a.ndjson"),
            &import_args(batch, "b.ndjson"),
        );
        let a = processed(&a, &format!("a.ndjson, batch {batch}"), &a_ruis);
        let b = processed(&b, &format!("b.ndjson, batch {batch}"), &b_ruis);

        let (store, numbers) = stored(&db);
        assert_eq!(
            store.len(),
            2 * EVENTS,
            "batch {batch}: events in the store"
        );
        let expected: Vec<i64> = (1..=2 * EVENTS as i64).collect();
        assert!(
            numbers == expected,
            "batch {batch}: numbers are not 1..={} (first {:?}, last {:?}, {} distinct)",
            2 * EVENTS,
            numbers.first(),
            numbers.last(),
            numbers.iter().collect::<BTreeSet<_>>().len()
        );
        for (rui, entry) in a.iter().chain(&b) {
            assert_eq!(
                store.get(rui),
                Some(entry),
                "batch {batch}: {rui} is reported otherwise than stored"
            );
        }
        // How much the two runs interleaved, for the record.
        let a_numbers: BTreeSet<i64> = a.iter().map(|(_, (_, n))| n.parse().unwrap()).collect();
        let switches = numbers
            .windows(2)
            .filter(|w| a_numbers.contains(&w[0]) != a_numbers.contains(&w[1]))
            .count();
        eprintln!(
            "concurrency: two files, batch {batch}: {} events, numbering switched between the files {switches} times",
            store.len()
        );
    }
}

#[test]
fn one_file_imported_twice_at_once_creates_each_event_once() {
    let text = purchases("same", 0x5A3E);
    let ruis = ruis_of(&text);
    for batch in BATCH_SIZES {
        let db = prepared();
        db.file("same.ndjson", &text);
        let args = import_args(batch, "same.ndjson");
        let (first, second) = at_once(&db, &args, &args);
        let first = processed(&first, &format!("first process, batch {batch}"), &ruis);
        let second = processed(&second, &format!("second process, batch {batch}"), &ruis);

        let (store, _) = stored(&db);
        assert_eq!(
            store.len(),
            EVENTS,
            "batch {batch}: the file's events are stored {} times over",
            store.len() as f64 / EVENTS as f64
        );
        let first: BTreeMap<_, _> = first.into_iter().collect();
        let second: BTreeMap<_, _> = second.into_iter().collect();
        let differing: Vec<_> = first
            .iter()
            .filter(|(rui, entry)| second.get(*rui) != Some(entry))
            .take(5)
            .collect();
        assert!(
            differing.is_empty(),
            "batch {batch}: the two reports give other ids/numbers, e.g. first {differing:?}, second {:?}",
            differing
                .iter()
                .map(|(rui, _)| second.get(*rui))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            first, store,
            "batch {batch}: the reports differ from the store"
        );
        eprintln!(
            "concurrency: one file twice, batch {batch}: {} events stored once",
            store.len()
        );
    }
}

/// With a rollback journal, a reader and a commit wait for each other instead of running
/// side by side: listings taken while an import runs each see whole batches, numbered from
/// one without a gap, and the import is not stopped by them. The import reads its events
/// from a pipe: the test writes the first half, takes listings until one sees part of them
/// committed (the import cannot finish before: the rest is not written), then writes the
/// rest while listings go on.
#[test]
fn listings_during_an_import_see_whole_batches_and_do_not_stop_it() {
    let db = prepared();
    let text: String = (0..6)
        .map(|i| purchases(&format!("l{i}"), 0x11_57 + i))
        .collect();
    let total = 6 * EVENTS;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut import = db
        .cebulk()
        .args([
            "import",
            "--kind",
            "purchases",
            "--batch-size",
            "50",
            "--quiet",
        ])
        .args(["--report", "report.json", "--format", "ndjson", "-"])
        .spawn();
    let mut partial = 0;
    let mut listings = 0;
    // One listing: checks it and says whether it saw part of the file.
    let mut list = || {
        let run = db.run(&["events", "--kind", "purchases"]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        let events: Vec<Value> = serde_json::from_slice(&run.stdout).unwrap();
        let numbers: Vec<i64> = events
            .iter()
            .map(|e| e["number"].as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(numbers, (1..=numbers.len() as i64).collect::<Vec<_>>());
        assert!(
            numbers.len().is_multiple_of(50) || numbers.len() == total,
            "a listing saw {} events: not whole batches of 50",
            numbers.len()
        );
        listings += 1;
        let saw_part = (1..total).contains(&numbers.len());
        if saw_part {
            partial += 1;
        }
        saw_part
    };
    import.feed(lines[..total / 2].concat().as_bytes());
    import.wait_until("a listing sees part of the file committed", &mut list);
    let mut input = import.take_stdin();
    std::thread::scope(|s| {
        s.spawn(move || {
            let rest = lines[total / 2..].concat();
            input
                .write_all(rest.as_bytes())
                .expect("writing the rest of the input");
            // Dropping the pipe ends the input.
        });
        while import.is_running() {
            list();
        }
    });
    let run = import.wait();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        partial > 0,
        "none of {listings} listings ran while the import had committed part of the file"
    );
    let (stored, numbers) = stored(&db);
    assert_eq!(stored.len(), total);
    assert_eq!(numbers, (1..=total as i64).collect::<Vec<_>>());
}
