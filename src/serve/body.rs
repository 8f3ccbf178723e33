//! Reading a request's body: refused before it is read when its declared length is over
//! `--max-body`, cut off as soon as it grows over it, and given up when it has not arrived
//! within `--request-timeout` (a stalled client holds only its own connection: nothing is
//! handed to the judge or the writer before the whole body is here).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::answer::Answer;
use crate::domain::codes::RequestCode;

/// The whole body, or the answer that refuses it.
pub async fn read(
    body: Body,
    headers: &HeaderMap,
    limit: u64,
    timeout: Duration,
) -> Result<Bytes, Answer> {
    let too_large = || {
        Answer::refused(
            RequestCode::RequestTooLarge,
            "the request body is too large",
            format!("the body is larger than {limit} bytes (--max-body)"),
        )
        .closing()
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let limited = Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX));
    match tokio::time::timeout(timeout, limited.collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.is::<LengthLimitError>() => Err(too_large()),
        Ok(Err(error)) => Err(Answer::refused(
            RequestCode::InvalidRequestDocument,
            "the request body could not be read",
            error.to_string(),
        )
        .closing()),
        Err(_) => Err(Answer::refused(
            RequestCode::RequestTimeout,
            "the request body did not arrive in time",
            format!(
                "the whole body must arrive within {} (--request-timeout)",
                humantime::format_duration(timeout)
            ),
        )
        .closing()),
    }
}
