//! NDJSON (`.ndjson`, `.jsonl`): one event object a line, no envelope, read line by line.
//! A line that is not JSON makes that event unprocessed; the lines after it still count.
//! So does a line longer than the cap, skipped without being stored. For a rejects file,
//! each event can keep its line as read.

use std::io::BufRead;

use serde_json::Value;

use super::request::{Body, EventStream, Origin, RawEvent, Read, RequestError, Verbatim};
use crate::domain::codes::EventError;
use crate::domain::codes::quote_text;
use crate::domain::values::Numbers;
use crate::input::limits::{MAX_EVENT_BYTES, too_long};

/// Streams the events of an NDJSON input; `keep`: each event keeps its line as read
/// ([`RawEvent::verbatim`]).
pub fn events(file: &str, reader: Box<dyn BufRead + Send>, keep: bool) -> EventStream {
    Box::new(Lines {
        file: file.to_owned(),
        reader,
        keep,
        line: 0,
        buffer: Vec::new(),
        done: false,
    })
}

struct Lines {
    file: String,
    reader: Box<dyn BufRead + Send>,
    keep: bool,
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
            match read_line(&mut *self.reader, &mut self.buffer, MAX_EVENT_BYTES) {
                Ok(Line::End) => {
                    self.done = true;
                    return None;
                }
                Ok(Line::Read) => {}
                Ok(Line::TooLong(bytes)) => {
                    self.line += 1;
                    return Some(Ok(RawEvent {
                        body: Body::Broken {
                            rui: Value::Null,
                            error: too_long(bytes, self.line),
                        },
                        numbers: Numbers::Json,
                        origin: Origin::Line(self.line),
                        verbatim: match self.keep {
                            true => Verbatim::boxed(self.line, Read::Dropped),
                            false => None,
                        },
                    }));
                }
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
            let mut event = parse_line(bytes, self.line);
            if self.keep {
                let end = bytes.strip_suffix(b"\n").unwrap_or(bytes);
                let end = end.strip_suffix(b"\r").unwrap_or(end);
                event.verbatim = Verbatim::boxed(self.line, Read::Json(end.to_vec()));
            }
            return Some(Ok(event));
        }
    }
}

/// What [`read_line`] found.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// The end of the input.
    End,
    /// A line.
    Read,
    /// A line longer than the cap, of this many bytes (its line end not counted): skipped.
    TooLong(u64),
}

/// Appends the next line, with its `\n` if it has one, to `line`, unless it is longer than
/// `cap` bytes: then the rest of it is skipped as it is read, never stored. As
/// `BufRead::read_until`, but with memchr's vectorised search for the `\n` instead of its
/// portable one (docs/performance.md, "input/ndjson: finding line ends").
fn read_line(reader: &mut dyn BufRead, line: &mut Vec<u8>, cap: usize) -> std::io::Result<Line> {
    let mut read = 0;
    let mut skipped = None;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let (used, content, done) = match memchr::memchr(b'\n', available) {
            Some(end) => (end + 1, end, true),
            None => (available.len(), available.len(), available.is_empty()),
        };
        match &mut skipped {
            Some(bytes) => *bytes += content as u64,
            None if line.len() + content > cap => {
                skipped = Some((line.len() + content) as u64);
                *line = Vec::new();
            }
            None => line.extend_from_slice(&available[..used]),
        }
        reader.consume(used);
        read += used;
        if done {
            return Ok(match (skipped, read) {
                (Some(bytes), _) => Line::TooLong(bytes),
                (None, 0) => Line::End,
                (None, _) => Line::Read,
            });
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
        verbatim: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &'static [u8]) -> Vec<Result<RawEvent, RequestError>> {
        events("f.ndjson", Box::new(text), false).collect()
    }

    #[test]
    fn lines_split_across_reads_are_whole() {
        // A reader that hands out three bytes at a time.
        let reader = std::io::BufReader::with_capacity(3, &b"{\"a\":1}\r\n{\"b\":2}"[..]);
        let items: Vec<_> = events("f.ndjson", Box::new(reader), false).collect();
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
    fn a_line_longer_than_the_cap_is_skipped_unstored() {
        let mut reader = std::io::BufReader::with_capacity(3, &b"1234\n12345678\n12345\n"[..]);
        let mut lines = Vec::new();
        let mut line = Vec::new();
        loop {
            line.clear();
            match read_line(&mut reader, &mut line, 5) {
                Ok(Line::End) | Err(_) => break,
                Ok(found) => lines.push((found, String::from_utf8_lossy(&line).into_owned())),
            }
        }
        assert_eq!(
            lines,
            [
                (Line::Read, "1234\n".to_owned()),
                (Line::TooLong(8), String::new()),
                (Line::Read, "12345\n".to_owned()),
            ]
        );
    }

    #[test]
    fn kept_lines_are_as_read_without_their_line_end() {
        let reader = std::io::BufReader::new(&b"{\"a\":1}\r\n\n\xff\n"[..]);
        let kept: Vec<Option<Verbatim>> = events("f.ndjson", Box::new(reader), true)
            .map(|item| item.ok().and_then(|raw| raw.verbatim.map(|v| *v)))
            .collect();
        assert_eq!(
            kept,
            [
                Some(Verbatim {
                    line: 1,
                    read: Read::Json(b"{\"a\":1}".to_vec())
                }),
                Some(Verbatim {
                    line: 3,
                    read: Read::Json(b"\xff".to_vec())
                }),
            ]
        );
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
