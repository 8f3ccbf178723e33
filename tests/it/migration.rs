//! Stores made by older cebulks are upgraded in place the first time they are opened for
//! writing: no event is lost, re-running the same requests creates nothing and reports the
//! original ids and numbers, product lines and KPIs read the same through the views, and the
//! next event continues the numbering. A read-only command on an old store says what to do
//! instead of failing obscurely.
//!
//! The old stores are SQL dumps of stores made by importing three fixture requests with
//! `--id-seed 7`: `tests/store_v1/store.sql` (schema 1, commit 7f452d8) and
//! `tests/store_v2/store.sql` (schema 2, commit a8558c8). Both gave the same reports and
//! listing, kept in `tests/store_v1/`.

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

use rusqlite::Connection;
use serde_json::Value;

use support::{cebulk_bin, crate_path};

const KINDS: [&str; 3] = ["purchases", "referrals", "financial_statements"];

fn cebulk(store: &str, args: &[&str]) -> Output {
    Command::new(cebulk_bin())
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("CEBULK_STORE")
        .output()
        .expect("running cebulk")
}

fn old_store(dir: &Path, version: i64) -> String {
    let path = dir.join("old.db");
    let dump = std::fs::read_to_string(crate_path(&format!("tests/store_v{version}/store.sql")))
        .expect("the dump");
    let conn = Connection::open(&path).expect("a new store file");
    conn.execute_batch(&dump).expect("loading the dump");
    path.to_str().expect("a UTF-8 path").to_owned()
}

fn rows(conn: &Connection, sql: &str) -> Vec<Vec<String>> {
    let mut statement = conn.prepare(sql).expect("a valid query");
    let width = statement.column_count();
    statement
        .query_map([], |row| {
            (0..width)
                .map(|i| {
                    use rusqlite::types::ValueRef;
                    Ok(match row.get_ref(i)? {
                        ValueRef::Null => "NULL".to_owned(),
                        ValueRef::Integer(n) => n.to_string(),
                        ValueRef::Real(x) => x.to_string(),
                        ValueRef::Text(t) | ValueRef::Blob(t) => {
                            String::from_utf8_lossy(t).into_owned()
                        }
                    })
                })
                .collect()
        })
        .expect("the query runs")
        .collect::<Result<_, _>>()
        .expect("readable rows")
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("JSON output")
}

#[test]
fn a_schema_1_store_is_upgraded_without_losing_or_duplicating_anything() {
    upgrades_without_losing_or_duplicating_anything(1);
}

#[test]
fn a_schema_2_store_is_upgraded_without_losing_or_duplicating_anything() {
    upgrades_without_losing_or_duplicating_anything(2);
}

fn upgrades_without_losing_or_duplicating_anything(old: i64) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = old_store(dir.path(), old);
    let before = Connection::open(&store).expect("the old store");
    let found: i64 = before
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("a version");
    assert_eq!(found, old);
    let old_products = rows(
        &before,
        "SELECT e.number, p.line, p.product_id, p.quantity, p.net_amount, p.vat_amount,
                p.total_amount
         FROM event_products p JOIN events e ON e.seq = p.event_seq ORDER BY e.number, p.line",
    );
    let old_kpis = rows(
        &before,
        "SELECT e.number, k.line, k.key_performance_indicator_id, k.value, k.product_id
         FROM event_kpis k JOIN events e ON e.seq = k.event_seq ORDER BY e.number, k.line",
    );
    assert!(!old_products.is_empty() && !old_kpis.is_empty());
    drop(before);

    // Read-only first: it must not change the store, and must say how to upgrade it.
    let listing = cebulk(&store, &["events"]);
    assert_eq!(listing.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&listing.stderr);
    assert!(
        stderr.contains(&format!("schema version {old}")) && stderr.contains("upgrades"),
        "{stderr}"
    );

    for kind in KINDS {
        let request = crate_path(&format!("fixtures/requests/{kind}.json"));
        let rerun = cebulk(&store, &["import", "--quiet", "--id-seed", "9", &request]);
        let expected = std::fs::read(crate_path(&format!("tests/store_v1/{kind}.response.json")))
            .expect("the schema 1 report");
        assert_eq!(
            json(&rerun.stdout),
            json(&expected),
            "{kind}: the re-run must report the original ids and numbers"
        );
    }

    let conn = Connection::open(&store).expect("the upgraded store");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("a version");
    assert_eq!(version, 3);
    let compact: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE body LIKE '{\"0\":%'",
            [],
            |r| r.get(0),
        )
        .expect("a count");
    assert_eq!(
        compact, 6,
        "every listing is in the stored form of schema 3"
    );
    let count: i64 = conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("a count");
    assert_eq!(count, 6, "the re-runs created nothing");
    let new_products = rows(
        &conn,
        "SELECT e.number, p.line, p.product_id, p.quantity, p.net_amount, p.vat_amount,
                p.total_amount
         FROM event_products p JOIN events e ON e.seq = p.event_seq ORDER BY e.number, p.line",
    );
    assert_eq!(new_products, old_products);
    let new_kpis = rows(
        &conn,
        "SELECT e.number, k.line, k.key_performance_indicator_id, k.value, k.product_id
         FROM event_kpis k JOIN events e ON e.seq = k.event_seq ORDER BY e.number, k.line",
    );
    assert_eq!(new_kpis, old_kpis);
    let referral_events: i64 = conn
        .query_row(
            "SELECT count(*) FROM referrals r JOIN events e ON e.seq = r.event_seq
             WHERE e.kind = 'referrals'",
            [],
            |r| r.get(0),
        )
        .expect("a count");
    assert_eq!(referral_events, 2, "referrals still point at their events");
    drop(conn);

    let listing = cebulk(&store, &["events"]);
    assert_eq!(listing.status.code(), Some(0));
    let expected =
        std::fs::read(crate_path("tests/store_v1/events.json")).expect("the schema 1 listing");
    assert_eq!(json(&listing.stdout), json(&expected));

    // A new event continues its kind's numbering.
    let event = r#"{"request_unique_identifier":"new-1","accounts_receivable_identifier":{"number":"ACR0000000020"},"performed_by_unit_identifier":{"name":"Admin Unit"},"performed_on":"2016-06-22T15:00:00","reference_number":"RF9","products_set":[{"product_identifier":{"code":"Serendipity"},"net_amount":5,"vat_amount":1,"total_amount":6}]}"#;
    let file = dir.path().join("new.ndjson");
    std::fs::write(&file, format!("{event}\n")).expect("writing the event");
    let file = file.to_str().expect("a UTF-8 path");
    let created = cebulk(&store, &["import", "--quiet", "--kind", "purchases", file]);
    let report = json(&created.stdout);
    assert_eq!(
        report["data"]["processed_customer_events_set"][0]["number"], "3",
        "{report}"
    );
}
