//! A [`Sink`] that writes a streamed listing as JSON straight into one output buffer, in
//! the bytes `serde_json`'s compact writer (NDJSON) or pretty printer (JSON) gives the same
//! listing as a [`super::decoded::Decoded`].

use std::rc::Rc;

use serde_json::value::RawValue;

use super::stream::Sink;
use crate::domain::epoch::DateText;
use crate::json::escape::plain_prefix;

/// The JSON text of listings, written into [`ListedJson::out`].
#[derive(Debug, Default)]
pub struct ListedJson {
    /// The bytes written so far (the caller takes them away).
    pub out: Vec<u8>,
    /// Pretty-printed (two spaces an indent) or compact.
    pub pretty: bool,
    /// Each open object or array, innermost last: the elements written in it so far, and
    /// whether it is an array (whose elements come without keys).
    open: Vec<(u32, bool)>,
}

impl ListedJson {
    /// A writer, pretty-printed or not.
    pub fn new(pretty: bool) -> ListedJson {
        ListedJson {
            out: Vec::with_capacity(1 << 17),
            pretty,
            open: Vec::new(),
        }
    }

    /// Forgets the open objects and arrays and what was written from `len` on (a listing
    /// the fast path gave up on).
    pub fn roll_back(&mut self, len: usize) {
        self.out.truncate(len);
        self.open.clear();
    }

    /// `text` as a JSON string, escaped as `serde_json` escapes it.
    pub fn string(&mut self, text: &str) {
        if plain_prefix(text.as_bytes()) == text.len() {
            self.out.push(b'"');
            self.out.extend_from_slice(text.as_bytes());
            self.out.push(b'"');
        } else {
            let Ok(()) = serde_json::to_writer(&mut self.out, text) else {
                unreachable!("a string always serialises into a Vec");
            };
        }
    }

    /// Starts the next element of the innermost object (before its key) or array: a
    /// comma after the first, and a new line and indent when pretty.
    fn element(&mut self) {
        let depth = self.open.len();
        let Some((count, _)) = self.open.last_mut() else {
            return;
        };
        *count += 1;
        let first = usize::from(*count == 1);
        if self.pretty {
            self.new_line(depth, first);
        } else if first == 0 {
            self.out.push(b',');
        }
    }

    /// A comma unless `first` is 1, a new line, and the indent of `depth`.
    fn new_line(&mut self, depth: usize, first: usize) {
        const LINE: &[u8] = b",\n                                                                ";
        let end = 2 + 2 * depth;
        match LINE.get(first..end) {
            Some(line) => self.out.extend_from_slice(line),
            None => {
                self.out.extend_from_slice(&LINE[first..2]);
                self.indent(depth);
            }
        }
    }

    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.extend_from_slice(b"  ");
        }
    }

    /// Ends the innermost object or array with `close`.
    fn close(&mut self, close: u8) {
        let (count, _) = self.open.pop().unwrap_or_default();
        if self.pretty && count > 0 {
            self.new_line(self.open.len(), 1);
        }
        self.out.push(close);
    }

    /// Starts a value: an element of its own in an array (in an object, its key did).
    fn before_value(&mut self) {
        if self.open.last().is_some_and(|&(_, array)| array) {
            self.element();
        }
    }
}

impl<'s> Sink<'s> for ListedJson {
    fn open_object(&mut self) {
        self.before_value();
        self.out.push(b'{');
        self.open.push((0, false));
    }

    fn close_object(&mut self) {
        self.close(b'}');
    }

    fn open_array(&mut self) {
        self.before_value();
        self.out.push(b'[');
        self.open.push((0, true));
    }

    fn close_array(&mut self) {
        self.close(b']');
    }

    fn key(&mut self, key: &'static str) {
        self.element();
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out
            .extend_from_slice(if self.pretty { b"\": " } else { b"\":" });
    }

    fn value(&mut self, json: &'s str) {
        self.before_value();
        self.out.extend_from_slice(json.as_bytes());
    }

    fn shared(&mut self, json: &Rc<RawValue>) {
        self.before_value();
        self.out.extend_from_slice(json.get().as_bytes());
    }

    fn text(&mut self, text: &'s str) {
        self.before_value();
        self.string(text);
    }

    fn date(&mut self, date: &DateText) {
        self.before_value();
        self.out.push(b'"');
        self.out.extend_from_slice(date.as_str().as_bytes());
        self.out.push(b'"');
    }
}
