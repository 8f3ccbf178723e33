//! The stored form of an event's listing (the `body` column, schema 3): the listing's JSON
//! with each key replaced by the field's position in its level of the seed's field list
//! (`crate::domain::schema`), and each identifier object `{"id": X}` by its record's row in
//! the store alone ([`RecordRef`], schema 6; by its id `X` in schemas 3 to 5).
//!
//! Schema 7 leaves out what the row's columns hold and writes dates in fewer bytes
//! ([`Columns`]): the request unique identifier (its column holds it), the account when it
//! is named by its row (the `accounts_receivable_id` column holds that row), and each date
//! written `YYYY-MM-DDTHH:MM:SS` as a JSON integer, its seconds since the Unix epoch
//! (`crate::domain::epoch`); the listing puts them back. A number never stands in a date's
//! place otherwise (validation takes dates as strings only), so a decoder tells the two apart.
//!
//! Why: the listing is most of what an event puts in the store, and with field names most
//! of the listing was key names; every byte goes through a kernel copy (twice in WAL: the
//! log, then the store), a large share of an import's CPU
//! (docs/performance.md, "judge/body: the compact stored form").
//!
//! It stays JSON, so the views (`event_products`, `event_kpis`) read it with SQLite's JSON
//! functions, through [`path`]. Positions are part of the store's format: the test below
//! pins them, and a change to the seed's field order needs a new schema version.

use std::sync::LazyLock;

use serde_json::{Map, Value};

use crate::domain::entity::Entity;
use crate::domain::epoch;
use crate::domain::kind::Kind;
use crate::domain::schema;
use crate::domain::schema::field::{Field, FieldType};
use crate::json::escape::push_json_string;
use crate::judge::valid::{Fields, Norm};

/// How a body names a reference record (schema 6): by its row in the store's table, a JSON
/// integer of a few digits instead of its id, a 32-character string; or by its id, for a
/// record the store does not hold (a dry run's, read from a file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordRef<'i> {
    /// The record's `rid`.
    Row(i64),
    /// The record's id.
    Id(&'i str),
}

/// What a body of schema 7 leaves to its row, for the listing to put back: the row's
/// `request_unique_identifier`, and its `accounts_receivable_id` when that is an account's
/// row (an integer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns<'r> {
    /// The row's request unique identifier.
    pub rui: &'r str,
    /// The row's account, when the column holds its row.
    pub account: Option<i64>,
}

/// Where the fields a body may leave out sit among a kind's top-level fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeftOut {
    /// `request_unique_identifier`.
    pub rui: Option<usize>,
    /// `accounts_receivable_identifier`.
    pub account: Option<usize>,
    /// `rewards_participant_identifier`: a body that names it has no account of its own
    /// (the two are one semi-optional group), so the account is not put back.
    pub participant: Option<usize>,
}

impl LeftOut {
    /// The positions of `kind`'s fields.
    pub fn of(kind: Kind) -> LeftOut {
        static ALL: LazyLock<Vec<LeftOut>> = LazyLock::new(|| {
            Kind::ALL
                .iter()
                .map(|&kind| {
                    let level = schema::fields(kind);
                    let at = |name: &str| level.iter().position(|f| f.name == name);
                    LeftOut {
                        rui: at("request_unique_identifier"),
                        account: at("accounts_receivable_identifier"),
                        participant: at("rewards_participant_identifier"),
                    }
                })
                .collect()
        });
        ALL[usize::from(kind.ordinal() - 1)]
    }

    /// Whether the position `at` is the account's or the participant's.
    pub fn names_account(&self, at: usize) -> bool {
        Some(at) == self.account || Some(at) == self.participant
    }
}

/// What the listing puts back into a body, decided from the positions of its top-level
/// keys (`None` for a key that is no position): the request unique identifier, first,
/// unless a key is its position; then the account, by its row, unless a key is the
/// account's or the participant's position or the row holds no account's row. The account
/// goes before the first key whose position is not below its own ([`Restore::account_before`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restore<'r> {
    /// The request unique identifier to put first.
    pub rui: Option<&'r str>,
    /// The account's row to put back.
    pub account: Option<i64>,
}

impl<'r> Restore<'r> {
    /// What is put back into a `kind` body whose top-level keys have `positions`.
    pub fn new(
        kind: Kind,
        columns: Columns<'r>,
        positions: impl Iterator<Item = Option<usize>>,
    ) -> Restore<'r> {
        let left = LeftOut::of(kind);
        let (mut rui, mut account) = (true, left.account.is_some());
        for at in positions.flatten() {
            rui &= Some(at) != left.rui;
            account &= !left.names_account(at);
        }
        Restore {
            rui: rui.then_some(columns.rui),
            account: columns.account.filter(|_| account),
        }
    }

    /// Whether the account goes before a key of position `at` (`None`: no position),
    /// when it has not gone yet: a key that is not a position below the account's.
    pub fn account_before(kind: Kind, at: Option<usize>) -> bool {
        match (at, LeftOut::of(kind).account) {
            (Some(at), Some(account)) => at >= account,
            _ => true,
        }
    }
}

/// Writes normalized `fields` of `kind` (in its order) in stored form (schema 7), each
/// identifier as `id(its index)`; whether the account was left out (it is named by its
/// row, which the row's `accounts_receivable_id` holds).
pub fn write<'i>(
    out: &mut String,
    kind: Kind,
    fields: &Fields<'_>,
    id: &impl Fn(usize) -> RecordRef<'i>,
) -> bool {
    let left = LeftOut::of(kind);
    let mut account_left_out = false;
    write_level(
        out,
        schema::fields(kind),
        fields,
        id,
        &mut |at, value| match value {
            _ if Some(at) == left.rui => true,
            Norm::Ident(index) if Some(at) == left.account => {
                let row = matches!(id(*index), RecordRef::Row(_));
                account_left_out |= row;
                row
            }
            _ => false,
        },
    );
    account_left_out
}

/// Writes normalized `fields` of the level `level` (in its order) in stored form, each
/// identifier as `id(its index)`, and no field for which `skip(its position, its value)`
/// holds.
fn write_level<'i>(
    out: &mut String,
    level: &'static [Field],
    fields: &Fields<'_>,
    id: &impl Fn(usize) -> RecordRef<'i>,
    skip: &mut dyn FnMut(usize, &Norm<'_>) -> bool,
) {
    out.push('{');
    // The fields come in the level's order, so their positions are found in one pass.
    let mut from = 0;
    let mut written = 0;
    for (name, value) in fields {
        let at = position(level, from, name);
        if let Some(at) = at {
            from = at + 1;
            if skip(at, value) {
                continue;
            }
        }
        if written > 0 {
            out.push(',');
        }
        written += 1;
        out.push('"');
        match at {
            Some(at) => push_position(out, at),
            // Not in the schema (cannot happen: validation built `fields` from it); the
            // name is kept, so nothing is lost.
            None => out.push_str(name),
        }
        out.push_str("\":");
        let ty = at.map(|at| level[at].ty);
        match value {
            Norm::Text(text) => match (ty, epoch::seconds(text)) {
                (Some(FieldType::Date), Some(seconds)) => {
                    out.push_str(itoa::Buffer::new().format(seconds));
                }
                _ => push_json_string(out, text),
            },
            Norm::Number(number) => out.push_str(number),
            Norm::Ident(index) => match id(*index) {
                RecordRef::Row(row) => out.push_str(itoa::Buffer::new().format(row)),
                RecordRef::Id(text) => push_json_string(out, text),
            },
            Norm::Set(lines) => {
                let inner = match ty {
                    Some(FieldType::Set(inner)) => inner,
                    _ => &[],
                };
                out.push('[');
                for (j, line) in lines.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    write_level(out, inner, line, id, &mut |_, _| false);
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

/// The listing of a `kind` event from its stored form and what its row holds
/// (`columns`): field names back, identifiers as `{"id": X}`, dates as text, and what the
/// body left to the row put back ([`Restore`]). `None` when `stored` is not a JSON object.
pub fn decode(kind: Kind, stored: &str, columns: Columns<'_>) -> Option<Map<String, Value>> {
    match serde_json::from_str::<Value>(stored).ok()? {
        Value::Object(map) => {
            let restore = Restore::new(kind, columns, map.keys().map(|k| k.parse().ok()));
            Some(decode_level(
                schema::fields(kind),
                map,
                Some((kind, restore)),
            ))
        }
        _ => None,
    }
}

fn decode_level(
    level: &'static [Field],
    stored: Map<String, Value>,
    top: Option<(Kind, Restore<'_>)>,
) -> Map<String, Value> {
    let mut out = Map::with_capacity(stored.len() + 2);
    let mut account = None;
    if let Some((kind, restore)) = top {
        if let Some(rui) = restore.rui {
            out.insert(
                "request_unique_identifier".into(),
                Value::String(rui.into()),
            );
        }
        account = restore.account.map(|row| (kind, row));
    }
    let put_account = |out: &mut Map<String, Value>, account: &mut Option<(Kind, i64)>| {
        if let Some((_, row)) = account.take() {
            let mut object = Map::with_capacity(1);
            object.insert("id".into(), Value::from(row));
            out.insert(
                "accounts_receivable_identifier".into(),
                Value::Object(object),
            );
        }
    };
    for (key, value) in stored {
        let at = key.parse::<usize>().ok();
        if account.is_some_and(|(kind, _)| Restore::account_before(kind, at)) {
            put_account(&mut out, &mut account);
        }
        let Some(field) = at.and_then(|at| level.get(at)) else {
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
                        Value::Object(line) => Value::Object(decode_level(inner, line, None)),
                        other => other,
                    })
                    .collect(),
            ),
            (FieldType::Date, Value::Number(seconds)) => {
                match epoch::from_json(&seconds.to_string()) {
                    Some(date) => Value::String(date.as_str().to_owned()),
                    None => Value::Number(seconds),
                }
            }
            (_, value) => value,
        };
        out.insert(field.name.to_owned(), value);
    }
    put_account(&mut out, &mut account);
    out
}

/// The name [`decode`] gives the top-level key `key` of a `kind` body: its field's, or the
/// key itself when it is no position.
fn decoded_name(kind: Kind, key: &str) -> &str {
    key.parse::<usize>()
        .ok()
        .and_then(|at| schema::fields(kind).get(at))
        .map_or(key, |field| field.name)
}

/// What a body holds of what its row holds too ([`held`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// What the body gives the listing's request unique identifier.
    pub rui: HeldRui,
    /// Whether a top-level key is the account's or the participant's position (the account
    /// is then not put back from the row: [`Restore`]).
    pub names_account: bool,
}

/// What a body gives the listing's request unique identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeldRui {
    /// Nothing: the listing takes the row's.
    Absent,
    /// This text.
    Text(String),
    /// A value that is not text.
    Other,
}

/// What [`decode`] would take from the body itself for the listing's
/// `request_unique_identifier`, and whether the body names the account or the
/// participant, without building the listing: `None` when `stored` does not decode (it is
/// not a JSON object).
///
/// Why: `cebulk check` asks this of every event, and building each listing (an ordered
/// map and a string for every key and value) was nine tenths of its cost; here the JSON
/// is still parsed whole, so whatever [`decode`] refuses this refuses, but only the one
/// value is kept (docs/performance.md, "store/check: what checking a store costs").
/// A test holds it to [`decode`].
pub fn held(kind: Kind, stored: &str) -> Option<Held> {
    use serde::de::{Deserializer as _, IgnoredAny, MapAccess, Visitor};

    /// A top-level key: kept when it decodes to `request_unique_identifier`; whether it is
    /// the account's or the participant's position.
    struct RequestKey(Kind);
    impl<'de> serde::de::DeserializeSeed<'de> for RequestKey {
        type Value = (Option<String>, bool);
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }
    impl Visitor<'_> for RequestKey {
        type Value = (Option<String>, bool);
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a key")
        }
        fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
            let account = key
                .parse::<usize>()
                .is_ok_and(|at| LeftOut::of(self.0).names_account(at));
            let rui = decoded_name(self.0, key) == "request_unique_identifier";
            Ok((rui.then(|| key.to_owned()), account))
        }
    }

    /// The top-level object. Mirrors what [`decode`] keeps when several keys decode to the
    /// identifier (`"0"`, `"00"`, the name itself): its map keeps each key where it first
    /// came with the last value given to it, and decoding them in that order, the last
    /// key's value wins.
    struct Top(Kind);
    impl<'de> Visitor<'de> for Top {
        type Value = Held;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut keys: Vec<(String, Option<String>)> = Vec::new();
            let mut names_account = false;
            while let Some((key, account)) = map.next_key_seed(RequestKey(self.0))? {
                names_account |= account;
                let Some(key) = key else {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                };
                let value = match map.next_value::<Value>()? {
                    Value::String(text) => Some(text),
                    _ => None,
                };
                match keys.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, earlier)) => *earlier = value,
                    None => keys.push((key, value)),
                }
            }
            let rui = match keys.pop() {
                None => HeldRui::Absent,
                Some((_, Some(text))) => HeldRui::Text(text),
                Some((_, None)) => HeldRui::Other,
            };
            Ok(Held { rui, names_account })
        }
    }

    let mut parser = serde_json::Deserializer::from_str(stored);
    let found = (&mut parser).deserialize_map(Top(kind)).ok()?;
    parser.end().ok()?;
    Some(found)
}

/// A stored body of schema 6 in the form of schema 7, byte for byte what [`write()`] gives
/// for the same event today, so that upgraded events are still recognised on a re-run:
/// without the request unique identifier (its column holds it), without the account when
/// it is named by its row (schema 6 kept the same row in `accounts_receivable_id`), and
/// with each date `YYYY-MM-DDTHH:MM:SS` as its seconds. A body that is not a JSON object
/// (none is written so) is given back as it is.
pub fn from_v6(kind: Kind, stored: &str) -> String {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(stored) else {
        return stored.to_owned();
    };
    let left = LeftOut::of(kind);
    let mut out = String::with_capacity(stored.len());
    v7_level(&mut out, schema::fields(kind), &map, &|at, value| {
        Some(at) == left.rui || (Some(at) == left.account && value.is_i64())
    });
    out
}

/// Writes the schema 6 object `map` of `level` as [`write_level`] would, without the
/// top-level keys for which `skip(position, value)` holds.
fn v7_level(
    out: &mut String,
    level: &'static [Field],
    map: &Map<String, Value>,
    skip: &dyn Fn(usize, &Value) -> bool,
) {
    out.push('{');
    let mut written = 0;
    for (key, value) in map {
        let at = key
            .parse::<usize>()
            .ok()
            .filter(|&at| key == &at.to_string());
        if at.is_some_and(|at| skip(at, value)) {
            continue;
        }
        if written > 0 {
            out.push(',');
        }
        written += 1;
        push_json_string(out, key);
        out.push(':');
        match (at.and_then(|at| level.get(at)).map(|f| f.ty), value) {
            (Some(FieldType::Date), Value::String(text)) => match epoch::seconds(text) {
                Some(seconds) => out.push_str(itoa::Buffer::new().format(seconds)),
                None => push_json_string(out, text),
            },
            (Some(FieldType::Set(inner)), Value::Array(lines)) => {
                push_lines(out, lines, |out, line| {
                    v7_level(out, inner, line, &|_, _| false);
                });
            }
            (_, value) => encode_value(out, value),
        }
    }
    out.push('}');
}

/// The stored form of schema 3 to 6 of a listing of schema 2 (field names, `{"id": X}`),
/// byte for byte what [`write()`] gave for the same event before schema 6 (ids, not rows);
/// [`with_rows`], then [`from_v6`], bring it to today's. `None` when `listing` is not a
/// JSON object.
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
                push_lines(out, lines, |out, line| encode_level(out, inner, line));
            }
            (_, value) => encode_value(out, value),
        }
    }
    out.push('}');
}

/// A stored body of schema 3 to 5 with each identifier that names a record `row`
/// knows written as that record's row instead ([`RecordRef`]), then in today's form
/// ([`from_v6`]): byte for byte what [`write()`] gives for the same event today, so that
/// upgraded events are still recognised on a re-run. `None` when `stored` is not a JSON
/// object.
pub fn with_rows(
    kind: Kind,
    stored: &str,
    row: &impl Fn(Entity, &str) -> Option<i64>,
) -> Option<String> {
    let Value::Object(map) = serde_json::from_str::<Value>(stored).ok()? else {
        return None;
    };
    let mut out = String::with_capacity(stored.len());
    rows_level(&mut out, schema::fields(kind), &map, row);
    Some(from_v6(kind, &out))
}

fn rows_level(
    out: &mut String,
    level: &'static [Field],
    map: &Map<String, Value>,
    row: &impl Fn(Entity, &str) -> Option<i64>,
) {
    out.push('{');
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(out, key);
        out.push(':');
        let field = key.parse::<usize>().ok().and_then(|at| level.get(at));
        match (field.map(|f| f.ty), value) {
            (Some(FieldType::Identifier(entity)), Value::String(id)) => match row(entity, id) {
                Some(found) => out.push_str(itoa::Buffer::new().format(found)),
                None => push_json_string(out, id),
            },
            (Some(FieldType::Set(inner)), Value::Array(lines)) => {
                push_lines(out, lines, |out, line| rows_level(out, inner, line, row));
            }
            (_, value) => encode_value(out, value),
        }
    }
    out.push('}');
}

/// Writes a set's `lines`, each object through `object`, anything else as it is.
fn push_lines(
    out: &mut String,
    lines: &[Value],
    mut object: impl FnMut(&mut String, &Map<String, Value>),
) {
    out.push('[');
    for (j, line) in lines.iter().enumerate() {
        if j > 0 {
            out.push(',');
        }
        match line {
            Value::Object(line) => object(out, line),
            other => encode_value(out, other),
        }
    }
    out.push(']');
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
    use std::borrow::Cow;

    use proptest::prelude::*;

    use super::*;

    const PURCHASE: &str = r#"{"request_unique_identifier":"7","accounts_receivable_identifier":{"id":"A1"},"performed_by_unit_identifier":{"id":"U1"},"performed_on":"2016-06-22T15:00:00","reference_number":"R\"1","products_set":[{"product_identifier":{"id":"P1"},"quantity":1,"net_amount":50,"vat_amount":10,"total_amount":60.25}]}"#;

    /// The row of the events above: its identifier, and no account by row.
    const ROW: Columns<'static> = Columns {
        rui: "7",
        account: None,
    };

    #[test]
    fn stored_form_is_positional_and_round_trips() {
        let stored = encode(Kind::Purchases, PURCHASE).expect("a listing");
        assert!(stored.len() * 2 < PURCHASE.len() + 60, "{stored}");
        let back = decode(Kind::Purchases, &stored, ROW).expect("a stored form");
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
    fn upgraded_bodies_name_the_records_the_store_holds_by_their_row() {
        let stored = encode(Kind::Purchases, PURCHASE).expect("a listing");
        let row = |entity: Entity, id: &str| match (entity, id) {
            (Entity::Account, "A1") => Some(12),
            (Entity::Product, "P1") => Some(3),
            _ => None,
        };
        assert_eq!(
            with_rows(Kind::Purchases, &stored, &row).as_deref(),
            Some(
                r#"{"4":"U1","5":1466607600,"7":"R\"1","38":[{"0":3,"1":1,"2":50,"3":10,"4":60.25}]}"#
            ),
            "the unit is not in the store: it keeps its id"
        );
        assert_eq!(with_rows(Kind::Purchases, "[1]", &row), None);
    }

    /// The purchase above as validation gives it, its identifiers 0 (account), 1 (unit)
    /// and 2 (product); and how the store names those records.
    fn purchase_fields(date: &'static str) -> Fields<'static> {
        vec![
            ("request_unique_identifier", Norm::Text("7")),
            ("accounts_receivable_identifier", Norm::Ident(0)),
            ("performed_by_unit_identifier", Norm::Ident(1)),
            ("performed_on", Norm::Text(date)),
            ("reference_number", Norm::Text("R\"1")),
            (
                "products_set",
                Norm::Set(vec![vec![
                    ("product_identifier", Norm::Ident(2)),
                    ("quantity", Norm::Number(Cow::Borrowed("1"))),
                    ("net_amount", Norm::Number(Cow::Borrowed("50"))),
                    ("vat_amount", Norm::Number(Cow::Borrowed("10"))),
                    ("total_amount", Norm::Number(Cow::Borrowed("60.25"))),
                ]]),
            ),
        ]
    }

    #[test]
    fn the_identifier_the_account_by_row_and_canonical_dates_are_left_to_the_row() {
        let by_row = |index: usize| match index {
            0 => RecordRef::Row(12),
            1 => RecordRef::Id("U1"),
            _ => RecordRef::Row(3),
        };
        let mut out = String::new();
        assert!(write(
            &mut out,
            Kind::Purchases,
            &purchase_fields("2016-06-22T15:00:00"),
            &by_row
        ));
        assert_eq!(
            out,
            r#"{"4":"U1","5":1466607600,"7":"R\"1","38":[{"0":3,"1":1,"2":50,"3":10,"4":60.25}]}"#
        );
        // An account the store does not hold stays in the body, and so does a date of
        // another form.
        let by_id = |index: usize| match index {
            0 => RecordRef::Id("A1"),
            _ => by_row(index),
        };
        let mut out = String::new();
        assert!(!write(
            &mut out,
            Kind::Purchases,
            &purchase_fields("2016-06-22T15:00:00Z"),
            &by_id
        ));
        assert_eq!(
            out,
            r#"{"1":"A1","4":"U1","5":"2016-06-22T15:00:00Z","7":"R\"1","38":[{"0":3,"1":1,"2":50,"3":10,"4":60.25}]}"#
        );
    }

    #[test]
    fn a_schema_6_body_becomes_what_write_gives_and_lists_the_same() {
        let row = |entity: Entity, id: &str| match (entity, id) {
            (Entity::Account, "A1") => Some(12),
            (Entity::Product, "P1") => Some(3),
            _ => None,
        };
        let columns = Columns {
            rui: "7",
            account: Some(12),
        };
        for (date, account, account_by_row) in [
            ("2016-06-22T15:00:00", RecordRef::Row(12), true),
            ("1066-10-14T09:00:00", RecordRef::Id("A1"), false),
            ("2016-06-22", RecordRef::Row(12), true),
            ("2016-06-22T15:00:00.5+02:00", RecordRef::Id("A1"), false),
        ] {
            let account_text = if account_by_row { "12" } else { "\"A1\"" };
            let v6 = format!(
                r#"{{"0":"7","1":{account_text},"4":"U1","5":"{date}","7":"R\"1","38":[{{"0":3,"1":1,"2":50,"3":10,"4":60.25}}]}}"#
            );
            let mut written = String::new();
            write(
                &mut written,
                Kind::Purchases,
                &purchase_fields(date),
                &|index| match index {
                    0 => account,
                    1 => RecordRef::Id("U1"),
                    _ => RecordRef::Row(3),
                },
            );
            let upgraded = from_v6(Kind::Purchases, &v6);
            assert_eq!(upgraded, written, "{v6}");
            assert_eq!(
                from_v6(Kind::Purchases, &upgraded),
                upgraded,
                "twice is once"
            );
            if account_by_row {
                let listing = PURCHASE.replace("2016-06-22T15:00:00", date);
                let older = encode(Kind::Purchases, &listing).unwrap();
                assert_eq!(
                    with_rows(Kind::Purchases, &older, &row),
                    Some(written.clone())
                );
            }
            // A schema 6 body still holds what it left to the row: either lists the same.
            let columns = Columns {
                account: columns.account.filter(|_| account_by_row),
                ..columns
            };
            assert_eq!(
                decode(Kind::Purchases, &upgraded, columns),
                decode(Kind::Purchases, &v6, columns),
                "{upgraded}"
            );
        }
        // A participant's event keeps its participant; an odd body is kept.
        assert_eq!(
            from_v6(
                Kind::Purchases,
                r#"{"0":"r","2":5,"5":"2016-06-22T15:00:00"}"#
            ),
            r#"{"2":5,"5":1466607600}"#
        );
        assert_eq!(from_v6(Kind::Web, "[1]"), "[1]");
    }

    #[test]
    fn the_listing_puts_back_what_the_row_holds_in_its_place() {
        let columns = Columns {
            rui: "r\"1",
            account: Some(12),
        };
        let listed = |kind: Kind, stored: &str, columns| {
            decode(kind, stored, columns).map(|map| Value::Object(map).to_string())
        };
        assert_eq!(
            listed(Kind::Purchases, r#"{"4":"U1","5":0}"#, columns).as_deref(),
            Some(
                r#"{"request_unique_identifier":"r\"1","accounts_receivable_identifier":{"id":12},"performed_by_unit_identifier":{"id":"U1"},"performed_on":"1970-01-01T00:00:00"}"#
            )
        );
        // A participant: no account; an account in the body: its own; no row: none.
        for (stored, account) in [
            (r#"{"2":5}"#, None),
            (r#"{"1":"A1"}"#, Some("\"A1\"")),
            (r#"{"0":"x","5":"2016"}"#, Some("12")),
        ] {
            let listing = decode(Kind::Web, stored, columns).unwrap();
            assert_eq!(
                listing
                    .get("accounts_receivable_identifier")
                    .map(|a| a["id"].to_string())
                    .as_deref(),
                account,
                "{stored}"
            );
        }
        let no_row = Columns {
            account: None,
            ..columns
        };
        assert_eq!(
            listed(Kind::Web, "{}", no_row).as_deref(),
            Some(r#"{"request_unique_identifier":"r\"1"}"#)
        );
        assert_eq!(
            listed(Kind::Referrals, "{}", columns).as_deref(),
            Some(r#"{"request_unique_identifier":"r\"1"}"#),
            "referrals have no account field"
        );
        // A number out of the years' range, or not canonical, in a date's place is listed
        // as it is.
        assert_eq!(
            listed(Kind::Purchases, r#"{"0":"x","5":-62135596801}"#, no_row).as_deref(),
            Some(r#"{"request_unique_identifier":"x","performed_on":-62135596801}"#)
        );
        assert_eq!(
            listed(Kind::Purchases, r#"{"0":"x","5":1.5}"#, no_row).as_deref(),
            Some(r#"{"request_unique_identifier":"x","performed_on":1.5}"#)
        );
    }

    #[test]
    fn unknown_keys_and_odd_values_are_kept() {
        let stored = encode(
            Kind::Purchases,
            r#"{"surprise":{"a":1},"products_set":[3]}"#,
        )
        .expect("an object");
        let back = decode(Kind::Purchases, &stored, ROW).expect("an object");
        assert_eq!(
            Value::Object(back),
            serde_json::json!({"request_unique_identifier": "7", "surprise": {"a": 1}, "products_set": [3]})
        );
        assert!(decode(Kind::Purchases, "[1]", ROW).is_none());
    }

    /// The row's identifier and account in the tests of [`held`]: no body holds them.
    const MARK: &str = "the row's";
    const MARK_ACCOUNT: i64 = -987_654_321_012;

    /// What [`held`] gives, the slow way: from the listing [`decode`] gives.
    fn decoded_held(kind: Kind, stored: &str) -> Option<Held> {
        let columns = Columns {
            rui: MARK,
            account: Some(MARK_ACCOUNT),
        };
        decode(kind, stored, columns).map(|listing| Held {
            rui: match listing.get("request_unique_identifier") {
                Some(Value::String(text)) if text == MARK => HeldRui::Absent,
                Some(Value::String(text)) => HeldRui::Text(text.clone()),
                _ => HeldRui::Other,
            },
            names_account: LeftOut::of(kind).account.is_some()
                && !listing
                    .get("accounts_receivable_identifier")
                    .is_some_and(|a| a["id"] == MARK_ACCOUNT),
        })
    }

    #[test]
    fn what_a_body_holds_is_what_decode_gives() {
        let stored = encode(Kind::Purchases, PURCHASE).expect("a listing");
        let bodies = [
            stored.as_str(),
            r#"{"0":"a","0":"b"}"#,
            r#"{"00":"a"}"#,
            r#"{"+0":"a","1":"x"}"#,
            r#"{"request_unique_identifier":"a"}"#,
            r#"{"0":"a","request_unique_identifier":"b"}"#,
            r#"{"request_unique_identifier":"a","0":"b","request_unique_identifier":"c"}"#,
            r#"{"\u0030":"escaped key"}"#,
            r#"{"0":"a\"b\u00e9"}"#,
            r#"{"0":7}"#,
            r#"{"0":null}"#,
            r#"{"1":"a"}"#,
            r#"{"2":"a"}"#,
            r#"{"01":"a"}"#,
            "{}",
            " {\"0\":\"a\"} ",
            r#"{"0":"a"} x"#,
            r#"{"0":"a""#,
            r#"{"0":"a","9":[1,{"x":1e999}]}"#,
            "[1]",
            "garbage",
            "",
        ];
        for body in bodies {
            for kind in Kind::ALL {
                assert_eq!(
                    held(kind, body),
                    decoded_held(kind, body),
                    "{kind:?} {body}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn what_a_body_holds_agrees_with_decode_on_any_text(
            body in r#"[{}\[\]",:0-9a-z\\ +.-]{0,40}"#,
        ) {
            prop_assert_eq!(held(Kind::Web, &body), decoded_held(Kind::Web, &body));
        }

        #[test]
        fn what_a_body_holds_agrees_with_decode_on_objects(
            entries in prop::collection::vec(
                (
                    prop_oneof![
                        Just("0".to_owned()),
                        Just("00".to_owned()),
                        Just("1".to_owned()),
                        Just("2".to_owned()),
                        Just("request_unique_identifier".to_owned()),
                        "[0-9]{1,2}",
                        "[a-z_]{0,6}",
                    ],
                    prop_oneof![
                        "[a-z\"\\\\]{0,5}".prop_map(Value::String),
                        any::<i64>().prop_map(Value::from),
                        Just(Value::Null),
                        Just(serde_json::json!([1, {"0": "x"}])),
                    ],
                ),
                0..6,
            ),
        ) {
            let body = format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(key, value)| format!("{}:{value}", Value::String(key.clone())))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            prop_assert_eq!(
                held(Kind::Purchases, &body),
                decoded_held(Kind::Purchases, &body)
            );
        }
    }
}
