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

/// A read transaction on `conn`, until dropped: the listings made in it see the same events
/// even while an import commits.
pub fn snapshot(conn: &Connection) -> Result<rusqlite::Transaction<'_>, StoreError> {
    conn.unchecked_transaction()
        .doing("starting the listing's read transaction")
}

/// Calls `each` with every cell of the event as CSV: its dotted JSON path (the import's own
/// header form) and its text, in the event's key order. The path is built in one buffer and
/// the text borrowed from the event, so that a listing allocates nothing per cell.
pub fn for_each_cell<'v>(event: &'v Value, mut each: impl FnMut(&str, &'v str)) {
    let mut path = String::new();
    walk(event, &mut path, &mut each);
}

fn walk<'v>(value: &'v Value, path: &mut String, each: &mut impl FnMut(&str, &'v str)) {
    // Appends `.key` (or `key` at the top) to the path, walks `inner`, and takes it off again.
    let mut descend = |path: &mut String, key: &str, inner: &'v Value| {
        let len = path.len();
        if len > 0 {
            path.push('.');
        }
        path.push_str(key);
        walk(inner, path, each);
        path.truncate(len);
    };
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                descend(path, key, inner);
            }
        }
        Value::Array(items) => {
            let mut index = itoa::Buffer::new();
            for (i, inner) in items.iter().enumerate() {
                descend(path, index.format(i), inner);
            }
        }
        Value::Null => each(path, ""),
        Value::Bool(b) => each(path, if *b { "true" } else { "false" }),
        // With arbitrary_precision, a number keeps its digits as text.
        Value::Number(n) => each(path, n.as_str()),
        Value::String(s) => each(path, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_to_the_import_header_form() {
        let event = serde_json::json!({
            "a": {"id": "X"},
            "products_set": [{"net_amount": 1.5}, {"quantity": 2, "p": {"id": "Y"}}],
            "b": null,
            "c": true
        });
        let mut cells = Vec::new();
        for_each_cell(&event, |path, text| cells.push((path.to_owned(), text)));
        assert_eq!(
            cells,
            [
                ("a.id".to_owned(), "X"),
                ("products_set.0.net_amount".to_owned(), "1.5"),
                ("products_set.1.quantity".to_owned(), "2"),
                ("products_set.1.p.id".to_owned(), "Y"),
                ("b".to_owned(), ""),
                ("c".to_owned(), "true"),
            ]
        );
    }
}
