//! The three commands, each opening the store the way it needs and handing over to the
//! library modules.

use std::io::Write;
use std::path::Path;

use crate::cli::{Args, Command, EventsArgs, ReferenceCommand};
use crate::config::ImportConfig;
use crate::error::{EXIT_OK, Fatal};
use crate::import::import;
use crate::reference::file::read_and_merge;
use crate::report::Report;
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
        Writer::new(&mut store.conn, config.ids)
    };
    let imported = import(config, &maps, &mut writer)?;
    for rejected in &imported.rejected {
        let report = miette::Report::msg(rejected.to_string());
        eprintln!("{report:?}");
    }
    write_report(&imported.report, config.report.as_deref())?;
    Ok(imported.exit_code())
}

fn write_report(report: &Report, path: Option<&Path>) -> Result<(), Fatal> {
    match path {
        None => {
            let stdout = std::io::stdout();
            ignore_broken_pipe(report.write_to(&mut stdout.lock())).map_err(|source| {
                Fatal::Report {
                    path: "standard output".into(),
                    source,
                }
            })
        }
        Some(path) => {
            let fail = |source| Fatal::Report {
                path: path.display().to_string(),
                source,
            };
            // Written beside the target and renamed, so a reader never sees half a report.
            let partial = path.with_extension("partial");
            let mut file = std::fs::File::create(&partial).map_err(fail)?;
            report.write_to(&mut file).map_err(fail)?;
            file.sync_all().map_err(fail)?;
            std::fs::rename(&partial, path).map_err(fail)
        }
    }
}

fn list_events(store_path: &Path, args: &EventsArgs) -> Result<u8, Fatal> {
    let store = open_read(store_path)?;
    let events = listing::events(&store.conn, args.kind)?;
    let fail = |source| Fatal::Report {
        path: "standard output".into(),
        source,
    };
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer_pretty(&mut out, &events)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out));
    ignore_broken_pipe(written).map_err(fail)?;
    Ok(EXIT_OK)
}

/// A reader that stops early (`| head`) is not a failure of cebulk's.
fn ignore_broken_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
