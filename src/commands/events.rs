//! `cebulk events`: lists the created events that its filters pick, as JSON, NDJSON or CSV,
//! one at a time from the store, or counts them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::path::Path;

use foldhash::fast::RandomState;
use rusqlite::Connection;

use super::store::open_existing;
use crate::cli::args::{EventsArgs, ListFormat};
use crate::cli::fatal::{EXIT_OK, Fatal};
use crate::cli::stderr;
use crate::judge::decoded::for_each_cell;
use crate::report::destination::{BrokenPipeIsFine, ReportError, print};
use crate::store::error::StoreError;
use crate::store::listing::{self, Selection};

/// What to do about a store that fails while it is listed.
const HINT: &str =
    "the listing changed nothing in the store; if it is damaged, `cebulk check` says how";

/// Lists (or counts) the events of the store at `store_path`.
pub fn run(store_path: &Path, args: &EventsArgs) -> Result<u8, Fatal> {
    if args.no_formula_escaping && args.format != ListFormat::Csv {
        return Err(Fatal::Usage(
            "--no-formula-escaping applies to --format csv only".into(),
        ));
    }
    let store = open_existing(store_path)?;
    list(&store.conn, args).map_err(|fatal| fatal.nothing_changed(HINT))
}

fn list(conn: &Connection, args: &EventsArgs) -> Result<u8, Fatal> {
    // One read transaction: every kind, both passes of the CSV listing and the records
    // named see the same store, even while an import commits.
    let snapshot = listing::snapshot(conn)?;
    let mut selection = Selection {
        kind: args.kind,
        rid: args.rid.clone(),
        account_id: None,
        since: args.since,
        until: args.until,
        limit: args.limit,
    };
    if let Some(number) = &args.account {
        selection.account_id = listing::account_id(conn, number)?;
        if selection.account_id.is_none() {
            stderr::line(format_args!(
                "cebulk: the store's reference data has no account numbered {number}, so no event is of it"
            ));
            // No event can match an account the store has no record of.
            selection.limit = Some(0);
        }
    }
    if args.count {
        let counted = listing::count(conn, &selection)?;
        print(format!("{counted}\n").as_bytes())?;
        return Ok(EXIT_OK);
    }
    let fail = |source| Fatal::Report(ReportError::writing("to standard output", source));
    let mut out =
        std::io::BufWriter::with_capacity(1 << 16, BrokenPipeIsFine(std::io::stdout().lock()));
    let written = match args.format {
        ListFormat::Json => {
            let mut first = true;
            out.write_all(b"[").map_err(fail)?;
            let listed = listing::for_each_event(conn, &selection, |event| {
                out.write_all(if first { b"\n" } else { b",\n" })?;
                first = false;
                serde_json::to_writer_pretty(&mut out, event).map_err(std::io::Error::from)
            })?;
            listed.and_then(|()| out.write_all(if first { b"]\n" } else { b"\n]\n" }))
        }
        ListFormat::Ndjson => listing::for_each_event(conn, &selection, |event| {
            serde_json::to_writer(&mut out, event).map_err(std::io::Error::from)?;
            out.write_all(b"\n")
        })?,
        ListFormat::Csv => {
            let header = csv_header(conn, &selection)?;
            write_csv(
                conn,
                &selection,
                &header,
                !args.no_formula_escaping,
                &mut out,
            )?
        }
    };
    drop(snapshot);
    written.and_then(|()| out.flush()).map_err(fail)?;
    Ok(EXIT_OK)
}

/// The columns of the CSV listing: the union of the listed events' dotted paths, in the
/// order they first appear, each mapped to its column. A hash lookup a cell.
type Header = HashMap<String, usize, RandomState>;

/// The header, from one pass over the events.
fn csv_header(conn: &Connection, selection: &Selection) -> Result<Header, StoreError> {
    let mut header = Header::default();
    let Ok(()) = listing::for_each_event(conn, selection, |event| {
        for_each_cell(event, |path, _| {
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
    selection: &Selection,
    header: &Header,
    escape: bool,
    out: &mut impl Write,
) -> Result<Result<(), std::io::Error>, StoreError> {
    let mut names = vec![""; header.len()];
    for (name, &at) in header {
        names[at] = name.as_str();
    }
    if names.is_empty() {
        // No event listed: no header either (a record of no cells would be `""`).
        return Ok(Ok(()));
    }
    let mut csv = csv::Writer::from_writer(out);
    if let Err(e) = csv.write_record(&names) {
        return Ok(Err(e.into()));
    }
    let listed = listing::for_each_event(conn, selection, |event| {
        let mut row = vec![Cow::Borrowed(""); names.len()];
        for_each_cell(event, |path, text| {
            // A path the header lacks cannot come: both passes read one snapshot.
            if let Some(&at) = header.get(path) {
                row[at] = text;
            }
        });
        for text in row {
            if escape && runs_as_formula(&text) {
                csv.write_field(format!("'{text}"))?;
            } else {
                csv.write_field(text.as_bytes())?;
            }
        }
        csv.write_record(None::<&[u8]>)
            .map_err(std::io::Error::from)
    })?;
    Ok(listed.and_then(|()| csv.flush()))
}

/// Whether a spreadsheet would run the cell as a formula (CSV injection): text that begins
/// with `=`, `+`, `-`, `@`, a tab or a carriage return, the characters of OWASP's advice.
/// Such a cell is written with a `'` before it, which a spreadsheet shows as text. A plain
/// decimal number (`-5.2`, a negative amount) is not: a spreadsheet reads it as the number,
/// which runs nothing, and a `'` would turn an amount column into text.
fn runs_as_formula(text: &str) -> bool {
    matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    ) && !is_plain_number(text)
}

/// `-?digits(.digits)?`: the form of the listing's numbers (canonical decimals).
fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    all_digits(int) && all_digits(frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_escaped_and_plain_numbers_are_not() {
        let formulas = [
            "=1+2", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "-", "-.5", "-5.", "-1e5", "-5.2.1",
            "- 5", "+5.2", "-5,2",
        ];
        for cell in formulas {
            assert!(runs_as_formula(cell), "{cell:?} should be escaped");
        }
        let plain = ["-5.2", "-0", "-120", "5.2", "a=b", " =1", "'=1", "x-1", ""];
        for cell in plain {
            assert!(!runs_as_formula(cell), "{cell:?} should be kept");
        }
    }
}
