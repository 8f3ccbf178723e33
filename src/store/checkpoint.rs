//! Checkpoints off the writer's path. SQLite's automatic checkpoint runs inside the commit
//! that crosses the WAL threshold, so the one writer stops to copy pages and fsync the
//! store, a large share of the writer's time
//! (docs/performance.md, "store/checkpoint: checkpoints off the writer's path").
//! A second connection checkpoints passively in the background instead: WAL lets it copy
//! committed pages while the writer appends, and a crash at any moment leaves the
//! committed batches in the WAL or the store, as before.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use super::error::{Doing, StoreError};
use super::open::BUSY_TIMEOUT;

/// How often the background connection checkpoints.
const INTERVAL: Duration = Duration::from_millis(100);

/// A running background checkpointer; stops when finished or dropped.
pub struct Checkpointer {
    /// Dropping it wakes and stops the thread at once (no wait for the next tick).
    stop: Option<Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Turns automatic checkpoints off on `writer` and starts checkpointing `path` from a
    /// thread of its own, flushing the store file through `file` (the store's own handle,
    /// [`super::open::Store::flush`], which outlives the connections).
    pub fn start(
        writer: &Connection,
        path: &Path,
        file: Arc<File>,
    ) -> Result<Checkpointer, StoreError> {
        let conn = Connection::open(path).doing("opening the checkpoint connection")?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .doing("setting the busy timeout")?;
        writer
            .pragma_update(None, "wal_autocheckpoint", 0)
            .doing("turning automatic checkpoints off")?;
        let (stop, stopping): (Sender<()>, Receiver<()>) = channel();
        let handle = std::thread::Builder::new()
            .name("cebulk-checkpoint".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopping.recv_timeout(INTERVAL) {
                    // A failed or partial checkpoint loses nothing: the pages stay in the
                    // WAL for the next one, as with SQLite's own automatic checkpoints.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    // SQLite syncs the store only after a checkpoint that reaches the end
                    // of the WAL, which a busy writer never lets happen: the copied pages
                    // stayed dirty until the final checkpoint at close, whose fsync then
                    // wrote the whole store. Flushing here overlaps that disk work with the
                    // import (docs/performance.md, "store/checkpoint: flushing the store").
                    let _ = file.sync_data();
                }
            })
            .map_err(|e| StoreError {
                doing: format!("starting the checkpoint thread: {e}"),
                source: rusqlite::Error::InvalidQuery,
                inconsistent: false,
            })?;
        Ok(Checkpointer {
            stop: Some(stop),
            handle: Some(handle),
        })
    }

    fn halt(&mut self) {
        drop(self.stop.take());
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.halt();
    }
}
