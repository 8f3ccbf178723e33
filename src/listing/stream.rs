//! An event's listing streamed from its stored body to a [`Sink`] in one pass over the text,
//! without building it: the fast path of `cebulk events`.
//!
//! It takes only bodies of the form `judge/body.rs` writes (keys by canonical position, each
//! once, no whitespace, identifiers by string ids without escapes, sets of objects) and
//! gives up on anything else with [`Unusual`], after which the caller lists that event
//! through [`super::decoded`], the reference this path is held to (a property test, below,
//! compares the two on arbitrary bodies). Why: building the [`super::decoded::Decoded`]
//! tree and printing it through serde was most of what a listing cost
//! (docs/performance.md, "listing/stream: the listing streamed").

use std::rc::Rc;

use serde_json::value::RawValue;

use crate::domain::entity::Entity;
use crate::domain::epoch::{self, DateText};
use crate::domain::kind::Kind;
use crate::domain::schema;
use crate::domain::schema::field::{Field, FieldType};
use crate::json::escape::plain_prefix;
use crate::judge::body::{Columns, LeftOut, RecordRef};

/// Where a listing is streamed: objects and arrays opened and closed, keys, and scalar
/// values as their JSON text.
pub trait Sink<'s> {
    /// An object begins (as the value of the last key, or an element of an array).
    fn open_object(&mut self);
    /// The innermost object ends.
    fn close_object(&mut self);
    /// An array begins.
    fn open_array(&mut self);
    /// The innermost array ends.
    fn close_array(&mut self);
    /// A key of the innermost object (a schema name: no character to escape).
    fn key(&mut self, key: &'static str);
    /// A scalar value, as the JSON text the body holds.
    fn value(&mut self, json: &'s str);
    /// A scalar value from elsewhere than the body (a record's natural key), as JSON text.
    fn shared(&mut self, json: &Rc<RawValue>);
    /// A string value given as its text (a column of the event's row).
    fn text(&mut self, text: &'s str);
    /// A date the body holds as seconds, as its text.
    fn date(&mut self, date: &DateText);
}

/// A body the fast path does not take; the caller lists it through `decoded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unusual;

/// Streams the fields of the `kind` event stored as `stored`, with what its row holds
/// (`columns`) put back where [`crate::judge::body::Restore`] puts it, into the object `sink` has open, with
/// `named` called in each identifier object (the entity and how the body names the
/// record), to add what the caller knows of the record: after its `id` when the body names
/// it by id, and from its `id` on, which `named` writes, when by its row ([`RecordRef`]).
/// On [`Unusual`], `sink` has been given part of the listing and must be rolled back by
/// the caller.
pub fn stream<'s, S: Sink<'s>>(
    kind: Kind,
    stored: &'s str,
    columns: Columns<'s>,
    sink: &mut S,
    named: &mut impl FnMut(Entity, RecordRef<'_>, &mut S),
) -> Result<(), Unusual> {
    let mut scan = Scan {
        text: stored,
        at: 0,
    };
    let left = LeftOut::of(kind);
    let mut top = Top {
        left,
        rui: Some(columns.rui),
        account: columns.account.filter(|_| left.account.is_some()),
    };
    scan.object(schema::fields(kind), sink, named, Some(&mut top))?;
    if scan.at == stored.len() {
        Ok(())
    } else {
        Err(Unusual)
    }
}

/// The row a body names a record by: an identifier's value that is a JSON integer written
/// as [`crate::judge::body::write`] writes it (digits, no leading zero).
pub fn row(raw: &str) -> Option<i64> {
    let bytes = raw.as_bytes();
    let canonical = !bytes.is_empty()
        && bytes.iter().all(u8::is_ascii_digit)
        && (bytes[0] != b'0' || bytes.len() == 1);
    canonical.then(|| raw.parse().ok()).flatten()
}

struct Scan<'s> {
    text: &'s str,
    at: usize,
}

/// What the top level puts back ([`crate::judge::body::Restore`]), decided key by key: a body of the form
/// `judge/body.rs` writes settles it at its first key.
struct Top<'s> {
    left: LeftOut,
    /// The request unique identifier, until the first key says whether it is put back.
    rui: Option<&'s str>,
    /// The account's row, until a key says whether it is put back.
    account: Option<i64>,
}

/// The bit of position `at` in a set of positions.
fn bit(at: Option<usize>) -> u128 {
    at.and_then(|at| 1u128.checked_shl(u32::try_from(at).ok()?))
        .unwrap_or(0)
}

impl<'s> Top<'s> {
    /// Whether every value of the row is decided.
    fn settled(&self) -> bool {
        self.rui.is_none() && self.account.is_none()
    }

    /// Before the key of position `at` (`None`: the object's end): puts back what goes
    /// before it; the positions that may then not come (they hold what was put back).
    fn before<S: Sink<'s>>(
        &mut self,
        at: Option<usize>,
        sink: &mut S,
        named: &mut impl FnMut(Entity, RecordRef<'_>, &mut S),
    ) -> u128 {
        let mut taken = 0;
        if let Some(rui) = self.rui.take()
            && (at.is_none() || at != self.left.rui)
        {
            sink.key("request_unique_identifier");
            sink.text(rui);
            taken |= bit(self.left.rui);
        }
        if let Some(row) = self.account {
            match at {
                Some(at) if self.left.names_account(at) => self.account = None,
                Some(at) if Some(at) < self.left.account => {}
                _ => {
                    sink.key("accounts_receivable_identifier");
                    sink.open_object();
                    named(Entity::Account, RecordRef::Row(row), sink);
                    sink.close_object();
                    taken |= bit(self.left.account) | bit(self.left.participant);
                    self.account = None;
                }
            }
        }
        taken
    }
}

impl<'s> Scan<'s> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Result<(), Unusual> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Unusual)
        }
    }

    /// One object of `level`'s fields, its pairs streamed into the object `sink` has open,
    /// with what the row holds put back at the `top` level.
    fn object<S: Sink<'s>>(
        &mut self,
        level: &'static [Field],
        sink: &mut S,
        named: &mut impl FnMut(Entity, RecordRef<'_>, &mut S),
        mut top: Option<&mut Top<'s>>,
    ) -> Result<(), Unusual> {
        self.eat(b'{')?;
        if self.peek() == Some(b'}') {
            self.at += 1;
            if let Some(top) = top {
                top.before(None, sink, named);
            }
            return Ok(());
        }
        let mut seen = 0u128;
        loop {
            let at = self.position()?;
            if let Some(top) = top.as_deref_mut()
                && !top.settled()
            {
                // What was put back may not come again: as a key met twice.
                seen |= top.before(Some(at), sink, named);
            }
            let bit = 1u128.checked_shl(u32::try_from(at).map_err(|_| Unusual)?);
            let field = level.get(at).ok_or(Unusual)?;
            let bit = bit.filter(|bit| seen & bit == 0).ok_or(Unusual)?;
            seen |= bit;
            self.eat(b':')?;
            sink.key(field.name);
            match field.ty {
                FieldType::Identifier(entity) => {
                    let (raw, escaped) = self.scalar()?;
                    sink.open_object();
                    if let Some(row) = row(raw) {
                        named(entity, RecordRef::Row(row), sink);
                    } else {
                        sink.key("id");
                        sink.value(raw);
                        if raw.starts_with('"') {
                            if escaped {
                                return Err(Unusual);
                            }
                            named(entity, RecordRef::Id(&raw[1..raw.len() - 1]), sink);
                        }
                    }
                    sink.close_object();
                }
                FieldType::Set(inner) if self.peek() == Some(b'[') => {
                    self.at += 1;
                    sink.open_array();
                    if self.peek() == Some(b']') {
                        self.at += 1;
                    } else {
                        loop {
                            sink.open_object();
                            self.object(inner, sink, named, None)?;
                            sink.close_object();
                            match self.peek() {
                                Some(b',') => self.at += 1,
                                Some(b']') => {
                                    self.at += 1;
                                    break;
                                }
                                _ => return Err(Unusual),
                            }
                        }
                    }
                    sink.close_array();
                }
                FieldType::Date => {
                    let (raw, _) = self.scalar()?;
                    match epoch::from_json(raw) {
                        Some(date) => sink.date(&date),
                        None => sink.value(raw),
                    }
                }
                _ => {
                    let (raw, _) = self.scalar()?;
                    sink.value(raw);
                }
            }
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    if let Some(top) = top {
                        top.before(None, sink, named);
                    }
                    return Ok(());
                }
                _ => return Err(Unusual),
            }
        }
    }

    /// A key that is a position written canonically (`0`, `17`, never `017` or `+1`).
    fn position(&mut self) -> Result<usize, Unusual> {
        let bytes = self.text.as_bytes();
        let digit = |at: usize| match bytes.get(at) {
            Some(&byte @ b'0'..=b'9') => Some(usize::from(byte - b'0')),
            _ => None,
        };
        let at = self.at;
        let (position, len) = match (bytes.get(at), digit(at + 1), digit(at + 2), digit(at + 3)) {
            (Some(b'"'), Some(a), None, _) => (a, 1),
            (Some(b'"'), Some(a), Some(b), None) if a > 0 => (a * 10 + b, 2),
            (Some(b'"'), Some(a), Some(b), Some(c)) if a > 0 => (a * 100 + b * 10 + c, 3),
            _ => return Err(Unusual),
        };
        self.at = at + 1 + len;
        self.eat(b'"')?;
        Ok(position)
    }

    /// A string, number, `true`, `false` or `null`: its text, and whether it is a string
    /// with an escape.
    fn scalar(&mut self) -> Result<(&'s str, bool), Unusual> {
        let start = self.at;
        let mut escaped = false;
        match self.peek().ok_or(Unusual)? {
            b'"' => escaped = self.string()?,
            b'-' | b'0'..=b'9' => self.number()?,
            b't' => self.word("true")?,
            b'f' => self.word("false")?,
            b'n' => self.word("null")?,
            _ => return Err(Unusual),
        }
        Ok((&self.text[start..self.at], escaped))
    }

    fn word(&mut self, word: &str) -> Result<(), Unusual> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(Unusual)
        }
    }

    /// A string as JSON allows it (no control character, only JSON's escapes); whether it
    /// holds an escape.
    fn string(&mut self) -> Result<bool, Unusual> {
        let bytes = self.text.as_bytes();
        self.at += 1;
        let mut escaped = false;
        loop {
            self.at += plain_prefix(bytes.get(self.at..).unwrap_or_default());
            let byte = *bytes.get(self.at).ok_or(Unusual)?;
            self.at += 1;
            match byte {
                b'"' => return Ok(escaped),
                b'\\' => {
                    escaped = true;
                    match *bytes.get(self.at).ok_or(Unusual)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                        b'u' => {
                            let hex = bytes.get(self.at + 1..self.at + 5).ok_or(Unusual)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return Err(Unusual);
                            }
                            self.at += 5;
                        }
                        _ => return Err(Unusual),
                    }
                }
                _ => return Err(Unusual),
            }
        }
    }

    /// A number as JSON writes it: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Result<(), Unusual> {
        let bytes = self.text.as_bytes();
        let digits = |at: &mut usize| {
            let start = *at;
            while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at - start
        };
        let mut at = self.at;
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        let first = bytes.get(at).copied();
        let int = digits(&mut at);
        if int == 0 || (int > 1 && first == Some(b'0')) {
            return Err(Unusual);
        }
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            if digits(&mut at) == 0 {
                return Err(Unusual);
            }
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            if digits(&mut at) == 0 {
                return Err(Unusual);
            }
        }
        self.at = at;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use proptest::prelude::*;

    use super::*;
    use crate::judge::body;
    use crate::listing::cells::{Cell, Cells, ListedCells};
    use crate::listing::decoded::{self, Decoded, for_each_cell};
    use crate::listing::json::ListedJson;

    /// The natural key the tests give a record: `name`, from its entity and id or row.
    fn name(entity: Entity, record: RecordRef<'_>) -> Rc<RawValue> {
        decoded::shared(&format!("{entity} {}", label(record)))
    }

    fn label(record: RecordRef<'_>) -> String {
        match record {
            RecordRef::Row(row) => format!("row {row}"),
            RecordRef::Id(id) => id.to_owned(),
        }
    }

    /// The id the tests give a record named by its row.
    fn row_id(record: RecordRef<'_>) -> Option<Rc<RawValue>> {
        match record {
            RecordRef::Row(row) => Some(decoded::shared(&format!("id of {row}"))),
            RecordRef::Id(_) => None,
        }
    }

    /// The rows the bodies are listed with: an identifier to escape and an account by its
    /// row, or neither.
    const ROWS: [Columns<'static>; 2] = [
        Columns {
            rui: "r\"1\\",
            account: Some(12),
        },
        Columns {
            rui: "7",
            account: None,
        },
    ];

    /// The reference: the listing decoded, as pretty JSON, compact JSON and cells.
    fn slow(stored: &str, columns: Columns<'_>) -> (Vec<u8>, Vec<u8>, Vec<(String, String)>) {
        let fields = decoded::decode(
            Kind::Purchases,
            stored,
            columns,
            &mut |entity, record, object| {
                if let Some(id) = row_id(record) {
                    object.push((Cow::Borrowed("id"), Decoded::Shared(id)));
                }
                object.push((Cow::Borrowed("name"), Decoded::Shared(name(entity, record))));
            },
        );
        let mut event = vec![(Cow::Borrowed("kind"), Decoded::text("purchases"))];
        event.extend(fields.unwrap_or_default());
        let event = Decoded::Object(event);
        let mut cells = Vec::new();
        for_each_cell(&event, |path, text| {
            cells.push((path.to_owned(), text.into_owned()));
        });
        (
            serde_json::to_vec_pretty(&event).unwrap(),
            serde_json::to_vec(&event).unwrap(),
            cells,
        )
    }

    fn fast_json(stored: &str, columns: Columns<'_>, pretty: bool) -> Result<Vec<u8>, Unusual> {
        let mut json = ListedJson::new(pretty);
        json.open_object();
        json.key("kind");
        json.string("purchases");
        stream(
            Kind::Purchases,
            stored,
            columns,
            &mut json,
            &mut |entity, record, json| {
                if let Some(id) = row_id(record) {
                    json.key("id");
                    json.shared(&id);
                }
                json.key("name");
                json.shared(&name(entity, record));
            },
        )?;
        json.close_object();
        Ok(json.out)
    }

    struct Gathered(Vec<(String, String)>);

    impl Cells<'_> for Gathered {
        fn cell(&mut self, path: &str, cell: Cell<'_>) {
            self.0.push((path.to_owned(), cell.text().into_owned()));
        }
    }

    fn fast_cells(stored: &str, columns: Columns<'_>) -> Result<Vec<(String, String)>, Unusual> {
        let mut cells =
            ListedCells::new(Gathered(vec![("kind".to_owned(), "purchases".to_owned())]));
        stream(
            Kind::Purchases,
            stored,
            columns,
            &mut cells,
            &mut |entity, record, cells| {
                if let Some(id) = row_id(record) {
                    cells.key("id");
                    cells.shared(&id);
                }
                cells.key("name");
                cells.shared(&name(entity, record));
            },
        )?;
        Ok(cells.cells.0)
    }

    /// Compares the fast path with the reference on `stored`, with each of [`ROWS`];
    /// whether the fast path took it.
    fn agrees(stored: &str) -> bool {
        let mut taken = Vec::new();
        for columns in ROWS {
            let (pretty, compact, cells) = slow(stored, columns);
            let fast = fast_json(stored, columns, true);
            if let Ok(fast) = &fast {
                assert_eq!(
                    String::from_utf8_lossy(fast),
                    String::from_utf8_lossy(&pretty)
                );
                assert_eq!(
                    fast_json(stored, columns, false).unwrap(),
                    compact,
                    "{stored}"
                );
                assert_eq!(fast_cells(stored, columns).unwrap(), cells, "{stored}");
            } else {
                assert!(fast_json(stored, columns, false).is_err(), "{stored}");
                assert!(fast_cells(stored, columns).is_err(), "{stored}");
            }
            taken.push(fast.is_ok());
        }
        taken.iter().all(|&t| t)
    }

    const PURCHASE: &str = r#"{"request_unique_identifier":"7","accounts_receivable_identifier":{"id":"A1"},"performed_by_unit_identifier":{"id":"U\u00e9"},"performed_on":"2016-06-22T15:00:00","reference_number":"R\"1\\","products_set":[{"product_identifier":{"id":"P1"},"quantity":1,"net_amount":-50.10,"vat_amount":1e2,"total_amount":60.25},{"product_identifier":{"id":"P2"},"net_amount":0,"vat_amount":0.5E-3,"total_amount":7}]}"#;

    #[test]
    fn takes_the_bodies_cebulk_writes() {
        let stored = body::encode(Kind::Purchases, PURCHASE).expect("a body");
        assert!(agrees(&stored), "{stored}");
        let upgraded = body::from_v6(Kind::Purchases, &stored);
        assert!(agrees(&upgraded), "{upgraded}");
        for odd in [
            r#"{"4":"U1","5":1466607600}"#,
            r#"{"0":"a","5":-62135596800,"7":"r"}"#,
            r#"{"2":4,"5":253402300799}"#,
            r#"{"1":"A1","5":"2016-06-22"}"#,
            r#"{"5":253402300800,"6":-0.5}"#,
        ] {
            assert!(agrees(odd), "{odd}");
        }
    }

    #[test]
    fn puts_back_what_the_row_holds() {
        let listed = fast_json(r#"{"4":"U1","5":0}"#, ROWS[0], false).unwrap();
        assert_eq!(
            String::from_utf8(listed).unwrap(),
            r#"{"kind":"purchases","request_unique_identifier":"r\"1\\","accounts_receivable_identifier":{"id":"id of 12","name":"accounts_receivable row 12"},"performed_by_unit_identifier":{"id":"U1","name":"units U1"},"performed_on":"1970-01-01T00:00:00"}"#
        );
    }

    #[test]
    fn gives_up_on_bodies_of_another_form() {
        let set = body::path(Kind::Purchases, &["products_set"]).unwrap();
        let set = set.trim_start_matches("$.\"").trim_end_matches('"');
        let odd = [
            r#"{"0":"a","0":"b"}"#.to_owned(),
            r#"{"00":"a"}"#.to_owned(),
            r#"{"x":"a"}"#.to_owned(),
            r#"{"0":{"k":1}}"#.to_owned(),
            r#"{"1":"A\"1"}"#.to_owned(),
            r#"{"0":01}"#.to_owned(),
            r#"{"0":"a"} "#.to_owned(),
            r#" {"0":"a"}"#.to_owned(),
            r#"{"0": "a"}"#.to_owned(),
            r#"{"4":"a","0":"b"}"#.to_owned(),
            r#"{"4":"a","1":7}"#.to_owned(),
            r#"{"0":"a","4":"b","2":7}"#.to_owned(),
            format!(r#"{{"{set}":[1]}}"#),
            "[1]".to_owned(),
            "{".to_owned(),
            String::new(),
        ];
        for stored in odd {
            assert!(!agrees(&stored), "{stored}");
        }
        assert!(agrees(&format!(r#"{{"1":5,"2":null,"{set}":[{{}}]}}"#)));
        assert!(agrees(&format!(r#"{{"{set}":[]}}"#)));
        assert!(agrees("{}"));
    }

    /// A key: mostly positions of purchases (the set's among them), sometimes another.
    fn key(set: usize) -> impl Strategy<Value = String> {
        prop_oneof![
            6 => (0usize..8).prop_map(|at| at.to_string()),
            2 => Just(set.to_string()),
            1 => prop::sample::select(vec!["00", "x", "1000", "+1", "0\\u0030", "200"])
                .prop_map(str::to_owned),
        ]
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => "[a-zA-Z0-9 =+-]{0,6}".prop_map(|text| format!("\"{text}\"")),
            2 => prop::sample::select(vec![
                r#""q\"t""#, r#""\u00e9""#, r#""a\\b""#, "null", "true", "false", "0", "-1.5",
                "1e5", "2E+3", "-0.25e-7", "42", "9223372036854775808", "1466607600",
                "-62135596800", "-62135596801", "253402300799", "253402300800", "-7",
            ])
            .prop_map(str::to_owned),
            1 => prop::sample::select(vec![
                r#""q\"t""#, r#""\u00e9""#, r#""\ud800""#, r#""a\\b""#, r#""\x""#, "\"\t\"",
                "null", "true", "false", "nul", "0", "-1.5", "1e5", "2E+3", "01", "-", "1.",
                "[1,2]", r#"{"k":"v"}"#, "[]", "{}", " 1",
            ])
            .prop_map(str::to_owned),
        ]
    }

    fn object(
        keys: impl Strategy<Value = String>,
        values: impl Strategy<Value = String>,
    ) -> impl Strategy<Value = String> {
        let pairs = prop::collection::vec((keys, values), 0..6);
        (pairs, prop::bool::weighted(0.8)).prop_map(|(mut pairs, once)| {
            if once {
                // Mostly each key once, as a body holds them.
                let mut seen = std::collections::HashSet::new();
                pairs.retain(|(k, _)| seen.insert(k.clone()));
            }
            let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{{}}}", pairs.join(","))
        })
    }

    fn body() -> impl Strategy<Value = String> {
        let set = body::path(Kind::Purchases, &["products_set"]).unwrap();
        let set: usize = set
            .trim_start_matches("$.\"")
            .trim_end_matches('"')
            .parse()
            .unwrap();
        let line = object((0usize..5).prop_map(|at| at.to_string()), scalar());
        let lines = prop_oneof![
            4 => prop::collection::vec(line, 0..3)
                .prop_map(|lines| format!("[{}]", lines.join(","))),
            1 => scalar(),
        ];
        object(key(set), prop_oneof![2 => scalar(), 1 => lines])
    }

    proptest! {
        // Many cases: a body the fast path takes whole (sets and all) is a few in a hundred.
        #![proptest_config(ProptestConfig::with_cases(4096))]
        #[test]
        fn the_fast_path_lists_as_the_reference_does(stored in body()) {
            agrees(&stored);
        }
    }
}
