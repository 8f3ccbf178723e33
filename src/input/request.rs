//! A request as every reader delivers it (the kind, the request-level parameters and a
//! stream of raw events), and why a whole request can be rejected.

use serde_json::Value;

use crate::codes::{EventError, RequestCode};
use crate::kind::Kind;
use crate::report::{FieldsSet, Status};
use crate::resolve::GivenIdentifier;
use crate::validate::Numbers;

/// One event as read, before validation.
#[derive(Debug, Clone)]
pub struct RawEvent {
    /// `request_unique_identifier` as the report echoes it (null when unknown).
    pub rui: Value,
    /// The event object, or why this line or row could not be read as one.
    pub event: Result<Value, EventError>,
    /// How numbers arrive.
    pub numbers: Numbers,
}

impl RawEvent {
    /// An event read from JSON.
    pub fn json(event: Value) -> RawEvent {
        let rui = match event.get("request_unique_identifier") {
            Some(v @ (Value::String(_) | Value::Number(_))) => v.clone(),
            _ => Value::Null,
        };
        RawEvent {
            rui,
            event: Ok(event),
            numbers: Numbers::Json,
        }
    }

    /// The request unique identifier, when it is a string.
    pub fn rui_str(&self) -> Option<&str> {
        self.rui.as_str()
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
