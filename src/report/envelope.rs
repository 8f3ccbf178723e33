//! The report: exactly the API's response envelope, with `fields_set` applied, written as
//! the run goes so that its size never grows memory. Processed entries go straight to the
//! output; unprocessed ones wait in a temporary file until the processed set is closed.
//!
//! Layout: one entry a line, so a large report stays readable with line tools.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};

use serde_json::{Map, Value, json};

use crate::domain::codes::{EventError, RequestCode};
use crate::json::escape::push_json_string;

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

/// The report being written.
pub struct Report {
    out: Box<dyn Write + Send>,
    held: BufWriter<File>,
    processed: usize,
    unprocessed: usize,
    data_open: bool,
    rejection: Option<Status>,
    /// The entry being written, kept to reuse its allocation.
    line: String,
}

impl Report {
    /// A report written to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> std::io::Result<Report> {
        Ok(Report {
            out,
            held: BufWriter::new(tempfile::tempfile()?),
            processed: 0,
            unprocessed: 0,
            data_open: false,
            rejection: None,
            line: String::with_capacity(128),
        })
    }

    /// Notes that a request is being imported: from now on `data` is not null.
    pub fn begin_request(&mut self) -> std::io::Result<()> {
        if !self.data_open {
            self.data_open = true;
            self.out
                .write_all(b"{\"data\": {\"processed_customer_events_set\": [")?;
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
    ) -> std::io::Result<()> {
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
        self.out.write_all(line.as_bytes())?;
        self.processed += 1;
        Ok(())
    }

    /// An event not created.
    pub fn unprocessed(
        &mut self,
        rui: Value,
        error: &EventError,
        fields: &FieldsSet,
    ) -> std::io::Result<()> {
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
        Self::entry(&mut self.held, self.unprocessed == 0, &entry)?;
        self.unprocessed += 1;
        Ok(())
    }

    /// A whole request rejected; the first one rejected names the status.
    pub fn reject(&mut self, status: Status) {
        self.rejection.get_or_insert(status);
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
    pub fn finish(mut self) -> std::io::Result<()> {
        let status = match &self.rejection {
            None => json!({"code": "OK", "description": "", "message": ""}),
            Some(s) => json!({
                "code": s.code.as_str(),
                "description": s.description,
                "message": s.message,
            }),
        };
        if self.data_open {
            let close = if self.processed > 0 { "\n]" } else { "]" };
            write!(self.out, "{close},\n\"unprocessed_customer_events_set\": [")?;
            let mut held = self.held.into_inner().map_err(|e| e.into_error())?;
            held.seek(SeekFrom::Start(0))?;
            std::io::copy(&mut held, &mut self.out)?;
            let close = if self.unprocessed > 0 { "\n]" } else { "]" };
            write!(self.out, "{close}}},\n\"status\": {status}}}\n")?;
        } else {
            writeln!(self.out, "{{\"data\": null, \"status\": {status}}}")?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn written(shared: &Shared) -> Value {
        let bytes = shared.0.lock().map(|b| b.clone()).unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
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
    fn a_rejection_alone_gives_null_data() -> std::io::Result<()> {
        let shared = Shared::default();
        let mut report = Report::new(Box::new(shared.clone()))?;
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
    fn entries_stream_into_the_envelope_in_order() -> std::io::Result<()> {
        let shared = Shared::default();
        let mut report = Report::new(Box::new(shared.clone()))?;
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
