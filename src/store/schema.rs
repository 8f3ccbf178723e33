//! The store's schema, versioned with `PRAGMA user_version`.
//!
//! Laid out for insert speed (perf/NOTES, and `benches/stages` per change):
//! - one row per event, whose rowid `seq` is the kind's ordinal × 2^40 + the event's
//!   number, so `(kind, number)` is unique without an index of its own and each kind's rows
//!   append;
//! - product lines and measured KPIs live once, in the event's listing (`body`), and are
//!   read as tables through views;
//! - ids hold the kind and number ([`crate::ids`]), so they are unique without an index;
//! - a re-run is recognised by comparing listings, stored anyway, instead of a hash of them
//!   (blake3 was 4 300 instructions an event);
//! - the re-run index holds only the request unique identifier: the kind, a text repeated
//!   in every entry and compared at every step of every insert, is checked on the row;
//! - no generated columns: SQLite computes even virtual ones on every insert (four `->>`
//!   on the listing cost 2.8 µs an event).
//!
//! The write stage went from 8.2 µs an event in schema 1 (product rows 1.9 of it, the id
//! index 0.4, the `(kind, number)` index 0.9) to about 4 µs.

use rusqlite::Connection;

use super::error::{Doing, StoreError};
use crate::entity::{ColumnType, Entity};

/// The schema version this build writes and reads.
pub const VERSION: i64 = 2;

/// Bits of `seq` that hold the event's number; the kind's ordinal sits above them.
pub const NUMBER_BITS: u32 = 40;

/// The rowid of event `number` of the kind with `ordinal`.
pub fn seq(ordinal: u8, number: i64) -> i64 {
    (i64::from(ordinal) << NUMBER_BITS) | number
}

const EVENTS: &str = "
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    number INTEGER NOT NULL CHECK (number > 0 AND number = seq % 1099511627776),
    id TEXT NOT NULL,
    request_unique_identifier TEXT NOT NULL,
    accounts_receivable_id TEXT,
    external_system TEXT,
    external_system_reference_number TEXT,
    body TEXT NOT NULL
);
CREATE INDEX events_request ON events (request_unique_identifier);
CREATE UNIQUE INDEX events_external ON events
    (kind, ifnull(external_system, ''), external_system_reference_number)
    WHERE external_system_reference_number IS NOT NULL;
-- Amounts as written in the listing (`->` keeps a JSON number's text: exact decimals).
CREATE VIEW event_products AS
    SELECT e.seq AS event_seq, p.key AS line,
           p.value ->> '$.product_identifier.id' AS product_id,
           p.value -> '$.quantity' AS quantity,
           p.value -> '$.net_amount' AS net_amount,
           p.value -> '$.vat_amount' AS vat_amount,
           p.value -> '$.total_amount' AS total_amount
    FROM events e, json_each(e.body, '$.products_set') p
    WHERE e.kind = 'purchases';
CREATE VIEW event_kpis AS
    SELECT e.seq AS event_seq, k.key AS line,
           k.value ->> '$.key_performance_indicator_identifier.id'
               AS key_performance_indicator_id,
           k.value -> '$.value' AS value,
           k.value ->> '$.product_identifier.id' AS product_id
    FROM events e, json_each(e.body, '$.measured_key_performance_indicators_set') k
    WHERE e.kind = 'financial_statements';
";

const OTHER: &str = "
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
    ddl.push_str(OTHER);
    ddl.push_str(&format!("PRAGMA user_version = {VERSION};"));
    in_write_transaction(conn, 0, &ddl, "creating the store's schema")
}

/// The store's schema version (0 for a new, empty file).
pub fn version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .doing("reading the store's schema version")
}

/// Brings a schema 1 store to schema 2 in one transaction: events keep their ids, numbers
/// and listings; product lines and KPIs, already in the listings, become views.
pub fn migrate_from_1(conn: &Connection) -> Result<(), StoreError> {
    let mut ordinal = String::from("CASE kind");
    for kind in crate::kind::Kind::ALL {
        ordinal.push_str(&format!(" WHEN '{}' THEN {}", kind.name(), kind.ordinal()));
    }
    ordinal.push_str(" END");
    let new_seq = format!("(({ordinal}) << {NUMBER_BITS}) | number");
    let sql = format!(
        "ALTER TABLE events RENAME TO events_v1;
         DROP INDEX events_request;
         DROP INDEX events_external;
         DROP TABLE event_products;
         DROP TABLE event_kpis;
         {EVENTS}
         INSERT INTO events (seq, kind, number, id, request_unique_identifier,
                             accounts_receivable_id, external_system,
                             external_system_reference_number, body)
             SELECT {new_seq}, kind, number, id, request_unique_identifier,
                    accounts_receivable_id, external_system,
                    external_system_reference_number, body
             FROM events_v1 ORDER BY seq;
         UPDATE referrals SET event_seq =
             (SELECT {new_seq} FROM events_v1 WHERE events_v1.seq = referrals.event_seq);
         DROP TABLE events_v1;
         PRAGMA user_version = {VERSION};"
    );
    in_write_transaction(conn, 1, &sql, "migrating the store from schema version 1")
}

/// Runs `sql` under the write lock if the store is still at version `from` once the lock is
/// held: another process may have created or upgraded it meanwhile.
fn in_write_transaction(
    conn: &Connection,
    from: i64,
    sql: &str,
    doing: &str,
) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE").doing(doing)?;
    let done = version(conn).and_then(|found| {
        if found == from {
            conn.execute_batch(sql).doing(doing)?;
        }
        conn.execute_batch("COMMIT").doing(doing)
    });
    if done.is_err() {
        // Leaves the store as it was; the error says why.
        let _ = conn.execute_batch("ROLLBACK");
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_number_check_uses_the_same_split_of_seq_as_the_writer() {
        let modulus = format!("number = seq % {}", 1i64 << NUMBER_BITS);
        assert!(EVENTS.contains(&modulus), "{modulus}");
        assert_eq!(seq(2, 7) % (1i64 << NUMBER_BITS), 7);
    }
}
