//! The report: exactly the API's response envelope, with `fields_set` applied.

use std::io::Write;

use serde_json::{Map, Value, json};

use crate::codes::{EventError, RequestCode};

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
    /// Parses a comma-separated list; `Err` names the first unknown field.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<FieldsSet, String> {
        let mut keep = vec!["request_unique_identifier"];
        for name in names {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            let Some(known) = FIELDS.iter().find(|f| **f == name) else {
                return Err(name.to_owned());
            };
            if !keep.contains(known) {
                keep.push(known);
            }
        }
        Ok(FieldsSet(keep))
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

/// The report being built.
#[derive(Debug, Default)]
pub struct Report {
    processed: Vec<Value>,
    unprocessed: Vec<Value>,
    /// Whether any input was imported (else `data` is null on a rejection).
    any_request: bool,
    rejection: Option<Status>,
}

impl Report {
    /// Notes that a request was read and its events are being reported.
    pub fn begin_request(&mut self) {
        self.any_request = true;
    }

    /// A created event.
    pub fn processed(&mut self, rui: Value, id: &str, number: &str, fields: &FieldsSet) {
        let mut entry = Map::new();
        entry.insert("request_unique_identifier".into(), rui);
        if fields.keeps("id") {
            entry.insert("id".into(), Value::String(id.to_owned()));
        }
        if fields.keeps("number") {
            entry.insert("number".into(), Value::String(number.to_owned()));
        }
        self.processed.push(Value::Object(entry));
    }

    /// An event not created.
    pub fn unprocessed(&mut self, rui: Value, error: &EventError, fields: &FieldsSet) {
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
        self.unprocessed.push(Value::Object(entry));
    }

    /// A whole request rejected; the first one rejected names the status.
    pub fn reject(&mut self, status: Status) {
        self.rejection.get_or_insert(status);
    }

    /// How many events were reported unprocessed.
    pub fn unprocessed_count(&self) -> usize {
        self.unprocessed.len()
    }

    /// How many events were reported processed.
    pub fn processed_count(&self) -> usize {
        self.processed.len()
    }

    /// The envelope.
    pub fn to_json(&self) -> Value {
        let status = match &self.rejection {
            None => json!({"code": "OK", "description": "", "message": ""}),
            Some(s) => json!({
                "code": s.code.as_str(),
                "description": s.description,
                "message": s.message,
            }),
        };
        let data = if self.rejection.is_some() && !self.any_request {
            Value::Null
        } else {
            json!({
                "processed_customer_events_set": self.processed,
                "unprocessed_customer_events_set": self.unprocessed,
            })
        };
        json!({"data": data, "status": status})
    }

    /// Writes the envelope, pretty-printed, with a final newline.
    pub fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &self.to_json())?;
        out.write_all(b"\n")?;
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_set_keeps_the_request_identifier_and_rejects_unknown_names() {
        let fields = FieldsSet::parse("id".split(','));
        assert_eq!(
            fields.as_ref().map(|f| f.0.clone()).ok(),
            Some(vec!["request_unique_identifier", "id"])
        );
        assert_eq!(
            FieldsSet::parse("id,colour".split(',')),
            Err("colour".into())
        );
    }

    #[test]
    fn a_rejection_alone_gives_null_data() {
        let mut report = Report::default();
        report.reject(Status {
            code: RequestCode::TooManyCustomerEvents,
            message: "m".into(),
            description: "d".into(),
        });
        let json = report.to_json();
        assert_eq!(json["data"], Value::Null);
        assert_eq!(json["status"]["code"], "TooManyCustomerEventsException");
    }
}
