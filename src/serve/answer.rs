//! What `cebulk serve` answers: the API's envelope, its HTTP status, and how many events it
//! carried (for the request log).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::domain::codes::RequestCode;
use crate::input::request::RequestError;
use crate::report::envelope::{Status, status_json};

/// One answer.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub http: StatusCode,
    /// The envelope, as JSON text.
    pub body: Vec<u8>,
    /// Events the request carried.
    pub events: usize,
    /// Whether the connection is closed after it (a client whose body did not arrive).
    pub close: bool,
}

/// The events a request carried, handed to the request log with the response.
#[derive(Debug, Clone, Copy)]
pub struct Events(pub usize);

impl Answer {
    /// `{"data": DATA, "status": OK}`, HTTP 200.
    pub fn ok(data: Value) -> Answer {
        let envelope = json!({"data": data, "status": status_json(None)});
        Answer::envelope(StatusCode::OK, &envelope)
    }

    /// A request refused with `code`: `{"data": null, "status": …}`, with the HTTP status of
    /// the code ([`http_status`]).
    pub fn refused(
        code: RequestCode,
        message: impl Into<String>,
        description: impl Into<String>,
    ) -> Answer {
        let status = Status {
            code,
            message: message.into(),
            description: description.into(),
        };
        let envelope = json!({"data": null, "status": status_json(Some(&status))});
        Answer::envelope(http_status(code), &envelope)
    }

    /// A request document refused as a whole, as `cebulk import` reports it.
    pub fn rejected(error: &RequestError) -> Answer {
        let status = error.status();
        Answer::refused(status.code, status.message, status.description)
    }

    /// The store failed: the request's events were not committed.
    pub fn store_failed(detail: impl Into<String>) -> Answer {
        Answer::refused(
            RequestCode::StoreFailure,
            "the store failed; nothing of this request was committed",
            detail,
        )
    }

    /// An envelope already written (a create call's report).
    pub fn written(http: StatusCode, body: Vec<u8>, events: usize) -> Answer {
        Answer {
            http,
            body,
            events,
            close: false,
        }
    }

    fn envelope(http: StatusCode, envelope: &Value) -> Answer {
        let mut body = envelope.to_string().into_bytes();
        body.push(b'\n');
        Answer::written(http, body, 0)
    }

    /// The same answer, and the connection closed after it.
    pub fn closing(mut self) -> Answer {
        self.close = true;
        self
    }
}

/// The HTTP status of a refusal with `code`.
pub fn http_status(code: RequestCode) -> StatusCode {
    match code {
        RequestCode::InvalidToken | RequestCode::InvalidCredentials => StatusCode::UNAUTHORIZED,
        RequestCode::UnknownMethod => StatusCode::NOT_FOUND,
        RequestCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        RequestCode::RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        RequestCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        RequestCode::StoreFailure => StatusCode::INTERNAL_SERVER_ERROR,
        RequestCode::Interrupted => StatusCode::SERVICE_UNAVAILABLE,
        // `--max-errors` is the command line's; no request over HTTP ends with it.
        RequestCode::TooManyUnprocessed => StatusCode::UNPROCESSABLE_ENTITY,
        RequestCode::InvalidRequestDocument
        | RequestCode::UnknownCustomerEventsSet
        | RequestCode::TooManyCustomerEvents
        | RequestCode::InvalidFieldsSet
        | RequestCode::MissingMandatoryParameter => StatusCode::BAD_REQUEST,
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = (
            self.http,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            self.body,
        )
            .into_response();
        if self.close {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response.extensions_mut().insert(Events(self.events));
        response
    }
}
