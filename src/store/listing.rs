//! Reading created events back: `cebulk events`.

use rusqlite::Connection;
use serde_json::{Map, Value};

use super::error::{Doing, StoreError};
use crate::kind::Kind;

/// Every created event (of one kind, or all), in creation order: its request object with
/// identifiers resolved, plus `kind`, `id` and `number`.
pub fn events(conn: &Connection, kind: Option<Kind>) -> Result<Vec<Value>, StoreError> {
    let doing = "listing events";
    let mut statement = conn
        .prepare(
            "SELECT kind, id, number, body FROM events
             WHERE ?1 IS NULL OR kind = ?1 ORDER BY seq",
        )
        .doing(doing)?;
    let mut rows = statement.query([kind.map(Kind::name)]).doing(doing)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().doing(doing)? {
        let kind: String = row.get(0).doing(doing)?;
        let id: String = row.get(1).doing(doing)?;
        let number: i64 = row.get(2).doing(doing)?;
        let body: String = row.get(3).doing(doing)?;
        let mut event = Map::new();
        event.insert("kind".into(), Value::String(kind));
        event.insert("id".into(), Value::String(id));
        event.insert("number".into(), Value::String(number.to_string()));
        if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(&body) {
            event.extend(fields);
        }
        out.push(Value::Object(event));
    }
    Ok(out)
}
