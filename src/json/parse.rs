//! Parsing JSON text into a [`Tree`]: the fast parser first, serde_json when it gives up.
//!
//! serde_json is driven with a visitor, in one pass: strings without escapes are borrowed,
//! and a number's digits are kept (serde_json's `arbitrary_precision` hands them over as a
//! one-entry map), so money is never a binary float. serde_json writes an exponent as `e+5`
//! however it was given (`E5`), so a value with an exponent, rare in event files, is parsed
//! again level by level through `RawValue`, which keeps its exact text for error texts.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::json::tree::{MAX_DEPTH, Tree};

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

/// The key under which serde_json's `arbitrary_precision` hands over a number's text.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Parses one JSON value (and nothing after it but whitespace).
pub fn parse(text: &str) -> Result<Tree<'_>, serde_json::Error> {
    match crate::json::fast::parse(text) {
        Some(tree) => Ok(tree),
        None => parse_with_serde(text),
    }
}

/// [`parse`] without the fast path: the tree, or serde_json's error with its position.
pub fn parse_with_serde(text: &str) -> Result<Tree<'_>, serde_json::Error> {
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
pub fn parse_raw(raw: &RawValue) -> Result<Tree<'_>, serde_json::Error> {
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
fn from_raw(raw: &RawValue, depth: usize) -> Result<Tree<'_>, serde_json::Error> {
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
            Tree::Object(object)
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text)?;
            Tree::Array(
                items
                    .into_iter()
                    .map(|item| from_raw(item, depth + 1))
                    .collect::<Result<_, _>>()?,
            )
        }
        Some(b'"') => {
            Tree::String(KeySeed.deserialize(&mut serde_json::Deserializer::from_str(text))?)
        }
        Some(b't') => Tree::Bool(true),
        Some(b'f') => Tree::Bool(false),
        Some(b'n') => Tree::Null,
        _ => Tree::Number(Cow::Borrowed(text)),
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
    type Value = Tree<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Tree<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Nested<'_> {
    type Value = Tree<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Tree<'de>, E> {
        Ok(Tree::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Tree<'de>, E> {
        Ok(Tree::Bool(b))
    }

    // Numbers arrive as maps (below) with `arbitrary_precision`; these keep any other
    // deserializer correct.
    fn visit_i64<E>(self, n: i64) -> Result<Tree<'de>, E> {
        Ok(Tree::Number(Cow::Owned(n.to_string())))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Tree<'de>, E> {
        Ok(Tree::Number(Cow::Owned(n.to_string())))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Tree<'de>, E> {
        serde_json::Number::from_f64(n)
            .map(|n| Tree::Number(Cow::Owned(n.to_string())))
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Tree<'de>, E> {
        Ok(Tree::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Tree<'de>, E> {
        Ok(Tree::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Tree<'de>, E> {
        Ok(Tree::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree<'de>, A::Error> {
        let inner = self.inner()?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Tree::Array(items))
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Tree<'de>, M::Error> {
        let Some(first) = map.next_key_seed(KeySeed)? else {
            return Ok(Tree::Object(Vec::new()));
        };
        if first == NUMBER_TOKEN {
            let text: String = map.next_value()?;
            if text.contains('e') {
                self.exponent.set(true);
            }
            return Ok(Tree::Number(Cow::Owned(text)));
        }
        let inner = self.inner()?;
        let mut pairs = Vec::with_capacity(8);
        pairs.push((first, map.next_value_seed(inner)?));
        while let Some(key) = map.next_key_seed(KeySeed)? {
            pairs.push((key, map.next_value_seed(inner)?));
        }
        Ok(Tree::Object(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::escape::push_json_string;

    #[test]
    fn keeps_order_exact_numbers_and_borrows_plain_strings() {
        let text = r#"{"b": 1.50, "a": "x", "c": [true, null, {"d": "e\"f"}], "n": 1e400}"#;
        let raw = parse(text);
        let Ok(Tree::Object(pairs)) = &raw else {
            panic!("not an object: {raw:?}");
        };
        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["b", "a", "c", "n"]);
        assert_eq!(pairs[0].1, Tree::Number(Cow::Borrowed("1.50")));
        assert_eq!(pairs[3].1, Tree::Number(Cow::Borrowed("1e400")));
        assert!(matches!(&pairs[1].1, Tree::String(Cow::Borrowed("x"))));
        let raw = raw.ok().map(Tree::into_owned);
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
