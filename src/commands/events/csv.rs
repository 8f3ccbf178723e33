//! The CSV form of `cebulk events`: the header (the union of the listed events' dotted
//! paths, in the order they first appear) and one record an event, each cell in its
//! column, escaped where a spreadsheet would run it as a formula.

use std::borrow::Cow;
use std::collections::HashMap;
use std::convert::Infallible;
use std::rc::Rc;

use foldhash::fast::RandomState;
use rusqlite::Connection;
use serde_json::value::RawValue;

use super::stream;
use crate::listing::cells::{Cell, Cells, ListedCells};
use crate::listing::csv_record::Record;
use crate::listing::decoded::for_each_cell;
use crate::report::handoff::Handoff;
use crate::store::error::StoreError;
use crate::store::listing::{self, Names, Row, Selection};

/// The columns of the CSV listing: the union of the listed events' dotted paths, in the
/// order they first appear, each mapped to its column. A hash lookup a cell.
pub(super) type Header = HashMap<String, usize, RandomState>;

/// The columns of the last event's cells, in its order: the next event's cells mostly
/// come with the same paths in the same order, so a path equal to the one at its place
/// needs no hash lookup.
#[derive(Default)]
pub(super) struct Recent {
    paths: Vec<(String, usize)>,
    /// The cells of the event being listed so far.
    at: usize,
}

impl Recent {
    /// The column of the event's next cell, at `path`, through `lookup` unless the last
    /// event had its column at this place.
    fn column(&mut self, path: &str, lookup: impl FnOnce() -> Option<usize>) -> Option<usize> {
        let at = self.at;
        self.at += 1;
        if let Some((recent, column)) = self.paths.get(at)
            && recent == path
        {
            return Some(*column);
        }
        let column = lookup()?;
        if at < self.paths.len() {
            let (recent, kept) = &mut self.paths[at];
            recent.clear();
            recent.push_str(path);
            *kept = column;
        } else if at == self.paths.len() {
            self.paths.push((path.to_owned(), column));
        }
        Some(column)
    }
}

/// The header as it is gathered: the paths of the event being streamed that the header
/// lacks wait in `new` until the fast path has taken the whole event.
#[derive(Default)]
pub(super) struct Gathered {
    header: Header,
    new: Vec<String>,
    recent: Recent,
}

impl Cells<'_> for Gathered {
    fn cell(&mut self, path: &str, _: Cell<'_>) {
        let Gathered {
            header,
            new,
            recent,
        } = self;
        let known = recent.column(path, || header.get(path).copied());
        if known.is_none() && !new.iter().any(|new| new == path) {
            new.push(path.to_owned());
        }
    }
}

impl Gathered {
    /// The paths gathered, in the order they first came.
    pub(super) fn paths(&self) -> Vec<&str> {
        let mut paths: Vec<(&str, usize)> = self
            .header
            .iter()
            .map(|(path, &at)| (path.as_str(), at))
            .collect();
        paths.sort_by_key(|&(_, at)| at);
        paths.into_iter().map(|(path, _)| path).collect()
    }

    fn add(&mut self, path: String) {
        let at = self.header.len();
        self.header.entry(path).or_insert(at);
    }
}

/// The kind, id and number cells of `row`, the first of every listing.
fn top_cells<'s, C: Cells<'s>>(cells: &mut ListedCells<C>, row: Row<'s>, kind: Rc<RawValue>) {
    cells.cells.cell("kind", Cell::Shared(kind));
    cells.cells.cell("id", Cell::Text(Cow::Borrowed(row.id)));
    cells.cells.cell(
        "number",
        Cell::Text(Cow::Owned(
            itoa::Buffer::new().format(row.number).to_owned(),
        )),
    );
}

/// The header, from one pass over the events.
pub(super) fn csv_header(conn: &Connection, selection: &Selection) -> Result<Header, StoreError> {
    let mut cells = ListedCells::new(Gathered::default());
    let Ok(()) = listing::for_each_row(conn, selection, |row, names| {
        gather(&mut cells, row, names)?;
        Ok(Ok::<(), Infallible>(()))
    })?;
    Ok(cells.cells.header)
}

/// Adds the paths of `row`'s cells that `cells`' header lacks, in the order they come.
pub(super) fn gather<'s>(
    cells: &mut ListedCells<Gathered>,
    row: Row<'s>,
    names: &mut Names<'_>,
) -> Result<(), StoreError> {
    cells.reset();
    cells.cells.recent.at = 0;
    let streamed = stream(cells, row, names, |cells, kind| {
        top_cells(cells, row, kind);
    })?;
    let gathered = &mut cells.cells;
    let new = std::mem::take(&mut gathered.new);
    if streamed.is_ok() {
        for path in new {
            gathered.add(path);
        }
    } else {
        for_each_cell(&listing::decode(row, names)?, |path, _| {
            if !gathered.header.contains_key(path) {
                gathered.add(path.to_owned());
            }
        });
    }
    Ok(())
}

/// One row's cells, each put straight into its column through the header's map.
struct RowCells<'h, 's> {
    header: &'h Header,
    recent: &'h mut Recent,
    row: Vec<Cell<'s>>,
}

impl<'s> Cells<'s> for RowCells<'_, 's> {
    fn cell(&mut self, path: &str, cell: Cell<'s>) {
        // A path the header lacks cannot come: both passes read one snapshot.
        let header = self.header;
        if let Some(at) = self.recent.column(path, || header.get(path).copied()) {
            self.row[at] = cell;
        }
    }
}

/// Writes the header and one row an event: time linear in the cells written, and memory
/// for one row beyond the header.
pub(super) fn write_csv(
    conn: &Connection,
    selection: &Selection,
    header: &Header,
    escape: bool,
    out: &mut Handoff,
) -> Result<Result<(), std::io::Error>, StoreError> {
    if !write_header(header, &mut out.buf) {
        return Ok(Ok(()));
    }
    let mut recent = Recent::default();
    listing::for_each_row(conn, selection, |row, names| {
        csv_row(row, names, header, &mut recent, escape, &mut out.buf)?;
        Ok(out.hand_over_if_full())
    })
}

/// Writes the header's record into `out`; false when it has no column (no event listed:
/// no header either, as a record of no cells would be `""`).
pub(super) fn write_header(header: &Header, out: &mut Vec<u8>) -> bool {
    let mut names = vec![""; header.len()];
    for (name, &at) in header {
        names[at] = name.as_str();
    }
    if names.is_empty() {
        return false;
    }
    let mut record = Record::new(out);
    for name in names {
        record.field(b"", name.as_bytes());
    }
    record.end();
    true
}

/// Writes `row`'s record into `out`, its cells in the header's columns.
pub(super) fn csv_row(
    row: Row<'_>,
    names: &mut Names<'_>,
    header: &Header,
    recent: &mut Recent,
    escape: bool,
    out: &mut Vec<u8>,
) -> Result<(), StoreError> {
    recent.at = 0;
    let mut cells = ListedCells::new(RowCells {
        header,
        recent,
        row: vec![Cell::Empty; header.len()],
    });
    let streamed = stream(&mut cells, row, names, |cells, kind| {
        top_cells(cells, row, kind);
    })?;
    let mut cells = cells.cells.row;
    if streamed.is_err() {
        cells.fill(Cell::Empty);
        for_each_cell(&listing::decode(row, names)?, |path, text| {
            if let Some(&at) = header.get(path) {
                cells[at] = Cell::Text(Cow::Owned(text.into_owned()));
            }
        });
    }
    write_row(out, &cells, escape);
    Ok(())
}

/// Writes one row of cells, each escaped if a spreadsheet would run it and `escape` holds.
fn write_row(out: &mut Vec<u8>, cells: &[Cell<'_>], escape: bool) {
    let mut record = Record::new(out);
    for cell in cells {
        let text = cell.text();
        let prefix: &[u8] = if escape && runs_as_formula(&text) {
            b"'"
        } else {
            b""
        };
        record.field(prefix, text.as_bytes());
    }
    record.end();
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
