//! Reading created events back for `cebulk events`, one at a time, so that listing a large
//! store does not hold it in memory.

use rusqlite::Connection;
use serde_json::{Map, Value};

use super::error::{Doing, StoreError};
use crate::domain::kind::Kind;

/// Calls `each` with every created event (of one kind, or all), by kind and then number: its
/// request object with identifiers resolved, plus `kind`, `id` and `number`. Stops at the
/// first error `each` returns.
pub fn for_each_event<E>(
    conn: &Connection,
    kind: Option<Kind>,
    mut each: impl FnMut(Value) -> Result<(), E>,
) -> Result<Result<(), E>, StoreError> {
    let doing = "listing events";
    let mut statement = conn
        .prepare(
            "SELECT kind, id, number, body FROM events
             WHERE ?1 IS NULL OR kind = ?1 ORDER BY seq",
        )
        .doing(doing)?;
    let mut rows = statement.query([kind.map(Kind::name)]).doing(doing)?;
    while let Some(row) = rows.next().doing(doing)? {
        let kind: String = row.get(0).doing(doing)?;
        let id: String = row.get(1).doing(doing)?;
        let number: i64 = row.get(2).doing(doing)?;
        let body: String = row.get(3).doing(doing)?;
        let fields = Kind::from_name(&kind).and_then(|k| crate::judge::body::decode(k, &body));
        let mut event = Map::new();
        event.insert("kind".into(), Value::String(kind));
        event.insert("id".into(), Value::String(id));
        event.insert("number".into(), Value::String(number.to_string()));
        event.extend(fields.unwrap_or_default());
        if let Err(e) = each(Value::Object(event)) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

/// The event as CSV cells: dotted JSON paths (the import's own header form) and values.
pub fn flatten(value: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                flatten(inner, &join(key), out);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                flatten(inner, &join(&i.to_string()), out);
            }
        }
        Value::Null => out.push((prefix.to_owned(), String::new())),
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_to_the_import_header_form() {
        let event = serde_json::json!({"a": {"id": "X"}, "products_set": [{"net_amount": 1.5}]});
        let mut cells = Vec::new();
        flatten(&event, "", &mut cells);
        assert_eq!(
            cells,
            [
                ("a.id".to_owned(), "X".to_owned()),
                ("products_set.0.net_amount".to_owned(), "1.5".to_owned())
            ]
        );
    }
}
