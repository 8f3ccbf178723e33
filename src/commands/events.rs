//! `cebulk events`: lists the created events that its filters pick, as JSON, NDJSON or CSV,
//! one at a time from the store, or counts them.

use std::io::Write;
use std::path::Path;
use std::rc::Rc;

use rusqlite::Connection;
use serde_json::value::RawValue;

use super::store::open_existing;
use crate::cli::args::{EventsArgs, ListFormat};
use crate::cli::fatal::{EXIT_OK, Fatal};
use crate::cli::stderr;
use crate::listing::json::ListedJson;
use crate::listing::stream::{self, Sink, Unusual};
use crate::report::destination::{BrokenPipeIsFine, ReportError, print};
use crate::report::handoff::{CHUNK, Handoff};
use crate::store::error::StoreError;
use crate::store::listing::{self, Names, Row, Selection};

mod chunked;
mod csv;

use chunked::Chunked;
use csv::{csv_header, write_csv};

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
