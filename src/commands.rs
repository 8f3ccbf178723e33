//! The three commands, each opening the store the way it needs and handing over to the
//! library modules.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{Args, Command, EventsArgs, ListFormat, ReferenceCommand};
use crate::codes::RequestCode;
use crate::config::ImportConfig;
use crate::error::{EXIT_OK, Fatal};
use crate::import::{Imported, import};
use crate::output::{BrokenPipeIsFine, close_report, open_report};
use crate::reference::file::read_and_merge;
use crate::report::{Report, Status};
use crate::store::open::{Store, open_for_write, open_read_only};
use crate::store::writer::Writer;
use crate::store::{listing, reference};

/// Runs a parsed command line; returns the exit status.
pub fn run(args: Args) -> Result<u8, Fatal> {
    match args.command {
        Command::Import(import_args) => {
            let config = ImportConfig::new(args.store, import_args)?;
            run_import(&config)
        }
        Command::Reference {
            command: ReferenceCommand::Load { path },
        } => load_reference(&args.store, &path),
        Command::Events(events_args) => list_events(&args.store, &events_args),
    }
}

fn open_write(path: &Path) -> Result<Store, Fatal> {
    open_for_write(path).map_err(|source| Fatal::StoreOpen {
        path: path.to_owned(),
        source,
    })
}

fn open_read(path: &Path) -> Result<Store, Fatal> {
    open_read_only(path).map_err(|source| Fatal::StoreOpen {
        path: path.to_owned(),
        source,
    })
}

fn load_reference(store_path: &Path, path: &Path) -> Result<u8, Fatal> {
    let mut store = open_write(store_path)?;
    let existing = reference::load(&store.conn)?;
    let merged = read_and_merge(path, &existing)?;
    reference::write(&mut store.conn, &merged.changed)?;
    let total: usize = merged.maps.counts().iter().map(|(_, n)| n).sum();
    eprintln!(
        "cebulk: {} reference records new or changed; the store holds {total}",
        merged.changed.len()
    );
    Ok(EXIT_OK)
}

fn run_import(config: &ImportConfig) -> Result<u8, Fatal> {
    // A dry run reads the store and writes nothing: not even the reference data it applies.
    let mut store = if config.dry_run {
        open_read(&config.store)?
    } else {
        open_write(&config.store)?
    };
    let mut maps = reference::load(&store.conn)?;
    if let Some(path) = &config.reference {
        let merged = read_and_merge(path, &maps)?;
        if !config.dry_run {
            reference::write(&mut store.conn, &merged.changed)?;
        }
        maps = merged.maps;
    }
    let mut writer = if config.dry_run {
        Writer::dry_run(&mut store.conn, config.ids)
    } else {
        Writer::new(&mut store, config.ids)?
    };
    let (mut report, target) = open_report(config.report.as_deref())?;
    let imported = import(config, &maps, &mut writer, &mut report);
    // Stops the checkpoint thread, if the import switched the store to WAL.
    drop(writer);
    // Closing the store copies the rest of any WAL into it and deletes the WAL; moving the
    // report into place may delete an earlier report. Both wait on the disk (each ~0.1-0.2 s
    // after 300 k events on this machine, which discards freed blocks), so they overlap.
    std::thread::scope(|scope| {
        let closing = scope.spawn(move || drop(store));
        let finished = finish_import(imported, report, target);
        closing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        finished
    })
}

/// Closes the report of an import and gives its exit status.
fn finish_import(
    imported: Result<Imported, Fatal>,
    mut report: Report,
    target: Option<(PathBuf, PathBuf)>,
) -> Result<u8, Fatal> {
    let imported = match imported {
        Ok(imported) => imported,
        Err(fatal @ Fatal::Store(_)) => {
            // The report still closes as a valid envelope: it lists the events of the
            // batches committed before the failure, and its status names the failure.
            report.reject(Status {
                code: RequestCode::StoreFailure,
                message: "the store failed; batches committed before the failure are kept".into(),
                description: error_chain(&fatal),
            });
            close_report(report, target)?;
            return Err(fatal);
        }
        Err(other) => return Err(other),
    };
    for rejected in &imported.rejected {
        let report = miette::Report::msg(rejected.to_string());
        eprintln!("{report:?}");
    }
    close_report(report, target)?;
    Ok(imported.exit_code())
}

fn list_events(store_path: &Path, args: &EventsArgs) -> Result<u8, Fatal> {
    let store = open_read(store_path)?;
    let fail = |source| Fatal::Report {
        path: "standard output".into(),
        source,
    };
    let mut out = std::io::BufWriter::new(BrokenPipeIsFine(std::io::stdout().lock()));
    let written = match args.format {
        ListFormat::Json => {
            let mut first = true;
            out.write_all(b"[").map_err(fail)?;
            let listed = listing::for_each_event(&store.conn, args.kind, |event| {
                out.write_all(if first { b"\n" } else { b",\n" })?;
                first = false;
                serde_json::to_writer_pretty(&mut out, &event).map_err(std::io::Error::from)
            })?;
            listed.and_then(|()| out.write_all(if first { b"]\n" } else { b"\n]\n" }))
        }
        ListFormat::Csv => {
            // Two passes: the header is the union of the listed events' fields.
            let mut header: Vec<String> = Vec::new();
            let mut known = std::collections::HashSet::new();
            let mut cells = Vec::new();
            listing::for_each_event(&store.conn, args.kind, |event| {
                cells.clear();
                listing::flatten(&event, "", &mut cells);
                for (column, _) in cells.drain(..) {
                    if known.insert(column.clone()) {
                        header.push(column);
                    }
                }
                Ok::<(), std::io::Error>(())
            })?
            .map_err(fail)?;
            let mut csv = csv::Writer::from_writer(&mut out);
            let listed = csv.write_record(&header).map_err(std::io::Error::from);
            let listed = listed.and_then(|()| {
                listing::for_each_event(&store.conn, args.kind, |event| {
                    cells.clear();
                    listing::flatten(&event, "", &mut cells);
                    let row: Vec<&str> = header
                        .iter()
                        .map(|column| {
                            cells
                                .iter()
                                .find(|(c, _)| c == column)
                                .map_or("", |(_, v)| v.as_str())
                        })
                        .collect();
                    csv.write_record(&row).map_err(std::io::Error::from)
                })
                .map_err(|e| std::io::Error::other(e.to_string()))?
            });
            listed.and_then(|()| csv.flush())
        }
    };
    written.and_then(|()| out.flush()).map_err(fail)?;
    Ok(EXIT_OK)
}

/// An error and its sources on one line: `store failure: committing the batch: disk I/O error`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
