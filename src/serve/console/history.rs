//! `GET /console/history`: the store's imports, from the console and the command line,
//! newest first, a page at a time (`?before=ID`).

use std::sync::Arc;

use axum::extract::{Query, State as Shared};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::layout;
use super::session::Session;
use crate::serve::state::State;
use crate::store::history::{self, Origin};

/// Imports a page.
const PAGE: u32 = 50;

/// The page's query.
#[derive(Debug, Deserialize)]
pub struct Paging {
    #[serde(default)]
    before: Option<String>,
}

/// `duration_ms` as people read it.
fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// `GET /console/history`.
pub async fn show(
    Shared(state): Shared<Arc<State>>,
    session: Session,
    Query(paging): Query<Paging>,
) -> Response {
    let before = paging.before.as_deref().and_then(super::result::run_id);
    let mut entries = match state
        .with_auth(move |conn| history::list(conn, before, PAGE + 1))
        .await
    {
        Ok(entries) => entries,
        Err(_) => return layout::store_failed(),
    };
    let more = entries.len() > PAGE as usize;
    entries.truncate(PAGE as usize);
    let body = html! {
        table #history {
            tr {
                th { "Who" } th { "When (UTC)" } th { "File" } th { "Kind" }
                th { "Created" } th { "Already stored" } th { "Unprocessed" } th { "Duration" } th { "Status" }
            }
            @for entry in &entries {
                @let begin = &entry.begin;
                @let outcome = entry.outcome.as_ref();
                tr .import {
                    td .who {
                        (begin.user)
                        @if begin.origin == Origin::CommandLine { " (command line)" }
                    }
                    td .when { (entry.started) }
                    td .file { a .open href=(format!("/console/imports/{}", entry.id)) { (begin.file) } }
                    td .kind { (begin.kind.as_deref().unwrap_or("")) }
                    td .created { (outcome.map_or(String::new(), |o| o.created.to_string())) }
                    td .already-stored { (outcome.map_or(String::new(), |o| o.already_stored.to_string())) }
                    td .unprocessed { (outcome.map_or(String::new(), |o| o.unprocessed.to_string())) }
                    td .duration { (outcome.map_or(String::new(), |o| duration(o.duration_ms))) }
                    td .status {
                        (entry.status.as_str())
                        @if begin.dry_run { " (dry run)" }
                    }
                }
            }
        }
        @if entries.is_empty() { p .hint { "No import yet." } }
        @if more {
            @if let Some(last) = entries.last() {
                p { a #older href=(format!("/console/history?before={}", last.id)) { "Older imports" } }
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page("History", Some(&session), body),
    )
}
