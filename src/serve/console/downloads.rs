//! A run's files for download: the API report (`report.json`) and the rejects file, read
//! from the run's directory under the names the server gave them (nothing of the request
//! names a path), streamed in chunks.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State as Shared};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::result::run_id;
use super::runs::files;
use super::session::Fetching;
use super::upload::rejects_name;
use crate::serve::state::State;

/// Bytes read from the file at a time.
const CHUNK: usize = 64 * 1024;

/// `GET /console/imports/{id}/report`.
pub async fn report(
    Shared(state): Shared<Arc<State>>,
    _session: Fetching,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let Some(id) = run_id(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = state.console.run_directory(id).join(files::REPORT);
    let name = format!("import-{id}.report.json");
    send(&path, "application/json", &name).await
}

/// `GET /console/imports/{id}/rejects`.
pub async fn rejects(
    Shared(state): Shared<Arc<State>>,
    _session: Fetching,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let Some(id) = run_id(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let entry = match super::runs::entry(&state, id).await {
        Ok(Some(entry)) => entry,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(failed) => return failed,
    };
    let Some(format) = crate::input::source::Format::from_extension(&entry.begin.file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = state
        .console
        .run_directory(id)
        .join(files::rejects(format.extension()));
    let kind = match format {
        crate::input::source::Format::Csv => "text/csv; charset=utf-8",
        crate::input::source::Format::Ndjson => "application/x-ndjson",
        crate::input::source::Format::Json => "application/json",
    };
    send(&path, kind, &rejects_name(&entry.begin.file)).await
}

/// `name` as a `Content-Disposition` file name: ASCII letters, digits and `._-` kept.
fn disposition(name: &str) -> HeaderValue {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    HeaderValue::from_str(&format!("attachment; filename=\"{safe}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// The file at `path`, streamed; 404 when there is none.
async fn send(path: &std::path::Path, content_type: &'static str, name: &str) -> Response {
    let Ok(file) = tokio::fs::File::open(path).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let length = file.metadata().await.map(|m| m.len()).ok();
    let body = tokio_util::io::ReaderStream::with_capacity(file, CHUNK);
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_DISPOSITION, disposition(name));
    if let Some(length) = length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    response
}
