//! What the CSV parser reads passes through a [`Guard`]. It follows the quoting, so that an
//! input ending inside a quoted field can be told (the parser accepts one silently), and it
//! caps each row while reading: a row longer than the cap is cut, the parser gets its first
//! bytes and then the row's end, the rest is skipped unstored, and the cut is recorded for
//! the reader to report. So no row, however long or endless, is held whole in memory.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A row cut for being longer than the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// Where the cut stands among the bytes the parser got: the row the parser ends there
    /// is the one cut.
    pub at: u64,
    /// The row's whole length, as far as the input went.
    pub bytes: u64,
    /// The line ends skipped with the rest of the row: the parser's line numbers after it
    /// are short by that many.
    pub lines: u64,
}

/// What a [`Guard`] tells the reader above the parser.
#[derive(Debug, Default)]
pub struct Watch {
    /// Whether the bytes passed so far leave a quoted field open.
    open: AtomicBool,
    /// The cuts the reader has not taken yet, in input order.
    cuts: Mutex<VecDeque<Cut>>,
    /// Whether any `\r\n` has passed.
    crlf: AtomicBool,
    /// Where the `\n` of each `\r\n` stands among the bytes the parser got, not yet
    /// passed by the reader, in input order.
    line_feeds: Mutex<VecDeque<u64>>,
}

impl Watch {
    /// Whether the bytes passed so far leave a quoted field open.
    pub fn open_quote(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }

    /// The first cut standing at or before `at` among the bytes the parser got, taken.
    pub fn take_cut(&self, at: u64) -> Option<Cut> {
        let mut cuts = self
            .cuts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match cuts.front() {
            Some(cut) if cut.at <= at => cuts.pop_front(),
            _ => None,
        }
    }

    /// Whether the row the parser starts at byte `at` starts at the `\n` of a `\r\n`;
    /// forgets those before it. The csv crate ends a row at the `\r` of its `\r\n` and
    /// counts the line only when it takes the `\n`, at the start of the next row, whose
    /// line it then gives one short (BurntSushi/rust-csv#395).
    pub fn starts_at_line_feed(&self, at: u64) -> bool {
        if !self.crlf.load(Ordering::Relaxed) {
            return false;
        }
        let mut feeds = self
            .line_feeds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while feeds.front().is_some_and(|&feed| feed < at) {
            feeds.pop_front();
        }
        feeds.front() == Some(&at)
    }

    /// Records the `\n` of each `\r\n` among `bytes`, which the parser gets from byte
    /// `passed` on; `before`: the byte passed just before them.
    fn line_feeds(&self, before: Option<u8>, bytes: &[u8], passed: u64) {
        if memchr::memchr(b'\r', bytes).is_none() && before != Some(b'\r') {
            return;
        }
        let mut feeds = self
            .line_feeds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for at in memchr::memchr_iter(b'\n', bytes) {
            let previous = if at == 0 { before } else { Some(bytes[at - 1]) };
            if previous == Some(b'\r') {
                feeds.push_back(passed + at as u64);
                self.crlf.store(true, Ordering::Relaxed);
            }
        }
    }

    fn push(&self, cut: Cut) {
        self.cuts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push_back(cut);
    }
}

/// Reads through to `inner`, cutting rows longer than `cap` bytes (their line end not
/// counted).
pub struct Guard {
    inner: Box<dyn Read + Send>,
    watch: Arc<Watch>,
    cap: usize,
    /// The quoting after the bytes taken from `inner`.
    state: Quoting,
    /// Bytes of the current row passed to the parser.
    row: usize,
    /// Bytes passed to the parser in all.
    passed: u64,
    /// Bytes taken from `inner` and not yet passed or skipped: `chunk[start..end]`.
    chunk: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    /// The row being skipped, when one is.
    skip: Option<Skipping>,
    /// A quote to pass before anything else, closing the quoted field a cut left open.
    close: bool,
    /// The last byte passed to the parser.
    last: Option<u8>,
}

struct Skipping {
    cut: Cut,
    /// The quoting where the row was cut, as the parser last saw it.
    state: Quoting,
}

/// Bytes taken from the input at a time: less than any cap, so that a row that starts
/// and ends inside one read is never longer than the cap.
const CHUNK: usize = 64 * 1024;

impl Guard {
    /// A guard over `inner`, and what it tells.
    pub fn new(inner: Box<dyn Read + Send>, cap: usize) -> (Guard, Arc<Watch>) {
        debug_assert!(
            cap >= CHUNK || cfg!(test),
            "a cap below one read could pass long rows"
        );
        let watch = Arc::new(Watch::default());
        let guard = Guard {
            inner,
            watch: Arc::clone(&watch),
            cap,
            state: Quoting::FieldStart,
            row: 0,
            passed: 0,
            chunk: vec![0; CHUNK].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            skip: None,
            close: false,
            last: None,
        };
        (guard, watch)
    }

    /// Ends the skipped row: the cut is recorded, and the quote that closes the parser's
    /// field is passed next when it needs one.
    fn finish(&mut self, skipping: Skipping) {
        self.close = skipping.state == Quoting::Quoted;
        self.row = 0;
        self.watch.push(skipping.cut);
    }
}

impl Read for Guard {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.close {
                self.close = false;
                buf[0] = b'"';
                self.passed += 1;
                self.last = Some(b'"');
                return Ok(1);
            }
            if self.start == self.end {
                let n = match self.eof {
                    true => 0,
                    false => self.inner.read(&mut self.chunk)?,
                };
                if n == 0 {
                    self.eof = true;
                    if let Some(skipping) = self.skip.take() {
                        self.finish(skipping);
                        // The closing quote ends the parser's field: nothing is left open.
                        self.state = Quoting::Unquoted;
                        continue;
                    }
                    self.watch
                        .open
                        .store(self.state == Quoting::Quoted, Ordering::Relaxed);
                    return Ok(0);
                }
                (self.start, self.end) = (0, n);
            }
            if let Some(skipping) = &mut self.skip {
                let bytes = &self.chunk[self.start..self.end];
                let (found, state) = row_end(self.state, bytes);
                let skipped = found.unwrap_or(bytes.len());
                skipping.cut.bytes += skipped as u64;
                skipping.cut.lines += memchr::memchr_iter(b'\n', &bytes[..skipped]).count() as u64;
                self.state = state;
                self.start += skipped;
                if found.is_some()
                    && let Some(skipping) = self.skip.take()
                {
                    self.finish(skipping);
                }
                continue;
            }
            let bytes = &self.chunk[self.start..self.end.min(self.start + buf.len())];
            let walked = walk(self.state, self.row, bytes, self.cap);
            buf[..walked.len].copy_from_slice(&bytes[..walked.len]);
            self.watch
                .line_feeds(self.last, &bytes[..walked.len], self.passed);
            if walked.len > 0 {
                self.last = Some(bytes[walked.len - 1]);
            }
            self.start += walked.len;
            self.passed += walked.len as u64;
            self.state = walked.state;
            self.row = walked.row;
            if walked.cut {
                self.skip = Some(Skipping {
                    cut: Cut {
                        at: self.passed,
                        bytes: self.row as u64,
                        lines: 0,
                    },
                    state: self.state,
                });
            }
            self.watch
                .open
                .store(self.state == Quoting::Quoted, Ordering::Relaxed);
            if walked.len > 0 {
                return Ok(walked.len);
            }
        }
    }
}

struct Walked {
    /// Bytes walked: all of them, or those before the cut.
    len: usize,
    state: Quoting,
    row: usize,
    cut: bool,
}

/// Walks `bytes` from `state`, `row` bytes into a row, up to the first byte that would make
/// a row longer than `cap`.
fn walk(mut state: Quoting, mut row: usize, bytes: &[u8], cap: usize) -> Walked {
    let mut at = 0;
    loop {
        let rest = &bytes[at..];
        let (end, end_state) = row_end(state, rest);
        let run = end.unwrap_or(rest.len());
        if row + run > cap {
            let keep = cap.saturating_sub(row);
            return Walked {
                len: at + keep,
                state: state.after(&rest[..keep]),
                row: row + keep,
                cut: true,
            };
        }
        match end {
            None => {
                return Walked {
                    len: bytes.len(),
                    state: end_state,
                    row: row + run,
                    cut: false,
                };
            }
            Some(e) => {
                at += e + 1;
                row = 0;
                state = Quoting::FieldStart;
            }
        }
    }
}

/// The first byte of `bytes` that ends a row (a `\n` or `\r` outside quotes), if any, and
/// the quoting just before it (or after `bytes`, when none does). Jumps from quote to quote
/// and line end to line end rather than stepping through every byte.
fn row_end(mut state: Quoting, bytes: &[u8]) -> (Option<usize>, Quoting) {
    let mut at = 0;
    while at < bytes.len() {
        match state {
            Quoting::Quoted => match memchr::memchr(b'"', &bytes[at..]) {
                Some(quote) => {
                    state = Quoting::QuoteInQuoted;
                    at += quote + 1;
                }
                None => return (None, Quoting::Quoted),
            },
            Quoting::QuoteInQuoted => {
                if matches!(bytes[at], b'\n' | b'\r') {
                    return (Some(at), state);
                }
                state = state.step(bytes[at]);
                at += 1;
            }
            Quoting::FieldStart | Quoting::Unquoted => {
                let rest = &bytes[at..];
                let Some(found) = memchr::memchr3(b'\n', b'\r', b'"', rest) else {
                    return (None, Quoting::FieldStart.step(rest[rest.len() - 1]));
                };
                let before = match found {
                    0 => state,
                    _ => Quoting::FieldStart.step(rest[found - 1]),
                };
                if rest[found] != b'"' {
                    return (Some(at + found), before);
                }
                state = before.step(b'"');
                at += found + 1;
            }
        }
    }
    (None, state)
}

/// Where the bytes so far leave the csv crate's reading: a quote opens a quoted field only
/// at the start of a field, `""` inside one is an escaped quote, and a quote elsewhere is
/// data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quoting {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

impl Quoting {
    /// The state after `byte`.
    fn step(self, byte: u8) -> Quoting {
        match (self, byte) {
            (Quoting::FieldStart, b'"') => Quoting::Quoted,
            (Quoting::FieldStart | Quoting::Unquoted | Quoting::QuoteInQuoted, _)
                if is_boundary(byte) =>
            {
                Quoting::FieldStart
            }
            (Quoting::FieldStart | Quoting::Unquoted, _) => Quoting::Unquoted,
            (Quoting::Quoted, b'"') => Quoting::QuoteInQuoted,
            (Quoting::Quoted, _) => Quoting::Quoted,
            (Quoting::QuoteInQuoted, b'"') => Quoting::Quoted,
            (Quoting::QuoteInQuoted, _) => Quoting::Unquoted,
        }
    }

    /// The state after `bytes`, as [`Quoting::step`] byte by byte would give, jumping from
    /// quote to quote: between two quotes only the byte before the next one matters (was it
    /// the end of a field?). Stepping through every byte of a quote-free file costs far
    /// more (docs/performance.md, "input/csv: quote-to-quote scan").
    fn after(mut self, bytes: &[u8]) -> Quoting {
        let mut rest = bytes;
        while let Some((&first, tail)) = rest.split_first() {
            match self {
                Quoting::QuoteInQuoted => {
                    self = self.step(first);
                    rest = tail;
                }
                Quoting::Quoted => match memchr::memchr(b'"', rest) {
                    Some(at) => {
                        self = Quoting::QuoteInQuoted;
                        rest = &rest[at + 1..];
                    }
                    None => return Quoting::Quoted,
                },
                Quoting::FieldStart | Quoting::Unquoted => {
                    let Some(at) = memchr::memchr(b'"', rest) else {
                        return Quoting::FieldStart.step(rest[rest.len() - 1]);
                    };
                    let before = match at {
                        0 => self,
                        _ => Quoting::FieldStart.step(rest[at - 1]),
                    };
                    self = before.step(b'"');
                    rest = &rest[at + 1..];
                }
            }
        }
        self
    }
}

/// Whether `byte` ends a field.
fn is_boundary(byte: u8) -> bool {
    matches!(byte, b',' | b'\n' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`walk`] must give, byte by byte.
    fn walk_slowly(mut state: Quoting, mut row: usize, bytes: &[u8], cap: usize) -> Walked {
        for (i, &byte) in bytes.iter().enumerate() {
            let ends_row = state != Quoting::Quoted && matches!(byte, b'\n' | b'\r');
            if !ends_row && row + 1 > cap {
                return Walked {
                    len: i,
                    state,
                    row,
                    cut: true,
                };
            }
            row = if ends_row { 0 } else { row + 1 };
            state = state.step(byte);
        }
        Walked {
            len: bytes.len(),
            state,
            row,
            cut: false,
        }
    }

    fn text() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        proptest::collection::vec(proptest::sample::select(b"\",\n\ra".to_vec()), 0..48)
    }

    proptest::proptest! {
        /// Whatever the bytes and wherever a read ends, the quote-to-quote scan ends in the
        /// state of the byte-by-byte one.
        #[test]
        fn scanning_from_quote_to_quote_agrees_with_stepping_byte_by_byte(
            text in text(),
            split in 0usize..48,
        ) {
            let stepped = text.iter().fold(Quoting::FieldStart, |s, &b| s.step(b));
            let (first, second) = text.split_at(split.min(text.len()));
            proptest::prop_assert_eq!(Quoting::FieldStart.after(first).after(second), stepped);
        }

        /// The jumping walk stops where the byte-by-byte one does, in the same state.
        #[test]
        fn walking_rows_agrees_with_stepping_byte_by_byte(text in text(), cap in 0usize..8) {
            let fast = walk(Quoting::FieldStart, 0, &text, cap);
            let slow = walk_slowly(Quoting::FieldStart, 0, &text, cap);
            proptest::prop_assert_eq!(
                (fast.len, fast.state, fast.row, fast.cut),
                (slow.len, slow.state, slow.row, slow.cut)
            );
        }
    }

    fn guarded(text: &'static [u8], cap: usize, read: usize) -> (Vec<u8>, Vec<Cut>) {
        let (mut guard, watch) = Guard::new(Box::new(text), cap);
        let mut out = Vec::new();
        let mut buf = vec![0; read];
        loop {
            match guard.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
        let cuts = std::iter::from_fn(|| watch.take_cut(u64::MAX)).collect();
        (out, cuts)
    }

    #[test]
    fn the_line_feed_of_each_crlf_is_found_wherever_a_read_splits_it() {
        let text: &[u8] = b"h\r\na\r\n\"q\r\nq\"\r\nb\nc\r\n";
        for read in [1, 2, 3, 64] {
            let (mut guard, watch) = Guard::new(Box::new(text), 1 << 20);
            let mut buf = vec![0; read];
            while guard.read(&mut buf).is_ok_and(|n| n > 0) {}
            let feeds: Vec<u64> = (0..text.len() as u64)
                .filter(|&at| watch.starts_at_line_feed(at))
                .collect();
            // Every \r\n, the quoted one too: no row of the parser starts there.
            assert_eq!(feeds, [2, 5, 9, 13, 18], "reads of {read}");
        }
    }

    #[test]
    fn long_rows_are_cut_and_the_rest_skipped() {
        for read in [1, 3, 64] {
            let (out, cuts) = guarded(b"a,b\nabcdefg\n\"x\ny\nzzzz\",q\r\nok\n\"open", 4, read);
            assert_eq!(
                String::from_utf8_lossy(&out),
                "a,b\nabcd\n\"x\ny\"\r\nok\n\"ope\"",
                "reads of {read}"
            );
            assert_eq!(
                cuts,
                [
                    Cut {
                        at: 8,
                        bytes: 7,
                        lines: 0
                    },
                    Cut {
                        at: 13,
                        bytes: 12,
                        lines: 1
                    },
                    Cut {
                        at: 23,
                        bytes: 5,
                        lines: 0
                    },
                ],
                "reads of {read}"
            );
        }
    }
}
