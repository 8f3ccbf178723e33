//! Imports run from the console: each on a thread of its own, through `cebulk import`'s
//! run with its own store connection, its files in the run's directory under names the
//! server fixes; its progress counted for `GET /console/imports/{id}/progress`; its
//! beginning and outcome recorded in the history.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

use axum::extract::{Path as UrlPath, State as Shared};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::session::Fetching;
use crate::cli::config::ImportConfig;
use crate::cli::fatal::{Fatal, error_chain};
use crate::cli::progress::Counters;
use crate::serve::state::State;
use crate::store::error::StoreError;
use crate::store::history::{self, Begin, Entry, Outcome, Status};

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

/// A run in progress.
#[derive(Debug)]
pub struct Live {
    /// What the import counted so far.
    pub counters: Arc<Counters>,
    /// When it began.
    pub started: Instant,
}

/// Console imports that run at once. Each has an import's threads, memory and store
/// writer; more at once would only share the two writers' turns at the store's lock, so the
/// others wait theirs, listed as running.
pub const AT_ONCE: usize = 2;

/// The console's runs in progress on this server.
#[derive(Default)]
pub struct Runs {
    live: Mutex<HashMap<i64, Arc<Live>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    running: Mutex<usize>,
    freed: Condvar,
}

/// A run's turn to import: while it is held, the run is one of the [`AT_ONCE`].
struct Turn<'a>(&'a Runs);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        *lock(&self.0.running) -= 1;
        self.0.freed.notify_one();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Runs {
    /// The run `id`'s progress, while it runs.
    pub fn live(&self, id: i64) -> Option<Arc<Live>> {
        lock(&self.live).get(&id).cloned()
    }

    /// Waits until fewer than [`AT_ONCE`] runs import, then counts this one among them.
    fn turn(&self) -> Turn<'_> {
        let mut running = lock(&self.running);
        while *running >= AT_ONCE {
            running = self
                .freed
                .wait(running)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *running += 1;
        Turn(self)
    }

    /// Waits for every run to end (the server is stopping), saying so when one runs.
    pub fn wait(&self) {
        let running = lock(&self.live).len();
        if running > 0 {
            crate::cli::stderr::line(format_args!(
                "cebulk serve: waiting for {running} console import(s) to end"
            ));
        }
        let threads: Vec<JoinHandle<()>> = lock(&self.threads).drain(..).collect();
        for thread in threads {
            let _ = thread.join();
        }
    }
}

/// Runs `work` on the server's connection for users and the history, from a thread that
/// may block.
pub fn with_store<T>(
    state: &State,
    work: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError>,
) -> Result<T, String> {
    let store = state
        .auth
        .lock()
        .map_err(|_| "the store's connection was lost".to_owned())?;
    work(&store.conn).map_err(|e| error_chain(&e))
}

/// Records the beginning of a console import in the history; gives its id.
pub fn begin(state: &State, begin: &Begin) -> Result<i64, String> {
    with_store(state, |conn| history::begin(conn, begin))
}

/// Records that the run `id`, begun, could not start, and why.
pub fn never_ran(state: &State, id: i64, why: &str) {
    let outcome = Outcome::failed(why.to_owned());
    let _ = with_store(state, |conn| history::end(conn, id, &outcome));
}

/// The import `id` of the history, read off the asynchronous threads.
pub async fn entry(state: &Arc<State>, id: i64) -> Result<Option<Entry>, Response> {
    state
        .with_auth(move |conn| history::get(conn, id))
        .await
        .map_err(|_| super::layout::store_failed())
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
    // The console records the run itself, from its start.
    config.history = false;
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
            let ran = {
                let _turn = shared.console.runs.turn();
                (shared.console.run_import)(&config)
            };
            let _ = std::fs::remove_file(&started.input);
            let outcome = outcome(&started.directory, ran, &shared, started.id);
            if let Err(e) = with_store(&shared, |conn| history::end(conn, started.id, &outcome)) {
                crate::cli::stderr::line(format_args!(
                    "cebulk serve: the end of console import {} is not in the history: {e}",
                    started.id
                ));
            }
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

/// How a run ended, from its summary (and its report, for an input refused whole).
fn outcome(directory: &Path, ran: Result<u8, Fatal>, state: &State, id: i64) -> Outcome {
    let took = state
        .console
        .runs
        .live(id)
        .map_or(0, |live| live.started.elapsed().as_millis());
    let mut outcome = Outcome {
        status: Status::Failed,
        read: 0,
        created: 0,
        already_stored: 0,
        unprocessed: 0,
        duration_ms: u64::try_from(took).unwrap_or(u64::MAX),
        summary: None,
        error: None,
    };
    if let Err(fatal) = ran {
        outcome.error = Some(error_chain(&fatal));
        return outcome;
    }
    let Some(summary) = std::fs::read_to_string(directory.join(files::SUMMARY))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
    else {
        outcome.error = Some("the import wrote no summary".into());
        return outcome;
    };
    let count = |key: &str| summary[key].as_u64().unwrap_or(0);
    outcome.read = count("events_read");
    outcome.created = count("created");
    outcome.already_stored = count("already_in_store");
    outcome.unprocessed = count("unprocessed");
    outcome.summary = Some(summary.to_string());
    if count("inputs_rejected") > 0 {
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
        outcome.error = Some(format!("the file was refused: {message}"));
    } else {
        outcome.status = Status::Finished;
    }
    outcome
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
    if let Some(live) = state.console.runs.live(id) {
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
    let entry = match entry(&state, id).await {
        Ok(Some(entry)) => entry,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(failed) => return failed,
    };
    let outcome = entry.outcome.as_ref();
    let summary: Value = outcome
        .and_then(|o| o.summary.as_deref())
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null);
    json_answer(&json!({
        "status": entry.status.as_str(),
        "events": outcome.map_or(0, |o| o.read),
        "bytes": 0,
        "total_bytes": 0,
        "events_per_second": summary["events_per_second"].as_f64().unwrap_or(0.0),
    }))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_past_those_at_once_waits_for_a_turn_to_be_given_back() {
        let runs = Runs::default();
        let held: Vec<Turn<'_>> = (0..AT_ONCE).map(|_| runs.turn()).collect();
        let (took, taken) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let _turn = runs.turn();
                took.send(*lock(&runs.running)).expect("the test waits");
            });
            assert!(
                taken.try_recv().is_err(),
                "no turn while {AT_ONCE} are held"
            );
            drop(held);
            let running = taken.recv().expect("the turn, once one is given back");
            assert!(running <= AT_ONCE, "{running} at once");
        });
        assert_eq!(*lock(&runs.running), 0);
    }
}
