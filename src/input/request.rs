//! A request as every reader delivers it, and why a whole request can be rejected.

use serde_json::Value;

use crate::codes::RequestCode;
use crate::kind::Kind;
use crate::report::{FieldsSet, Status};
use crate::resolve::GivenIdentifier;

/// One input's request: what the API would receive in one call.
#[derive(Debug)]
pub struct Request {
    /// The event kind.
    pub kind: Kind,
    /// `fields_set` from the document, if any.
    pub fields_set: Option<FieldsSet>,
    /// `intended_currency_identifier` (purchases).
    pub intended_currency: Option<GivenIdentifier>,
    /// The raw events, in input order.
    pub events: Vec<Value>,
}

/// A whole request rejected (exit status 2, nothing imported from it).
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

    /// The report's status for this rejection.
    pub fn status(&self) -> Status {
        Status {
            code: self.code,
            message: self.message.clone(),
            description: format!("{}: {}", self.file, self.detail),
        }
    }
}
