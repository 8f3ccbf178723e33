//! CSV input: one event a row, or line items one per row grouped by consecutive
//! `request_unique_identifier` (docs/spec.md §1). Empty cells are absent; numbers are
//! decimal strings; UTF-8 with or without BOM, LF or CRLF. Rows are read as they are
//! consumed.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use crate::domain::codes::EventError;
use crate::domain::kind::Kind;
use crate::domain::values::Numbers;
use crate::input::csv::header::{Column, plan};
use crate::input::csv::rows::CsvEvent;
use crate::input::request::{Body, EventStream, Origin, RawEvent, RequestError};

/// Reads the header and streams the events of a CSV input. A bad header rejects the input.
pub fn events(
    file: &str,
    kind: Kind,
    reader: Box<dyn Read + Send>,
) -> Result<EventStream, RequestError> {
    let open_quote = Arc::new(AtomicBool::new(false));
    let reader = QuoteParity {
        inner: reader,
        open: Arc::clone(&open_quote),
        state: Quoting::FieldStart,
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(Box::new(reader) as Box<dyn Read + Send>);
    let mut header = csv::ByteRecord::new();
    let read = csv
        .read_byte_record(&mut header)
        .map_err(|e| RequestError::invalid(file, "the CSV header cannot be read", e.to_string()))?;
    if !read {
        return Err(RequestError::invalid(
            file,
            "the CSV input is empty",
            "line 1: a header row is needed",
        ));
    }
    let names = header
        .iter()
        .enumerate()
        .map(|(i, cell)| {
            let cell = if i == 0 {
                cell.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cell)
            } else {
                cell
            };
            String::from_utf8(cell.to_vec()).map_err(|_| {
                RequestError::invalid(
                    file,
                    "the CSV header is not UTF-8",
                    format!("line 1, column {}", i + 1),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let columns = plan(kind, &names).map_err(|why| {
        RequestError::invalid(
            file,
            "the CSV header cannot be used",
            format!("line 1: {why}"),
        )
    })?;
    let rui_column = columns
        .iter()
        .position(|c| c.name == "request_unique_identifier");
    let grouped = columns.iter().any(|c| c.line_item_of.is_some());
    Ok(Box::new(Rows {
        file: file.to_owned(),
        csv,
        record: csv::ByteRecord::new(),
        columns: columns.into(),
        rui_column,
        grouped,
        pending: None,
        stash: None,
        done: false,
        open_quote,
    }))
}

struct Group {
    rui: String,
    event: CsvEvent,
    inconsistent: Option<String>,
    line: usize,
}

impl Group {
    fn into_raw(self) -> RawEvent {
        let body = match self.inconsistent {
            Some(path) => Body::Broken {
                rui: Value::String(self.rui.clone()),
                error: EventError::InconsistentRows {
                    value: self.rui,
                    path,
                },
            },
            None => Body::Csv(self.event),
        };
        RawEvent {
            body,
            numbers: Numbers::Strings,
            origin: Origin::Line(self.line),
        }
    }
}

struct Rows {
    file: String,
    csv: csv::Reader<Box<dyn Read + Send>>,
    record: csv::ByteRecord,
    columns: Arc<[Column]>,
    rui_column: Option<usize>,
    grouped: bool,
    pending: Option<Group>,
    /// A broken row read while a group was pending: it comes right after that group.
    stash: Option<RawEvent>,
    done: bool,
    /// Whether the input so far ends inside a quoted field.
    open_quote: Arc<AtomicBool>,
}

/// Tracks whether the bytes read so far leave a quoted field open, following the csv
/// crate's reading: a quote opens a quoted field only at the start of a field, `""`
/// inside one is an escaped quote, and a quote elsewhere is data. The crate accepts a file
/// that ends inside a quoted field silently; this tells.
struct QuoteParity {
    inner: Box<dyn Read + Send>,
    open: Arc<AtomicBool>,
    state: Quoting,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quoting {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

impl Read for QuoteParity {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.state = self.state.after(&buf[..n]);
        self.open
            .store(self.state == Quoting::Quoted, Ordering::Relaxed);
        Ok(n)
    }
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

enum Row {
    /// A row of the header's width, every cell UTF-8: a copy of the record, in buffers of
    /// its own size.
    Readable(csv::StringRecord),
    Broken(RawEvent),
}

impl Rows {
    fn row(&self) -> Row {
        let line = self.record.position().map_or(0, csv::Position::line);
        let broken = |value: String, allowed: String| {
            // The request unique identifier, when its cell can be read, so scripts can
            // match the row.
            let rui = self
                .rui_column
                .and_then(|i| self.record.get(i))
                .and_then(|cell| std::str::from_utf8(cell).ok())
                .filter(|cell| !cell.is_empty())
                .map_or(Value::Null, |cell| Value::String(cell.to_owned()));
            Row::Broken(RawEvent {
                body: Body::Broken {
                    rui,
                    error: EventError::InvalidValue {
                        value,
                        path: format!("line {line}"),
                        allowed,
                    },
                },
                numbers: Numbers::Strings,
                origin: Origin::Line(line as usize),
            })
        };
        if self.record.len() != self.columns.len() {
            return broken(
                format!("{} fields", self.record.len()),
                format!(
                    "Each row must have as many fields as the header ({})",
                    self.columns.len()
                ),
            );
        }
        // One check of the whole row (StringRecord's), here on the reader thread, so that
        // the workers take the cells as `&str` without checking each again.
        match csv::StringRecord::from_byte_record(self.row_copy()) {
            Ok(row) => Row::Readable(row),
            Err(error) => {
                let i = error.utf8_error().field();
                broken(
                    String::from_utf8_lossy(self.record.get(i).unwrap_or_default()).into_owned(),
                    format!("Column {} must be UTF-8", self.columns[i].name),
                )
            }
        }
    }

    /// The current row, in buffers of its own size: a clone would copy the reader's buffers
    /// whole, grown for the longest row so far, for every row in flight.
    fn row_copy(&self) -> csv::ByteRecord {
        let mut row =
            csv::ByteRecord::with_capacity(self.record.as_slice().len(), self.record.len());
        row.extend(self.record.iter());
        row.set_position(self.record.position().cloned());
        row
    }

    /// The current row's request unique identifier cell (empty when there is none).
    fn rui_cell(&self) -> &[u8] {
        self.rui_column
            .and_then(|i| self.record.get(i))
            .unwrap_or_default()
    }

    fn start(&self, row: csv::StringRecord) -> Group {
        let line = self.record.position().map_or(0, csv::Position::line) as usize;
        Group {
            rui: String::from_utf8_lossy(self.rui_cell()).into_owned(),
            event: CsvEvent {
                columns: Arc::clone(&self.columns),
                grouped: self.grouped,
                rows: vec![row],
            },
            inconsistent: None,
            line,
        }
    }

    fn continues(&self, group: &Group) -> bool {
        self.grouped && !group.rui.is_empty() && self.rui_cell() == group.rui.as_bytes()
    }

    fn extend(&self, group: &mut Group, row: csv::StringRecord) {
        if group.inconsistent.is_none()
            && let Some(first) = group.event.rows.first()
        {
            let disagreeing = self.columns.iter().zip(row.iter().zip(first.iter())).find(
                |(column, (cell, first))| {
                    column.line_item_of.is_none() && !cell.is_empty() && cell != first
                },
            );
            group.inconsistent = disagreeing.map(|(column, _)| column.name.clone());
        }
        group.event.rows.push(row);
    }
}

impl Iterator for Rows {
    type Item = Result<RawEvent, RequestError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(raw) = self.stash.take() {
            return Some(Ok(raw));
        }
        loop {
            if self.done {
                return self.pending.take().map(|g| Ok(g.into_raw()));
            }
            match self.csv.read_byte_record(&mut self.record) {
                Ok(false) => {
                    self.done = true;
                    if self.open_quote.load(Ordering::Relaxed)
                        && let Some(group) = self.pending.take()
                    {
                        return Some(Ok(RawEvent {
                            body: Body::Broken {
                                rui: if group.rui.is_empty() {
                                    Value::Null
                                } else {
                                    Value::String(group.rui.clone())
                                },
                                error: EventError::InvalidValue {
                                    value: group.rui,
                                    path: format!("line {}", group.line),
                                    allowed: "The file ends inside a quoted field of this row"
                                        .into(),
                                },
                            },
                            numbers: Numbers::Strings,
                            origin: Origin::Line(group.line),
                        }));
                    }
                    continue;
                }
                Ok(true) => {}
                Err(e) => {
                    self.done = true;
                    let line = e.position().map_or(0, csv::Position::line);
                    // Events already grouped stand; the rest of the input cannot be read.
                    self.pending = None;
                    return Some(Err(RequestError::invalid(
                        &self.file,
                        "the CSV input cannot be read further",
                        format!("line {line}: {e}"),
                    )));
                }
            }
            match self.row() {
                Row::Broken(raw) => {
                    return match self.pending.take() {
                        Some(group) => {
                            self.stash = Some(raw);
                            Some(Ok(group.into_raw()))
                        }
                        None => Some(Ok(raw)),
                    };
                }
                Row::Readable(row) => {
                    if row.iter().all(str::is_empty) {
                        continue;
                    }
                    match self.pending.take() {
                        Some(mut group) if self.continues(&group) => {
                            self.extend(&mut group, row);
                            self.pending = Some(group);
                        }
                        Some(group) => {
                            self.pending = Some(self.start(row));
                            return Some(Ok(group.into_raw()));
                        }
                        None => self.pending = Some(self.start(row)),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::tree::Tree;

    proptest::proptest! {
        /// Whatever the bytes and wherever a read ends, the quote-to-quote scan ends in the
        /// state of the byte-by-byte one.
        #[test]
        fn scanning_from_quote_to_quote_agrees_with_stepping_byte_by_byte(
            text in proptest::collection::vec(
                proptest::sample::select(b"\",\n\ra".to_vec()),
                0..48,
            ),
            split in 0usize..48,
        ) {
            let stepped = text.iter().fold(Quoting::FieldStart, |s, &b| s.step(b));
            let (first, second) = text.split_at(split.min(text.len()));
            proptest::prop_assert_eq!(Quoting::FieldStart.after(first).after(second), stepped);
        }
    }

    fn read(kind: Kind, text: &'static str) -> Result<Vec<RawEvent>, RequestError> {
        events("f.csv", kind, Box::new(text.as_bytes()))?.collect()
    }

    fn objects(events: &[RawEvent]) -> Vec<String> {
        events
            .iter()
            .map(|e| match &e.body {
                Body::Csv(event) => event.tree().to_json(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    fn error(event: &RawEvent) -> Option<&EventError> {
        match &event.body {
            Body::Broken { error, .. } => Some(error),
            _ => None,
        }
    }

    fn rui(event: &RawEvent) -> Option<String> {
        match &event.body {
            Body::Csv(event) => event
                .tree()
                .get("request_unique_identifier")
                .and_then(Tree::as_str)
                .map(str::to_owned),
            Body::Broken { rui, .. } => rui.as_str().map(str::to_owned),
            Body::Text(_) | Body::Tree(_) => None,
        }
    }

    fn products(event: &RawEvent) -> usize {
        match &event.body {
            Body::Csv(event) => match event.tree().get("products_set") {
                Some(Tree::Array(items)) => items.len(),
                _ => 0,
            },
            _ => 0,
        }
    }

    #[test]
    fn rows_become_nested_objects_and_empty_cells_are_absent() {
        let events = read(
            Kind::Web,
            "\u{feff}request_unique_identifier,accounts_receivable_identifier.number,description\r\n1,A1,\r\n2,\"A,2\",\"say \"\"hi\"\"\"\r\n",
        );
        let objects = events.map(|e| objects(&e)).unwrap_or_default();
        assert_eq!(
            objects,
            [
                r#"{"request_unique_identifier":"1","accounts_receivable_identifier":{"number":"A1"}}"#,
                r#"{"request_unique_identifier":"2","accounts_receivable_identifier":{"number":"A,2"},"description":"say \"hi\""}"#,
            ]
        );
    }

    #[test]
    fn consecutive_rows_of_one_request_group_their_line_items() {
        let text = "request_unique_identifier,reference_number,products_set.product_identifier.code,products_set.net_amount\n\
                    31,RF01,Bronze,50\n31,,Silver,60\n32,RF02,Bronze,1\n31,RF01,Gold,2\n";
        let events = read(Kind::Purchases, text).unwrap_or_default();
        let sizes: Vec<(Option<String>, usize)> =
            events.iter().map(|e| (rui(e), products(e))).collect();
        assert_eq!(
            sizes,
            [
                (Some("31".into()), 2),
                (Some("32".into()), 1),
                (Some("31".into()), 1)
            ]
        );
    }

    #[test]
    fn disagreeing_event_cells_make_the_event_unprocessed() {
        let text = "request_unique_identifier,reference_number,products_set.net_amount\n31,RF01,1\n31,RF02,2\n";
        let events = read(Kind::Purchases, text).unwrap_or_default();
        let error = events.first().and_then(error);
        assert_eq!(
            error,
            Some(&EventError::InconsistentRows {
                value: "31".into(),
                path: "reference_number".into()
            })
        );
    }

    #[test]
    fn ragged_rows_are_single_unprocessed_events() {
        let events = read(
            Kind::Web,
            "request_unique_identifier,website\n1,w\n2\n3,w\n",
        )
        .unwrap_or_default();
        assert_eq!(events.len(), 3);
        assert!(error(&events[0]).is_none() && error(&events[2]).is_none());
        assert!(
            matches!(error(&events[1]), Some(EventError::InvalidValue { path, .. }) if path == "line 3")
        );
    }

    #[test]
    fn a_file_ending_inside_quotes_makes_its_last_row_unprocessed() {
        let events = read(
            Kind::Web,
            "request_unique_identifier,website\n1,\"a \"\"b\"\"\"\n2,\"w",
        )
        .unwrap_or_default();
        assert_eq!(events.len(), 2);
        assert!(error(&events[0]).is_none());
        assert!(
            matches!(error(&events[1]), Some(EventError::InvalidValue { path, .. }) if path == "line 3")
        );
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_data_not_an_open_quote() {
        let events = read(
            Kind::Web,
            "request_unique_identifier,website\n1,5\" screen\n2,w\n",
        )
        .unwrap_or_default();
        assert_eq!(events.len(), 2);
        assert!(error(&events[1]).is_none(), "{:?}", events[1]);
    }

    #[test]
    fn an_unknown_column_rejects_the_input() {
        let error = read(Kind::Web, "request_unique_identifier,webiste\n1,w\n").err();
        assert!(error.is_some_and(|e| e.detail.contains("webiste")));
        assert!(read(Kind::Web, "").is_err());
    }
}
