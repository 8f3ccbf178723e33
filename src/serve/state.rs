//! What every request handler shares: the configuration, the reference data, the judging
//! workers, the way to the one writer, and the connection for authentication.

use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use super::answer::Answer;
use super::credentials::Failures;
use super::tokens::Lifetimes;
use super::writer::Job;
use crate::cli::config::ServeConfig;
use crate::reference::maps::ReferenceMaps;
use crate::store::error::StoreError;
use crate::store::open::Store;

/// The server's shared state.
pub struct State {
    /// The resolved flags.
    pub config: ServeConfig,
    /// How long tokens live.
    pub lifetimes: Lifetimes,
    /// The reference data, loaded when the server started.
    pub maps: ReferenceMaps,
    /// The workers that judge requests (the import's pool).
    pub pool: rayon::ThreadPool,
    /// Judged requests go to the writer here.
    pub writer: tokio::sync::mpsc::Sender<Job>,
    /// The connection that reads and writes users, keys and tokens (never events).
    pub auth: Mutex<Store>,
    /// Recent failed logins.
    pub failures: Failures,
    /// A hash checked when the user or key is unknown, so that a failed login takes as
    /// long either way.
    pub decoy: String,
    /// The operators' console: its runs and its secret.
    pub console: super::console::state::Console,
    /// Argon2id checks running at once at most: each takes 19 MiB, and a flood of logins
    /// must not take memory without bound.
    pub hashing: tokio::sync::Semaphore,
}

/// Argon2id checks that may run at once.
pub const HASHING: usize = 4;

impl State {
    /// Whether `secret` matches `hash` (Argon2id), checked off the asynchronous threads, at
    /// most [`HASHING`] at once.
    pub async fn verify(&self, secret: String, hash: String) -> bool {
        let Ok(_permit) = self.hashing.acquire().await else {
            return false;
        };
        tokio::task::spawn_blocking(move || super::credentials::verify(&secret, &hash))
            .await
            .unwrap_or(false)
    }

    /// Runs `work` on the authentication connection, off the asynchronous threads; a store
    /// failure becomes the answer.
    pub async fn with_auth<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Answer> {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut store = state
                .auth
                .lock()
                .map_err(|_| Answer::store_failed("the authentication connection was lost"))?;
            work(&mut store.conn).map_err(|e| Answer::store_failed(e.to_string()))
        })
        .await
        .unwrap_or_else(|e| Err(Answer::store_failed(e.to_string())))
    }
}
