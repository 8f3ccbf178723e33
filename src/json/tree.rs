//! A JSON tree that borrows from its text and keeps numbers as written, for the per-event
//! hot path: building a `serde_json::Value` (an `IndexMap` per object, a `String` per
//! number) cost more than validating, resolving and inserting together (perf: 7.5 µs a
//! purchase event against 2.7 µs without order and exact numbers).
//!
//! One pass of serde_json with a visitor: strings without escapes are borrowed, and a
//! number's digits are kept (serde_json's `arbitrary_precision` hands them over as a
//! one-entry map), so money is never a binary float. serde_json writes an exponent as
//! `e+5` however it was given (`E5`), so a value with an exponent, rare in event files, is
//! parsed again level by level through `RawValue`, which keeps its exact text for error
//! texts. (Doing that for every event re-read each nested value once per level: 3.7 µs a
//! purchase event against 1.x µs in one pass, `benches/stages`.)

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raw<'a> {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, exactly as written.
    Number(Cow<'a, str>),
    /// A string.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Raw<'a>>),
    /// An object, keys in the caller's order (a repeated key stays repeated).
    Object(Vec<(Cow<'a, str>, Raw<'a>)>),
}

/// An object's key/value pairs, values left raw.
struct Pairs<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Pairs<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Pairs<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Pairs<'de>, M::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(key) = map.next_key_seed(KeySeed)? {
                    pairs.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

/// Deepest nesting accepted (events nest three levels; serde_json's own limit is 128).
pub const MAX_DEPTH: usize = 32;

/// The key under which serde_json's `arbitrary_precision` hands over a number's text.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Parses one JSON value (and nothing after it but whitespace).
pub fn parse(text: &str) -> Result<Raw<'_>, serde_json::Error> {
    match crate::json::fast::parse(text) {
        Some(tree) => Ok(tree),
        None => parse_with_serde(text),
    }
}

/// [`parse`] without the fast path: the tree, or serde_json's error with its position.
pub fn parse_with_serde(text: &str) -> Result<Raw<'_>, serde_json::Error> {
    let exponent = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Nested {
        depth: 0,
        exponent: &exponent,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    if exponent.get() {
        let raw: &RawValue = serde_json::from_str(text)?;
        return from_raw(raw, 0);
    }
    Ok(value)
}

/// Builds the tree of a value already checked as JSON.
pub fn parse_raw(raw: &RawValue) -> Result<Raw<'_>, serde_json::Error> {
    parse(raw.get())
}

/// The key/value pairs of a JSON object, values left raw; `None` when `raw` is not an
/// object.
pub fn object_pairs(raw: &RawValue) -> Option<Vec<(Cow<'_, str>, &RawValue)>> {
    if !raw.get().starts_with('{') {
        return None;
    }
    serde_json::from_str::<Pairs<'_>>(raw.get())
        .ok()
        .map(|p| p.0)
}

/// The tree built level by level through `RawValue`, numbers exactly as written.
fn from_raw(raw: &RawValue, depth: usize) -> Result<Raw<'_>, serde_json::Error> {
    let text = raw.get();
    let nested = matches!(text.as_bytes().first(), Some(b'{' | b'['));
    if nested && depth >= MAX_DEPTH {
        return Err(serde_json::Error::custom(format!(
            "nesting deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(match text.as_bytes().first() {
        Some(b'{') => {
            let Pairs(pairs) = serde_json::from_str(text)?;
            let mut object = Vec::with_capacity(pairs.len());
            for (key, value) in pairs {
                object.push((key, from_raw(value, depth + 1)?));
            }
            Raw::Object(object)
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text)?;
            Raw::Array(
                items
                    .into_iter()
                    .map(|item| from_raw(item, depth + 1))
                    .collect::<Result<_, _>>()?,
            )
        }
        Some(b'"') => {
            Raw::String(KeySeed.deserialize(&mut serde_json::Deserializer::from_str(text))?)
        }
        Some(b't') => Raw::Bool(true),
        Some(b'f') => Raw::Bool(false),
        Some(b'n') => Raw::Null,
        _ => Raw::Number(Cow::Borrowed(text)),
    })
}

/// A string (an object key, or a string value read through `RawValue`), borrowed when it
/// has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s))
    }
}

/// A value `depth` levels down; notes whether a number had an exponent.
#[derive(Clone, Copy)]
struct Nested<'s> {
    depth: usize,
    exponent: &'s Cell<bool>,
}

impl<'s> Nested<'s> {
    fn inner<E: serde::de::Error>(self) -> Result<Nested<'s>, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(Nested {
            depth: self.depth + 1,
            exponent: self.exponent,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Nested<'_> {
    type Value = Raw<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Raw<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Nested<'_> {
    type Value = Raw<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Raw<'de>, E> {
        Ok(Raw::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Raw<'de>, E> {
        Ok(Raw::Bool(b))
    }

    // Numbers arrive as maps (below) with `arbitrary_precision`; these keep any other
    // deserializer correct.
    fn visit_i64<E>(self, n: i64) -> Result<Raw<'de>, E> {
        Ok(Raw::Number(Cow::Owned(n.to_string())))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Raw<'de>, E> {
        Ok(Raw::Number(Cow::Owned(n.to_string())))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Raw<'de>, E> {
        serde_json::Number::from_f64(n)
            .map(|n| Raw::Number(Cow::Owned(n.to_string())))
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Raw<'de>, E> {
        Ok(Raw::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Raw<'de>, E> {
        Ok(Raw::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Raw<'de>, E> {
        Ok(Raw::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw<'de>, A::Error> {
        let inner = self.inner()?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Raw::Array(items))
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Raw<'de>, M::Error> {
        let Some(first) = map.next_key_seed(KeySeed)? else {
            return Ok(Raw::Object(Vec::new()));
        };
        if first == NUMBER_TOKEN {
            let text: String = map.next_value()?;
            if text.contains('e') {
                self.exponent.set(true);
            }
            return Ok(Raw::Number(Cow::Owned(text)));
        }
        let inner = self.inner()?;
        let mut pairs = Vec::with_capacity(8);
        pairs.push((first, map.next_value_seed(inner)?));
        while let Some(key) = map.next_key_seed(KeySeed)? {
            pairs.push((key, map.next_value_seed(inner)?));
        }
        Ok(Raw::Object(pairs))
    }
}

impl<'a> Raw<'a> {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Raw::String(s) => Some(s),
            _ => None,
        }
    }

    /// The first value under `key`, if this is an object holding it.
    pub fn get(&self, key: &str) -> Option<&Raw<'a>> {
        match self {
            Raw::Object(pairs) => pairs
                .iter()
                .find(|(k, _)| crate::json::keys::same(k, key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The same value from a `serde_json::Value` (numbers keep their digits: the crate is
    /// built with `arbitrary_precision`).
    pub fn from_value(value: serde_json::Value) -> Raw<'static> {
        use serde_json::Value;
        match value {
            Value::Null => Raw::Null,
            Value::Bool(b) => Raw::Bool(b),
            Value::Number(n) => Raw::Number(Cow::Owned(n.to_string())),
            Value::String(s) => Raw::String(Cow::Owned(s)),
            Value::Array(items) => Raw::Array(items.into_iter().map(Raw::from_value).collect()),
            Value::Object(map) => Raw::Object(
                map.into_iter()
                    .map(|(k, v)| (Cow::Owned(k), Raw::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// Detaches from the text it borrows.
    pub fn into_owned(self) -> Raw<'static> {
        match self {
            Raw::Null => Raw::Null,
            Raw::Bool(b) => Raw::Bool(b),
            Raw::Number(n) => Raw::Number(Cow::Owned(n.into_owned())),
            Raw::String(s) => Raw::String(Cow::Owned(s.into_owned())),
            Raw::Array(items) => Raw::Array(items.into_iter().map(Raw::into_owned).collect()),
            Raw::Object(pairs) => Raw::Object(
                pairs
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
        }
    }

    /// The value as JSON text (for quoting a caller's value in an error).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Raw::Null => out.push_str("null"),
            Raw::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Raw::Number(n) => out.push_str(n),
            Raw::String(s) => push_json_string(out, s),
            Raw::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Raw::Object(pairs) => {
                out.push('{');
                for (i, (key, value)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_json_string(out, key);
                    out.push(':');
                    value.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

/// Appends `text` as a JSON string literal.
pub fn push_json_string(out: &mut String, text: &str) {
    let plain = crate::json::escape::plain_prefix(text.as_bytes()) == text.len();
    if plain {
        // Most values need no escaping; this runs for every field of every event.
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else if let Ok(quoted) = serde_json::to_string(text) {
        // serde_json's escaping; writing a &str to a String cannot fail.
        out.push_str(&quoted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_exact_numbers_and_borrows_plain_strings() {
        let text = r#"{"b": 1.50, "a": "x", "c": [true, null, {"d": "e\"f"}], "n": 1e400}"#;
        let raw = parse(text);
        let Ok(Raw::Object(pairs)) = &raw else {
            panic!("not an object: {raw:?}");
        };
        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["b", "a", "c", "n"]);
        assert_eq!(pairs[0].1, Raw::Number(Cow::Borrowed("1.50")));
        assert_eq!(pairs[3].1, Raw::Number(Cow::Borrowed("1e400")));
        assert!(matches!(&pairs[1].1, Raw::String(Cow::Borrowed("x"))));
        let raw = raw.ok().map(Raw::into_owned);
        assert_eq!(
            raw.map(|r| r.to_json()),
            Some(r#"{"b":1.50,"a":"x","c":[true,null,{"d":"e\"f"}],"n":1e400}"#.into())
        );
    }

    #[test]
    fn exponents_keep_the_callers_spelling() {
        let raw = parse(r#"{"a": 1E5, "b": [{"c": 1.5e-3}], "d": "x"}"#);
        let Ok(tree) = raw else {
            panic!("not parsed: {raw:?}");
        };
        assert_eq!(tree.to_json(), r#"{"a":1E5,"b":[{"c":1.5e-3}],"d":"x"}"#);
    }

    #[test]
    fn errors_name_the_column_in_the_whole_text() {
        let error = parse(r#"{"a": {"b": [1, 2,]}}"#).err();
        assert_eq!(error.map(|e| (e.line(), e.column())), Some((1, 19)));
    }

    #[test]
    fn strings_are_escaped_only_when_needed() {
        for text in ["plain", "quote\"", "back\\slash", "tab\t", "é ü", ""] {
            let mut out = String::new();
            push_json_string(&mut out, text);
            assert_eq!(
                serde_json::from_str::<String>(&out).ok().as_deref(),
                Some(text)
            );
        }
    }

    #[test]
    fn malformed_and_deep_input_is_an_error_not_a_crash() {
        assert!(parse("{\"a\":").is_err());
        assert!(parse("").is_err());
        assert!(parse(&"[".repeat(100_000)).is_err());
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&deep).is_err());
    }
}
