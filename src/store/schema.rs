//! The store's schema, versioned with `PRAGMA user_version`.
//!
//! Indexes are chosen for insert speed (perf/NOTES): event ids are time-ordered, numbers
//! grow, and line items are keyed by the event's rowid, so every index appends.

use rusqlite::Connection;

use super::error::{Doing, StoreError};
use crate::entity::{ColumnType, Entity};

/// The schema version this build writes and reads.
pub const VERSION: i64 = 1;

const EVENTS: &str = "
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    number INTEGER NOT NULL,
    request_unique_identifier TEXT NOT NULL,
    content_hash BLOB NOT NULL,
    accounts_receivable_id TEXT,
    rewards_participant_id TEXT,
    unit_id TEXT NOT NULL,
    classification_id TEXT,
    performed_on TEXT NOT NULL,
    external_system TEXT,
    external_system_reference_number TEXT,
    body TEXT NOT NULL,
    UNIQUE (kind, number)
);
CREATE INDEX events_request ON events (kind, request_unique_identifier);
CREATE UNIQUE INDEX events_external ON events
    (kind, ifnull(external_system, ''), external_system_reference_number)
    WHERE external_system_reference_number IS NOT NULL;
CREATE TABLE event_products (
    event_seq INTEGER NOT NULL,
    line INTEGER NOT NULL,
    product_id TEXT NOT NULL,
    quantity TEXT NOT NULL,
    net_amount TEXT NOT NULL,
    vat_amount TEXT NOT NULL,
    total_amount TEXT NOT NULL,
    PRIMARY KEY (event_seq, line)
) WITHOUT ROWID;
CREATE TABLE event_kpis (
    event_seq INTEGER NOT NULL,
    line INTEGER NOT NULL,
    key_performance_indicator_id TEXT NOT NULL,
    value TEXT NOT NULL,
    product_id TEXT,
    PRIMARY KEY (event_seq, line)
) WITHOUT ROWID;
CREATE TABLE referrals (
    referred_participant_id TEXT PRIMARY KEY,
    referred_by_participant_id TEXT NOT NULL,
    event_seq INTEGER NOT NULL
);
CREATE TABLE sequences (
    kind TEXT PRIMARY KEY,
    last_number INTEGER NOT NULL
);
";

/// The DDL of one reference table: `id`, then the entity's columns, the natural key unique.
pub fn reference_table(entity: Entity) -> String {
    let mut columns = vec!["id TEXT PRIMARY KEY".to_owned()];
    for column in entity.columns() {
        let ty = match column.ty {
            ColumnType::List => "TEXT /* JSON array */",
            ColumnType::Text | ColumnType::Ref(_) => "TEXT",
        };
        let unique = if column.name == entity.natural_key() {
            " NOT NULL UNIQUE"
        } else {
            ""
        };
        columns.push(format!("{} {ty}{unique}", column.name));
    }
    format!("CREATE TABLE {} ({});", entity.key(), columns.join(", "))
}

/// Creates the schema in an empty store.
pub fn create(conn: &Connection) -> Result<(), StoreError> {
    let mut ddl = String::new();
    for entity in Entity::ALL {
        ddl.push_str(&reference_table(entity));
        ddl.push('\n');
    }
    ddl.push_str(EVENTS);
    ddl.push_str(&format!("PRAGMA user_version = {VERSION};"));
    conn.execute_batch(&format!("BEGIN IMMEDIATE; {ddl} COMMIT;"))
        .doing("creating the store's schema")
}

/// The store's schema version (0 for a new, empty file).
pub fn version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .doing("reading the store's schema version")
}
