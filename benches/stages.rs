//! Per-stage cost of judging purchase events, one thread: parse (NDJSON line to a borrowed
//! JSON tree), validate, resolve, write (one SQLite transaction per batch). Prints
//! nanoseconds per event for each stage, the median of five rounds.
//! `cargo bench --bench stages`; results go to docs/performance.md, not here.

use std::time::Instant;

use cebulk::domain::entity::Entity;
use cebulk::domain::kind::Kind;
use cebulk::domain::values::Numbers;
use cebulk::judge::resolve::{Context, resolve};
use cebulk::judge::validate::validate;
use cebulk::reference::maps::ReferenceMaps;
use cebulk::reference::record::{Attr, Record};
use cebulk::store::ids::IdGenerator;
use cebulk::store::open::open_for_write;
use cebulk::store::writer::Writer;

/// Events a round, and rounds: `STAGES_EVENTS` and `STAGES_ROUNDS` override them (small
/// values for a run under `valgrind --tool=callgrind`, whose instruction counts do not
/// depend on what else the machine is doing).
fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
const BATCH: usize = 1000;

// As in the binary: mimalloc in place of malloc.
use mimalloc as _;

fn text(s: &str) -> Option<Attr> {
    Some(Attr::Text(s.to_owned()))
}

fn maps() -> ReferenceMaps {
    let mut records = vec![
        (
            Entity::Currency,
            Record {
                id: "C".into(),
                rid: None,
                values: vec![text("EUR")],
            },
        ),
        (
            Entity::Classification,
            Record {
                id: "K".into(),
                rid: None,
                values: vec![text("Purchase 1"), None, text("purchases")],
            },
        ),
    ];
    for u in 0..10 {
        records.push((
            Entity::Unit,
            Record {
                id: format!("U{u}"),
                rid: None,
                values: vec![text(&format!("Unit {u}")), None, text("EUR")],
            },
        ));
    }
    for a in 0..1000 {
        records.push((
            Entity::Account,
            Record {
                id: format!("A{a}"),
                rid: None,
                values: vec![text(&format!("ACR{a:010}")), None, None, None],
            },
        ));
    }
    for p in 0..50 {
        records.push((
            Entity::Product,
            Record {
                id: format!("P{p}"),
                rid: None,
                values: vec![text(&format!("P{p:04}")), None],
            },
        ));
    }
    ReferenceMaps::from_records(records)
}

fn line(i: usize) -> String {
    format!(
        concat!(
            r#"{{"request_unique_identifier":"{i}","accounts_receivable_identifier":{{"number":"ACR{a:010}"}},"#,
            r#""classification_identifier":{{"name":"Purchase 1"}},"performed_by_unit_identifier":{{"name":"Unit {u}"}},"#,
            r#""performed_on":"2016-06-22T15:00:00","reference_number":"RF{i}","products_set":["#,
            r#"{{"product_identifier":{{"code":"P{p:04}"}},"total_amount":60,"net_amount":50,"vat_amount":10}},"#,
            r#"{{"product_identifier":{{"code":"P{q:04}"}},"quantity":2,"total_amount":180.5,"net_amount":160.25,"vat_amount":20.25}}]}}"#
        ),
        i = i,
        a = i % 1000,
        u = i % 10,
        p = i % 50,
        q = (i + 7) % 50
    )
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let events = setting("STAGES_EVENTS", 50_000);
    let rounds = setting("STAGES_ROUNDS", 5);
    let lines: Vec<String> = (0..events).map(line).collect();
    let maps = maps();
    let context = Context {
        kind: Kind::Purchases,
        maps: &maps,
        intended_currency: None,
    };
    let (mut parse, mut check, mut settle, mut write) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (mut p, mut v, mut r, mut w) = (0u128, 0u128, 0u128, 0u128);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("bench.db");
        let mut store = open_for_write(&path).expect("a fresh store");
        let mut writer = Writer::new(&mut store, IdGenerator::TimeOrdered).expect("a writer");
        let mut resolved = 0;
        // Batch by batch, as the importer does, so that the heap stays batch-sized.
        for batch in lines.chunks(BATCH) {
            let started = Instant::now();
            let values: Vec<cebulk::json::tree::Tree<'_>> = batch
                .iter()
                .filter_map(|l| cebulk::json::parse::parse(l).ok())
                .collect();
            p += started.elapsed().as_nanos();

            let started = Instant::now();
            let valid: Vec<_> = values
                .iter()
                .filter_map(|v| validate(Kind::Purchases, v, Numbers::Json).ok())
                .collect();
            v += started.elapsed().as_nanos();

            let started = Instant::now();
            let ready: Vec<_> = valid.into_iter().map(|e| resolve(&context, e)).collect();
            r += started.elapsed().as_nanos();
            resolved += ready.iter().filter(|e| e.is_ok()).count();

            let started = Instant::now();
            writer
                .write_batches(Kind::Purchases, vec![ready])
                .expect("the batch is written");
            w += started.elapsed().as_nanos();
        }
        assert_eq!(resolved, events, "every generated event must resolve");
        parse.push(p as f64 / events as f64);
        check.push(v as f64 / events as f64);
        settle.push(r as f64 / events as f64);
        write.push(w as f64 / events as f64);
        drop(writer);
    }
    println!("parse    {:>8.0} ns/event", median(parse));
    println!("validate {:>8.0} ns/event", median(check));
    println!("resolve  {:>8.0} ns/event", median(settle));
    println!(
        "write    {:>8.0} ns/event (fresh store, batches of {BATCH})",
        median(write)
    );
}
