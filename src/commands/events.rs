//! `cebulk events`: lists the created events as JSON or CSV, one at a time from the store.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::path::Path;

use foldhash::fast::RandomState;
use rusqlite::Connection;

use super::store::open_read;
use crate::cli::args::{EventsArgs, ListFormat};
use crate::cli::fatal::{EXIT_OK, Fatal};
use crate::domain::kind::Kind;
use crate::report::destination::BrokenPipeIsFine;
use crate::report::destination::ReportError;
use crate::store::error::StoreError;
use crate::store::listing;

/// Lists the events of the store at `store_path`.
pub fn run(store_path: &Path, args: &EventsArgs) -> Result<u8, Fatal> {
    let store = open_read(store_path)?;
    let fail = |source| {
        Fatal::Report(ReportError {
            path: "standard output".into(),
            source,
        })
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
            // Both passes in one read transaction, so that they see the same events even
            // while an import commits: the header is made from exactly the events listed.
            let snapshot = listing::snapshot(&store.conn)?;
            let header = csv_header(&store.conn, args.kind)?;
            let written = write_csv(&store.conn, args.kind, &header, &mut out)?;
            drop(snapshot);
            written
        }
    };
    written.and_then(|()| out.flush()).map_err(fail)?;
    Ok(EXIT_OK)
}

/// The columns of the CSV listing: the union of the listed events' dotted paths, in the
/// order they first appear, each mapped to its column. A hash lookup a cell.
type Header = HashMap<String, usize, RandomState>;

/// The header, from one pass over the events.
fn csv_header(conn: &Connection, kind: Option<Kind>) -> Result<Header, StoreError> {
    let mut header = Header::default();
    let Ok(()) = listing::for_each_event(conn, kind, |event| {
        listing::for_each_cell(&event, |path, _| {
            if !header.contains_key(path) {
                header.insert(path.to_owned(), header.len());
            }
        });
        Ok::<(), Infallible>(())
    })?;
    Ok(header)
}

/// Writes the header and one row an event, each cell put straight into its column through
/// the header's map: time linear in the cells written, and memory for one row beyond the
/// header.
fn write_csv(
    conn: &Connection,
    kind: Option<Kind>,
    header: &Header,
    out: &mut impl Write,
) -> Result<Result<(), std::io::Error>, StoreError> {
    let mut names = vec![""; header.len()];
    for (name, &at) in header {
        names[at] = name.as_str();
    }
    let mut csv = csv::Writer::from_writer(out);
    if let Err(e) = csv.write_record(&names) {
        return Ok(Err(e.into()));
    }
    let listed = listing::for_each_event(conn, kind, |event| {
        let mut row = vec![""; names.len()];
        listing::for_each_cell(&event, |path, text| {
            // A path the header lacks cannot come: both passes read one snapshot.
            if let Some(&at) = header.get(path) {
                row[at] = text;
            }
        });
        csv.write_record(&row).map_err(std::io::Error::from)
    })?;
    Ok(listed.and_then(|()| csv.flush()))
}
