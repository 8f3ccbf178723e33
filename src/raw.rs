//! A JSON tree that borrows from its text and keeps numbers as written, for the per-event
//! hot path: building a `serde_json::Value` (an `IndexMap` per object, a `String` per
//! number) cost more than validating, resolving and inserting together (perf: 7.5 µs a
//! purchase event against 2.7 µs without order and exact numbers).
//!
//! Parsing goes through `RawValue`, so a number's exact text is kept (money is never a
//! binary float) and strings without escapes are borrowed, not copied.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
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

#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

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
                while let Some((Key(key), value)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    pairs.push((key, value));
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

/// Deepest nesting accepted (events nest three levels; serde_json's own limit is 128).
pub const MAX_DEPTH: usize = 32;

/// Parses one JSON value.
pub fn parse(text: &str) -> Result<Raw<'_>, serde_json::Error> {
    let raw: &RawValue = serde_json::from_str(text)?;
    from_raw(raw, 0)
}

/// Builds the tree of a value already checked as JSON.
pub fn parse_raw(raw: &RawValue) -> Result<Raw<'_>, serde_json::Error> {
    from_raw(raw, 0)
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

fn from_raw(raw: &RawValue, depth: usize) -> Result<Raw<'_>, serde_json::Error> {
    let text = raw.get();
    let nested = matches!(text.as_bytes().first(), Some(b'{' | b'['));
    if nested && depth >= MAX_DEPTH {
        // Checked before descending: each level re-reads its slice, so unbounded depth
        // would cost quadratic time as well as stack.
        return Err(serde::de::Error::custom(format!(
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
        Some(b'"') => Raw::String(serde_json::from_str::<Key<'_>>(text)?.0),
        Some(b't') => Raw::Bool(true),
        Some(b'f') => Raw::Bool(false),
        Some(b'n') => Raw::Null,
        _ => Raw::Number(Cow::Borrowed(text)),
    })
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
            Raw::Object(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
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
    let plain = text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
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
