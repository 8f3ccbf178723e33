//! `cebulk import`: opens the store (read-only for a dry run), applies `--reference`, runs
//! the pipeline and closes the report.

use super::store::{open_read, open_write};
use crate::cli::config::ImportConfig;
use crate::cli::fatal::{Fatal, error_chain};
use crate::cli::stderr;
use crate::domain::codes::RequestCode;
use crate::import::interrupt::Interrupt;
use crate::import::pipeline::{Imported, import};
use crate::reference::file::read_and_merge;
use crate::report::destination::{
    Committed, Pending, ReportError, close_report, open_file, open_report,
};
use crate::report::envelope::{Report, Status};
use crate::report::summary::Ending;
use crate::store::writer::Writer;
use crate::store::{history, reference};

/// What to do about a store that fails during a dry run, which changes nothing in it.
pub const DRY_RUN_FAILED: &str =
    "a dry run changes nothing in the store; once the cause is fixed, run it again";

/// Runs an import; returns its exit status.
pub fn run(config: &ImportConfig) -> Result<u8, Fatal> {
    // First, so that a signal from here on ends the run with a valid report.
    let interrupt = Interrupt::install()?;
    run_with(config, &interrupt)
}

/// Runs an import that `interrupt` may stop; returns its exit status.
pub fn run_with(config: &ImportConfig, interrupt: &Interrupt) -> Result<u8, Fatal> {
    // A dry run reads the store and writes nothing: not even the reference data it applies.
    let mut store = if config.dry_run {
        open_read(&config.store)?
    } else {
        open_write(&config.store)?
    };
    let mut maps = reference::load(&store.conn)?;
    if let Some(path) = &config.reference {
        let merged = read_and_merge(path, &maps)?;
        maps = if config.dry_run {
            merged.maps
        } else {
            reference::write(&mut store.conn, &merged.changed)?;
            // Read back: the store gives new records their rows, which bodies name them by.
            reference::load(&store.conn)?
        };
    }
    let mut writer = if config.dry_run {
        Writer::dry_run(&mut store.conn, config.ids)?
    } else {
        Writer::new(&mut store, config.ids)?
    };
    let (mut report, target) = open_report(config.report.as_deref())
        .map_err(|error| error.after(committed(config.dry_run, 0)))?;
    let imported = import(config, &maps, &mut writer, &mut report, interrupt);
    // Stops the checkpoint thread, if the import switched the store to WAL.
    drop(writer);
    if config.history && !config.dry_run {
        record_history(&store.conn, config, &imported);
    }
    // Closing the store copies the rest of any WAL into it and deletes the WAL; moving the
    // report into place may delete an earlier report. Both wait on the disk, so they
    // overlap (docs/performance.md, "commands/import: closing the store and the report").
    std::thread::scope(|scope| {
        // Without a thread to spare, the store (moved into the refused closure) closes here.
        let closing = std::thread::Builder::new()
            .name("cebulk-close".into())
            .spawn_scoped(scope, move || drop(store))
            .ok();
        let finished = finish_import(imported, report, target, config);
        if let Some(closing) = closing {
            closing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        finished
    })
}

/// What the store keeps of an import that committed `events`, for a report error's message.
fn committed(dry_run: bool, events: usize) -> Committed {
    if dry_run {
        Committed::DryRun
    } else {
        Committed::Events(events)
    }
}

/// Closes the report of an import and gives its exit status.
fn finish_import(
    imported: Result<Imported, Fatal>,
    mut report: Report,
    target: Option<Pending>,
    config: &ImportConfig,
) -> Result<u8, Fatal> {
    let dry_run = config.dry_run;
    // The report lists a processed entry for each event committed, and only once committed.
    let kept = committed(dry_run, report.processed_count());
    let imported = match imported {
        Ok(imported) => imported,
        Err(fatal @ (Fatal::Store(_) | Fatal::Inconsistent(_))) => {
            // The report still closes as a valid envelope: it lists the events of the
            // batches committed before the failure, and its status names the failure.
            let message = match fatal {
                Fatal::Inconsistent(_) => {
                    "the store is inconsistent (run `cebulk check`); batches committed before are kept"
                }
                _ => "the store failed; batches committed before the failure are kept",
            };
            report.reject(Status {
                code: RequestCode::StoreFailure,
                message: message.into(),
                description: error_chain(&fatal),
            });
            close_report(report, target).map_err(|error| error.after(kept))?;
            return Err(fatal);
        }
        Err(other) => return Err(other),
    };
    for rejected in &imported.rejected {
        stderr::line(format_args!("cebulk: {rejected}"));
    }
    let reported = report.processed_count();
    if let Some(signal) = imported.interrupted {
        report.interrupt(Status {
            code: RequestCode::Interrupted,
            message: format!("interrupted by {}", signal.name()),
            description: format!(
                "the import stopped reading its input at {}; the events listed are the batches \
                 committed before it, and re-running the same command finishes the job",
                signal.name()
            ),
        });
    }
    if imported.too_many_unprocessed
        && imported.interrupted.is_none()
        && let Some(max) = config.max_errors
    {
        report.interrupt(Status {
            code: RequestCode::TooManyUnprocessed,
            message: format!("more than {max} events unprocessed (--max-errors {max})"),
            description: format!(
                "the import stopped reading its input once more than {max} events were \
                 unprocessed; the events listed are the batches committed before it stopped"
            ),
        });
    }
    close_report(report, target).map_err(|error| error.after(kept))?;
    let ending = ending(&imported);
    if let Some(path) = &config.summary {
        let json = imported
            .summary
            .json(imported.took, dry_run, ending, imported.rejected.len());
        write_summary(path, &json).map_err(|error| error.after(kept))?;
    }
    if !config.quiet {
        for line in imported.summary.lines(imported.took, dry_run, ending) {
            stderr::line(format_args!("{line}"));
        }
    }
    if imported.too_many_unprocessed
        && imported.interrupted.is_none()
        && let Some(max) = config.max_errors
    {
        let done = if dry_run {
            "reported (a dry run: nothing committed)"
        } else {
            "committed and reported"
        };
        stderr::line(format_args!(
            "cebulk: stopped: more than {max} events unprocessed (--max-errors {max}); the \
             {reported} events processed before it are {done}; fix the input or the \
             reference data and import it again"
        ));
    }
    if let Some(signal) = imported.interrupted {
        let done = if dry_run {
            "reported (a dry run: nothing committed)"
        } else {
            "committed and reported"
        };
        stderr::line(format_args!(
            "cebulk: interrupted by {}: {reported} events {done}; re-run the same command to finish",
            signal.name()
        ));
    }
    Ok(imported.exit_code())
}

/// How the import ended, for its summary.
fn ending(imported: &Imported) -> Ending {
    match imported.interrupted {
        Some(signal) => Ending::Interrupted(signal.name()),
        None if imported.too_many_unprocessed => Ending::TooManyUnprocessed,
        None => Ending::Finished,
    }
}

/// Records the import in the store's history. Failing to is said, but does not change
/// the import's outcome: its events are committed and reported either way.
fn record_history(
    conn: &rusqlite::Connection,
    config: &ImportConfig,
    imported: &Result<Imported, Fatal>,
) {
    let started = history::Begin {
        origin: history::Origin::CommandLine,
        user: os_user(),
        file: config
            .inputs
            .iter()
            .map(|input| input.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        // The kind given, else those the inputs gave (a JSON document's set).
        kind: config.kind.map(|kind| kind.name().to_owned()).or_else(|| {
            let kinds = imported.as_ref().ok()?.kinds.iter().map(|kind| kind.name());
            Some(kinds.collect::<Vec<_>>().join(", ")).filter(|kinds| !kinds.is_empty())
        }),
        dry_run: config.dry_run,
    };
    let outcome = match imported {
        Ok(imported) => history::Outcome {
            status: history::Status::Finished,
            read: imported.summary.read(),
            created: imported.summary.created,
            already_stored: imported.summary.recognised,
            unprocessed: imported.summary.unprocessed_count(),
            duration_ms: u64::try_from(imported.took.as_millis()).unwrap_or(u64::MAX),
            summary: Some(
                imported
                    .summary
                    .json(
                        imported.took,
                        false,
                        ending(imported),
                        imported.rejected.len(),
                    )
                    .to_string(),
            ),
            error: None,
        },
        Err(fatal) => history::Outcome::failed(error_chain(fatal)),
    };
    if let Err(error) = history::record(conn, &started, &outcome) {
        stderr::line(format_args!(
            "cebulk: warning: the import is not in the store's history: {}",
            error_chain(&error)
        ));
    }
}

/// Who runs this command, for the history: the login name, else the user id.
fn os_user() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|user| !user.is_empty()))
        .unwrap_or_else(|| format!("uid {}", rustix::process::getuid().as_raw()))
}

/// Writes the JSON summary to `path`, which, like the report, appears only when complete.
fn write_summary(path: &std::path::Path, json: &serde_json::Value) -> Result<(), ReportError> {
    let failed = |e| ReportError::writing(format_args!("the summary to {}", path.display()), e);
    let (mut out, pending) = open_file(path, ".cebulk-summary-").map_err(failed)?;
    let mut text = serde_json::to_string_pretty(json).map_err(|e| failed(e.into()))?;
    text.push('\n');
    std::io::Write::write_all(&mut out, text.as_bytes()).map_err(failed)?;
    std::io::Write::flush(&mut out).map_err(failed)?;
    drop(out);
    if let Some(pending) = pending {
        pending.persist().map_err(failed)?;
    }
    Ok(())
}
