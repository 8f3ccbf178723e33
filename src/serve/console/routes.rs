//! The console's paths under `/console/` (never under `--base-path`): the pages, the
//! upload, the progress and the downloads, with the headers every answer carries.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};

use super::{assets, downloads, events, history, layout, result, runs, sign_in, upload};
use crate::serve::state::State;

/// The console's routes.
pub fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/console", get(sign_in::root))
        .route("/console/", get(sign_in::root))
        .route("/console/sign-in", get(sign_in::show).post(sign_in::submit))
        .route("/console/sign-out", post(sign_in::sign_out))
        .route("/console/import", get(upload::show))
        // The upload checks `--max-body` itself, as it streams to a file.
        .route(
            "/console/imports",
            post(upload::submit).layer(DefaultBodyLimit::disable()),
        )
        .route("/console/imports/{id}", get(result::show))
        .route("/console/imports/{id}/progress", get(runs::progress))
        .route("/console/imports/{id}/report", get(downloads::report))
        .route("/console/imports/{id}/rejects", get(downloads::rejects))
        .route("/console/history", get(history::show))
        .route("/console/events", get(events::show))
        .route("/console/assets/console.js", get(assets::script))
        .route("/console/assets/console.css", get(assets::style))
        .layer(middleware::from_fn(layout::headers))
}
