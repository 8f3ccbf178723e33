//! A JSON tree that borrows from its text and keeps numbers as written: what every event is
//! parsed into, for validation to walk. serde_json's `Value` costs more (an `IndexMap` per
//! object, a `String` per number) than validating, resolving and inserting together
//! (docs/performance.md, "json/tree: the borrowed tree").

use std::borrow::Cow;

use crate::json::escape::push_json_string;

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tree<'a> {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, exactly as written.
    Number(Cow<'a, str>),
    /// A string.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Tree<'a>>),
    /// An object, keys in the caller's order (a repeated key stays repeated).
    Object(Vec<(Cow<'a, str>, Tree<'a>)>),
}

/// Deepest nesting accepted (events nest three levels; serde_json's own limit is 128).
pub const MAX_DEPTH: usize = 32;

impl<'a> Tree<'a> {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Tree::String(s) => Some(s),
            _ => None,
        }
    }

    /// The first value under `key`, if this is an object holding it.
    pub fn get(&self, key: &str) -> Option<&Tree<'a>> {
        match self {
            Tree::Object(pairs) => pairs
                .iter()
                .find(|(k, _)| crate::json::keys::same(k, key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The same value from a `serde_json::Value` (numbers keep their digits: the crate is
    /// built with `arbitrary_precision`).
    pub fn from_value(value: serde_json::Value) -> Tree<'static> {
        use serde_json::Value;
        match value {
            Value::Null => Tree::Null,
            Value::Bool(b) => Tree::Bool(b),
            Value::Number(n) => Tree::Number(Cow::Owned(n.to_string())),
            Value::String(s) => Tree::String(Cow::Owned(s)),
            Value::Array(items) => Tree::Array(items.into_iter().map(Tree::from_value).collect()),
            Value::Object(map) => Tree::Object(
                map.into_iter()
                    .map(|(k, v)| (Cow::Owned(k), Tree::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// Detaches from the text it borrows.
    pub fn into_owned(self) -> Tree<'static> {
        match self {
            Tree::Null => Tree::Null,
            Tree::Bool(b) => Tree::Bool(b),
            Tree::Number(n) => Tree::Number(Cow::Owned(n.into_owned())),
            Tree::String(s) => Tree::String(Cow::Owned(s.into_owned())),
            Tree::Array(items) => Tree::Array(items.into_iter().map(Tree::into_owned).collect()),
            Tree::Object(pairs) => Tree::Object(
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
            Tree::Null => out.push_str("null"),
            Tree::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Tree::Number(n) => out.push_str(n),
            Tree::String(s) => push_json_string(out, s),
            Tree::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Tree::Object(pairs) => {
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
