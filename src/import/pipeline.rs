//! `cebulk import`: each input is one request, streamed in batches through four stages
//! that overlap: a reader thread reads the next batches while rayon's workers parse,
//! validate and resolve them (a whole batch on one worker, several batches at once; a
//! batch an earlier run created is recognised by its digest instead, `import::digests`),
//! the writer thread writes each in input order into its open transaction
//! (committed every `GROUP` batches or `GROUP_TIME`), and the report thread writes the
//! entries of committed batches. Channels are bounded, so memory stays a few batches deep
//! (plus one group's outcomes) whatever the input's size, and every stage keeps input order.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::time::Instant;

use serde_json::Value;

use crate::cli::config::ImportConfig;
use crate::cli::fatal::{
    EXIT_OK, EXIT_REJECTED, EXIT_TOO_MANY_UNPROCESSED, EXIT_UNPROCESSED, Fatal,
};
use crate::cli::progress::Progress;
use crate::cli::stderr;
use crate::domain::codes::EventError;
use crate::domain::kind::Kind;
use crate::import::digests::{Key, Misses, Recognised};
use crate::import::handover::{self, Pending};
use crate::import::interrupt::{Interrupt, Signal};
use crate::import::reference_gaps;
use crate::import::rejects::Rejects;
use crate::input::csv::options::CsvOptions;
use crate::input::document;
use crate::input::open::{Opened, open};
use crate::input::request::{RawEvent, RequestError, Verbatim};
use crate::judge::batch::{JudgedBatch, judge_batch};
use crate::judge::judged::Judged;
use crate::judge::precedence::mark_repeats;
use crate::judge::resolve::Context;
use crate::reference::maps::ReferenceMaps;
use crate::report::destination::{Committed, ReportError};
use crate::report::envelope::{FieldsSet, Report};
use crate::report::summary::Summary;
use crate::store::digests::{Digest, Finder, Found};
use crate::store::repeats::Repeats;
use crate::store::writer::{Creation, Group, Outcome, Writer};

/// What an import did, besides the report it wrote.
#[derive(Debug, Default)]
pub struct Imported {
    /// Inputs rejected as a whole (or cut short).
    pub rejected: Vec<RequestError>,
    /// Events reported processed.
    pub processed: usize,
    /// Events reported unprocessed.
    pub unprocessed: usize,
    /// The signal that stopped the import before the end of its input, if one did.
    pub interrupted: Option<Signal>,
    /// Whether `--max-errors` stopped the import before the end of its input.
    pub too_many_unprocessed: bool,
    /// What happened to the events read.
    pub summary: Summary,
    /// How long the import took.
    pub took: std::time::Duration,
    /// The kinds of the inputs opened, in the order first met.
    pub kinds: Vec<Kind>,
}

impl Imported {
    /// The exit status (docs/spec.md §6).
    pub fn exit_code(&self) -> u8 {
        if let Some(signal) = self.interrupted {
            signal.exit_code()
        } else if self.too_many_unprocessed {
            EXIT_TOO_MANY_UNPROCESSED
        } else if !self.rejected.is_empty() {
            EXIT_REJECTED
        } else if self.unprocessed > 0 {
            EXIT_UNPROCESSED
        } else {
            EXIT_OK
        }
    }
}

/// Imports every input of `config` through `writer` into `report`, until the end of the
/// inputs or the first signal of `interrupt`.
pub fn import(
    config: &ImportConfig,
    maps: &ReferenceMaps,
    writer: &mut Writer<'_>,
    report: &mut Report,
    interrupt: &Interrupt,
) -> Result<Imported, Fatal> {
    let started = Instant::now();
    let mut imported = Imported::default();

    let cli_fields = match config.fields_set.as_deref() {
        None => None,
        Some(list) => {
            let value = Value::String(list.to_owned());
            match document::fields_set("--fields-set", &value) {
                Ok(fields) => Some(fields),
                Err(error) => {
                    report.reject(error.status());
                    imported.rejected.push(error);
                    return Ok(imported);
                }
            }
        }
    };
    let pool = crate::import::workers::pool(config.jobs)?;
    // A dry run neither recognises batches by their digests nor records them.
    let digests = (!config.dry_run).then(|| Digests {
        finder: Finder::new(&config.store),
        maps_digest: maps.digest(),
        csv: &config.csv,
    });
    // Events committed so far, counted by the writer after each commit: when the report
    // fails, its message says how many the store keeps for a re-run to recognise.
    let committed = AtomicUsize::new(0);
    // Events the writer found unprocessed so far, against `--max-errors`.
    let unprocessed = AtomicU64::new(0);
    let report_failed = |error: ReportError| {
        Fatal::Report(error.after(if config.dry_run {
            Committed::DryRun
        } else {
            Committed::Events(committed.load(Ordering::Relaxed))
        }))
    };

    for (index, input) in config.inputs.iter().enumerate() {
        if let Some(signal) = interrupt.signal() {
            imported.interrupted = Some(signal);
            break;
        }
        let opened = match open(input, config.kind, &config.csv, config.rejects.is_some()) {
            Ok(opened) => {
                for warning in &opened.warnings {
                    stderr::line(format_args!("cebulk: warning: {warning}"));
                }
                opened
            }
            Err(error) => {
                report.reject(error.status());
                imported.rejected.push(error);
                continue;
            }
        };
        let kind = opened.request.kind;
        // Each kind's reference data is looked at once.
        if !imported.kinds.contains(&kind) {
            imported.kinds.push(kind);
            if let Some(warning) = reference_gaps::warning(maps, kind) {
                stderr::line(format_args!("{warning}"));
            }
        }
        let fields = cli_fields
            .clone()
            .or_else(|| opened.request.fields_set.clone())
            .unwrap_or_default();
        let mut rejects = match config.rejects.as_ref().and_then(|files| files.get(index)) {
            Some(path) => Some(
                Rejects::create(path, &input.name, opened.request.shape.clone())
                    .map_err(report_failed)?,
            ),
            None => None,
        };
        let progress = Progress::new(&input.name, opened.size, config.quiet)
            .counting(config.progress.clone(), opened.size);
        let stage = Stages {
            batch_size: config.batch_size,
            maps,
            pool: &pool,
            fields: &fields,
            progress: &progress,
            committed: &committed,
            interrupt,
            max_errors: config.max_errors,
            unprocessed: &unprocessed,
            digests: digests.as_ref(),
        };
        let ended = stage
            .run(
                opened,
                writer,
                Reporting {
                    report,
                    summary: &mut imported.summary,
                    rejects: rejects.as_mut(),
                },
            )
            .map_err(|fatal| match fatal {
                Fatal::Report(error) => report_failed(error),
                other => other,
            })?;
        // The rejects file lists what the report lists of the input, however it ended.
        if let Some(rejects) = rejects {
            rejects.finish().map_err(report_failed)?;
        }
        match ended {
            Ended::Interrupted(signal) => {
                progress.finish();
                imported.interrupted = Some(signal);
                break;
            }
            Ended::TooManyUnprocessed => {
                progress.finish();
                imported.too_many_unprocessed = true;
                break;
            }
            Ended::CutShort(error) => {
                report.reject(error.status());
                imported.rejected.push(error);
            }
            // A request read to its end has `data`, even with no events; one that could
            // not be read at all leaves it null (unless another input had some).
            Ended::Read => report.begin_request().map_err(report_failed)?,
        }
        progress.finish();
    }
    imported.processed = report.processed_count();
    imported.unprocessed = report.unprocessed_count();
    imported.took = started.elapsed();
    Ok(imported)
}

/// Where a request's outcomes go: the report, the summary, and the input's rejects file.
struct Reporting<'r> {
    report: &'r mut Report,
    summary: &'r mut Summary,
    rejects: Option<&'r mut Rejects>,
}

struct Stages<'a> {
    batch_size: usize,
    maps: &'a ReferenceMaps,
    pool: &'a rayon::ThreadPool,
    fields: &'a FieldsSet,
    progress: &'a Progress,
    committed: &'a AtomicUsize,
    interrupt: &'a Interrupt,
    /// `--max-errors`
    max_errors: Option<u64>,
    /// Events the writer found unprocessed so far, every request included.
    unprocessed: &'a AtomicU64,
    /// What recognises batches by their digests, but in a dry run.
    digests: Option<&'a Digests<'a>>,
}

/// What recognises batches an earlier run created, by their digests
/// (`crate::store::digests`).
struct Digests<'a> {
    finder: Finder,
    /// The reference data's, for each request's [`Key`].
    maps_digest: [u8; 32],
    csv: &'a CsvOptions,
}

/// What a worker hands on for one batch.
enum Worked {
    /// Judged, with the batch's digest when it has one.
    Judged(Option<Digest>, JudgedBatch),
    /// Found by its digest, created by an earlier run; and the batch as read, judged after
    /// all when the request used one of its identifiers before ([`Recognised::accepts`]).
    Recognised(Found, Vec<RawEvent>),
}

/// What the repeats thread hands the writer for one batch.
enum Marked {
    /// Judged, with the batch's digest when it has one: for the writer to write.
    Judged(Option<Digest>, JudgedBatch),
    /// Recognised by its digest: each event's identifier and outcome.
    Recognised(Vec<Value>, Vec<Outcome>),
}

/// How the reading of a request ended.
enum Ended {
    /// At the end of its input.
    Read,
    /// At an error that cut its input short.
    CutShort(RequestError),
    /// At a signal: the batches read before it were judged, committed and reported.
    Interrupted(Signal),
    /// Past `--max-errors` unprocessed events: the batches written until then were
    /// committed and reported.
    TooManyUnprocessed,
}

/// What the reader hands to the workers.
enum Raw {
    /// The next batch.
    Batch(Vec<RawEvent>),
    /// The end of the input (the reader gives why on its return).
    End,
    /// A signal came: take no more batches.
    Stop,
}

/// Marked batches that may wait for the writer: the judged ones already wait in the ordered
/// hand-over, so more here would only hold memory.
const MARKED_AHEAD: usize = 2;

/// Judged batches, per worker, that may wait behind the one the writer waits for.
///
/// Why several: the workers run at a lower priority (crate::import::workers), so the writer,
/// waking, preempts one of them in the middle of a batch, and the scheduler leaves it
/// queued behind the writer for a few milliseconds even when the other core goes idle.
/// With one batch a worker, the other worker soon had nothing it was allowed to start, and
/// that core idled. And with a rollback journal the writer waits for each commit's fsyncs,
/// while the workers need room to judge ahead. Each waiting batch holds its judged events,
/// each listing in a block of its size and the rare parts boxed
/// (docs/performance.md, "import/pipeline: batches judged ahead").
const AHEAD_PER_WORKER: usize = 6;

/// Most batches committed in one transaction. With request unique identifiers in no order
/// every commit rewrites most of their index's pages, so fewer commits go faster;
/// identifiers in order do not care. Larger groups hold more in memory until their commit
/// (docs/performance.md, "import/pipeline: batches a commit").
const GROUP: usize = 16;

/// Longest a transaction stays open waiting for more batches, so that a slow input (a
/// pipe) still commits, and reports, what it has.
const GROUP_TIME: std::time::Duration = std::time::Duration::from_millis(250);

/// [`GROUP`] and [`GROUP_TIME`] once the writer's identifiers showed they come in no order
/// (`store::journal`): each commit then rewrites pages all over their index, so a quarter
/// of the commits rewrite about a quarter of the pages (docs/performance.md,
/// "store/journal: identifiers in no order").
const NO_ORDER_GROUP: (usize, std::time::Duration) = (64, std::time::Duration::from_secs(1));

impl Stages<'_> {
    /// Runs one request; returns how its reading ended.
    fn run(
        &self,
        opened: Opened,
        writer: &mut Writer<'_>,
        reporting: Reporting<'_>,
    ) -> Result<Ended, Fatal> {
        let Reporting {
            report,
            summary,
            mut rejects,
        } = reporting;
        let Opened { request, read, .. } = opened;
        let kind = request.kind;
        let context = Context {
            kind,
            maps: self.maps,
            intended_currency: request.intended_currency.as_ref(),
        };
        let events = request.events;
        let batch_size = self.batch_size;
        let (raw_tx, raw_rx) = sync_channel::<Raw>(2);
        // A signal ends the batches the workers take, even while the reader waits for input
        // that may never come (a pipe kept open).
        let stop_tx = raw_tx.clone();
        // And so does going past `--max-errors`.
        let stop_tx_for_errors = raw_tx.clone();
        let _waking = self.interrupt.on_signal(move || {
            let _ = stop_tx.send(Raw::Stop);
        });
        // Not a scoped thread: after a signal the reader is left behind, blocked in a read
        // perhaps, and ends with the process; it keeps nothing that needs closing.
        let interrupt = self.interrupt.clone();
        // With a rejects file, what was read of each event goes to the report thread beside
        // its batch, in the same order. Unbounded, yet never more than the batches in flight:
        // the reader sends each batch's share just before the batch itself.
        let (kept_tx, kept_rx) = match rejects.is_some() {
            true => {
                let (tx, rx) = channel::<Kept>();
                (Some(tx), Some(rx))
            }
            false => (None, None),
        };
        let reader = std::thread::Builder::new()
            .name("cebulk-reader".into())
            .spawn(move || {
                let raw_tx = Ending(raw_tx);
                let send = |batch: Vec<RawEvent>| {
                    let batch = keep_apart(batch, kept_tx.as_ref());
                    raw_tx.0.send(Raw::Batch(batch))
                };
                let mut batch = Vec::with_capacity(batch_size);
                for item in events {
                    match item {
                        Ok(raw) => batch.push(raw),
                        Err(error) => {
                            if !batch.is_empty() {
                                let _ = send(batch);
                            }
                            return Some(error);
                        }
                    }
                    if batch.len() == batch_size {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
                        if interrupt.signal().is_some() || send(full).is_err() {
                            return None;
                        }
                    }
                }
                if !batch.is_empty() {
                    let _ = send(batch);
                }
                None
            })
            .map_err(|e| Fatal::Thread {
                what: "the cebulk-reader thread".into(),
                source: Box::new(e),
            })?;
        let workers = self.pool.current_num_threads();
        // Batches being judged, oldest first: each is judged whole on one worker thread (no
        // worker waits at the end of a batch for the others) and the writer takes them in
        // input order as each is done.
        let (judged_tx, mut judged_rx) = handover::channel::<Worked>(workers * AHEAD_PER_WORKER);
        let key = self
            .digests
            .map(|digests| Key::new(&context, &digests.maps_digest, digests.csv));
        let finder = self.digests.map(|digests| &digests.finder);

        // Set by the writer when it went past `--max-errors`.
        let too_many = AtomicBool::new(false);
        std::thread::scope(|scope| {
            // Named threads show as such in profilers and panic messages.
            let fields = self.fields;
            let progress = self.progress;
            let committed = self.committed;
            let max_errors = self.max_errors;
            let unprocessed = self.unprocessed;
            let too_many = &too_many;
            let stop_tx = stop_tx_for_errors;
            let (written_tx, written_rx) = sync_channel::<(Vec<Value>, Vec<Outcome>)>(2);
            // Repeated identifiers are marked on a thread of their own, in input order, so
            // that the one writer does only the store's work.
            let (marked_tx, marked_rx) = sync_channel::<Marked>(MARKED_AHEAD);
            let context = &context;
            let marking = spawn(scope, "cebulk-repeats", move || -> Result<(), Fatal> {
                let mut repeats = Repeats::default();
                let mut recognised = Recognised::default();
                while let Some(worked) = judged_rx.recv() {
                    let (digest, (ruis, mut batch)) = match worked {
                        Worked::Recognised(found, raw) => {
                            if recognised.accepts(&found, &mut repeats)? {
                                recognised.add(&found);
                                if marked_tx.send(recognised_outcomes(found)).is_err() {
                                    return Ok(());
                                }
                                continue;
                            }
                            (None, judge_batch(kind, context, raw))
                        }
                        Worked::Judged(digest, judged) => (digest, judged),
                    };
                    recognised.judged();
                    mark_repeats(&ruis, &mut batch, |rui| {
                        let first = repeats.first_use(rui)?;
                        match finder {
                            Some(finder) if first && recognised.may_hold(rui) => finder
                                .holds_within(kind, rui, recognised.ranges())
                                .map(|held| !held),
                            _ => Ok(first),
                        }
                    })?;
                    if marked_tx
                        .send(Marked::Judged(digest, (ruis, batch)))
                        .is_err()
                    {
                        return Ok(());
                    }
                    repeats.flush_if_many()?;
                }
                Ok(())
            })?;
            let write = spawn(scope, "cebulk-writer", move || -> Result<(), Fatal> {
                // Batches are written as they come, into a transaction kept open for up to
                // GROUP batches or GROUP_TIME, then committed together: each touched page
                // is written to the WAL once a commit, not once a batch.
                // Past `--max-errors`, the group commits at the end of the batch that went
                // past, and no further batch is taken.
                let over = |outcomes: &[Outcome]| {
                    let errors = outcomes
                        .iter()
                        .filter(|outcome| matches!(outcome, Outcome::Unprocessed(_)))
                        .count() as u64;
                    let total = unprocessed.fetch_add(errors, Ordering::Relaxed) + errors;
                    max_errors.is_some_and(|max| total > max)
                };
                // A batch recognised by its digest needs no transaction: it goes on at once,
                // or in its place among the group's.
                let write = |group: &mut Group<'_>, marked| match marked {
                    Marked::Recognised(ruis, outcomes) => Ok((ruis, outcomes)),
                    Marked::Judged(digest, (ruis, batch)) => {
                        write_judged(group, kind, digest, ruis, batch)
                    }
                };
                while let Ok(marked) = marked_rx.recv() {
                    let marked = match marked {
                        Marked::Recognised(ruis, outcomes) => {
                            // Committed by an earlier run: a re-run recognises them.
                            committed.fetch_add(outcomes.len(), Ordering::Relaxed);
                            if written_tx.send((ruis, outcomes)).is_err() {
                                return Ok(());
                            }
                            continue;
                        }
                        judged => judged,
                    };
                    let opened = Instant::now();
                    let mut group = writer.group()?;
                    let (most, longest) = if group.in_no_order() {
                        NO_ORDER_GROUP
                    } else {
                        (GROUP, GROUP_TIME)
                    };
                    let (ruis, outcomes) = write(&mut group, marked)?;
                    let mut stop = over(&outcomes);
                    let mut written = vec![(ruis, outcomes)];
                    while written.len() < most && !stop {
                        let left = longest.saturating_sub(opened.elapsed());
                        match marked_rx.recv_timeout(left) {
                            Ok(marked) => {
                                let (ruis, outcomes) = write(&mut group, marked)?;
                                stop = over(&outcomes);
                                written.push((ruis, outcomes));
                            }
                            Err(_) => break,
                        }
                    }
                    group.commit()?;
                    let created = written
                        .iter()
                        .flat_map(|(_, outcomes)| outcomes)
                        .filter(|outcome| matches!(outcome, Outcome::Created { .. }))
                        .count();
                    committed.fetch_add(created, Ordering::Relaxed);
                    for batch in written {
                        if written_tx.send(batch).is_err() {
                            return Ok(());
                        }
                    }
                    if stop {
                        too_many.store(true, Ordering::Relaxed);
                        // The batches behind are dropped: the repeats thread's next send
                        // fails, and the workers' side, perhaps waiting for the reader, is
                        // told to take no more.
                        drop(marked_rx);
                        let _ = stop_tx.try_send(Raw::Stop);
                        return Ok(());
                    }
                }
                Ok(())
            })?;
            // The report is written on a thread of its own so that the one writer, the
            // stage every event waits for, does only SQLite work.
            let reporting = spawn(scope, "cebulk-report", move || -> Result<(), Fatal> {
                for (ruis, outcomes) in written_rx {
                    let count = outcomes.len();
                    let kept = kept_rx.as_ref().and_then(|rx| rx.recv().ok());
                    for (index, (rui, outcome)) in ruis.iter().zip(&outcomes).enumerate() {
                        match outcome {
                            Outcome::Created { creation, .. } => match creation {
                                Creation::Recognised { .. } => summary.recognised(),
                                Creation::New => summary.created(false, rui),
                                Creation::Amended => summary.created(true, rui),
                            },
                            Outcome::Unprocessed(error) => {
                                summary.unprocessed(error);
                                if let Some(rejects) = rejects.as_deref_mut() {
                                    let verbatim = kept
                                        .as_ref()
                                        .and_then(|kept| kept.get(index))
                                        .and_then(|v| v.as_deref());
                                    rejects.write(verbatim, error)?;
                                }
                            }
                        }
                    }
                    report_batch(report, ruis, outcomes, fields)?;
                    progress.advance(count, read.load(std::sync::atomic::Ordering::Relaxed));
                }
                Ok(())
            })?;
            let signal = self.judge_all(kind, context, raw_rx, judged_tx, key.as_ref(), finder);
            let written = write
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            let marked = marking
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            let reported = reporting
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            marked.and(written).and(reported)?;
            if let Some(signal) = signal {
                return Ok(Ended::Interrupted(signal));
            }
            // The reader is left where it is, perhaps blocked on input that never comes.
            if too_many.load(Ordering::Relaxed) {
                return Ok(Ended::TooManyUnprocessed);
            }
            // The reader has sent its end, or stopped for a writer that stopped: it returns
            // now.
            let cut_short = reader
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            Ok(cut_short.map_or(Ended::Read, Ended::CutShort))
        })
    }

    /// Starts judging each batch as it is read, on the first free worker thread, until the
    /// end of the input or a signal (returned).
    fn judge_all(
        &self,
        kind: Kind,
        context: &Context<'_>,
        raw_rx: Receiver<Raw>,
        judged_tx: Pending<Worked>,
        key: Option<&Key>,
        finder: Option<&Finder>,
    ) -> Option<Signal> {
        let misses = Misses::default();
        self.pool.in_place_scope(|scope| {
            while let Ok(raw) = raw_rx.recv() {
                // Batches read before the signal but not yet started are dropped unreported:
                // stopping soon matters more than them, and a re-run imports them.
                if let Some(signal) = self.interrupt.signal() {
                    return Some(signal);
                }
                let batch = match raw {
                    Raw::Batch(batch) => batch,
                    Raw::End => return None,
                    // A stop is sent only after the signal is recorded, seen above.
                    Raw::Stop => return self.interrupt.signal(),
                };
                // None: the writer has stopped (its error ends the run).
                let done = judged_tx.next()?;
                let misses = &misses;
                scope.spawn(move |_| {
                    done.finish(work(kind, context, batch, key, finder, misses));
                });
            }
            None
        })
    }
}

/// Recognises `batch` by its digest if an earlier run created it ([`Finder::find`]), else
/// judges it.
fn work(
    kind: Kind,
    context: &Context<'_>,
    batch: Vec<RawEvent>,
    key: Option<&Key>,
    finder: Option<&Finder>,
    misses: &Misses,
) -> Worked {
    let digest = key.and_then(|key| key.digest(&batch));
    if let (Some(digest), Some(finder)) = (&digest, finder)
        && misses.worth_looking()
    {
        // A lookup that fails judges the batch, which is never wrong, only slower; the
        // writer meets the store's trouble if it lasts.
        let found = finder.find(kind, digest, batch.len()).ok().flatten();
        misses.note(found.is_some());
        if let Some(found) = found {
            return Worked::Recognised(found, batch);
        }
    }
    Worked::Judged(digest, judge_batch(kind, context, batch))
}

/// The outcomes of a batch recognised by its digest: each event as an earlier run created it.
fn recognised_outcomes(found: Found) -> Marked {
    let (ruis, outcomes) = found
        .events
        .into_iter()
        .map(|(rui, id, number)| {
            let outcome = Outcome::Created {
                id,
                number,
                // Not asked: a batch recognised by its digest is not recorded again.
                creation: Creation::Recognised { only: false },
            };
            (Value::String(rui), outcome)
        })
        .unzip();
    Marked::Recognised(ruis, outcomes)
}

/// Writes a judged batch in `group`, and records its digest when it was read as text or CSV
/// rows, each event echoing the identifier it is stored with (`Group::record_digest` says
/// which outcomes it takes).
fn write_judged(
    group: &mut Group<'_>,
    kind: Kind,
    digest: Option<Digest>,
    ruis: Vec<Value>,
    batch: Vec<Result<Judged, EventError>>,
) -> Result<(Vec<Value>, Vec<Outcome>), Fatal> {
    let echoed_as_stored = ruis.len() == batch.len()
        && batch
            .iter()
            .zip(&ruis)
            .all(|(event, rui)| matches!(event, Ok(event) if rui.as_str() == Some(&event.rui)));
    let outcomes = group.write(kind, batch)?;
    if let Some(digest) = digest.filter(|_| echoed_as_stored) {
        group.record_digest(kind, &digest, &outcomes)?;
    }
    Ok((ruis, outcomes))
}

/// What was read of each event of a batch, in order (`--rejects`).
type Kept = Vec<Option<Box<Verbatim>>>;

/// Takes what was read of each event of `batch` out of it, and sends it on `kept` (with
/// `--rejects`), so that the workers do not carry it.
fn keep_apart(mut batch: Vec<RawEvent>, kept: Option<&Sender<Kept>>) -> Vec<RawEvent> {
    if let Some(kept) = kept {
        let verbatims = batch.iter_mut().map(|raw| raw.verbatim.take()).collect();
        // Only fails once the report thread has stopped, and the run with it.
        let _ = kept.send(verbatims);
    }
    batch
}

/// Writes the entries of one committed batch into `report`, in input order: how both
/// `cebulk import` and `cebulk serve` answer.
pub fn report_batch(
    report: &mut Report,
    ruis: Vec<Value>,
    outcomes: Vec<Outcome>,
    fields: &FieldsSet,
) -> Result<(), ReportError> {
    report.begin_request()?;
    for (rui, outcome) in ruis.into_iter().zip(outcomes) {
        match outcome {
            Outcome::Created { id, number, .. } => report.processed(rui, &id, number, fields),
            Outcome::Unprocessed(error) => report.unprocessed(rui, &error, fields),
        }?;
    }
    Ok(())
}

/// The reader's sending side, which sends the end of the input however the reader returns,
/// a panic included: the stop sender kept for a signal holds the channel open, so the
/// workers' side cannot learn of the end from the channel closing.
struct Ending(SyncSender<Raw>);

impl Drop for Ending {
    fn drop(&mut self) {
        let _ = self.0.send(Raw::End);
    }
}

fn spawn<'scope, 'env, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    name: &str,
    work: impl FnOnce() -> T + Send + 'scope,
) -> Result<std::thread::ScopedJoinHandle<'scope, T>, Fatal> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn_scoped(scope, work)
        .map_err(|e| Fatal::Thread {
            what: format!("the {name} thread"),
            source: Box::new(e),
        })
}
