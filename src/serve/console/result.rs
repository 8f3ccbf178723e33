//! `GET /console/imports/{id}`: an import's result, rendered from its history entry and
//! the summary kept there (one path for the console's runs and the command line's); while
//! it runs, its progress, which the page's script polls.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{Path as UrlPath, State as Shared};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::Value;

use super::layout;
use super::runs::files;
use super::session::Session;
use crate::serve::state::State;
use crate::store::history::{Entry, Origin, Status};

/// The run id in a URL: a positive integer written plainly, else nothing.
pub fn run_id(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.starts_with('0') {
        return None;
    }
    text.parse::<i64>().ok()
}

/// `GET /console/imports/{id}`.
pub async fn show(
    Shared(state): Shared<Arc<State>>,
    session: Session,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let Some(id) = run_id(&id) else {
        return layout::not_found(Some(&session));
    };
    let entry = match super::runs::entry(&state, id).await {
        Ok(Some(entry)) => entry,
        Ok(None) => return layout::not_found(Some(&session)),
        Err(failed) => return failed,
    };
    let directory = state.console.run_directory(id);
    let has_report = directory.join(files::REPORT).is_file();
    let body = html! {
        (about(&entry))
        @match &entry.outcome {
            None => (running(&state, id)),
            Some(outcome) => {
                @let summary: Value = outcome
                    .summary
                    .as_deref()
                    .and_then(|text| serde_json::from_str(text).ok())
                    .unwrap_or(Value::Null);
                @if outcome.status == Status::Failed {
                    p { "Status: " strong #status { "failed" } }
                    p #error role="alert" {
                        (outcome.error.as_deref().unwrap_or("the import failed"))
                    }
                    @if !summary.is_null() { (counts(&summary)) }
                } @else {
                    p { "Status: " strong #status { "finished" } }
                    (counts(&summary))
                }
                (downloads(&entry, id, &summary, has_report))
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page(&format!("Import {id}"), Some(&session), body),
    )
}

/// Who ran it, when, on what.
fn about(entry: &Entry) -> Markup {
    let begin = &entry.begin;
    html! {
        dl .about {
            dt { "File" } dd #file { (begin.file) }
            dt { "Kind" } dd #kind-used { (begin.kind.as_deref().unwrap_or("from the document")) }
            dt { "By" } dd #who {
                (begin.user)
                @if begin.origin == Origin::CommandLine { " (command line)" }
            }
            dt { "Started" } dd #started { (entry.started) }
        }
        @if begin.dry_run {
            p #dry-run-note .note { "A dry run: nothing was created or changed in the store." }
        }
    }
}

/// The progress of a run.
fn running(state: &State, id: i64) -> Markup {
    let live = state.console.runs.live(id);
    let (events, bytes, total) = live.as_ref().map_or((0, 0, 0), |live| {
        let c = &live.counters;
        (
            c.events.load(Ordering::Relaxed),
            c.bytes.load(Ordering::Relaxed),
            c.total_bytes.load(Ordering::Relaxed),
        )
    });
    let rate = live.as_ref().map_or(0.0, |live| {
        let seconds = live.started.elapsed().as_secs_f64();
        if seconds > 0.0 {
            events as f64 / seconds
        } else {
            0.0
        }
    });
    html! {
        p { "Status: " strong #status { "running" } }
        div #running data-progress=(format!("/console/imports/{id}/progress")) {
            progress #progress max=(total.max(1)) value=(bytes.min(total.max(1))) { (bytes) " of " (total) " bytes" }
            p {
                span #events { (events) } " events read, "
                span #rate { (format!("{rate:.0}")) } " events/s"
            }
        }
        p .hint { "This page follows the import; reload it or come back to it any time." }
    }
}

/// The counts of a finished run.
fn counts(summary: &Value) -> Markup {
    let count = |key: &str| summary[key].as_u64().unwrap_or(0);
    let by_code: Vec<(&String, u64)> = summary["unprocessed_by_code"]
        .as_object()
        .map(|codes| {
            codes
                .iter()
                .map(|(code, n)| (code, n.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    let missing = summary["missing_references"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    html! {
        table .counts {
            tr { th { "Events read" } td #read { (count("events_read")) } }
            tr { th { "Created" } td #created { (count("created")) } }
            tr { th { "Already in the store" } td #already-stored { (count("already_in_store")) } }
            tr { th { "Unprocessed" } td #unprocessed { (count("unprocessed")) } }
        }
        h2 { "Unprocessed by error code" }
        table #by-code {
            tr { th { "Error code" } th { "Events" } }
            @for (code, n) in &by_code {
                tr .code { td { (code) } td { (n) } }
            }
        }
        @if by_code.is_empty() { p .hint { "No event was unprocessed." } }
        h2 { "Missing references" }
        table #missing-references {
            tr { th { "Reference" } th { "Identifier" } th { "Events" } }
            @for reference in &missing {
                tr .missing {
                    td { (reference["entity"].as_str().unwrap_or_default()) }
                    td { (reference["value"].as_str().unwrap_or_default()) }
                    td { (reference["events"].as_u64().unwrap_or(0)) }
                }
            }
        }
        @let distinct = count("missing_references_distinct");
        @if distinct > missing.len() as u64 {
            p .hint { "The " (missing.len()) " most frequent of " (distinct) " missing references." }
        }
        @if missing.is_empty() { p .hint { "No reference was missing." } }
    }
}

/// The run's files, when the console has them.
fn downloads(entry: &Entry, id: i64, summary: &Value, has_report: bool) -> Markup {
    let rejects = summary["unprocessed"].as_u64().unwrap_or(0) > 0;
    html! {
        @if has_report {
            h2 { "Files" }
            ul .downloads {
                li { a #download-report href=(format!("/console/imports/{id}/report")) { "The API report (JSON)" } }
                @if rejects {
                    li {
                        a #download-rejects href=(format!("/console/imports/{id}/rejects")) {
                            "The rejects file: " (super::upload::rejects_name(&entry.begin.file))
                        }
                        " — the unprocessed events as the file had them, each with its error; fix them and import it as it is."
                    }
                }
            }
        } @else if entry.begin.origin == Origin::CommandLine {
            p .hint { "Run from the command line: its report and rejects files are where that command wrote them." }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_plain_positive_integers() {
        assert_eq!(run_id("12"), Some(12));
        for wrong in ["", "0", "012", "-1", "1e3", "12a", "99999999999999999999"] {
            assert_eq!(run_id(wrong), None, "{wrong}");
        }
    }
}
