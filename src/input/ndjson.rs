//! NDJSON (`.ndjson`, `.jsonl`): one event object a line, no envelope, read line by line.
//! A line that is not JSON makes that event unprocessed; the lines after it still count.

use std::io::BufRead;

use serde_json::Value;

use super::request::{EventStream, RawEvent, RequestError};
use crate::codes::EventError;
use crate::validate::{Numbers, quote};

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
            match self.reader.read_until(b'\n', &mut self.buffer) {
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

fn parse_line(bytes: &[u8], line: usize) -> RawEvent {
    let broken = |value: Value, column: usize, why: String| RawEvent {
        rui: Value::Null,
        event: Err(EventError::InvalidValue {
            value: quote(&value),
            path: format!("line {line}, column {column}"),
            allowed: format!("Each line must hold one JSON event object ({why})"),
        }),
        numbers: Numbers::Json,
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let lossy = String::from_utf8_lossy(bytes).trim_end().to_owned();
            let column = super::position::line_column(bytes, e.valid_up_to()).1;
            return broken(Value::String(lossy), column, "invalid UTF-8".into());
        }
    };
    match serde_json::from_str::<Value>(text) {
        Ok(value) => RawEvent::json(value),
        Err(e) => broken(
            Value::String(text.trim_end().to_owned()),
            e.column(),
            e.to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &'static [u8]) -> Vec<Result<RawEvent, RequestError>> {
        events("f.ndjson", Box::new(text)).collect()
    }

    #[test]
    fn one_event_a_line_blank_lines_skipped() {
        let items =
            read(b"{\"request_unique_identifier\":\"1\"}\n\n{\"request_unique_identifier\":\"2\"}");
        let ruis: Vec<Option<String>> = items
            .iter()
            .map(|i| i.as_ref().ok().and_then(|e| e.rui_str().map(str::to_owned)))
            .collect();
        assert_eq!(ruis, [Some("1".into()), Some("2".into())]);
    }

    #[test]
    fn a_broken_line_is_one_unprocessed_event_with_its_line() {
        let items = read(b"{\"a\":1}\n{\"a\":\n\xff\xfe\n{}\n");
        assert_eq!(items.len(), 4);
        let path = |i: usize| match &items[i] {
            Ok(RawEvent {
                event: Err(EventError::InvalidValue { path, .. }),
                ..
            }) => path.clone(),
            _ => String::new(),
        };
        assert!(path(1).starts_with("line 2"), "{}", path(1));
        assert!(path(2).starts_with("line 3"), "{}", path(2));
        assert!(items[3].as_ref().is_ok_and(|e| e.event.is_ok()));
    }
}
