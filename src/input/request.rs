//! A request as every reader delivers it (the kind, the request-level parameters and a
//! stream of raw events), and why a whole request can be rejected.

use serde_json::Value;

use crate::domain::codes::{EventError, RequestCode};
use crate::domain::entity::GivenIdentifier;
use crate::domain::kind::Kind;
use crate::domain::values::Numbers;
use crate::input::csv::rows::CsvEvent;
use crate::json::tree::Tree;
use crate::report::envelope::{FieldsSet, Status};

/// What an input delivers for one event.
#[derive(Debug, Clone)]
pub enum Body {
    /// One JSON event object, still text: parsed on the worker threads.
    Text(String),
    /// An event already built (JSON request documents).
    Tree(Tree<'static>),
    /// The rows of a CSV event: its tree is built on the worker threads.
    Csv(CsvEvent),
    /// A line or row that could not be read as an event.
    Broken {
        /// The request unique identifier, when known.
        rui: Value,
        /// Why.
        error: EventError,
    },
}

/// One event as read, before validation.
#[derive(Debug, Clone)]
pub struct RawEvent {
    /// The event.
    pub body: Body,
    /// How numbers arrive.
    pub numbers: Numbers,
    /// Where it stands in the input (for errors about the event as a whole).
    pub origin: Origin,
    /// The event as the input had it, when kept for a rejects file (`--rejects`).
    pub verbatim: Option<Box<Verbatim>>,
}

/// One event as its input had it, kept (with `--rejects`) until its outcome is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verbatim {
    /// The line the event starts on.
    pub line: usize,
    /// What was read.
    pub read: Read,
}

/// What was read of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// A JSON event: an NDJSON line without its line end (not necessarily UTF-8), or the
    /// text of a request document's event.
    Json(Vec<u8>),
    /// The rows of a CSV event, each row's cells as read (not necessarily UTF-8, nor of
    /// the header's count).
    Rows(Vec<csv::ByteRecord>),
    /// Nothing: the event was longer than a cap, and so never held in memory.
    Dropped,
}

impl Verbatim {
    /// A kept event, boxed as [`RawEvent::verbatim`] holds it.
    pub fn boxed(line: usize, read: Read) -> Option<Box<Verbatim>> {
        Some(Box::new(Verbatim { line, read }))
    }
}

/// How a request was written, for a rejects file in the same form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A JSON request document: its members other than the set, each as `"key":value`
    /// with the value as written, before and after the set, and the set's key.
    Document {
        /// Members before the set.
        before: Vec<String>,
        /// The set's key.
        set_key: String,
        /// Members after the set.
        after: Vec<String>,
    },
    /// CSV under this header (the names as written), with this delimiter: a rejects file
    /// is written in the input's dialect, so that it imports with the same options.
    Csv {
        /// The header's names as written.
        names: Vec<String>,
        /// The delimiter the input was read with.
        delimiter: u8,
    },
    /// NDJSON.
    Ndjson,
}

/// Where an event stands in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The line it starts on (NDJSON, CSV).
    Line(usize),
    /// Its index in the request document's set.
    Index(usize),
}

impl Origin {
    /// The path an error about the whole event names: `line 3`, or the set key and index.
    pub fn path(self, kind: crate::domain::kind::Kind) -> String {
        match self {
            Origin::Line(line) => format!("line {line}"),
            Origin::Index(index) => format!("{}.{index}", kind.set_key()),
        }
    }
}

/// The request unique identifier as the report echoes it: the caller's value when it is a
/// non-empty string or a number, else null.
pub fn echoed_rui(event: &Tree<'_>) -> Value {
    match event.get("request_unique_identifier") {
        // "" is absent, as an empty CSV cell is, so every format echoes it alike.
        Some(Tree::String(s)) if !s.is_empty() => Value::String(s.to_string()),
        Some(Tree::Number(n)) => n.parse().map(Value::Number).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// The events of a request, read as they are consumed. An `Err` item means the input
/// cannot be read further; events before it stand.
pub type EventStream = Box<dyn Iterator<Item = Result<RawEvent, RequestError>> + Send>;

/// One input's request: what the API would receive in one call.
pub struct Request {
    /// The event kind.
    pub kind: Kind,
    /// `fields_set` from the document, if any.
    pub fields_set: Option<FieldsSet>,
    /// `intended_currency_identifier` (purchases).
    pub intended_currency: Option<GivenIdentifier>,
    /// The events, in input order.
    pub events: EventStream,
    /// How the request was written.
    pub shape: Shape,
}

/// A whole request rejected (exit status 2, nothing more imported from it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}: {detail}")]
pub struct RequestError {
    /// The input's name as given on the command line.
    pub file: String,
    /// The code of ERRORS.md.
    pub code: RequestCode,
    /// One-line summary.
    pub message: String,
    /// Detail: where (line, column or JSON path) and what.
    pub detail: String,
}

impl RequestError {
    /// A rejection of `file`.
    pub fn new(
        file: &str,
        code: RequestCode,
        message: impl Into<String>,
        detail: impl Into<String>,
    ) -> RequestError {
        RequestError {
            file: file.to_owned(),
            code,
            message: message.into(),
            detail: detail.into(),
        }
    }

    /// The input cannot be read or parsed (`InvalidRequestDocumentException`).
    pub fn invalid(file: &str, message: impl Into<String>, detail: impl Into<String>) -> Self {
        RequestError::new(file, RequestCode::InvalidRequestDocument, message, detail)
    }

    /// The report's status for this rejection.
    pub fn status(&self) -> Status {
        Status {
            code: self.code,
            message: self.message.clone(),
            description: format!("{}: {}", self.file, self.detail),
        }
    }
}
