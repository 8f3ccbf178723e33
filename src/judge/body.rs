//! The stored form of an event's listing (the `body` column, schema 3): the listing's JSON
//! with each key replaced by the field's position in its level of the seed's field list
//! (`crate::domain::schema`), and each identifier object `{"id": X}` by its id `X` alone.
//!
//! Why: the listing is most of what an event puts in the store, and with field names most
//! of the listing was key names; every byte goes through a kernel copy (twice in WAL: the
//! log, then the store), a large share of an import's CPU
//! (docs/performance.md, "judge/body: the compact stored form").
//!
//! It stays JSON, so the views (`event_products`, `event_kpis`) read it with SQLite's JSON
//! functions, through [`path`]. Positions are part of the store's format: the test below
//! pins them, and a change to the seed's field order needs a new schema version.

use serde_json::{Map, Value};

use crate::domain::kind::Kind;
use crate::domain::schema;
use crate::domain::schema::field::{Field, FieldType};
use crate::json::escape::push_json_string;
use crate::judge::valid::{Fields, Norm};

/// Writes normalized `fields` of the level `level` (in its order) in stored form, each
/// identifier as `id(its index)`.
pub fn write<'i>(
    out: &mut String,
    level: &'static [Field],
    fields: &Fields<'_>,
    id: &impl Fn(usize) -> &'i str,
) {
    out.push('{');
    // The fields come in the level's order, so their positions are found in one pass.
    let mut from = 0;
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let at = position(level, from, name);
        out.push('"');
        match at {
            Some(at) => {
                from = at + 1;
                push_position(out, at);
            }
            // Not in the schema (cannot happen: validation built `fields` from it); the
            // name is kept, so nothing is lost.
            None => out.push_str(name),
        }
        out.push_str("\":");
        match value {
            Norm::Text(text) => push_json_string(out, text),
            Norm::Number(number) => out.push_str(number),
            Norm::Ident(index) => {
                push_json_string(out, id(*index));
            }
            Norm::Set(lines) => {
                let inner = match at.map(|at| level[at].ty) {
                    Some(FieldType::Set(inner)) => inner,
                    _ => &[],
                };
                out.push('[');
                for (j, line) in lines.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    write(out, inner, line, id);
                }
                out.push(']');
            }
        }
    }
    out.push('}');
}

/// Writes a position in decimal; levels have at most 64 fields, so two digits by hand
/// rather than through itoa (docs/performance.md, "judge/body: positions by hand").
fn push_position(out: &mut String, at: usize) {
    if at < 10 {
        out.push(char::from(b'0' + at as u8));
    } else if at < 100 {
        out.push(char::from(b'0' + (at / 10) as u8));
        out.push(char::from(b'0' + (at % 10) as u8));
    } else {
        out.push_str(itoa::Buffer::new().format(at));
    }
}

fn position(level: &[Field], from: usize, name: &str) -> Option<usize> {
    let rest = level.get(from..).unwrap_or_default();
    // Names are the schema's own `&'static str`s: comparing addresses is enough, and cheap.
    rest.iter()
        .position(|f| std::ptr::eq(f.name, name))
        .map(|p| from + p)
        .or_else(|| level.iter().position(|f| f.name == name))
}

/// The listing of a `kind` event from its stored form: field names back, identifiers as
/// `{"id": X}`. `None` when `stored` is not a JSON object.
pub fn decode(kind: Kind, stored: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str::<Value>(stored).ok()? {
        Value::Object(map) => Some(decode_level(schema::fields(kind), map)),
        _ => None,
    }
}

fn decode_level(level: &'static [Field], stored: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::with_capacity(stored.len());
    for (key, value) in stored {
        let Some(field) = key.parse::<usize>().ok().and_then(|at| level.get(at)) else {
            // A key of no position is kept as it is (see `write`).
            out.insert(key, value);
            continue;
        };
        let value = match (field.ty, value) {
            (FieldType::Identifier(_), id) => {
                let mut object = Map::with_capacity(1);
                object.insert("id".into(), id);
                Value::Object(object)
            }
            (FieldType::Set(inner), Value::Array(lines)) => Value::Array(
                lines
                    .into_iter()
                    .map(|line| match line {
                        Value::Object(line) => Value::Object(decode_level(inner, line)),
                        other => other,
                    })
                    .collect(),
            ),
            (_, value) => value,
        };
        out.insert(field.name.to_owned(), value);
    }
    out
}

/// The stored form of a listing of schema 2 (field names, `{"id": X}`), byte for byte what
/// [`write()`] gives for the same event, so that upgraded events are still recognised on a
/// re-run. `None` when `listing` is not a JSON object.
pub fn encode(kind: Kind, listing: &str) -> Option<String> {
    let Value::Object(map) = serde_json::from_str::<Value>(listing).ok()? else {
        return None;
    };
    let mut out = String::with_capacity(listing.len());
    encode_level(&mut out, schema::fields(kind), &map);
    Some(out)
}

fn encode_level(out: &mut String, level: &'static [Field], map: &Map<String, Value>) {
    out.push('{');
    for (i, (name, value)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let at = level.iter().position(|f| f.name == name);
        out.push('"');
        match at {
            Some(at) => push_position(out, at),
            None => out.push_str(name),
        }
        out.push_str("\":");
        match (at.map(|at| level[at].ty), value) {
            (Some(FieldType::Identifier(_)), Value::Object(object)) if object.len() == 1 => {
                encode_value(out, object.get("id").unwrap_or(&Value::Null));
            }
            (Some(FieldType::Set(inner)), Value::Array(lines)) => {
                out.push('[');
                for (j, line) in lines.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    match line {
                        Value::Object(line) => encode_level(out, inner, line),
                        other => encode_value(out, other),
                    }
                }
                out.push(']');
            }
            (_, value) => encode_value(out, value),
        }
    }
    out.push('}');
}

fn encode_value(out: &mut String, value: &Value) {
    match value {
        Value::String(text) => push_json_string(out, text),
        // Numbers keep their text (arbitrary_precision), as the listing wrote them.
        other => out.push_str(&other.to_string()),
    }
}

/// The SQLite JSON path, in stored form, of the field reached through `names` (a set's
/// name, then a field of its elements) in `kind` events; `None` for a name not in the
/// schema.
pub fn path(kind: Kind, names: &[&str]) -> Option<String> {
    let mut level = schema::fields(kind);
    let mut out = String::from("$");
    for name in names {
        let at = level.iter().position(|f| f.name == *name)?;
        out.push_str(&format!(".\"{at}\""));
        if let FieldType::Set(inner) = level[at].ty {
            level = inner;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PURCHASE: &str = r#"{"request_unique_identifier":"7","accounts_receivable_identifier":{"id":"A1"},"performed_by_unit_identifier":{"id":"U1"},"performed_on":"2016-06-22T15:00:00","reference_number":"R\"1","products_set":[{"product_identifier":{"id":"P1"},"quantity":1,"net_amount":50,"vat_amount":10,"total_amount":60.25}]}"#;

    #[test]
    fn stored_form_is_positional_and_round_trips() {
        let stored = encode(Kind::Purchases, PURCHASE).expect("a listing");
        assert!(stored.len() * 2 < PURCHASE.len() + 60, "{stored}");
        let back = decode(Kind::Purchases, &stored).expect("a stored form");
        let original: Value = serde_json::from_str(PURCHASE).expect("JSON");
        assert_eq!(Value::Object(back), original);
    }

    /// The positions are the store's format: changing the seed's field order would make
    /// every stored event read back wrong. This pins what schema 3 stores.
    #[test]
    fn positions_are_pinned() {
        let paths = [
            (
                Kind::Purchases,
                vec!["request_unique_identifier"],
                "$.\"0\"",
            ),
            (Kind::Purchases, vec!["products_set"], "$.\"38\""),
            (
                Kind::Purchases,
                vec!["products_set", "product_identifier"],
                "$.\"38\".\"0\"",
            ),
            (
                Kind::Purchases,
                vec!["products_set", "total_amount"],
                "$.\"38\".\"4\"",
            ),
            (
                Kind::FinancialStatements,
                vec!["measured_key_performance_indicators_set", "value"],
                "$.\"25\".\"1\"",
            ),
        ];
        for (kind, names, expected) in paths {
            assert_eq!(path(kind, &names).as_deref(), Some(expected), "{names:?}");
        }
        let stored = encode(Kind::Purchases, PURCHASE).expect("a listing");
        assert_eq!(
            stored,
            r#"{"0":"7","1":"A1","4":"U1","5":"2016-06-22T15:00:00","7":"R\"1","38":[{"0":"P1","1":1,"2":50,"3":10,"4":60.25}]}"#
        );
    }

    #[test]
    fn unknown_keys_and_odd_values_are_kept() {
        let stored = encode(
            Kind::Purchases,
            r#"{"surprise":{"a":1},"products_set":[3]}"#,
        )
        .expect("an object");
        let back = decode(Kind::Purchases, &stored).expect("an object");
        assert_eq!(
            Value::Object(back),
            serde_json::json!({"surprise": {"a": 1}, "products_set": [3]})
        );
        assert!(decode(Kind::Purchases, "[1]").is_none());
    }
}
