//! The server's one writer: a thread that owns the store's writing connection and the
//! import's [`Writer`], fed judged requests over a channel. It writes whatever requests are
//! waiting into one transaction (a group commit across requests), each request whole, then
//! answers each with its own outcomes once the group is committed.

use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::tokens::now_ms;
use crate::cli::fatal::Fatal;
use crate::domain::codes::EventError;
use crate::domain::kind::Kind;
use crate::judge::judged::Judged;
use crate::store::error::StoreError;
use crate::store::ids::IdGenerator;
use crate::store::open::Store;
use crate::store::writer::{Outcome, Writer};

/// One judged request for the writer.
pub struct Job {
    /// The kind of its events.
    pub kind: Kind,
    /// Its events, judged, in input order.
    pub batch: Vec<Result<Judged, EventError>>,
    /// The hash of the token it came with, whose use commits with it.
    pub token: String,
    /// Where its outcomes go once committed (or why nothing was).
    pub reply: oneshot::Sender<Result<Vec<Outcome>, String>>,
}

/// Requests waiting for the writer at most.
const WAITING: usize = 64;

/// Requests committed together at most (each up to 1000 events).
const GROUP: usize = 16;

/// The writer's thread, which gives how it ended.
pub type Writing = JoinHandle<Result<(), Fatal>>;

/// Starts the writer on `store`; gives the channel it takes requests from and the thread,
/// which ends once every sender is gone and the last group is committed.
pub fn spawn(store: Store) -> Result<(mpsc::Sender<Job>, Writing), Fatal> {
    let (sender, receiver) = mpsc::channel::<Job>(WAITING);
    let (ready_tx, ready) = std::sync::mpsc::sync_channel(1);
    let thread = std::thread::Builder::new()
        .name("cebulk-writer".into())
        .spawn(move || run(store, receiver, ready_tx))
        .map_err(|e| Fatal::Thread {
            what: "the cebulk-writer thread".into(),
            source: Box::new(e),
        })?;
    // A writer that cannot start stops the server before it listens.
    if ready.recv() != Ok(true) {
        let ended = thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        return Err(ended.err().unwrap_or_else(|| Fatal::Thread {
            what: "the cebulk-writer thread".into(),
            source: "it ended before it was ready".into(),
        }));
    }
    Ok((sender, thread))
}

fn run(
    mut store: Store,
    mut receiver: mpsc::Receiver<Job>,
    ready: std::sync::mpsc::SyncSender<bool>,
) -> Result<(), Fatal> {
    let mut writer = match Writer::new(&mut store, IdGenerator::TimeOrdered) {
        Ok(writer) => writer,
        Err(error) => {
            let _ = ready.send(false);
            return Err(error.into());
        }
    };
    let _ = ready.send(true);
    while let Some(first) = receiver.blocking_recv() {
        let mut jobs = vec![first];
        // Whatever else is waiting joins the group; nothing waits for more to come.
        while jobs.len() < GROUP {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        match write_group(&mut writer, &mut jobs) {
            Ok(outcomes) => {
                for (job, outcomes) in jobs.into_iter().zip(outcomes) {
                    // A client that went away still had its events committed.
                    let _ = job.reply.send(Ok(outcomes));
                }
            }
            Err(error) => {
                let text = error.to_string();
                for job in jobs {
                    let _ = job.reply.send(Err(text.clone()));
                }
            }
        }
    }
    Ok(())
}

/// Writes and commits `jobs` in one transaction; each one's outcomes, in order.
fn write_group(writer: &mut Writer<'_>, jobs: &mut [Job]) -> Result<Vec<Vec<Outcome>>, StoreError> {
    let mut group = writer.group()?;
    let now = now_ms();
    let mut all = Vec::with_capacity(jobs.len());
    for job in jobs.iter_mut() {
        all.push(group.write(job.kind, std::mem::take(&mut job.batch))?);
        group.touch_token(&job.token, now)?;
    }
    group.commit()?;
    Ok(all)
}
