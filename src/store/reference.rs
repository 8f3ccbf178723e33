//! Reference records in the store: loading them all into maps, and writing the records a
//! reference load changed (in one transaction, so a load is all or nothing).

use rusqlite::{Connection, params_from_iter};

use super::error::{Doing, StoreError};
use crate::domain::entity::{ColumnType, Entity};
use crate::reference::maps::ReferenceMaps;
use crate::reference::record::{Attr, Record};

/// Reads every reference record.
pub fn load(conn: &Connection) -> Result<ReferenceMaps, StoreError> {
    let mut records = Vec::new();
    for entity in Entity::ALL {
        let columns: Vec<&str> = entity.columns().iter().map(|c| c.name).collect();
        let sql = format!(
            "SELECT rid, id, {} FROM {}",
            columns.join(", "),
            entity.key()
        );
        let doing = format!("reading {}", entity.key());
        let mut statement = conn.prepare(&sql).doing(&doing)?;
        let mut rows = statement.query([]).doing(&doing)?;
        while let Some(row) = rows.next().doing(&doing)? {
            let rid: i64 = row.get(0).doing(&doing)?;
            let id: String = row.get(1).doing(&doing)?;
            let mut values = Vec::with_capacity(columns.len());
            for (i, column) in entity.columns().iter().enumerate() {
                let text: Option<String> = row.get(i + 2).doing(&doing)?;
                values.push(text.map(|t| match column.ty {
                    ColumnType::List => Attr::List(serde_json::from_str(&t).unwrap_or_default()),
                    ColumnType::Text | ColumnType::Ref(_) => Attr::Text(t),
                }));
            }
            records.push((
                entity,
                Record {
                    id,
                    rid: Some(rid),
                    values,
                },
            ));
        }
    }
    Ok(ReferenceMaps::from_records(records))
}

/// Writes new and changed records, in one transaction. On failure the transaction is
/// rolled back before this returns, so a failed load leaves the store as it was and
/// readable (see [`roll_back_after_failure`]).
pub fn write(conn: &mut Connection, changed: &[(Entity, Record)]) -> Result<(), StoreError> {
    let written = write_all(conn, changed);
    if written.is_err() {
        roll_back_after_failure(conn);
    }
    written
}

/// After a write that failed part-way (a full disk while the transaction spilled pages into
/// the store), SQLite leaves its rollback journal beside the store and rolls it back only
/// at the next read; a read-only command cannot, and would refuse the store until a writing
/// command ran. This connection still may, so it reads once now. Best effort: if even that
/// fails, the next writing command rolls it back, as the read-only ones' error says.
fn roll_back_after_failure(conn: &Connection) {
    let _rolled_back = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()));
}

fn write_all(conn: &mut Connection, changed: &[(Entity, Record)]) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .doing("starting the reference transaction")?;
    for (entity, record) in changed {
        let columns: Vec<&str> = entity.columns().iter().map(|c| c.name).collect();
        let placeholders: Vec<String> = (1..=columns.len() + 1).map(|i| format!("?{i}")).collect();
        let updates: Vec<String> = columns
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let sql = format!(
            "INSERT INTO {} (id, {}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {}",
            entity.key(),
            columns.join(", "),
            placeholders.join(", "),
            updates.join(", ")
        );
        let mut values: Vec<Option<String>> = vec![Some(record.id.clone())];
        values.extend(record.values.iter().map(|v| match v {
            None => None,
            Some(Attr::Text(t)) => Some(t.clone()),
            Some(Attr::List(items)) => serde_json::to_string(items).ok(),
        }));
        let doing = format!("writing {} record {}", entity.key(), record.id);
        tx.prepare_cached(&sql)
            .doing(&doing)?
            .execute(params_from_iter(values))
            .doing(&doing)?;
    }
    tx.commit().doing("committing the reference data")
}
