//! The console's script and style sheet, compiled into the binary and served from
//! `/console/assets/`: no front-end build, no file read at run time.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// `console.js`: follows a running import's progress.
const SCRIPT: &str = include_str!("console.js");

/// `console.css`.
const STYLE: &str = include_str!("console.css");

fn asset(content_type: &'static str, text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=3600"),
            ),
        ],
        text,
    )
        .into_response()
}

/// `GET /console/assets/console.js`.
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /console/assets/console.css`.
pub async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}
