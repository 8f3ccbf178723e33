//! The store's schema, versioned with `PRAGMA user_version`.
//!
//! Laid out for insert speed, each choice checked with `benches/stages`
//! (docs/performance.md, "store/schema: laid out for insert speed"):
//! - one row per event, whose rowid `seq` is the kind's ordinal × 2^40 + the event's
//!   number, so `(kind, number)` is unique without an index of its own and each kind's rows
//!   append;
//! - product lines and measured KPIs live once, in the event's listing (`body`, in the
//!   compact stored form of [`body`], schema 3), and are read as tables through views;
//! - ids hold the kind and number ([`crate::store::ids`]), so they are unique without an index;
//! - a re-run is recognised by comparing listings, stored anyway, instead of a hash of
//!   them, which every event would pay for;
//! - the re-run index holds only the request unique identifier: the kind, a text repeated
//!   in every entry and compared at every step of every insert, is checked on the row;
//! - no kind, number or id in a row (schema 7): `kind` and `number` are virtual columns
//!   over `seq`, and ids are made from `seq` and their batch's row of `id_batches`
//!   ([`super::ids`]).
//!
//! Schema 3 changed only how the listing is stored: in fewer bytes, through [`body`].
//! Schema 4 added the tables of `cebulk serve`'s users, web API keys and tokens
//! ([`super::auth`]).
//! Schema 5 added the history of imports ([`super::history`]).
//! Schema 6 names reference records in bodies by their row ([`body::RecordRef`]), which
//! reference tables hold as `rid`.
//! Schema 7 stores no kind, number or id in an event's row ([`migrate_from_6`]).
//! Schema 8 remembers, by their digests, the batches an import created or found stored
//! ([`super::digests`]).

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::error::{Doing, StoreError};
use crate::domain::entity::{ColumnType, Entity};
use crate::domain::kind::Kind;
use crate::domain::schema::field::FieldType;
use crate::judge::body;

/// The schema version this build writes and reads.
pub const VERSION: i64 = 8;

/// An upgrade of a store one schema version up.
pub type Upgrade = fn(&Connection) -> Result<(), StoreError>;

/// The upgrades of a store, in order: the first takes schema 1 to 2, the last schema
/// [`VERSION`] − 1 to [`VERSION`].
pub const UPGRADES: [Upgrade; 7] = [
    migrate_from_1,
    migrate_from_2,
    migrate_from_3,
    migrate_from_4,
    migrate_from_5,
    migrate_from_6,
    migrate_from_7,
];

/// The upgrades from versions below this one rewrite every event (minutes for millions);
/// the later ones only add tables.
pub const REWRITTEN_BELOW: i64 = 7;

// An upgrade for every version below this one, none missing or extra.
const _: () = assert!(UPGRADES.len() as i64 == VERSION - 1);

/// Bits of `seq` that hold the event's number; the kind's ordinal sits above them.
pub const NUMBER_BITS: u32 = 40;

/// The rowid of event `number` of the kind with `ordinal`.
pub fn seq(ordinal: u8, number: i64) -> i64 {
    (i64::from(ordinal) << NUMBER_BITS) | number
}

/// Schema 6's events table, which the upgrades from earlier schemas go through.
const EVENTS_TABLE_V6: &str = "
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    number INTEGER NOT NULL CHECK (number > 0 AND number = seq % 1099511627776),
    id TEXT NOT NULL,
    request_unique_identifier TEXT NOT NULL,
    -- The account's row (an integer, schema 6), or its id (text): no type, so that one is
    -- never taken for the other.
    accounts_receivable_id,
    external_system TEXT,
    external_system_reference_number TEXT,
    body TEXT NOT NULL
);
";

/// The events table: `kind` and `number` are computed from `seq` when read (virtual
/// columns take no bytes), `id` is NULL but in events created before schema 7.
fn events_table() -> String {
    let mut kind = String::from("CASE seq >> 40");
    for k in Kind::ALL {
        kind.push_str(&format!(" WHEN {} THEN '{}'", k.ordinal(), k.name()));
    }
    kind.push_str(" END");
    format!(
        "
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    kind TEXT GENERATED ALWAYS AS ({kind}) VIRTUAL,
    number INTEGER GENERATED ALWAYS AS (seq & {mask}) VIRTUAL,
    -- The id of an event created before schema 7; NULL for later ones, whose id the
    -- event_ids view gives.
    id TEXT,
    request_unique_identifier TEXT NOT NULL,
    -- The account's row (an integer, schema 6), or its id (text): no type, so that one is
    -- never taken for the other.
    accounts_receivable_id,
    external_system TEXT,
    external_system_reference_number TEXT,
    body TEXT NOT NULL
);
CREATE TABLE id_batches (
    first_seq INTEGER PRIMARY KEY,
    millis INTEGER NOT NULL,
    random INTEGER
);
",
        mask = (1i64 << NUMBER_BITS) - 1
    )
}

/// Every event's id, stored or made from its batch ([`super::ids`]): for `sqlite3` users.
fn event_ids_view() -> String {
    format!(
        "CREATE VIEW event_ids (seq, id) AS
    SELECT e.seq, coalesce(e.id, (SELECT {} FROM id_batches b {}))
    FROM events e;
",
        super::ids::DERIVED,
        super::ids::BATCH_OF
    )
}

const EVENTS_INDEXES: &str = "
CREATE INDEX events_request ON events (request_unique_identifier);
CREATE UNIQUE INDEX events_external ON events
    (kind, ifnull(external_system, ''), external_system_reference_number)
    WHERE external_system_reference_number IS NOT NULL;
";

/// Schema 2's views, over listings with field names; kept for the upgrade from schema 1,
/// which goes through schema 2.
const V2_VIEWS: &str = "
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

/// The entity of the identifier field reached through `names` (a set's name, then a field
/// of its elements) in `kind` events.
fn identified(kind: Kind, names: &[&str]) -> Option<Entity> {
    let mut level = crate::domain::schema::fields(kind);
    let mut found = None;
    for name in names {
        let field = level.iter().find(|f| f.name == *name)?;
        found = match field.ty {
            FieldType::Identifier(entity) => Some(entity),
            FieldType::Set(inner) => {
                level = inner;
                None
            }
            _ => None,
        };
    }
    found
}

/// The product line and KPI views over stored bodies ([`body`]): amounts as written in the
/// listing (`->` keeps a JSON number's text: exact decimals).
fn views() -> String {
    // The path of a set, and of a field within one of its elements, quoted for SQL.
    let set = |kind, set: &str| body::path(kind, &[set]).unwrap_or_default();
    let within = |kind, set: &str, field: &str| {
        let full = body::path(kind, &[set, field]).unwrap_or_default();
        let set_len = body::path(kind, &[set]).map_or(0, |p| p.len());
        format!("'${}'", full.get(set_len..).unwrap_or_default())
    };
    // An identifier's id: a body names a stored record by its row ([`body::RecordRef`]).
    let id = |value: &str, path: String, kind: Kind, names: &[&str]| {
        let entity = identified(kind, names).unwrap_or(Entity::Product);
        format!(
            "CASE json_type({value}, {path}) WHEN 'integer' THEN \
             (SELECT id FROM {} WHERE rid = {value} ->> {path}) ELSE {value} ->> {path} END",
            entity.key()
        )
    };
    let products = set(Kind::Purchases, "products_set");
    let line = |name| within(Kind::Purchases, "products_set", name);
    let kpis = set(
        Kind::FinancialStatements,
        "measured_key_performance_indicators_set",
    );
    let kpi = |name| {
        within(
            Kind::FinancialStatements,
            "measured_key_performance_indicators_set",
            name,
        )
    };
    format!(
        "CREATE VIEW event_products AS
    SELECT e.seq AS event_seq, p.key AS line,
           {} AS product_id,
           p.value -> {} AS quantity,
           p.value -> {} AS net_amount,
           p.value -> {} AS vat_amount,
           p.value -> {} AS total_amount
    FROM events e, json_each(e.body, '{products}') p
    WHERE e.kind = 'purchases';
CREATE VIEW event_kpis AS
    SELECT e.seq AS event_seq, k.key AS line,
           {} AS key_performance_indicator_id,
           k.value -> {} AS value,
           {} AS product_id
    FROM events e, json_each(e.body, '{kpis}') k
    WHERE e.kind = 'financial_statements';
",
        id(
            "p.value",
            line("product_identifier"),
            Kind::Purchases,
            &["products_set", "product_identifier"],
        ),
        line("quantity"),
        line("net_amount"),
        line("vat_amount"),
        line("total_amount"),
        id(
            "k.value",
            kpi("key_performance_indicator_identifier"),
            Kind::FinancialStatements,
            &[
                "measured_key_performance_indicators_set",
                "key_performance_indicator_identifier",
            ],
        ),
        kpi("value"),
        id(
            "k.value",
            kpi("product_identifier"),
            Kind::FinancialStatements,
            &[
                "measured_key_performance_indicators_set",
                "product_identifier"
            ],
        ),
    )
}

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
    // `rid` is the row bodies name the record by (schema 6): an alias of the rowid, which
    // VACUUM would otherwise be free to renumber.
    let mut columns = vec![
        "rid INTEGER PRIMARY KEY".to_owned(),
        "id TEXT NOT NULL UNIQUE".to_owned(),
    ];
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
    ddl.push_str(&events_table());
    ddl.push_str(EVENTS_INDEXES);
    ddl.push_str(&views());
    ddl.push_str(&event_ids_view());
    ddl.push_str(OTHER);
    ddl.push_str(super::auth::TABLES);
    ddl.push_str(super::history::TABLES);
    ddl.push_str(super::digests::TABLE);
    ddl.push_str(&format!("PRAGMA user_version = {VERSION};"));
    in_write_transaction(conn, 0, "creating the store's schema", |conn| {
        conn.execute_batch(&ddl)
    })
}

/// The store's schema version (0 for a new, empty file).
pub fn version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .doing("reading the store's schema version")
}

/// Brings a schema 1 store to schema 2 in one transaction: events keep their ids, numbers
/// and listings; product lines and KPIs, already in the listings, become views.
/// [`migrate_from_2`] then brings it to schema 3.
pub fn migrate_from_1(conn: &Connection) -> Result<(), StoreError> {
    let mut ordinal = String::from("CASE kind");
    for kind in crate::domain::kind::Kind::ALL {
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
         {EVENTS_TABLE_V6}
         {EVENTS_INDEXES}
         {V2_VIEWS}
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
         PRAGMA user_version = 2;"
    );
    in_write_transaction(
        conn,
        1,
        "migrating the store from schema version 1",
        |conn| conn.execute_batch(&sql),
    )
}

/// Brings a schema 2 store to schema 3 in one transaction: each listing is rewritten in the
/// stored form of [`body`] (byte for byte what an import of the same event writes, so
/// re-runs still recognise it), and the views read that form.
pub fn migrate_from_2(conn: &Connection) -> Result<(), StoreError> {
    in_write_transaction(
        conn,
        2,
        "migrating the store from schema version 2",
        |conn| {
            conn.execute_batch("DROP VIEW event_products; DROP VIEW event_kpis;")?;
            let mut select = conn.prepare(
                "SELECT seq, kind, body FROM events WHERE seq > ?1 ORDER BY seq LIMIT 1000",
            )?;
            let mut update = conn.prepare("UPDATE events SET body = ?2 WHERE seq = ?1")?;
            // A chunk at a time: a table is not updated while a statement reads it.
            let mut after = i64::MIN;
            loop {
                let chunk = select
                    .query_map([after], |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let Some(last) = chunk.last() else {
                    break;
                };
                after = last.0;
                for (seq, kind, listing) in chunk {
                    // A listing that is not an event of a known kind (none is written so)
                    // is left as it was rather than lost.
                    if let Some(stored) =
                        Kind::from_name(&kind).and_then(|kind| body::encode(kind, &listing))
                    {
                        update.execute(rusqlite::params![seq, stored])?;
                    }
                }
            }
            conn.execute_batch(&format!("{}PRAGMA user_version = 3;", views()))
        },
    )
}

/// Brings a schema 3 store to schema 4 in one transaction: the tables of users, web API
/// keys and tokens ([`super::auth`]), empty; nothing else changes.
pub fn migrate_from_3(conn: &Connection) -> Result<(), StoreError> {
    in_write_transaction(
        conn,
        3,
        "migrating the store from schema version 3",
        |conn| conn.execute_batch(&format!("{}PRAGMA user_version = 4;", super::auth::TABLES)),
    )
}

/// Brings a schema 4 store to schema 5 in one transaction: the history of imports
/// ([`super::history`]), empty; nothing else changes.
pub fn migrate_from_4(conn: &Connection) -> Result<(), StoreError> {
    in_write_transaction(
        conn,
        4,
        "migrating the store from schema version 4",
        |conn| {
            conn.execute_batch(&format!(
                "{}PRAGMA user_version = 5;",
                super::history::TABLES
            ))
        },
    )
}

/// Brings a schema 5 store to schema 6 in one transaction: bodies name reference records
/// by their row ([`body::RecordRef`]) instead of their 32-character ids, which were most
/// of an event's bytes, and so does the `accounts_receivable_id` column; reference tables
/// get that row as `rid`, an alias of the rowid so that nothing renumbers it.
///
/// The events are copied, in rowid order, into a new table that the old one's pages are
/// then freed from: rewriting each row in place would leave its pages as many, each less
/// full. The indexes are built once the rows are in, a sort rather than an insert an event.
/// The file keeps its size; later imports reuse the freed pages (or `VACUUM` returns them).
pub fn migrate_from_5(conn: &Connection) -> Result<(), StoreError> {
    in_write_transaction(
        conn,
        5,
        "migrating the store from schema version 5",
        |conn| {
            conn.execute_batch("DROP VIEW event_products; DROP VIEW event_kpis;")?;
            let mut rows: Vec<std::collections::HashMap<String, i64>> = Vec::new();
            for entity in Entity::ALL {
                let table = entity.key();
                let columns: Vec<&str> = entity.columns().iter().map(|c| c.name).collect();
                let columns = columns.join(", ");
                conn.execute_batch(&format!(
                    "ALTER TABLE {table} RENAME TO {table}_v5;
                     {}
                     INSERT INTO {table} (rid, id, {columns})
                         SELECT rowid, id, {columns} FROM {table}_v5 ORDER BY rowid;
                     DROP TABLE {table}_v5;",
                    reference_table(entity)
                ))?;
                let mut select = conn.prepare(&format!("SELECT id, rid FROM {table}"))?;
                let ids = select
                    .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                rows.push(ids);
            }
            let row = |entity: Entity, id: &str| {
                let at = Entity::ALL.iter().position(|e| *e == entity)?;
                rows.get(at)?.get(id).copied()
            };
            conn.execute_batch(&format!(
                "ALTER TABLE events RENAME TO events_v5;
                 DROP INDEX events_request;
                 DROP INDEX events_external;
                 {EVENTS_TABLE_V6}"
            ))?;
            {
                let mut select = conn.prepare(
                    "SELECT seq, kind, number, id, request_unique_identifier,
                            accounts_receivable_id, external_system,
                            external_system_reference_number, body
                     FROM events_v5 ORDER BY seq",
                )?;
                let mut insert = conn.prepare(
                    "INSERT INTO events (seq, kind, number, id, request_unique_identifier,
                         accounts_receivable_id, external_system,
                         external_system_reference_number, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?;
                let mut events = select.query([])?;
                while let Some(event) = events.next()? {
                    let kind = event.get_ref(1)?.as_str().ok().and_then(Kind::from_name);
                    let stored = event.get_ref(8)?;
                    // A body that is not an event of a known kind (none is written so) is
                    // copied as it was rather than lost.
                    let rewritten = match (kind, stored.as_str()) {
                        (Some(kind), Ok(text)) => body::with_rows(kind, text, &row),
                        _ => None,
                    };
                    let account = event.get_ref(5)?;
                    let account = match account.as_str() {
                        Ok(id) => row(Entity::Account, id)
                            .map_or(account, rusqlite::types::ValueRef::Integer),
                        Err(_) => account,
                    };
                    let values: [rusqlite::types::ValueRef<'_>; 8] = [
                        event.get_ref(0)?,
                        event.get_ref(1)?,
                        event.get_ref(2)?,
                        event.get_ref(3)?,
                        event.get_ref(4)?,
                        account,
                        event.get_ref(6)?,
                        event.get_ref(7)?,
                    ];
                    let body = match &rewritten {
                        Some(text) => rusqlite::types::ValueRef::Text(text.as_bytes()),
                        None => stored,
                    };
                    insert.execute(rusqlite::params_from_iter(
                        values
                            .into_iter()
                            .chain(std::iter::once(body))
                            .map(rusqlite::types::ToSqlOutput::Borrowed),
                    ))?;
                }
            }
            conn.execute_batch(&format!(
                "DROP TABLE events_v5;
                 {EVENTS_INDEXES}
                 {}PRAGMA user_version = 6;",
                views()
            ))
        },
    )
}

/// Brings a schema 6 store to schema 7 in one transaction: an event's row no longer holds
/// its kind and number (virtual columns over `seq`) and new events no id (made from `seq`
/// and their batch's row of the new `id_batches`, [`super::ids`]); the events stored keep
/// the id text they have, which no batch could make again.
///
/// As in [`migrate_from_5`], the events are copied in rowid order into a new table, the
/// old one's pages freed, and the indexes built once the rows are in.
pub fn migrate_from_6(conn: &Connection) -> Result<(), StoreError> {
    in_write_transaction(
        conn,
        6,
        "migrating the store from schema version 6",
        |conn| {
            conn.execute_batch(&format!(
                "DROP VIEW event_products;
                 DROP VIEW event_kpis;
                 ALTER TABLE events RENAME TO events_v6;
                 DROP INDEX events_request;
                 DROP INDEX events_external;
                 {}",
                events_table()
            ))?;
            {
                let mut select = conn.prepare(
                    "SELECT seq, id, request_unique_identifier, accounts_receivable_id,
                            external_system, external_system_reference_number, body, kind
                     FROM events_v6 ORDER BY seq",
                )?;
                let mut insert = conn.prepare(
                    "INSERT INTO events (seq, id, request_unique_identifier,
                         accounts_receivable_id, external_system,
                         external_system_reference_number, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                let mut events = select.query([])?;
                while let Some(event) = events.next()? {
                    let stored = event.get_ref(6)?;
                    // The body in schema 7's form (`body::from_v6`); a row of no known kind
                    // or a body that is not text is copied as it is, for `store check` to
                    // report.
                    let converted = event
                        .get_ref(7)?
                        .as_str()
                        .ok()
                        .and_then(Kind::from_name)
                        .zip(stored.as_str().ok())
                        .map(|(kind, text)| body::from_v6(kind, text));
                    let body = converted
                        .as_deref()
                        .map_or(stored, |text| ValueRef::Text(text.as_bytes()));
                    let values: [ValueRef<'_>; 7] = [
                        event.get_ref(0)?,
                        event.get_ref(1)?,
                        event.get_ref(2)?,
                        event.get_ref(3)?,
                        event.get_ref(4)?,
                        event.get_ref(5)?,
                        body,
                    ];
                    insert.execute(rusqlite::params_from_iter(
                        values
                            .into_iter()
                            .map(rusqlite::types::ToSqlOutput::Borrowed),
                    ))?;
                }
            }
            conn.execute_batch(&format!(
                "DROP TABLE events_v6;
                 {EVENTS_INDEXES}
                 {}{}PRAGMA user_version = 7;",
                views(),
                event_ids_view()
            ))
        },
    )
}

/// Brings a schema 7 store to schema 8: the new, empty table of batch digests
/// ([`super::digests`]). The events stored before are judged again when re-run, as before.
pub fn migrate_from_7(conn: &Connection) -> Result<(), StoreError> {
    in_write_transaction(
        conn,
        7,
        "migrating the store from schema version 7",
        |conn| {
            conn.execute_batch(&format!(
                "{}PRAGMA user_version = 8;",
                super::digests::TABLE
            ))
        },
    )
}

/// Runs `work` under the write lock if the store is still at version `from` once the lock
/// is held: another process may have created or upgraded it meanwhile.
fn in_write_transaction(
    conn: &Connection,
    from: i64,
    doing: &str,
    work: impl FnOnce(&Connection) -> rusqlite::Result<()>,
) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE").doing(doing)?;
    let done = version(conn).and_then(|found| {
        if found == from {
            work(conn).doing(doing)?;
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
    fn the_virtual_columns_split_seq_as_the_writer_does() {
        let conn = Connection::open_in_memory().unwrap();
        create(&conn).unwrap();
        for kind in Kind::ALL {
            let at = seq(kind.ordinal(), (1 << NUMBER_BITS) - 1);
            conn.execute(
                "INSERT INTO events (seq, request_unique_identifier, body) VALUES (?1, 'r', '{}')",
                [at],
            )
            .unwrap();
            let (name, number): (String, i64) = conn
                .query_row(
                    "SELECT kind, number FROM events WHERE seq = ?1",
                    [at],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!(
                (name.as_str(), number),
                (kind.name(), (1 << NUMBER_BITS) - 1)
            );
        }
    }
}
