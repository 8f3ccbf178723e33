//! `cebulk events`: lists the created events as JSON or CSV, one at a time from the store.

use std::io::Write;
use std::path::Path;

use super::store::open_read;
use crate::cli::args::{EventsArgs, ListFormat};
use crate::cli::fatal::{EXIT_OK, Fatal};
use crate::report::destination::BrokenPipeIsFine;
use crate::report::destination::ReportError;
use crate::store::listing;

/// Lists the events of the store at `store_path`.
pub fn run(store_path: &Path, args: &EventsArgs) -> Result<u8, Fatal> {
    let store = open_read(store_path)?;
    let fail = |source| Fatal::Report(ReportError::writing("to standard output", source));
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
