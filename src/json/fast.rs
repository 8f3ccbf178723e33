//! The fast path of [`crate::json::parse::parse`]: a parser for the JSON that event files are
//! made of (no escapes in strings, no exponents in numbers), straight into the borrowed
//! tree. It gives up, returning `None`, at anything else, valid or not, and the caller then
//! parses with serde_json, which builds the same tree or names the exact error. So it only
//! has to be right about what it accepts; a property test checks that against serde_json.
//!
//! Why: serde_json with `arbitrary_precision` through a visitor spends most of an event's
//! parse on generic dispatch and a `String` per number
//! (docs/performance.md, "json/fast: the fast parser").

use std::borrow::Cow;

use crate::json::tree::{MAX_DEPTH, Tree};

/// The tree of `text`, if it is one JSON value in the plain subset.
pub fn parse(text: &str) -> Option<Tree<'_>> {
    let mut parser = Parser { text, at: 0 };
    let value = parser.value(0)?;
    parser.whitespace();
    (parser.at == text.len()).then_some(value)
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.at + word.len();
        (self.text.as_bytes().get(self.at..end)? == word.as_bytes()).then(|| self.at = end)
    }

    fn value(&mut self, depth: usize) -> Option<Tree<'a>> {
        self.whitespace();
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(|s| Tree::String(Cow::Borrowed(s))),
            b't' => self.literal("true").map(|()| Tree::Bool(true)),
            b'f' => self.literal("false").map(|()| Tree::Bool(false)),
            b'n' => self.literal("null").map(|()| Tree::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<Tree<'a>> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.at += 1;
        // Room for eight pairs: most objects of an event have fewer, so one allocation.
        let mut pairs = Vec::with_capacity(8);
        self.whitespace();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(Tree::Object(pairs));
        }
        loop {
            self.whitespace();
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.whitespace();
            if self.peek()? != b':' {
                return None;
            }
            self.at += 1;
            let value = self.value(depth + 1)?;
            pairs.push((Cow::Borrowed(key), value));
            self.whitespace();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(Tree::Object(pairs));
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Tree<'a>> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.at += 1;
        let mut items = Vec::with_capacity(4);
        self.whitespace();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(Tree::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.whitespace();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(Tree::Array(items));
                }
                _ => return None,
            }
        }
    }

    /// A string without escapes or control characters, borrowed (the opening quote is at
    /// `at`). The text is UTF-8 and the quotes are ASCII, so the slice is on char
    /// boundaries.
    fn string(&mut self) -> Option<&'a str> {
        let start = self.at + 1;
        let bytes = self.text.as_bytes().get(start..)?;
        let end = crate::json::escape::plain_prefix(bytes);
        if bytes.get(end) != Some(&b'"') {
            return None;
        }
        self.at = start + end + 1;
        self.text.get(start..start + end)
    }

    /// A number in JSON's grammar, without an exponent: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`.
    fn number(&mut self) -> Option<Tree<'a>> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut at = start;
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        let digits = |from: usize| {
            bytes[from..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let int = digits(at);
        if int == 0 || (int > 1 && bytes[at] == b'0') {
            return None;
        }
        at += int;
        if bytes.get(at) == Some(&b'.') {
            let frac = digits(at + 1);
            if frac == 0 {
                return None;
            }
            at += 1 + frac;
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            return None;
        }
        self.at = at;
        self.text
            .get(start..at)
            .map(|n| Tree::Number(Cow::Borrowed(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The tree of serde_json's path, which `crate::json::parse::parse` falls back to.
    fn slow(text: &str) -> Option<Tree<'_>> {
        crate::json::parse::parse_with_serde(text).ok()
    }

    #[test]
    fn plain_events_take_the_fast_path_and_agree() {
        for text in [
            r#"{"a": 1, "b": [true, false, null, -0.50, "x y"], "c": {"d": {}}, "e": []}"#,
            r#"  {"a":"é ü","a":"again"}  "#,
            "0",
            "-12.3400",
            r#""""#,
        ] {
            let fast = parse(text);
            assert!(fast.is_some(), "{text}");
            assert_eq!(fast, slow(text), "{text}");
        }
    }

    #[test]
    fn anything_else_is_left_to_serde_json() {
        for text in [
            r#"{"a": "x\"y"}"#,
            r#"{"a": 1e5}"#,
            r#"{"a": 01}"#,
            r#"{"a": 1.}"#,
            r#"{"a": .5}"#,
            r#"{"a": -}"#,
            r#"{"a": 1,}"#,
            r#"[1,]"#,
            r#"{"a" 1}"#,
            r#"{"a": tru}"#,
            "{\"a\": \"tab\there\"}",
            "",
            "  ",
            "{} {}",
            r#"{"a": 1"#,
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(parse(&deep), None);
        let deepest = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(parse(&deepest), slow(&deepest));
    }

    fn json_text() -> impl Strategy<Value = String> {
        let atom = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?",
            "\"[a-zA-Z0-9 é\\\\\"\\t.:,{}\\[\\]]{0,12}\"",
            "[-0-9.eE+]{1,6}",
        ];
        let leaf = (atom, "[ \t\n]{0,2}").prop_map(|(a, ws)| format!("{ws}{a}"));
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec(("[a-z\"\\\\]{0,4}", inner), 0..5).prop_map(|pairs| {
                    let body: Vec<String> = pairs
                        .into_iter()
                        .map(|(k, v)| format!("\"{k}\":{v}"))
                        .collect();
                    format!("{{{}}}", body.join(","))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        // Whatever the fast path accepts, serde_json accepts too, with the same tree.
        #[test]
        fn the_fast_path_never_disagrees_with_serde_json(
            text in json_text(),
            cut in 0usize..64,
            junk in "[ ,:\\]}\"x0-]{0,2}",
        ) {
            for candidate in [text.clone(), format!("{}{junk}", &text[..text.floor_char_boundary(cut.min(text.len()))]), format!("{text}{junk}")] {
                if let Some(fast) = parse(&candidate) {
                    prop_assert_eq!(Some(fast), slow(&candidate), "{}", candidate);
                }
            }
        }
    }
}
