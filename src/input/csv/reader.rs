//! CSV input: one event a row, or line items one per row grouped by consecutive
//! `request_unique_identifier` (docs/spec.md §1). Empty cells are absent; numbers are
//! decimal strings; UTF-8 with or without BOM, LF or CRLF. Rows are read as they are
//! consumed, each capped while it is read ([`guard`](super::guard)), and so is one event's
//! group of rows.

use std::io::Read;
use std::sync::Arc;

use serde_json::Value;

use crate::domain::codes::EventError;
use crate::domain::kind::Kind;
use crate::domain::values::Numbers;
use crate::input::csv::guard::{Cut, Guard, Watch};
use crate::input::csv::header::Column;
use crate::input::csv::layout::{Conversions, delimiter_hint, plan};
use crate::input::csv::options::CsvOptions;
use crate::input::csv::rows::CsvEvent;
use crate::input::limits::{MAX_EVENT_BYTES, MAX_LINE_ITEMS, mib, too_long, too_many_line_items};
use crate::input::request::{
    Body, EventStream, Origin, RawEvent, Read as VerbatimRead, RequestError, Verbatim,
};

/// A CSV input once its header is read.
pub struct Header {
    /// Its events, streamed.
    pub events: EventStream,
    /// The header's names as written.
    pub names: Vec<String>,
    /// What to say about the header on stderr (the columns skipped).
    pub warnings: Vec<String>,
}

/// Reads the header and streams the events of a CSV input; gives them with the header's
/// names as written and the warnings to show about the header (the columns skipped). A bad
/// header rejects the input. `keep`: each event keeps its rows as read
/// ([`RawEvent::verbatim`]).
pub fn events(
    file: &str,
    kind: Kind,
    reader: Box<dyn Read + Send>,
    options: &CsvOptions,
    keep: bool,
) -> Result<Header, RequestError> {
    let (reader, watch) = Guard::new(reader, MAX_EVENT_BYTES);
    let delimiter = options.delimiter_for(file);
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
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
    if watch.take_cut(csv.position().byte()).is_some() {
        return Err(RequestError::invalid(
            file,
            "the CSV header is too long",
            format!(
                "line 1: a row holds at most {} ({MAX_EVENT_BYTES} bytes)",
                mib(MAX_EVENT_BYTES as u64)
            ),
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
    let layout = plan(kind, &names, options).map_err(|why| {
        let why = delimiter_hint(kind, &names, delimiter, options).unwrap_or(why);
        RequestError::invalid(
            file,
            "the CSV header cannot be used",
            format!("line 1: {why}"),
        )
    })?;
    let warnings = layout
        .skipped
        .iter()
        .map(|(name, position, why)| {
            format!("{file}: skipping column {position} ({name:?}) and its cells: {why}")
        })
        .collect();
    let columns = layout.columns;
    let rui_column = columns
        .iter()
        .position(|c| !c.steps.is_empty() && c.name == "request_unique_identifier");
    let set = columns.iter().find_map(|c| c.line_item_of);
    let rows = Box::new(Rows {
        file: file.to_owned(),
        keep,
        csv,
        record: csv::ByteRecord::new(),
        width: layout.width,
        conversions: layout.conversions,
        columns: columns.into(),
        rui_column,
        grouped: set.is_some(),
        set,
        pending: None,
        stash: None,
        done: false,
        watch,
        offset: 0,
        next_offset: 0,
        cut: None,
        row_bytes: 0,
        largest: (0, 0),
    });
    Ok(Header {
        events: rows,
        names,
        warnings,
    })
}

struct Group {
    rui: String,
    event: CsvEvent,
    inconsistent: Option<String>,
    /// A row whose cell did not fit the mapping profile: the event is unprocessed.
    misfit: Option<EventError>,
    line: usize,
    /// The rows' bytes and count: past a cap, the rows are dropped and only counted.
    bytes: u64,
    items: usize,
    /// The set the rows add line items to.
    set: &'static str,
    /// The rows as read, when kept for a rejects file.
    kept: Option<Vec<csv::ByteRecord>>,
}

impl Group {
    fn over(&self) -> bool {
        self.bytes > MAX_EVENT_BYTES as u64 || self.items > MAX_LINE_ITEMS
    }

    fn into_raw(self) -> RawEvent {
        let verbatim = self.kept.map(|rows| {
            let read = match self.bytes > MAX_EVENT_BYTES as u64 || self.items > MAX_LINE_ITEMS {
                true => VerbatimRead::Dropped,
                false => VerbatimRead::Rows(rows),
            };
            Box::new(Verbatim {
                line: self.line,
                read,
            })
        });
        let rui = || match self.rui.is_empty() {
            true => Value::Null,
            false => Value::String(self.rui.clone()),
        };
        let body = if self.items > MAX_LINE_ITEMS {
            Body::Broken {
                rui: rui(),
                error: too_many_line_items(self.set, self.items),
            }
        } else if self.bytes > MAX_EVENT_BYTES as u64 {
            Body::Broken {
                rui: rui(),
                error: too_long(self.bytes, self.line),
            }
        } else if let Some(error) = self.misfit {
            Body::Broken { rui: rui(), error }
        } else {
            match self.inconsistent {
                Some(path) => Body::Broken {
                    rui: Value::String(self.rui.clone()),
                    error: EventError::InconsistentRows {
                        value: self.rui,
                        path,
                    },
                },
                None => Body::Csv(self.event),
            }
        };
        RawEvent {
            body,
            numbers: Numbers::Strings,
            origin: Origin::Line(self.line),
            verbatim,
        }
    }
}

struct Rows {
    file: String,
    /// Whether events keep their rows as read.
    keep: bool,
    csv: csv::Reader<Box<dyn Read + Send>>,
    record: csv::ByteRecord,
    /// The cells a row must have (the columns, less the profile's constants).
    width: usize,
    /// The mapping profile's conversions and constants, when it has any.
    conversions: Option<Arc<Conversions>>,
    columns: Arc<[Column]>,
    rui_column: Option<usize>,
    grouped: bool,
    /// The set that rows add line items to, when they do.
    set: Option<&'static str>,
    pending: Option<Group>,
    /// A broken row read while a group was pending: it comes right after that group.
    stash: Option<RawEvent>,
    done: bool,
    /// Cuts and quoting, from under the parser.
    watch: Arc<Watch>,
    /// Lines skipped with the cut rows before the current one: the parser did not count them.
    offset: u64,
    next_offset: u64,
    /// The current row's cut, when it was cut.
    cut: Option<Cut>,
    /// The current row's length in bytes, its line end included.
    row_bytes: u64,
    /// The most cell bytes, and cells, a row had so far: `record`'s buffers, which the
    /// parser grows by doubling and never shrinks, are at most about twice these.
    largest: (usize, usize),
}

enum Row {
    /// A row of the header's width, every cell UTF-8: a copy of the record, in buffers of
    /// its own size.
    Readable(csv::StringRecord),
    /// A cut row of a line-item-per-row event whose identifier is known.
    Cut,
    /// A row of a line-item-per-row event whose identifier is known, with a cell that
    /// does not fit the mapping profile: the whole event is unprocessed.
    Misfit(EventError),
    Broken(RawEvent),
}

impl Rows {
    /// Takes the measure of the row just read: its length, and whether it was cut (then
    /// the lines skipped with it shift the parser's line numbers after it).
    fn measure(&mut self) {
        self.largest = (
            self.largest.0.max(self.record.as_slice().len()),
            self.largest.1.max(self.record.len()),
        );
        let start = self.record.position().map_or(0, csv::Position::byte);
        let end = self.csv.position().byte();
        self.offset = self.next_offset;
        self.cut = None;
        self.row_bytes = end - start;
        while let Some(cut) = self.watch.take_cut(end) {
            self.next_offset += cut.lines;
            self.row_bytes = cut.bytes;
            self.cut = Some(cut);
        }
    }

    /// The current row's line in the input.
    fn line(&self) -> usize {
        let (line, byte) = self
            .record
            .position()
            .map_or((0, 0), |p| (p.line(), p.byte()));
        let short = u64::from(self.watch.starts_at_line_feed(byte));
        (line + short + self.offset) as usize
    }

    /// The current row's request unique identifier, when its cell can be read whole.
    fn rui(&self) -> Value {
        self.rui_column
            // A cut row's last cell is cut.
            .filter(|&i| self.cut.is_none() || i + 1 < self.record.len())
            .and_then(|i| self.record.get(i))
            .and_then(|cell| std::str::from_utf8(cell).ok())
            .filter(|cell| !cell.is_empty())
            .map_or(Value::Null, |cell| Value::String(cell.to_owned()))
    }

    fn row(&self) -> Row {
        let line = self.line();
        let broken_by = |error: EventError| {
            // The request unique identifier, when its cell can be read, so scripts can
            // match the row.
            Row::Broken(RawEvent {
                body: Body::Broken {
                    rui: self.rui(),
                    error,
                },
                numbers: Numbers::Strings,
                origin: Origin::Line(line),
                verbatim: self.keep.then(|| {
                    let read = match self.cut {
                        Some(_) => VerbatimRead::Dropped,
                        None => VerbatimRead::Rows(vec![self.row_copy()]),
                    };
                    Box::new(Verbatim { line, read })
                }),
            })
        };
        let broken = |value: String, allowed: String| {
            broken_by(EventError::InvalidValue {
                value,
                path: format!("line {line}"),
                allowed,
            })
        };
        if let Some(cut) = self.cut {
            return broken_by(too_long(cut.bytes, line));
        }
        if self.record.len() != self.width {
            return broken(
                format!("{} fields", self.record.len()),
                format!(
                    "Each row must have as many fields as the header ({})",
                    self.width
                ),
            );
        }
        // The copy of the row that goes to the workers: with a mapping profile, its cells
        // converted and its constants added as it is made.
        let copy = match &self.conversions {
            None => self.row_copy(),
            Some(conversions) => match conversions.apply(&self.record, line) {
                Ok(copy) => copy,
                Err(error) if self.grouped && !self.rui().is_null() => return Row::Misfit(error),
                Err(error) => return broken_by(error),
            },
        };
        // One check of the whole row (StringRecord's), here on the reader thread, so that
        // the workers take the cells as `&str` without checking each again.
        match csv::StringRecord::from_byte_record(copy) {
            Ok(row) => Row::Readable(row),
            Err(error) => {
                let i = error.utf8_error().field();
                broken(
                    String::from_utf8_lossy(self.record.get(i).unwrap_or_default()).into_owned(),
                    format!("Column {} must be UTF-8", self.column_name(i)),
                )
            }
        }
    }

    /// The current row, in buffers near its own size. A clone copies the reader's buffers
    /// whole, grown for the longest row so far: while no row was much longer than this one,
    /// that is one copy instead of one a cell; after a much longer row it would hold that
    /// row's size for every row in flight, so the cells are copied one by one instead
    /// (docs/performance.md, "input/csv: a row's copy").
    fn row_copy(&self) -> csv::ByteRecord {
        let (bytes, cells) = (self.record.as_slice().len(), self.record.len());
        if self.largest.0 <= 2 * bytes + 64 && self.largest.1 <= 2 * cells + 8 {
            return self.record.clone();
        }
        let mut row =
            csv::ByteRecord::with_capacity(self.record.as_slice().len(), self.record.len());
        row.extend(self.record.iter());
        row.set_position(self.record.position().cloned());
        row
    }

    /// The name of the column at `i` as messages give it.
    fn column_name(&self, i: usize) -> &str {
        self.columns.get(i).map_or("", |c| c.name.as_str())
    }

    /// The current row's request unique identifier cell (empty when there is none).
    fn rui_cell(&self) -> &[u8] {
        self.rui_column
            .and_then(|i| self.record.get(i))
            .unwrap_or_default()
    }

    fn start(&self, row: Option<csv::StringRecord>) -> Group {
        let row_was_read = row.is_some();
        Group {
            rui: String::from_utf8_lossy(self.rui_cell()).into_owned(),
            event: CsvEvent {
                columns: Arc::clone(&self.columns),
                grouped: self.grouped,
                rows: row.into_iter().collect(),
            },
            inconsistent: None,
            misfit: None,
            line: self.line(),
            bytes: self.row_bytes,
            items: 1,
            set: self.set.unwrap_or_default(),
            kept: self.keep.then(|| match row_was_read {
                true => vec![self.row_copy()],
                false => Vec::new(),
            }),
        }
    }

    fn continues(&self, group: &Group) -> bool {
        self.grouped && !group.rui.is_empty() && self.rui_cell() == group.rui.as_bytes()
    }

    /// Adds the current row to `group`: its copy `row`, unless the row was cut.
    fn extend(&self, group: &mut Group, row: Option<csv::StringRecord>) {
        group.bytes += self.row_bytes;
        group.items += 1;
        let Some(row) = row.filter(|_| !group.over()) else {
            // Past a cap the event is unprocessed: its rows are only counted from then on.
            group.event.rows = Vec::new();
            if let Some(kept) = &mut group.kept {
                *kept = Vec::new();
            }
            return;
        };
        if let Some(kept) = &mut group.kept {
            kept.push(self.row_copy());
        }
        if group.inconsistent.is_none()
            && let Some(first) = group.event.rows.first()
        {
            let disagreeing = self.columns.iter().zip(row.iter().zip(first.iter())).find(
                |(column, (cell, first))| {
                    // Annotation and skipped columns (no steps) are left out of the event.
                    column.line_item_of.is_none()
                        && !column.steps.is_empty()
                        && !cell.is_empty()
                        && cell != first
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
                    if self.watch.open_quote()
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
                            verbatim: group.kept.map(|rows| {
                                Box::new(Verbatim {
                                    line: group.line,
                                    read: VerbatimRead::Rows(rows),
                                })
                            }),
                        }));
                    }
                    continue;
                }
                Ok(true) => self.measure(),
                Err(e) => {
                    self.done = true;
                    // An error of the input under the parser (a compressed input cut short)
                    // has no position of its own: it came while reading this line.
                    let line = e
                        .position()
                        .map_or(self.csv.position().line(), csv::Position::line)
                        + self.next_offset;
                    // Events already grouped stand; the rest of the input cannot be read.
                    self.pending = None;
                    return Some(Err(RequestError::invalid(
                        &self.file,
                        "the CSV input cannot be read further",
                        format!("line {line}: {e}"),
                    )));
                }
            }
            // A cut row of a line-item-per-row event makes the whole event unprocessed, so
            // its other rows do not come back as a second event of the same identifier.
            let cut_item = self.grouped && self.cut.is_some() && !self.rui().is_null();
            let row = match cut_item {
                true => Row::Cut,
                false => self.row(),
            };
            match row {
                Row::Misfit(error) => match self.pending.take() {
                    Some(mut group) if self.continues(&group) => {
                        self.extend(&mut group, None);
                        group.misfit.get_or_insert(error);
                        self.pending = Some(group);
                    }
                    other => {
                        let mut group = self.start(None);
                        group.misfit = Some(error);
                        self.pending = Some(group);
                        if let Some(previous) = other {
                            return Some(Ok(previous.into_raw()));
                        }
                    }
                },
                Row::Cut => match self.pending.take() {
                    Some(mut group) if self.continues(&group) => {
                        self.extend(&mut group, None);
                        self.pending = Some(group);
                    }
                    Some(group) => {
                        self.pending = Some(self.start(None));
                        return Some(Ok(group.into_raw()));
                    }
                    None => self.pending = Some(self.start(None)),
                },
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
                            self.extend(&mut group, Some(row));
                            self.pending = Some(group);
                        }
                        Some(group) => {
                            self.pending = Some(self.start(Some(row)));
                            return Some(Ok(group.into_raw()));
                        }
                        None => self.pending = Some(self.start(Some(row))),
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

    fn read(kind: Kind, text: &'static str) -> Result<Vec<RawEvent>, RequestError> {
        let header = events(
            "f.csv",
            kind,
            Box::new(text.as_bytes()),
            &CsvOptions::default(),
            true,
        )?;
        header.events.collect()
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
    fn rows_before_and_after_a_much_longer_one_are_copied_alike() {
        // Rows are copied whole while none was much longer, cell by cell after one was:
        // both copies hold the row's cells, and its line for messages.
        let long = "x".repeat(10_000);
        let text: &'static str =
            format!("request_unique_identifier,website\n1,a\n2,{long}\n3,b\n4,\"c,d\"\n").leak();
        let events = read(Kind::Web, text).unwrap();
        let objects = objects(&events);
        assert_eq!(objects.len(), 4);
        for (object, (rui, website)) in
            objects
                .iter()
                .zip([("1", "a"), ("2", long.as_str()), ("3", "b"), ("4", "c,d")])
        {
            assert_eq!(
                object,
                &format!(r#"{{"request_unique_identifier":"{rui}","website":"{website}"}}"#)
            );
        }
        let lines: Vec<_> = events
            .iter()
            .map(|e| match e.origin {
                Origin::Line(line) => line,
                Origin::Index(_) => 0,
            })
            .collect();
        assert_eq!(lines, [2, 3, 4, 5]);
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
