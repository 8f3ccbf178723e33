//! The report: exactly the API's response envelope, with `fields_set` applied, written as
//! the run goes so that its size never grows memory. Processed entries go straight to the
//! output; unprocessed ones wait in a temporary file until the processed set is closed.
//!
//! Layout: one entry a line, so a large report stays readable with line tools.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use serde_json::{Map, Value, json};

use crate::domain::codes::{EventError, RequestCode};
use crate::json::escape::push_json_string;
use crate::report::destination::ReportError;

/// The response fields a `fields_set` may name.
pub const FIELDS: [&str; 5] = [
    "request_unique_identifier",
    "id",
    "number",
    "error_code",
    "error_description",
];

/// Which fields each entry keeps. `request_unique_identifier` is always kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldsSet(Vec<&'static str>);

impl Default for FieldsSet {
    fn default() -> Self {
        FieldsSet(FIELDS.to_vec())
    }
}

impl FieldsSet {
    /// Parses a list of names; `Err` names the first unknown one.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<FieldsSet, String> {
        let mut keep = vec!["request_unique_identifier"];
        let mut any = false;
        for name in names {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            any = true;
            let Some(known) = FIELDS.iter().find(|f| **f == name) else {
                return Err(name.to_owned());
            };
            if !keep.contains(known) {
                keep.push(known);
            }
        }
        // An empty list is "not specified": the seed returns every field then.
        Ok(if any {
            FieldsSet(keep)
        } else {
            FieldsSet::default()
        })
    }

    fn keeps(&self, field: &str) -> bool {
        self.0.contains(&field)
    }
}

/// A request-level rejection as the envelope's `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `status.code`
    pub code: RequestCode,
    /// `status.message`: a one-line summary.
    pub message: String,
    /// `status.description`: the detail, with file, line and column where known.
    pub description: String,
}

/// The envelope's `status`: `OK`, or the rejection's.
pub fn status_json(rejection: Option<&Status>) -> Value {
    match rejection {
        None => json!({"code": "OK", "description": "", "message": ""}),
        Some(s) => json!({
            "code": s.code.as_str(),
            "description": s.description,
            "message": s.message,
        }),
    }
}

/// The report being written.
pub struct Report {
    out: Box<dyn Write + Send>,
    /// Where `out` goes (a path, or standard output), for the messages of its failures.
    name: String,
    held: BufWriter<File>,
    processed: usize,
    unprocessed: usize,
    data_open: bool,
    rejection: Option<Status>,
    /// The entry being written, kept to reuse its allocation.
    line: String,
}

impl Report {
    /// A report written to `out`, which goes to `name` (a path, or standard output).
    pub fn new(
        out: Box<dyn Write + Send>,
        name: impl std::fmt::Display,
    ) -> Result<Report, ReportError> {
        Ok(Report {
            out,
            name: name.to_string(),
            held: BufWriter::new(tempfile::tempfile().map_err(ReportError::held)?),
            processed: 0,
            unprocessed: 0,
            data_open: false,
            rejection: None,
            line: String::with_capacity(128),
        })
    }

    /// Notes that a request is being imported: from now on `data` is not null.
    pub fn begin_request(&mut self) -> Result<(), ReportError> {
        if !self.data_open {
            self.data_open = true;
            self.out
                .write_all(b"{\"data\": {\"processed_customer_events_set\": [")
                .map_err(|e| ReportError::report_to(&self.name, e))?;
        }
        Ok(())
    }

    fn entry(out: &mut dyn Write, first: bool, entry: &Map<String, Value>) -> std::io::Result<()> {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, entry)?;
        Ok(())
    }

    /// A created event.
    pub fn processed(
        &mut self,
        rui: Value,
        id: &str,
        number: i64,
        fields: &FieldsSet,
    ) -> Result<(), ReportError> {
        // Written by hand: this runs once per event.
        let line = &mut self.line;
        line.clear();
        line.push_str(if self.processed == 0 { "\n" } else { ",\n" });
        line.push_str("{\"request_unique_identifier\":");
        match &rui {
            Value::String(text) => push_json_string(line, text),
            other => line.push_str(&other.to_string()),
        }
        if fields.keeps("id") {
            line.push_str(",\"id\":");
            push_json_string(line, id);
        }
        if fields.keeps("number") {
            // The API gives numbers as strings.
            line.push_str(",\"number\":\"");
            line.push_str(itoa::Buffer::new().format(number));
            line.push('"');
        }
        line.push('}');
        self.out
            .write_all(line.as_bytes())
            .map_err(|e| ReportError::report_to(&self.name, e))?;
        self.processed += 1;
        Ok(())
    }

    /// An event not created.
    pub fn unprocessed(
        &mut self,
        rui: Value,
        error: &EventError,
        fields: &FieldsSet,
    ) -> Result<(), ReportError> {
        let mut entry = Map::new();
        entry.insert("request_unique_identifier".into(), rui);
        if fields.keeps("error_code") {
            entry.insert("error_code".into(), Value::String(error.code().to_string()));
        }
        if fields.keeps("error_description") {
            entry.insert(
                "error_description".into(),
                Value::String(error.description()),
            );
        }
        Self::entry(&mut self.held, self.unprocessed == 0, &entry).map_err(ReportError::held)?;
        self.unprocessed += 1;
        Ok(())
    }

    /// A whole request rejected; the first one rejected names the status.
    pub fn reject(&mut self, status: Status) {
        self.rejection.get_or_insert(status);
    }

    /// The run stopped before the end of its input: this status replaces any rejection's,
    /// since what matters first is that the report is not the whole input's.
    pub fn interrupt(&mut self, status: Status) {
        self.rejection = Some(status);
    }

    /// How many events were reported unprocessed.
    pub fn unprocessed_count(&self) -> usize {
        self.unprocessed
    }

    /// How many events were reported processed.
    pub fn processed_count(&self) -> usize {
        self.processed
    }

    /// Closes the sets and writes the status.
    pub fn finish(self) -> Result<(), ReportError> {
        let status = status_json(self.rejection.as_ref());
        let name = &self.name;
        let output = |source| ReportError::report_to(name, source);
        let mut out = self.out;
        if self.data_open {
            let close = if self.processed > 0 { "\n]" } else { "]" };
            write!(out, "{close},\n\"unprocessed_customer_events_set\": [").map_err(output)?;
            let mut held = self
                .held
                .into_inner()
                .map_err(|e| ReportError::held(e.into_error()))?;
            held.seek(SeekFrom::Start(0)).map_err(ReportError::held)?;
            // Copied by hand rather than by io::copy, so that a failure names the file that
            // failed: the temporary one in TMPDIR, or the report's.
            let mut buffer = vec![0; 64 * 1024];
            loop {
                let read = match held.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(read) => read,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(ReportError::held(e)),
                };
                out.write_all(&buffer[..read]).map_err(output)?;
            }
            let close = if self.unprocessed > 0 { "\n]" } else { "]" };
            write!(out, "{close}}},\n\"status\": {status}}}\n").map_err(output)?;
        } else {
            writeln!(out, "{{\"data\": null, \"status\": {status}}}").map_err(output)?;
        }
        out.flush().map_err(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::destination::Memory;

    fn written(shared: &Memory) -> Value {
        serde_json::from_slice(&shared.take()).unwrap_or(Value::Null)
    }

    #[test]
    fn fields_set_keeps_the_request_identifier_and_rejects_unknown_names() {
        let fields = FieldsSet::parse("id".split(','));
        assert_eq!(
            fields.map(|f| f.0).ok(),
            Some(vec!["request_unique_identifier", "id"])
        );
        assert_eq!(
            FieldsSet::parse("id,colour".split(',')),
            Err("colour".into())
        );
    }

    #[test]
    fn a_rejection_alone_gives_null_data() -> Result<(), ReportError> {
        let shared = Memory::default();
        let mut report = Report::new(Box::new(shared.clone()), "test")?;
        report.reject(Status {
            code: RequestCode::TooManyCustomerEvents,
            message: "m".into(),
            description: "d".into(),
        });
        report.finish()?;
        let json = written(&shared);
        assert_eq!(json["data"], Value::Null);
        assert_eq!(json["status"]["code"], "TooManyCustomerEventsException");
        Ok(())
    }

    #[test]
    fn entries_stream_into_the_envelope_in_order() -> Result<(), ReportError> {
        let shared = Memory::default();
        let mut report = Report::new(Box::new(shared.clone()), "test")?;
        let fields = FieldsSet::default();
        report.begin_request()?;
        let error = EventError::DuplicateRequest { value: "1".into() };
        report.processed("1".into(), "A", 1, &fields)?;
        report.unprocessed("1".into(), &error, &fields)?;
        report.processed("2".into(), "B", 2, &fields)?;
        report.finish()?;
        let json = written(&shared);
        assert_eq!(json["data"]["processed_customer_events_set"][1]["id"], "B");
        assert_eq!(
            json["data"]["unprocessed_customer_events_set"][0]["error_code"],
            "DuplicateRequestUniqueIdentifierException"
        );
        assert_eq!(json["status"]["code"], "OK");
        Ok(())
    }
}
