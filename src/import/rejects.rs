//! The rejects file of one input (`--rejects`): every event reported unprocessed, in the
//! input's own format and as the input had it, annotated with `cebulk_error_code`,
//! `cebulk_error_description` and `cebulk_source` (`file:line`), so that it can be fixed and
//! imported as it is (an import leaves `cebulk_*` columns and keys out). CSV rows keep
//! the input's header, the annotations as extra columns; JSON events (NDJSON lines, a
//! request document's set) get them as extra keys. Like the report, the file appears only
//! when complete.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;
use serde_json::value::RawValue;

use crate::domain::codes::{ANNOTATIONS, EventError, is_annotation};
use crate::input::request::{Read, Shape, Verbatim};
use crate::json::parse;
use crate::report::destination::{Pending, ReportError, open_file};

/// The key that holds, as a JSON string, a line or event that is not a JSON object: it
/// cannot take keys of its own.
pub const TEXT_KEY: &str = "cebulk_text";

/// One input's rejects file being written.
pub struct Rejects {
    out: Out,
    /// The temporary file, moved onto the path by [`Rejects::finish`].
    pending: Option<Pending>,
    path: PathBuf,
    /// The input's name in `cebulk_source`.
    source: String,
    /// How the input was written.
    shape: Shape,
    /// Events written so far.
    written: usize,
}

enum Out {
    Csv {
        writer: Box<csv::Writer<Box<dyn Write + Send>>>,
        /// The input header's width.
        width: usize,
        /// The column of each annotation in the rejects header.
        at: [usize; 3],
        /// The rejects header's width.
        total: usize,
    },
    Json(Box<dyn Write + Send>),
}

impl Rejects {
    /// Starts the rejects file of the input `name`, written as `shape`, at `path`.
    pub fn create(path: &Path, name: &str, shape: Shape) -> Result<Rejects, ReportError> {
        let failed =
            |e| ReportError::writing(format_args!("the rejects file {}", path.display()), e);
        let (raw, pending) = open_file(path, ".cebulk-rejects-").map_err(failed)?;
        let out = match &shape {
            Shape::Csv {
                names: header,
                delimiter,
            } => {
                let mut columns = header.clone();
                let at = ANNOTATIONS.map(|name| match header.iter().position(|h| h == name) {
                    Some(at) => at,
                    None => {
                        columns.push(name.to_owned());
                        columns.len() - 1
                    }
                });
                let mut writer = csv::WriterBuilder::new()
                    .flexible(true)
                    .delimiter(*delimiter)
                    .from_writer(raw);
                writer
                    .write_record(&columns)
                    .map_err(|e| failed(e.into()))?;
                Out::Csv {
                    writer: Box::new(writer),
                    width: header.len(),
                    at,
                    total: columns.len(),
                }
            }
            Shape::Document {
                before, set_key, ..
            } => {
                let mut raw = raw;
                let mut head = String::from("{");
                for member in before {
                    head.push_str(member);
                    head.push(',');
                }
                head.push_str(&Value::String(set_key.clone()).to_string());
                head.push_str(":[");
                raw.write_all(head.as_bytes()).map_err(failed)?;
                Out::Json(raw)
            }
            Shape::Ndjson => Out::Json(raw),
        };
        Ok(Rejects {
            out,
            pending,
            path: path.to_owned(),
            source: match name {
                "-" => "stdin".to_owned(),
                name => name.to_owned(),
            },
            shape,
            written: 0,
        })
    }

    fn failed(&self, e: std::io::Error) -> ReportError {
        ReportError::writing(format_args!("the rejects file {}", self.path.display()), e)
    }

    /// Writes one unprocessed event: what was read of it (`None`: nothing was kept, and
    /// its line is not known: 0), and why.
    pub fn write(
        &mut self,
        verbatim: Option<&Verbatim>,
        error: &EventError,
    ) -> Result<(), ReportError> {
        let line = verbatim.map_or(0, |v| v.line);
        let annotations = [
            error.code().as_str().to_owned(),
            error.description(),
            format!("{}:{line}", self.source),
        ];
        let dropped = Read::Dropped;
        let read = verbatim.map_or(&dropped, |v| &v.read);
        let result = match &mut self.out {
            Out::Csv {
                writer,
                width,
                at,
                total,
            } => write_rows(writer, read, *width, *at, *total, &annotations),
            Out::Json(out) => {
                let text = match read {
                    Read::Json(bytes) => annotated(bytes, &annotations),
                    _ => annotations_only(&annotations, None),
                };
                let separator: &[u8] = match (&self.shape, self.written) {
                    (Shape::Document { .. }, 0) => b"\n",
                    (Shape::Document { .. }, _) => b",\n",
                    _ => b"",
                };
                let end: &[u8] = match &self.shape {
                    Shape::Document { .. } => b"",
                    _ => b"\n",
                };
                out.write_all(separator)
                    .and_then(|()| out.write_all(text.as_bytes()))
                    .and_then(|()| out.write_all(end))
            }
        };
        self.written += 1;
        result.map_err(|e| self.failed(e))
    }

    /// Closes the file and moves it into place.
    pub fn finish(self) -> Result<(), ReportError> {
        let path = self.path.display().to_string();
        let failed = |e| ReportError::writing(format_args!("the rejects file {path}"), e);
        match self.out {
            Out::Csv { writer, .. } => {
                let mut out = writer.into_inner().map_err(|e| failed(e.into_error()))?;
                out.flush().map_err(failed)?;
            }
            Out::Json(mut out) => {
                if let Shape::Document { after, .. } = &self.shape {
                    let mut tail = String::from(if self.written > 0 { "\n]" } else { "]" });
                    for member in after {
                        tail.push(',');
                        tail.push_str(member);
                    }
                    tail.push_str("}\n");
                    out.write_all(tail.as_bytes()).map_err(failed)?;
                }
                out.flush().map_err(failed)?;
            }
        }
        if let Some(pending) = self.pending {
            pending.persist().map_err(failed)?;
        }
        Ok(())
    }
}

/// Writes the rows of a CSV event, each with the annotations: a row of the header's width
/// gets them in their columns; a row of another width (a ragged row) is written as read,
/// the annotations after its cells, so that it stays ragged until fixed.
fn write_rows(
    writer: &mut csv::Writer<Box<dyn Write + Send>>,
    read: &Read,
    width: usize,
    at: [usize; 3],
    total: usize,
    annotations: &[String; 3],
) -> std::io::Result<()> {
    let empty = csv::ByteRecord::from(vec![""; width]);
    let rows = match read {
        Read::Rows(rows) => rows.as_slice(),
        _ => std::slice::from_ref(&empty),
    };
    for row in rows {
        let mut out = csv::ByteRecord::with_capacity(row.as_slice().len() + 256, total);
        if row.len() == width {
            let mut cells = vec![&b""[..]; total];
            for (i, cell) in row.iter().enumerate() {
                cells[i] = cell;
            }
            for (i, annotation) in at.iter().zip(annotations) {
                cells[*i] = annotation.as_bytes();
            }
            out.extend(cells);
        } else {
            out.extend(row.iter());
            out.extend(annotations.iter().map(String::as_bytes));
        }
        writer.write_byte_record(&out)?;
    }
    Ok(())
}

/// A JSON event's text with the annotations as extra keys: inserted before its closing
/// brace, the rest as written; an object that has annotations already (a rejects file
/// imported again) is written member by member with them replaced. Anything that is not a
/// JSON object is kept, as a string, under [`TEXT_KEY`].
fn annotated(bytes: &[u8], annotations: &[String; 3]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let pairs = serde_json::from_str::<&RawValue>(&text)
        .ok()
        .and_then(parse::object_pairs);
    let Some(pairs) = pairs else {
        return annotations_only(annotations, Some(&text));
    };
    let keys = annotation_members(annotations);
    if pairs.iter().any(|(key, _)| is_annotation(key)) {
        let mut members: Vec<String> = pairs
            .iter()
            .filter(|(key, _)| !is_annotation(key))
            .map(|(key, value)| format!("{}:{}", Value::String(key.to_string()), value.get()))
            .collect();
        members.push(keys);
        return format!("{{{}}}", members.join(","));
    }
    // Right after the object's last member: before the spaces that precede its closing
    // brace, the last one of the text (which may end in spaces).
    let close = text.rfind('}').unwrap_or(text.len());
    let at = text[..close].trim_end().len();
    let comma = if pairs.is_empty() { "" } else { "," };
    format!("{}{comma}{keys}{}", &text[..at], &text[at..])
}

/// The annotations as `"key":"value"` members, comma-separated.
fn annotation_members(annotations: &[String; 3]) -> String {
    ANNOTATIONS
        .iter()
        .zip(annotations)
        .map(|(key, value)| format!("\"{key}\":{}", Value::String(value.clone())))
        .collect::<Vec<_>>()
        .join(",")
}

/// An object of the annotations alone, and the text read, if any.
fn annotations_only(annotations: &[String; 3], text: Option<&str>) -> String {
    let mut members = annotation_members(annotations);
    if let Some(text) = text {
        members.push_str(&format!(
            ",\"{TEXT_KEY}\":{}",
            Value::String(text.to_owned())
        ));
    }
    format!("{{{members}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notes() -> [String; 3] {
        ["C".into(), "D".into(), "f:1".into()]
    }

    #[test]
    fn annotations_are_added_to_the_object_as_written() {
        let keys =
            r#""cebulk_error_code":"C","cebulk_error_description":"D","cebulk_source":"f:1""#;
        assert_eq!(
            annotated(br#"{"a": 1 } "#, &notes()),
            format!(r#"{{"a": 1,{keys} }} "#)
        );
        assert_eq!(annotated(b"{ }", &notes()), format!("{{{keys} }}"));
        assert_eq!(
            annotated(br#"{"a":1,"cebulk_source":"x:9"}"#, &notes()),
            format!(r#"{{"a":1,{keys}}}"#)
        );
        assert_eq!(
            annotated(b"{\"a\":", &notes()),
            format!(r#"{{{keys},"cebulk_text":"{{\"a\":"}}"#)
        );
        assert_eq!(
            annotated(b"5", &notes()),
            format!(r#"{{{keys},"cebulk_text":"5"}}"#)
        );
    }
}
