//! A [`Sink`] that writes a streamed listing as JSON straight into one output buffer, in
//! the bytes `serde_json`'s compact writer (NDJSON) or pretty printer (JSON) gives the same
//! listing as a [`super::decoded::Decoded`].

use std::rc::Rc;

use serde_json::value::RawValue;

use super::listed::Sink;

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
        let plain = text
            .bytes()
            .all(|byte| byte >= 0x20 && byte != b'"' && byte != b'\\');
        if plain {
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
        let Some((count, _)) = self.open.last_mut() else {
            return;
        };
        *count += 1;
        let first = *count == 1;
        if self.pretty {
            self.out
                .extend_from_slice(if first { b"\n" } else { b",\n" });
            self.indent(self.open.len());
        } else if !first {
            self.out.push(b',');
        }
    }

    fn indent(&mut self, depth: usize) {
        const SPACES: &[u8] = &[b' '; 64];
        let mut left = depth * 2;
        while left > 0 {
            let take = left.min(SPACES.len());
            self.out.extend_from_slice(&SPACES[..take]);
            left -= take;
        }
    }

    /// Ends the innermost object or array with `close`.
    fn close(&mut self, close: u8) {
        let (count, _) = self.open.pop().unwrap_or_default();
        if self.pretty && count > 0 {
            self.out.push(b'\n');
            self.indent(self.open.len());
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
}
