//! Imports run from the console: each on a thread of its own, through `cebulk import`'s
//! run with its own store connection, its files in the run's directory under names the
//! server fixes; its progress counted for `GET /console/imports/{id}/progress`; its
//! beginning and outcome recorded in the history.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

use axum::extract::{Path as UrlPath, State as Shared};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::session::Fetching;
use crate::cli::config::ImportConfig;
use crate::cli::fatal::Fatal;
use crate::cli::progress::Counters;
use crate::serve::state::State;

/// The files of a run, in its directory.
pub mod files {
    /// The report (`--report`).
    pub const REPORT: &str = "report.json";
    /// The summary (`--summary`).
    pub const SUMMARY: &str = "summary.json";
    /// The mapping profile uploaded.
    pub const PROFILE: &str = "profile.toml";
    /// The rejects file (`--rejects`), with the input format's extension.
    pub fn rejects(extension: &str) -> String {
        format!("rejects.{extension}")
    }
    /// The input uploaded, with the upload's extensions (removed once imported).
    pub fn input(extensions: &str) -> String {
        format!("input.{extensions}")
    }
}

/// What is known of an import when it begins.
#[derive(Debug, Clone)]
pub struct Begin {
    /// The console's user, or the OS user of a command-line import.
    pub user: String,
    /// Whether it ran from the console.
    pub console: bool,
    /// The file's name as uploaded or given.
    pub file: String,
    /// The kind, when known before reading.
    pub kind: Option<String>,
    /// A dry run.
    pub dry_run: bool,
}

/// How an import ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `finished` or `failed`.
    pub status: String,
    /// Events read.
    pub read: u64,
    /// Events created.
    pub created: u64,
    /// Events already in the store.
    pub already_stored: u64,
    /// Events unprocessed.
    pub unprocessed: u64,
    /// How long it took.
    pub duration_ms: u64,
    /// The summary JSON (`--summary`), or `{"error": …}` for a failed run.
    pub summary: String,
}

/// An import of the history.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its id.
    pub id: i64,
    /// When it began (RFC 3339, UTC, to the second).
    pub started: String,
    /// What was known then.
    pub begin: Begin,
    /// How it ended (`None` while it runs).
    pub outcome: Option<Outcome>,
}

/// A run in progress.
#[derive(Debug)]
pub struct Live {
    /// What the import counted so far.
    pub counters: Arc<Counters>,
    /// When it began.
    pub started: Instant,
}

/// The console's runs.
pub struct Runs {
    live: Mutex<HashMap<i64, Arc<Live>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    recorded: Mutex<Vec<Entry>>,
    next: Mutex<i64>,
}

/// The larger of the numbered directories in `dir`.
fn last_number(dir: &Path) -> i64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str()?.parse::<i64>().ok())
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Runs {
    /// No runs yet; ids follow those of the runs kept in `dir`.
    pub fn new(dir: &Path) -> Runs {
        Runs {
            live: Mutex::new(HashMap::new()),
            threads: Mutex::new(Vec::new()),
            recorded: Mutex::new(Vec::new()),
            next: Mutex::new(last_number(dir) + 1),
        }
    }

    /// Records the beginning of an import; gives its id.
    pub fn begin(&self, begin: Begin) -> i64 {
        let mut next = lock(&self.next);
        let id = *next;
        *next += 1;
        lock(&self.recorded).push(Entry {
            id,
            started: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            begin,
            outcome: None,
        });
        id
    }

    /// Records how the import `id` ended.
    pub fn end(&self, id: i64, outcome: Outcome) {
        if let Some(entry) = lock(&self.recorded).iter_mut().find(|e| e.id == id) {
            entry.outcome = Some(outcome);
        }
    }

    /// The import `id`.
    pub fn get(&self, id: i64) -> Option<Entry> {
        lock(&self.recorded).iter().find(|e| e.id == id).cloned()
    }

    /// Up to `limit` imports before `before` (all when `None`), newest first.
    pub fn list(&self, before: Option<i64>, limit: usize) -> Vec<Entry> {
        let recorded = lock(&self.recorded);
        recorded
            .iter()
            .rev()
            .filter(|e| before.is_none_or(|b| e.id < b))
            .take(limit)
            .cloned()
            .collect()
    }

    /// The run `id`'s progress, while it runs.
    pub fn live(&self, id: i64) -> Option<Arc<Live>> {
        lock(&self.live).get(&id).cloned()
    }

    /// Waits for every run to end (the server is stopping).
    pub fn wait(&self) {
        let threads: Vec<JoinHandle<()>> = lock(&self.threads).drain(..).collect();
        for thread in threads {
            let _ = thread.join();
        }
    }
}

/// What a run needs besides its configuration.
pub struct Started {
    /// Its id.
    pub id: i64,
    /// The input, removed once imported.
    pub input: PathBuf,
    /// The run's directory.
    pub directory: PathBuf,
}

/// Starts the import `config` as the run `started` on a thread of its own.
pub fn start(state: &Arc<State>, started: Started, mut config: ImportConfig) -> Result<(), Fatal> {
    let counters = Arc::new(Counters::default());
    config.progress = Some(Arc::clone(&counters));
    let live = Arc::new(Live {
        counters,
        started: Instant::now(),
    });
    let runs = &state.console.runs;
    lock(&runs.live).insert(started.id, live);
    let shared = Arc::clone(state);
    let thread = std::thread::Builder::new()
        .name("cebulk-console-import".into())
        .spawn(move || {
            let ran = (shared.console.run_import)(&config);
            let _ = std::fs::remove_file(&started.input);
            let outcome = outcome(&started.directory, ran, &shared, started.id);
            shared.console.runs.end(started.id, outcome);
            lock(&shared.console.runs.live).remove(&started.id);
        })
        .map_err(|source| Fatal::Thread {
            what: "a console import".into(),
            source: Box::new(source),
        });
    match thread {
        Ok(thread) => {
            let mut threads = lock(&runs.threads);
            threads.retain(|t| !t.is_finished());
            threads.push(thread);
            Ok(())
        }
        Err(e) => {
            lock(&runs.live).remove(&started.id);
            Err(e)
        }
    }
}

/// An error and its causes on one line.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.ends_with(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

/// How a run ended, from its summary (and its report, for an input refused whole).
fn outcome(directory: &Path, ran: Result<u8, Fatal>, state: &State, id: i64) -> Outcome {
    let took = state
        .console
        .runs
        .live(id)
        .map_or(0, |live| live.started.elapsed().as_millis());
    let duration_ms = u64::try_from(took).unwrap_or(u64::MAX);
    let failed = |message: String| Outcome {
        status: "failed".into(),
        read: 0,
        created: 0,
        already_stored: 0,
        unprocessed: 0,
        duration_ms,
        summary: json!({ "error": message }).to_string(),
    };
    if let Err(fatal) = ran {
        return failed(error_chain(&fatal));
    }
    let Some(summary) = std::fs::read_to_string(directory.join(files::SUMMARY))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
    else {
        return failed("the import wrote no summary".into());
    };
    let count = |key: &str| summary[key].as_u64().unwrap_or(0);
    let mut summary = summary.clone();
    let status = if count("inputs_rejected") > 0 {
        // The report's status says why the input was refused.
        let report = std::fs::read_to_string(directory.join(files::REPORT))
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .unwrap_or(Value::Null);
        let status = &report["status"];
        let message = [&status["message"], &status["description"]]
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(": ");
        summary["error"] = json!(format!("the file was refused: {message}"));
        "failed"
    } else {
        "finished"
    };
    Outcome {
        status: status.into(),
        read: count("events_read"),
        created: count("created"),
        already_stored: count("already_in_store"),
        unprocessed: count("unprocessed"),
        duration_ms,
        summary: summary.to_string(),
    }
}

/// `GET /console/imports/{id}/progress`: the run's status and counts as JSON.
pub async fn progress(
    Shared(state): Shared<Arc<State>>,
    _session: Fetching,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let Some(id) = super::result::run_id(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let runs = &state.console.runs;
    if let Some(live) = runs.live(id) {
        let events = live.counters.events.load(Ordering::Relaxed);
        let seconds = live.started.elapsed().as_secs_f64();
        return json_answer(&json!({
            "status": "running",
            "events": events,
            "bytes": live.counters.bytes.load(Ordering::Relaxed),
            "total_bytes": live.counters.total_bytes.load(Ordering::Relaxed),
            "events_per_second": if seconds > 0.0 { (events as f64 / seconds).round() } else { 0.0 },
        }));
    }
    match runs.get(id) {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(entry) => {
            let outcome = entry.outcome.as_ref();
            let summary: Value = outcome
                .and_then(|o| serde_json::from_str(&o.summary).ok())
                .unwrap_or(Value::Null);
            json_answer(&json!({
                "status": outcome.map_or("running", |o| o.status.as_str()),
                "events": outcome.map_or(0, |o| o.read),
                "bytes": 0,
                "total_bytes": 0,
                "events_per_second": summary["events_per_second"].as_f64().unwrap_or(0.0),
            }))
        }
    }
}

/// `value` as a JSON answer.
fn json_answer(value: &Value) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        value.to_string(),
    )
        .into_response()
}
