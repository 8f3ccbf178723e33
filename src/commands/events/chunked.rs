//! `cebulk events` on several threads: the selection divided into chunks
//! ([`crate::store::listing::chunks`]), each thread listing its chunks on a connection of its own with the
//! same snapshot ([`crate::store::listing::same_snapshot`]), the calling thread writing their output in
//! order (docs/design.md, "A listing made in chunks").

use rusqlite::Connection;

use super::csv::{Gathered, Header, Recent, csv_row, gather, write_header};
use super::json_event;
use crate::listing::cells::ListedCells;
use crate::listing::json::ListedJson;
use crate::report::handoff::Handoff;
use crate::store::error::StoreError;
use crate::store::listing::{Lister, Selection};

/// A listing made in chunks ([`crate::store::listing::chunks`]) by threads, each on a connection of its
/// own (`readers`, all with the same snapshot): thread `w` lists chunks `w`, `w + n`, …
/// into buffers, and the calling thread writes them to the output in order.
pub struct Chunked<'a> {
    /// The threads' connections, one a thread.
    pub readers: Vec<Connection>,
    /// The chunks, in listing order.
    pub chunks: &'a [Selection],
}

/// A chunk's output, or why it has none.
pub type ChunkOut<T> = Result<Result<T, std::io::Error>, StoreError>;

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
    pub fn json(&mut self, pretty: bool, out: &mut Handoff) -> ChunkOut<()> {
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
    pub fn csv(&mut self, escape: bool, out: &mut Handoff) -> ChunkOut<()> {
        let mut header = Header::default();
        let gathered = self.run(
            |lister, chunk, cells: &mut ListedCells<Gathered>| {
                // A chunk's own header, and the columns remembered of it.
                cells.cells = Gathered::default();
                lister.for_each_row(chunk, |row, names| Ok(Ok(gather(cells, row, names)?)))
            },
            || ListedCells::new(Gathered::default()),
            |cells| {
                for path in cells.cells.paths() {
                    let at = header.len();
                    header.entry(path.to_owned()).or_insert(at);
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
