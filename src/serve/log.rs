//! The request log: one line on standard error per request, with its method, path, HTTP
//! status, events and milliseconds. Never a body, a header or a query, so never a token, a
//! password or a key.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use super::answer::Events;
use crate::cli::stderr;

/// Longest path logged (a client may send any path).
const PATH_LIMIT: usize = 200;

/// Logs the request once it is answered.
pub async fn log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path: String = request.uri().path().chars().take(PATH_LIMIT).collect();
    let response = next.run(request).await;
    let events = response.extensions().get::<Events>().map_or(0, |e| e.0);
    stderr::line(format_args!(
        "cebulk serve: {method} {path} {} {events} events {} ms",
        response.status().as_u16(),
        started.elapsed().as_millis()
    ));
    response
}
