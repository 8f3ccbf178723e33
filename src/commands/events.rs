//! `cebulk events`: lists the created events that its filters pick, as JSON, NDJSON or CSV,
//! one at a time from the store, or counts them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

use foldhash::fast::RandomState;
use rusqlite::Connection;
use serde_json::value::RawValue;

use super::store::open_existing;
use crate::cli::args::{EventsArgs, ListFormat};
use crate::cli::fatal::{EXIT_OK, Fatal};
use crate::cli::stderr;
use crate::listing::cells::{Cell, Cells, ListedCells};
use crate::listing::csv_record::Record;
use crate::listing::decoded::for_each_cell;
use crate::listing::json::ListedJson;
use crate::listing::stream::{self, Sink, Unusual};
use crate::report::destination::{BrokenPipeIsFine, ReportError, print};
use crate::report::handoff::{CHUNK, Handoff};
use crate::store::error::StoreError;
use crate::store::listing::{self, Lister, Names, Row, Selection};

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
    let path = store.path.as_deref();
    list(&store.conn, path, args).map_err(|fatal| fatal.nothing_changed(HINT))
}

fn list(conn: &Connection, path: Option<&Path>, args: &EventsArgs) -> Result<u8, Fatal> {
    let mut selection = Selection {
        kind: args.kind,
        rid: args.rid.clone(),
        account: None,
        since: args.since,
        until: args.until,
        limit: args.limit,
        seqs: None,
    };
    if let Some(number) = &args.account {
        selection.account = listing::account(conn, number)?;
        if selection.account.is_none() {
            stderr::line(format_args!(
                "cebulk: the store's reference data has no account numbered {number}, so no event is of it"
            ));
            // No event can match an account the store has no record of.
            selection.limit = Some(0);
        }
    }
    if args.count {
        let snapshot = listing::snapshot(conn)?;
        let counted = listing::count(conn, &selection)?;
        drop(snapshot);
        print(format!("{counted}\n").as_bytes())?;
        return Ok(EXIT_OK);
    }
    // One read transaction: every kind, both passes of the CSV listing and the records
    // named see the same store, even while an import commits. Listed in parallel, each
    // connection's transaction has that same snapshot.
    let workers = workers(&selection);
    let (snapshot, readers) = match path.filter(|_| workers > 1) {
        Some(path) => match listing::same_snapshot(path, workers, || listing::snapshot(conn))? {
            Some((snapshot, readers)) => (snapshot, readers),
            None => (listing::snapshot(conn)?, Vec::new()),
        },
        None => (listing::snapshot(conn)?, Vec::new()),
    };
    let chunks = if readers.is_empty() {
        Vec::new()
    } else {
        listing::chunks(conn, &selection, CHUNK_EVENTS)?
    };
    let fail = |source| Fatal::Report(ReportError::writing("to standard output", source));
    // The bytes are written on a thread of their own while the next are made.
    let mut out = Handoff::new("cebulk-output", || {
        BrokenPipeIsFine(std::io::stdout().lock())
    })
    .map_err(fail)?;
    let escape = !args.no_formula_escaping;
    let written = if chunks.len() > 1 {
        let mut chunked = Chunked {
            readers,
            chunks: &chunks,
        };
        match args.format {
            ListFormat::Json => chunked.json(true, &mut out)?,
            ListFormat::Ndjson => chunked.json(false, &mut out)?,
            ListFormat::Csv => chunked.csv(escape, &mut out)?,
        }
    } else {
        drop(readers);
        match args.format {
            ListFormat::Json => write_json(conn, &selection, true, &mut out)?,
            ListFormat::Ndjson => write_json(conn, &selection, false, &mut out)?,
            ListFormat::Csv => {
                let header = csv_header(conn, &selection)?;
                write_csv(conn, &selection, &header, escape, &mut out)?
            }
        }
    };
    drop(snapshot);
    written.and_then(|()| out.finish()).map_err(fail)?;
    Ok(EXIT_OK)
}

/// Events (numbers of one kind) a chunk of a listing made in parallel covers at most: each
/// chunk's output is held whole until its turn to be written, a few at a time.
const CHUNK_EVENTS: i64 = 2048;

/// How many threads list `selection`, each on a connection of its own: one a core, when
/// the whole of a kind's events is listed (`--limit` counts across chunks, and `--rid`
/// picks a few events).
fn workers(selection: &Selection) -> usize {
    if selection.limit.is_some() || selection.rid.is_some() {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |cores| cores.get().min(MAX_WORKERS))
}

/// The most threads a listing is made by: past them, the one thread that writes the
/// output is the limit.
const MAX_WORKERS: usize = 4;

/// A listing made in chunks ([`listing::chunks`]) by threads, each on a connection of its
/// own (`readers`, all with the same snapshot): thread `w` lists chunks `w`, `w + n`, …
/// into buffers, and the calling thread writes them to the output in order.
struct Chunked<'a> {
    readers: Vec<Connection>,
    chunks: &'a [Selection],
}

/// A chunk's output, or why it has none.
type ChunkOut<T> = Result<Result<T, std::io::Error>, StoreError>;

impl Chunked<'_> {
    /// Runs `work` on every chunk on the threads, and `take` on each result in chunk order,
    /// until `take` returns an error. Each thread keeps one [`Lister`] (the records named,
    /// the ids' batches) for all its chunks.
    fn run<T: Send>(
        &mut self,
        work: impl Fn(&mut Lister<'_>, &Selection, &mut T) -> ChunkOut<()> + Sync,
        fresh: impl Fn() -> T + Sync,
        mut take: impl FnMut(&mut T) -> ChunkOut<()>,
    ) -> ChunkOut<()> {
        let readers = std::mem::take(&mut self.readers);
        let workers = readers.len();
        let chunks = self.chunks;
        std::thread::scope(|scope| {
            let mut results = Vec::with_capacity(workers);
            let mut spent = Vec::with_capacity(workers);
            let mut threads = Vec::with_capacity(workers);
            for (at, reader) in readers.into_iter().enumerate() {
                // One result waits while the next is made; spent buffers come back.
                let (result_tx, result_rx) = std::sync::mpsc::sync_channel::<ChunkOut<T>>(1);
                let (spent_tx, spent_rx) = std::sync::mpsc::channel::<T>();
                results.push(result_rx);
                spent.push(spent_tx);
                let (work, fresh) = (&work, &fresh);
                threads.push(scope.spawn(move || {
                    let mut lister = Lister::new(&reader);
                    for chunk in chunks.iter().skip(at).step_by(workers) {
                        let mut made = spent_rx.try_recv().unwrap_or_else(|_| fresh());
                        let result = work(&mut lister, chunk, &mut made).map(|r| r.map(|()| made));
                        // The receiver is gone once the output failed: nothing more to do.
                        if result_tx.send(result).is_err() {
                            break;
                        }
                    }
                    drop(lister);
                    reader
                }));
            }
            let mut outcome = Ok(Ok(()));
            for at in 0..chunks.len() {
                // A thread that stops sending has panicked, which joining it resumes.
                let Ok(result) = results[at % workers].recv() else {
                    break;
                };
                let mut made = match result {
                    Ok(Ok(made)) => made,
                    stopped => {
                        outcome = stopped.map(|r| r.map(|_| ()));
                        break;
                    }
                };
                outcome = take(&mut made);
                if !matches!(outcome, Ok(Ok(()))) {
                    break;
                }
                let _ = spent[at % workers].send(made);
            }
            // Threads still making chunks stop at their next one.
            drop(results);
            for thread in threads {
                match thread.join() {
                    Ok(reader) => self.readers.push(reader),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            outcome
        })
    }

    /// The JSON (pretty, an array) or NDJSON listing.
    fn json(&mut self, pretty: bool, out: &mut Handoff) -> ChunkOut<()> {
        if pretty {
            out.buf.push(b'[');
        }
        let mut first = true;
        let listed = self.run(
            |lister, chunk, json: &mut ListedJson| {
                json.out.clear();
                lister.for_each_row(chunk, |row, names| {
                    if pretty {
                        json.out.extend_from_slice(b",\n");
                    }
                    json_event(json, row, names, pretty)
                })
            },
            || ListedJson::new(pretty),
            |json| {
                if pretty && first && !json.out.is_empty() {
                    // The first event of all comes after no comma.
                    json.out.remove(0);
                    first = false;
                }
                Ok(hand_over(&mut json.out, out))
            },
        )?;
        if pretty {
            out.buf
                .extend_from_slice(if first { b"]\n" } else { b"\n]\n" });
        }
        Ok(listed)
    }

    /// The CSV listing: the header's paths gathered chunk by chunk (each chunk's new ones in
    /// the order they first appear in it, so the whole in the order they first appear),
    /// then the rows.
    fn csv(&mut self, escape: bool, out: &mut Handoff) -> ChunkOut<()> {
        let mut header = Header::default();
        let gathered = self.run(
            |lister, chunk, cells: &mut ListedCells<Gathered>| {
                // A chunk's own header, and the columns remembered of it.
                cells.cells = Gathered::default();
                lister.for_each_row(chunk, |row, names| Ok(Ok(gather(cells, row, names)?)))
            },
            || ListedCells::new(Gathered::default()),
            |cells| {
                let mut paths: Vec<(&String, &usize)> = cells.cells.header.iter().collect();
                paths.sort_by_key(|(_, at)| **at);
                for (path, _) in paths {
                    let at = header.len();
                    header.entry(path.clone()).or_insert(at);
                }
                Ok(Ok(()))
            },
        )?;
        if let Err(e) = gathered {
            return Ok(Err(e));
        }
        if !write_header(&header, &mut out.buf) {
            return Ok(Ok(()));
        }
        let header = &header;
        self.run(
            |lister, chunk, made: &mut (Recent, Vec<u8>)| {
                let (recent, bytes) = made;
                bytes.clear();
                lister.for_each_row(chunk, |row, names| {
                    csv_row(row, names, header, recent, escape, bytes)?;
                    Ok(Ok::<(), std::io::Error>(()))
                })
            },
            || (Recent::default(), Vec::new()),
            |(_, bytes)| Ok(hand_over(bytes, out)),
        )
    }
}

/// Streams the listing of `row` into `sink` through the fast path (`listing/stream.rs`):
/// `Ok(Err(Unusual))` for a body it does not take, after part of it went into `sink`.
fn stream<'s, S: Sink<'s>>(
    sink: &mut S,
    row: Row<'s>,
    names: &mut Names<'_>,
    top: impl FnOnce(&mut S, Rc<RawValue>),
) -> Result<Result<(), Unusual>, StoreError> {
    top(sink, names.kind(row.kind));
    let mut failed = None;
    let streamed = stream::stream(
        row.kind,
        row.stored,
        row.columns,
        sink,
        &mut |entity, record, sink| match names.listed(entity, record) {
            Ok(named) => {
                if let Some(id) = &named.id {
                    sink.key("id");
                    sink.shared(id);
                }
                for (name, value) in &named.columns {
                    sink.key(name);
                    sink.shared(value);
                }
            }
            Err(e) => {
                failed.get_or_insert(e);
            }
        },
    );
    match failed {
        Some(e) => Err(e),
        None => Ok(streamed),
    }
}

/// Writes the listing as JSON (an array, pretty-printed) or NDJSON (one compact event a
/// line) into one buffer, handed to `out` a chunk at a time.
fn write_json(
    conn: &Connection,
    selection: &Selection,
    pretty: bool,
    out: &mut Handoff,
) -> Result<Result<(), std::io::Error>, StoreError> {
    let mut json = ListedJson::new(pretty);
    let mut first = true;
    if pretty {
        json.out.push(b'[');
    }
    let listed = listing::for_each_row(conn, selection, |row, names| {
        if pretty {
            json.out
                .extend_from_slice(if first { b"\n" } else { b",\n" });
        }
        first = false;
        if let Err(e) = json_event(&mut json, row, names, pretty)? {
            return Ok(Err(e));
        }
        if json.out.len() < CHUNK {
            return Ok(Ok(()));
        }
        std::mem::swap(&mut json.out, &mut out.buf);
        Ok(out.hand_over_if_full())
    })?;
    if pretty {
        json.out
            .extend_from_slice(if first { b"]\n" } else { b"\n]\n" });
    }
    Ok(listed.and_then(|()| out.write_all(&json.out)))
}

/// Hands a chunk's `bytes` to `out`, leaving `bytes` empty: the buffer itself when `out`
/// holds nothing yet (no copy; `bytes` gets a spent one back), else a copy after what it
/// holds.
fn hand_over(bytes: &mut Vec<u8>, out: &mut Handoff) -> std::io::Result<()> {
    if out.buf.is_empty() {
        std::mem::swap(bytes, &mut out.buf);
    } else {
        out.buf.extend_from_slice(bytes);
    }
    bytes.clear();
    out.hand_over_if_full()
}

/// Writes `row`'s listing into `json.out`: an object, and a line end when not `pretty`.
fn json_event(
    json: &mut ListedJson,
    row: Row<'_>,
    names: &mut Names<'_>,
    pretty: bool,
) -> Result<Result<(), std::io::Error>, StoreError> {
    let len = json.out.len();
    let streamed = stream(json, row, names, |json, kind| {
        json.open_object();
        json.key("kind");
        json.shared(&kind);
        json.key("id");
        json.string(row.id);
        json.key("number");
        json.string(itoa::Buffer::new().format(row.number));
    })?;
    if streamed.is_ok() {
        json.close_object();
    } else {
        json.roll_back(len);
        let event = listing::decode(row, names)?;
        let written = if pretty {
            serde_json::to_writer_pretty(&mut json.out, &event)
        } else {
            serde_json::to_writer(&mut json.out, &event)
        };
        if let Err(e) = written {
            return Ok(Err(e.into()));
        }
    }
    if !pretty {
        json.out.push(b'\n');
    }
    Ok(Ok(()))
}

/// The columns of the CSV listing: the union of the listed events' dotted paths, in the
/// order they first appear, each mapped to its column. A hash lookup a cell.
type Header = HashMap<String, usize, RandomState>;

/// The columns of the last event's cells, in its order: the next event's cells mostly
/// come with the same paths in the same order, so a path equal to the one at its place
/// needs no hash lookup.
#[derive(Default)]
struct Recent {
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
struct Gathered {
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
fn csv_header(conn: &Connection, selection: &Selection) -> Result<Header, StoreError> {
    let mut cells = ListedCells::new(Gathered::default());
    let Ok(()) = listing::for_each_row(conn, selection, |row, names| {
        gather(&mut cells, row, names)?;
        Ok(Ok::<(), Infallible>(()))
    })?;
    Ok(cells.cells.header)
}

/// Adds the paths of `row`'s cells that `cells`' header lacks, in the order they come.
fn gather<'s>(
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
fn write_csv(
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
fn write_header(header: &Header, out: &mut Vec<u8>) -> bool {
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
fn csv_row(
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
