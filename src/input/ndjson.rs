//! NDJSON (`.ndjson`, `.jsonl`): one event object a line, no envelope, read line by line.
//! A line that is not JSON makes that event unprocessed; the lines after it still count.

use std::io::BufRead;

use serde_json::Value;

use super::request::{Body, EventStream, Origin, RawEvent, RequestError};
use crate::domain::codes::EventError;
use crate::domain::codes::quote_text;
use crate::domain::values::Numbers;

/// Streams the events of an NDJSON input.
pub fn events(file: &str, reader: Box<dyn BufRead + Send>) -> EventStream {
    Box::new(Lines {
        file: file.to_owned(),
        reader,
        line: 0,
        buffer: Vec::new(),
        done: false,
    })
}

struct Lines {
    file: String,
    reader: Box<dyn BufRead + Send>,
    line: usize,
    buffer: Vec<u8>,
    done: bool,
}

impl Iterator for Lines {
    type Item = Result<RawEvent, RequestError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            self.buffer.clear();
            match read_line(&mut *self.reader, &mut self.buffer) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(RequestError::invalid(
                        &self.file,
                        "the input cannot be read further",
                        format!("after line {}: {e}", self.line),
                    )));
                }
            }
            self.line += 1;
            let mut bytes = self.buffer.as_slice();
            if self.line == 1 {
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(Ok(parse_line(bytes, self.line)));
        }
    }
}

/// Appends the next line, with its `\n` if it has one, to `line`; gives the bytes read (0 at
/// the end). As `BufRead::read_until`, but with memchr's vectorised search for the `\n`
/// instead of its portable one (docs/performance.md, "input/ndjson: finding line ends").
fn read_line(reader: &mut dyn BufRead, line: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut read = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let (used, done) = match memchr::memchr(b'\n', available) {
            Some(end) => (end + 1, true),
            None => (available.len(), available.is_empty()),
        };
        line.extend_from_slice(&available[..used]);
        reader.consume(used);
        read += used;
        if done {
            return Ok(read);
        }
    }
}

fn parse_line(bytes: &[u8], line: usize) -> RawEvent {
    let body = match std::str::from_utf8(bytes) {
        Ok(text) => Body::Text(text.to_owned()),
        Err(e) => {
            let lossy = String::from_utf8_lossy(bytes).trim_end().to_owned();
            let column = super::position::line_column(bytes, e.valid_up_to()).1;
            Body::Broken {
                rui: Value::Null,
                error: EventError::InvalidValue {
                    value: quote_text(&lossy),
                    path: format!("line {line}, column {column}"),
                    allowed: "Each line must hold one JSON event object (invalid UTF-8)".into(),
                },
            }
        }
    };
    RawEvent {
        body,
        numbers: Numbers::Json,
        origin: Origin::Line(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &'static [u8]) -> Vec<Result<RawEvent, RequestError>> {
        events("f.ndjson", Box::new(text)).collect()
    }

    #[test]
    fn lines_split_across_reads_are_whole() {
        // A reader that hands out three bytes at a time.
        let reader = std::io::BufReader::with_capacity(3, &b"{\"a\":1}\r\n{\"b\":2}"[..]);
        let items: Vec<_> = events("f.ndjson", Box::new(reader)).collect();
        let texts: Vec<&str> = items
            .iter()
            .map(|item| match item {
                Ok(RawEvent {
                    body: Body::Text(t),
                    ..
                }) => t.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(texts, ["{\"a\":1}\r\n", "{\"b\":2}"]);
    }

    #[test]
    fn one_event_a_line_blank_lines_skipped_lines_counted() {
        let items = read(b"{\"request_unique_identifier\":\"1\"}\n\n{\"a\":\n\xff\xfe\n");
        let lines: Vec<Origin> = items.iter().flatten().map(|e| e.origin).collect();
        assert_eq!(lines, [Origin::Line(1), Origin::Line(3), Origin::Line(4)]);
        assert!(matches!(&items[1], Ok(RawEvent { body: Body::Text(t), .. }) if t == "{\"a\":\n"));
        assert!(matches!(
            &items[2],
            Ok(RawEvent { body: Body::Broken { error: EventError::InvalidValue { path, .. }, .. }, .. })
                if path.starts_with("line 4")
        ));
    }
}
