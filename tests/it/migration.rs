//! Stores made by older cebulks are upgraded in place the first time they are opened for
//! writing: no event is lost, re-running the same requests creates nothing and reports the
//! original ids and numbers, product lines and KPIs read the same through the views, and the
//! next event continues the numbering. A read-only command on an old store says what to do
//! instead of failing obscurely.
//!
//! The old stores are SQL dumps of stores made by importing three fixture requests with
//! `--id-seed 7`: `tests/store_v1/store.sql` (schema 1, commit 7f452d8) and
//! `tests/store_v2/store.sql` (schema 2, commit a8558c8), `tests/store_v3/store.sql`
//! (schema 3, commit d2c6387), `tests/store_v4/store.sql` (schema 4, commit ca936ff) and
//! `tests/store_v5/store.sql` (schema 5, commit 1f95904), `tests/store_v6/store.sql`
//! (schema 6, commit e7c7ed9) and `tests/store_v7/store.sql` (schema 7, commit 3b26ce4).
//! All gave the same reports and listing, kept in `tests/store_v1/`.

use rusqlite::Connection;
use serde_json::Value;

use crate::support::fixtures::ENTITIES;
use crate::support::{Store, crate_path};

const KINDS: [&str; 3] = ["purchases", "referrals", "financial_statements"];

/// A store made from the SQL dump of schema `version` (tests/store_vVERSION/store.sql).
pub(crate) fn old_store(version: i64) -> Store {
    let store = Store::new();
    let dump = std::fs::read_to_string(crate_path(&format!("tests/store_v{version}/store.sql")))
        .expect("the dump");
    let conn = Connection::open(store.db()).expect("a new store file");
    conn.execute_batch(&dump).expect("loading the dump");
    store
}

/// The store's schema version.
fn user_version(store: &Store) -> i64 {
    store.query_i64("PRAGMA user_version")
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("JSON output")
}

/// Each product line, by event number and line.
const PRODUCTS: &str =
    "SELECT e.number, p.line, p.product_id, p.quantity, p.net_amount, p.vat_amount,
                p.total_amount
         FROM event_products p JOIN events e ON e.seq = p.event_seq ORDER BY e.number, p.line";

/// Each measured KPI line, by event number and line.
const KPIS: &str = "SELECT e.number, k.line, k.key_performance_indicator_id, k.value, k.product_id
         FROM event_kpis k JOIN events e ON e.seq = k.event_seq ORDER BY e.number, k.line";

#[test]
fn a_schema_1_store_is_upgraded_without_losing_or_duplicating_anything() {
    upgrades_without_losing_or_duplicating_anything(1);
}

#[test]
fn a_schema_2_store_is_upgraded_without_losing_or_duplicating_anything() {
    upgrades_without_losing_or_duplicating_anything(2);
}

#[test]
fn a_schema_3_store_is_upgraded_without_losing_or_duplicating_anything() {
    upgrades_without_losing_or_duplicating_anything(3);
}

#[test]
fn a_schema_4_store_is_upgraded_without_losing_or_duplicating_anything() {
    upgrades_without_losing_or_duplicating_anything(4);
}

#[test]
fn a_schema_5_store_is_upgraded_without_losing_or_duplicating_anything() {
    upgrades_without_losing_or_duplicating_anything(5);
}

#[test]
fn a_schema_6_store_is_upgraded_without_losing_or_duplicating_anything() {
    upgrades_without_losing_or_duplicating_anything(6);
}

#[test]
fn a_schema_7_store_is_upgraded_without_losing_or_duplicating_anything() {
    upgrades_without_losing_or_duplicating_anything(7);
}

/// The schema version this build writes.
const CURRENT: i64 = 8;

fn upgrades_without_losing_or_duplicating_anything(old: i64) {
    let store = old_store(old);
    assert_eq!(user_version(&store), old);
    let old_products = store.text_rows(PRODUCTS);
    let old_kpis = store.text_rows(KPIS);
    assert!(!old_products.is_empty() && !old_kpis.is_empty());
    let old_imports = if old >= 5 { store.count("imports") } else { 0 };

    // Read-only first: it must not change the store, and must say how to upgrade it.
    let listing = store.run(&["events"]);
    assert_eq!(listing.code, Some(3));
    let stderr = &listing.stderr;
    assert!(
        stderr.contains(&format!("schema version {old}")) && stderr.contains("upgrades"),
        "{stderr}"
    );

    for (at, kind) in KINDS.iter().enumerate() {
        let request = crate_path(&format!("fixtures/requests/{kind}.json"));
        let rerun = store.import(&["--quiet", "--id-seed", "9", &request]);
        // The first command that writes says it upgrades the store, even when quiet (it
        // can take minutes); the next ones find it upgraded.
        let says = format!(
            "upgrading the store {} from schema {old} to {CURRENT}, once",
            store.db().display()
        );
        assert_eq!(
            rerun.stderr.contains(&says),
            at == 0,
            "{kind}: {}",
            rerun.stderr
        );
        // And how long it takes: only the upgrades below schema 7 rewrite every event.
        let takes = if old < 7 {
            "minutes for millions of events"
        } else {
            "a moment: no event is rewritten"
        };
        assert_eq!(rerun.stderr.contains(takes), at == 0, "{}", rerun.stderr);
        let expected = std::fs::read(crate_path(&format!("tests/store_v1/{kind}.response.json")))
            .expect("the schema 1 report");
        assert_eq!(
            json(&rerun.stdout),
            json(&expected),
            "{kind}: the re-run must report the original ids and numbers"
        );
    }

    assert_eq!(user_version(&store), CURRENT);
    for table in ["users", "web_api_keys", "tokens"] {
        assert_eq!(
            store.count(table),
            0,
            "schema 4 adds the empty table {table}"
        );
    }
    assert_eq!(
        store.count("imports"),
        old_imports + KINDS.len() as i64,
        "schema 5 adds the history of imports, which lists each re-run"
    );
    let compact = store.query_i64(
        "SELECT count(*) FROM events e
             WHERE NOT EXISTS (SELECT 1 FROM json_each(e.body) WHERE key GLOB '*[^0-9]*')
             AND json_type(e.body, '$.\"0\"') IS NULL",
    );
    assert_eq!(
        compact, 6,
        "every listing is in the stored form: keys by position (schema 3), the request unique identifier left to its column"
    );
    for entity in ENTITIES {
        let named_by_id = store.query_i64(&format!(
            "SELECT count(*) FROM events e, {entity} r WHERE instr(e.body, r.id)"
        ));
        assert_eq!(
            named_by_id, 0,
            "schema 6 bodies name {entity} records by their row, not their id"
        );
    }
    assert_eq!(store.count("events"), 6, "the re-runs created nothing");
    assert_eq!(store.text_rows(PRODUCTS), old_products);
    assert_eq!(store.text_rows(KPIS), old_kpis);
    let referral_events = store.query_i64(
        "SELECT count(*) FROM referrals r JOIN events e ON e.seq = r.event_seq
             WHERE e.kind = 'referrals'",
    );
    assert_eq!(referral_events, 2, "referrals still point at their events");

    let listing = store.run(&["events"]);
    assert_eq!(listing.code, Some(0));
    let expected =
        std::fs::read(crate_path("tests/store_v1/events.json")).expect("the schema 1 listing");
    // The listing kept in tests/store_v1/ shows identifiers by id alone, as listings did
    // then; the natural keys now beside them come from the reference data.
    assert_eq!(ids_only(json(&listing.stdout)), json(&expected));

    // A new event continues its kind's numbering.
    let event = r#"{"request_unique_identifier":"new-1","accounts_receivable_identifier":{"number":"ACR0000000020"},"performed_by_unit_identifier":{"name":"Admin Unit"},"performed_on":"2016-06-22T15:00:00","reference_number":"RF9","products_set":[{"product_identifier":{"code":"Serendipity"},"net_amount":5,"vat_amount":1,"total_amount":6}]}"#;
    let file = store.file("new.ndjson", format!("{event}\n"));
    let created = store.import(&["--quiet", "--kind", "purchases", &file]);
    let report = json(&created.stdout);
    let processed = &report["data"]["processed_customer_events_set"][0];
    assert_eq!(processed["number"], "3", "{report}");
    // Its id has the shape of every cebulk id: 32 upper-case hex digits, the kind's ordinal
    // (purchases: 2) and the number after the 12 of the time; the store gives it back.
    let id = processed["id"].as_str().unwrap_or_default();
    assert!(
        id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
        "{id}"
    );
    assert_eq!(&id[12..23], "20000000003", "{id}");
    let ids = store.text_rows(
        "SELECT i.id FROM event_ids i JOIN events e USING (seq)
             WHERE e.kind = 'purchases' ORDER BY e.number",
    );
    assert_eq!(ids.last().map(|row| row[0].as_str()), Some(id));
    // Events stored by schema 7 on have no id in their row.
    let stored_without = if old >= 7 { 6 } else { 0 };
    assert_eq!(
        store.query_i64("SELECT count(*) FROM events WHERE id IS NULL"),
        stored_without + 1,
        "the events stored before keep their ids; the new one's is made from its batch"
    );
    let listed = store.run(&["events", "--kind", "purchases"]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains(id),
        "the listing gives the new event's id"
    );
}

/// A listing with each identifier object cut back to its `id`: without the natural keys
/// (`number`, `name`, `code`) that `cebulk events` shows beside it.
fn ids_only(listing: Value) -> Value {
    match listing {
        Value::Object(map) if map.contains_key("id") && !map.contains_key("kind") => {
            Value::Object(map.into_iter().filter(|(key, _)| key == "id").collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, ids_only(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(ids_only).collect()),
        other => other,
    }
}

/// An upgrade that fails part-way (here on a row that breaks the events' CHECK, which a
/// damaged store may hold) changes nothing: it runs in one transaction, and the store stays
/// a schema 5 store, byte for byte, for the cebulk that made it.
#[test]
fn a_failed_upgrade_leaves_the_store_as_it_was() {
    let store = old_store(5);
    let conn = store.conn();
    conn.execute_batch("PRAGMA ignore_check_constraints = 1")
        .unwrap();
    let damaged = conn
        .execute(
            "UPDATE events SET number = number + 1000 WHERE kind = 'purchases' AND number = 1",
            [],
        )
        .unwrap();
    assert_eq!(damaged, 1);
    drop(conn);
    let before = store.bytes();
    let request = crate_path("fixtures/requests/purchases.json");
    let run = store.import(&["--quiet", &request]);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("migrating the store from schema version 5"),
        "{}",
        run.stderr
    );
    assert_eq!(user_version(&store), 5);
    assert!(store.bytes() == before, "the store changed");
}
