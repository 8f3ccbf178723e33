//! An event's listing decoded from its stored body for `cebulk events`, as [`Decoded`]: the
//! same listing as [`super::body::decode`] gives, but borrowing every value from the stored
//! text as the JSON it is written in, and keeping each object's keys in a list, in order.
//!
//! Why: a listing through `serde_json::Value` hashed every key twice (the parse, then the
//! renamed copy), allocated every key and value, and unescaped and escaped every string
//! again; that was most of what listing cost (docs/performance.md, "listing/decoded: the
//! listing without Values"). A test holds it to [`super::body::decode`].

use std::borrow::Cow;
use std::rc::Rc;

use serde::de::{Deserializer as _, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde_json::value::RawValue;

use crate::domain::entity::Entity;
use crate::domain::epoch;
use crate::domain::kind::Kind;
use crate::domain::schema;
use crate::domain::schema::field::{Field, FieldType};
use crate::judge::body::{Columns, RecordRef, Restore};

/// One value of a decoded listing.
#[derive(Debug, Clone)]
pub enum Decoded<'s> {
    /// An object: its keys and values, in order.
    Object(Vec<(Cow<'s, str>, Decoded<'s>)>),
    /// An array.
    Array(Vec<Decoded<'s>>),
    /// Any other value, as the JSON text the body holds (a string still escaped, a number
    /// as written).
    Raw(&'s RawValue),
    /// A value from elsewhere than the body (a record's natural key), as JSON text, shared
    /// by every listing that shows it.
    Shared(Rc<RawValue>),
}

impl Decoded<'_> {
    /// `text` as a JSON string value.
    pub fn text(text: &str) -> Decoded<'static> {
        Decoded::Shared(shared(text))
    }
}

/// `text` as a shared JSON string value.
pub fn shared(text: &str) -> Rc<RawValue> {
    let json = serde_json::to_string(text).unwrap_or_else(|_| "null".to_owned());
    RawValue::from_string(json).map_or_else(|_| shared("null"), Rc::from)
}

impl serde::Serialize for Decoded<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Decoded::Object(pairs) => {
                let mut map = serializer.serialize_map(Some(pairs.len()))?;
                for (key, value) in pairs {
                    map.serialize_entry(key.as_ref(), value)?;
                }
                map.end()
            }
            Decoded::Array(items) => serializer.collect_seq(items),
            Decoded::Raw(raw) => raw.serialize(serializer),
            Decoded::Shared(raw) => raw.serialize(serializer),
        }
    }
}

/// The listing of a `kind` event from its stored form and what its row holds (`columns`),
/// as [`super::body::decode`] gives it, with `named` called on each identifier object (the
/// entity, how the body names the record, the object's pairs) to add what the caller
/// knows of the record: after its `id` when the body names it by id, and from its `id` on,
/// which `named` adds, when by its row ([`RecordRef`]). `None` when `stored` is not a JSON
/// object.
pub fn decode<'s>(
    kind: Kind,
    stored: &'s str,
    columns: Columns<'_>,
    named: &mut impl FnMut(Entity, RecordRef<'_>, &mut Vec<(Cow<'s, str>, Decoded<'s>)>),
) -> Option<Vec<(Cow<'s, str>, Decoded<'s>)>> {
    let pairs = pairs(stored)?;
    let restore = Restore::new(kind, columns, pairs.iter().map(|(k, _)| k.parse().ok()));
    Some(decode_level(
        schema::fields(kind),
        pairs,
        Some((kind, restore)),
        named,
    ))
}

fn decode_level<'s>(
    level: &'static [Field],
    pairs: Vec<(Cow<'s, str>, &'s RawValue)>,
    top: Option<(Kind, Restore<'_>)>,
    named: &mut impl FnMut(Entity, RecordRef<'_>, &mut Vec<(Cow<'s, str>, Decoded<'s>)>),
) -> Vec<(Cow<'s, str>, Decoded<'s>)> {
    let mut out: Vec<(Cow<'s, str>, Decoded<'s>)> = Vec::with_capacity(pairs.len() + 2);
    // The positions met so far (a level has at most 64 fields): a key met again, which a
    // body written by cebulk never holds, is looked for only then.
    let mut seen = 0u64;
    let mut odd = false;
    let mut account = None;
    if let Some((kind, restore)) = top {
        if let Some(rui) = restore.rui {
            out.push((
                Cow::Borrowed("request_unique_identifier"),
                Decoded::text(rui),
            ));
            odd = true;
        }
        account = restore.account.map(|row| (kind, row));
    }
    for (key, raw) in pairs {
        let at = key.parse::<usize>().ok();
        if let Some((kind, row)) = account
            && Restore::account_before(kind, at)
        {
            put_account(&mut out, row, named);
            account = None;
            odd = true;
        }
        let Some(field) = at.and_then(|at| level.get(at)) else {
            // A key of no position is kept as it is (see `body::write`).
            put(&mut out, key, Decoded::Raw(raw));
            odd = true;
            continue;
        };
        let bit = at.map_or(0, |at| 1u64.checked_shl(at as u32).unwrap_or(0));
        let again = odd || seen & bit != 0 || bit == 0;
        seen |= bit;
        let value = match field.ty {
            FieldType::Identifier(entity) => {
                let mut object = Vec::with_capacity(1 + entity.listed_columns().len());
                if let Some(row) = super::stream::row(raw.get()) {
                    named(entity, RecordRef::Row(row), &mut object);
                } else {
                    object.push((Cow::Borrowed("id"), Decoded::Raw(raw)));
                    if let Some(id) = string(raw) {
                        named(entity, RecordRef::Id(&id), &mut object);
                    }
                }
                Decoded::Object(object)
            }
            FieldType::Set(inner) => match items(raw) {
                Some(lines) => Decoded::Array(
                    lines
                        .into_iter()
                        .map(|line| match pairs_of(line) {
                            Some(line) => Decoded::Object(decode_level(inner, line, None, named)),
                            None => Decoded::Raw(line),
                        })
                        .collect(),
                ),
                None => Decoded::Raw(raw),
            },
            FieldType::Date => match epoch::from_json(raw.get()) {
                Some(date) => Decoded::text(date.as_str()),
                None => Decoded::Raw(raw),
            },
            _ => Decoded::Raw(raw),
        };
        if again {
            put(&mut out, Cow::Borrowed(field.name), value);
        } else {
            out.push((Cow::Borrowed(field.name), value));
        }
    }
    if let Some((_, row)) = account {
        put_account(&mut out, row, named);
    }
    out
}

/// Puts the account the row names by `row` into `out` (see [`Restore`]).
fn put_account<'s>(
    out: &mut Vec<(Cow<'s, str>, Decoded<'s>)>,
    row: i64,
    named: &mut impl FnMut(Entity, RecordRef<'_>, &mut Vec<(Cow<'s, str>, Decoded<'s>)>),
) {
    let mut object = Vec::with_capacity(1 + Entity::Account.listed_columns().len());
    named(Entity::Account, RecordRef::Row(row), &mut object);
    put(
        out,
        Cow::Borrowed("accounts_receivable_identifier"),
        Decoded::Object(object),
    );
}

/// Adds `key` to `out`, or, as a JSON object would, gives an earlier `key` this value in its
/// place (a body holds each key once; this keeps odd stored text decoding as `decode` does).
fn put<'s>(out: &mut Vec<(Cow<'s, str>, Decoded<'s>)>, key: Cow<'s, str>, value: Decoded<'s>) {
    match out.iter_mut().find(|(k, _)| *k == key) {
        Some((_, earlier)) => *earlier = value,
        None => out.push((key, value)),
    }
}

/// The unescaped text of a JSON string value; `None` for any other value.
fn string(raw: &RawValue) -> Option<Cow<'_, str>> {
    let text = raw.get();
    if !text.starts_with('"') {
        return None;
    }
    match text[1..text.len() - 1].contains('\\') {
        false => Some(Cow::Borrowed(&text[1..text.len() - 1])),
        true => serde_json::from_str::<String>(text).ok().map(Cow::Owned),
    }
}

/// The keys and values of the JSON object `text`; `None` for anything else.
fn pairs(text: &str) -> Option<Vec<(Cow<'_, str>, &RawValue)>> {
    // With arbitrary_precision a number reaches a visitor as a map: only objects go on.
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let pairs = deserializer.deserialize_any(PairsVisitor).ok()??;
    deserializer.end().ok()?;
    Some(pairs)
}

fn pairs_of(raw: &RawValue) -> Option<Vec<(Cow<'_, str>, &RawValue)>> {
    raw.get()
        .starts_with('{')
        .then(|| pairs(raw.get()))
        .flatten()
}

/// The elements of the JSON array `raw`; `None` for anything else.
fn items(raw: &RawValue) -> Option<Vec<&RawValue>> {
    if !raw.get().starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<&RawValue>>(raw.get()).ok()
}

/// An object's keys (borrowed when they hold no escape) and raw values; anything else is
/// an error.
struct PairsVisitor;

impl<'de> Visitor<'de> for PairsVisitor {
    type Value = Option<Vec<(Cow<'de, str>, &'de RawValue)>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(key) = map.next_key_seed(KeySeed)? {
            pairs.push((key, map.next_value::<&'de RawValue>()?));
        }
        Ok(Some(pairs))
    }
}

/// A key, borrowed from the text when it holds no escape.
struct KeySeed;

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(key))
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key.to_owned()))
    }
}

/// Calls `each` with every cell of the listing as CSV: its dotted JSON path (the import's
/// own header form) and its text, in the listing's key order. The path is built in one
/// buffer and plain text borrowed from the body, so that a listing allocates little per
/// cell.
pub fn for_each_cell<'v>(listing: &'v Decoded<'_>, mut each: impl FnMut(&str, Cow<'v, str>)) {
    let mut path = String::new();
    walk(listing, &mut path, &mut each);
}

fn walk<'v>(value: &'v Decoded<'_>, path: &mut String, each: &mut dyn FnMut(&str, Cow<'v, str>)) {
    // Appends `.key` (or `key` at the top) to the path, walks `inner`, and takes it off again.
    let mut descend = |path: &mut String, key: &str, inner: &'v Decoded<'_>| {
        let len = path.len();
        if len > 0 {
            path.push('.');
        }
        path.push_str(key);
        walk(inner, path, each);
        path.truncate(len);
    };
    match value {
        Decoded::Object(pairs) => {
            for (key, inner) in pairs {
                descend(path, key, inner);
            }
        }
        Decoded::Array(items) => {
            let mut index = itoa::Buffer::new();
            for (i, inner) in items.iter().enumerate() {
                descend(path, index.format(i), inner);
            }
        }
        Decoded::Raw(raw) => scalar(raw, path, each),
        Decoded::Shared(raw) => scalar(raw, path, each),
    }
}

/// A value that is no object or array of the listing, as a cell: a string's text, a number
/// as written, `true`, `false`, and nothing for `null`. An object or array kept whole (a
/// key of no position) is flattened like the rest.
fn scalar<'v>(raw: &'v RawValue, path: &str, each: &mut dyn FnMut(&str, Cow<'v, str>)) {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'"') => each(path, string(raw).unwrap_or_default()),
        Some(b'n') => each(path, Cow::Borrowed("")),
        Some(b'{') => match pairs(text) {
            Some(pairs) => {
                let object = Decoded::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (Cow::Owned(k.into_owned()), Decoded::Raw(v)))
                        .collect(),
                );
                walk_owned(&object, path, each);
            }
            None => each(path, Cow::Borrowed(text)),
        },
        Some(b'[') => match items(raw) {
            Some(items) => {
                let array = Decoded::Array(items.into_iter().map(Decoded::Raw).collect());
                walk_owned(&array, path, each);
            }
            None => each(path, Cow::Borrowed(text)),
        },
        _ => each(path, Cow::Borrowed(text)),
    }
}

/// [`walk`] over a value made here (a whole object or array kept in the body), whose cells
/// are handed on as owned text.
fn walk_owned<'v>(value: &Decoded<'_>, path: &str, each: &mut dyn FnMut(&str, Cow<'v, str>)) {
    let mut cells = Vec::new();
    let mut prefix = path.to_owned();
    walk(value, &mut prefix, &mut |p: &str, text: Cow<'_, str>| {
        cells.push((p.to_owned(), text.into_owned()));
    });
    for (p, text) in cells {
        each(&p, Cow::Owned(text));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::judge::body;

    const PURCHASE: &str = r#"{"request_unique_identifier":"7","accounts_receivable_identifier":{"id":"A1"},"performed_by_unit_identifier":{"id":"U\u00e9"},"performed_on":"2016-06-22T15:00:00","reference_number":"R\"1","products_set":[{"product_identifier":{"id":"P1"},"quantity":1,"net_amount":50.10,"vat_amount":1e2,"total_amount":60.25}]}"#;

    /// A row whose identifier the bodies below hold.
    const ROW: Columns<'static> = Columns {
        rui: "7",
        account: None,
    };

    /// The listing decoded, each record named by its row given that row as its id (as the
    /// store's names do for a row that holds no record).
    fn as_value(kind: Kind, stored: &str, columns: Columns<'_>) -> Option<Value> {
        decode(kind, stored, columns, &mut |_, record, object| {
            if let RecordRef::Row(row) = record {
                let id = RawValue::from_string(row.to_string()).unwrap();
                object.push((Cow::Borrowed("id"), Decoded::Shared(Rc::from(id))));
            }
        })
        .map(|pairs| serde_json::to_value(Decoded::Object(pairs)).unwrap())
    }

    #[test]
    fn decodes_as_body_decode_does() {
        let stored = body::encode(Kind::Purchases, PURCHASE).expect("a listing");
        let upgraded = body::from_v6(Kind::Purchases, &stored);
        let odd = [
            upgraded.as_str(),
            stored.as_str(),
            r#"{"0":"a","x":{"k":[1,2]},"0":"b"}"#,
            r#"{"00":"a","0":"b","request_unique_identifier":"c"}"#,
            r#"{"1":7,"5":[1,{"0":{"id":"P"}},"x"],"3":null}"#,
            r#"{"5":{"not":"an array"}}"#,
            r#"{}"#,
            r#"{"4":"U","5":1466607600,"7":"r"}"#,
            r#"{"5":-62135596800,"2":1}"#,
            r#"{"5":-62135596801,"6":0}"#,
            r#"{"0":"a","4":7,"1":2}"#,
            r#"{"00":"a","01":"b"}"#,
            r#"{"x":1,"0":"a"}"#,
            r#"{"5":1e3,"5":"2016","4":1}"#,
            r#"{"request_unique_identifier":"x","accounts_receivable_identifier":1}"#,
            "[1]",
            "7",
            "\"s\"",
            "{",
            "{} x",
        ];
        let rows = [
            Columns {
                rui: "r\"1",
                account: Some(12),
            },
            Columns {
                rui: "",
                account: None,
            },
        ];
        for text in odd {
            for columns in rows {
                for kind in [Kind::Purchases, Kind::Referrals] {
                    assert_eq!(
                        as_value(kind, text, columns),
                        body::decode(kind, text, columns).map(Value::Object),
                        "{text}"
                    );
                }
            }
        }
    }

    #[test]
    fn identifiers_get_what_the_caller_knows_of_their_records() {
        let stored = body::encode(Kind::Purchases, PURCHASE).expect("a listing");
        let mut met = Vec::new();
        let pairs = decode(
            Kind::Purchases,
            &stored,
            ROW,
            &mut |entity, record, object| {
                let RecordRef::Id(id) = record else {
                    panic!("{record:?}: the body names its records by id");
                };
                met.push((entity, id.to_owned()));
                object.push((
                    Cow::Borrowed("name"),
                    Decoded::text(&format!("{entity} {id}")),
                ));
            },
        )
        .unwrap();
        let listing = serde_json::to_value(Decoded::Object(pairs)).unwrap();
        assert_eq!(
            listing["performed_by_unit_identifier"],
            serde_json::json!({"id": "U\u{e9}", "name": "units U\u{e9}"})
        );
        assert_eq!(
            listing["products_set"][0]["product_identifier"],
            serde_json::json!({"id": "P1", "name": "products P1"})
        );
        assert_eq!(
            met,
            [
                (Entity::Account, "A1".to_owned()),
                (Entity::Unit, "U\u{e9}".to_owned()),
                (Entity::Product, "P1".to_owned())
            ]
        );
    }

    #[test]
    fn flattens_to_the_import_header_form() {
        let set = body::path(Kind::Purchases, &["products_set"]).unwrap();
        let at = set.trim_start_matches("$.\"").trim_end_matches('"');
        let stored = format!(
            r#"{{"a":{{"id":"X"}},"{at}":[{{"2":1.5}},{{"1":2,"p":{{"id":"Y"}}}}],"b":null,"c":true,"d":"q\"t"}}"#
        );
        let pairs = decode(Kind::Purchases, &stored, ROW, &mut |_, _, _| {}).unwrap();
        let listing = Decoded::Object(pairs);
        let mut cells = Vec::new();
        for_each_cell(&listing, |path, text| {
            cells.push((path.to_owned(), text.into_owned()));
        });
        let expected = [
            ("request_unique_identifier", "7"),
            ("a.id", "X"),
            ("products_set.0.net_amount", "1.5"),
            ("products_set.1.quantity", "2"),
            ("products_set.1.p.id", "Y"),
            ("b", ""),
            ("c", "true"),
            ("d", "q\"t"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect();
        assert_eq!(cells, expected);
    }
}
