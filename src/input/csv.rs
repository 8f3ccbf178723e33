//! CSV input: one event a row, or line items one per row grouped by consecutive
//! `request_unique_identifier` (SPEC §1). Empty cells are absent; numbers are decimal
//! strings; UTF-8 with or without BOM, LF or CRLF. Rows are read as they are consumed.

use std::io::Read;

use serde_json::{Map, Value};

use super::csv_header::{Column, Step, plan};
use super::request::{EventStream, RawEvent, RequestError};
use crate::codes::EventError;
use crate::kind::Kind;
use crate::validate::Numbers;

/// Reads the header and streams the events of a CSV input. A bad header rejects the input.
pub fn events(
    file: &str,
    kind: Kind,
    reader: Box<dyn Read + Send>,
) -> Result<EventStream, RequestError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
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
            "the CSV header names an unknown column",
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
        columns,
        rui_column,
        grouped,
        pending: None,
        stash: None,
        done: false,
    }))
}

struct Group {
    rui: String,
    event: Map<String, Value>,
    first_cells: Vec<Option<String>>,
    inconsistent: Option<String>,
}

impl Group {
    fn into_raw(self) -> RawEvent {
        let rui = Value::String(self.rui.clone());
        let event = match self.inconsistent {
            Some(path) => Err(EventError::InconsistentRows {
                value: self.rui,
                path,
            }),
            None => Ok(Value::Object(self.event)),
        };
        RawEvent {
            rui,
            event,
            numbers: Numbers::Strings,
        }
    }
}

struct Rows {
    file: String,
    csv: csv::Reader<Box<dyn Read + Send>>,
    record: csv::ByteRecord,
    columns: Vec<Column>,
    rui_column: Option<usize>,
    grouped: bool,
    pending: Option<Group>,
    /// A broken row read while a group was pending: it comes right after that group.
    stash: Option<RawEvent>,
    done: bool,
}

enum Row {
    Cells(Vec<Option<String>>),
    Broken(RawEvent),
}

impl Rows {
    fn row(&self) -> Row {
        let line = self.record.position().map_or(0, csv::Position::line);
        let broken = |value: String, allowed: String| {
            Row::Broken(RawEvent {
                rui: Value::Null,
                event: Err(EventError::InvalidValue {
                    value,
                    path: format!("line {line}"),
                    allowed,
                }),
                numbers: Numbers::Strings,
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
        let mut cells = Vec::with_capacity(self.columns.len());
        for (i, cell) in self.record.iter().enumerate() {
            if cell.is_empty() {
                cells.push(None);
                continue;
            }
            match std::str::from_utf8(cell) {
                Ok(text) => cells.push(Some(text.to_owned())),
                Err(_) => {
                    return broken(
                        String::from_utf8_lossy(cell).into_owned(),
                        format!("Column {} must be UTF-8", self.columns[i].name),
                    );
                }
            }
        }
        Row::Cells(cells)
    }

    fn start(&self, cells: Vec<Option<String>>) -> Group {
        let mut event = Map::new();
        let mut first_cells = Vec::with_capacity(cells.len());
        for (column, cell) in self.columns.iter().zip(&cells) {
            if column.line_item_of.is_none() {
                first_cells.push(cell.clone());
                if let Some(cell) = cell {
                    insert(&mut event, &column.steps, cell.clone());
                }
            } else {
                first_cells.push(None);
            }
        }
        let rui = self
            .rui_column
            .and_then(|i| cells[i].clone())
            .unwrap_or_default();
        let mut group = Group {
            rui,
            event,
            first_cells,
            inconsistent: None,
        };
        self.add_line_item(&mut group, &cells);
        group
    }

    fn add_line_item(&self, group: &mut Group, cells: &[Option<String>]) {
        let mut item = Map::new();
        let mut set = None;
        for (column, cell) in self.columns.iter().zip(cells) {
            if let (Some(of), Some(cell)) = (column.line_item_of, cell) {
                set = Some(of);
                insert(&mut item, &column.steps, cell.clone());
            }
        }
        if let Some(set) = set {
            let items = group
                .event
                .entry(set)
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = items {
                items.push(Value::Object(item));
            }
        }
    }

    fn continues(&self, group: &Group, cells: &[Option<String>]) -> bool {
        self.grouped
            && !group.rui.is_empty()
            && self.rui_column.and_then(|i| cells[i].as_deref()) == Some(group.rui.as_str())
    }

    fn extend(&self, group: &mut Group, cells: &[Option<String>]) {
        if group.inconsistent.is_none() {
            let disagreeing = self
                .columns
                .iter()
                .zip(cells.iter().zip(&group.first_cells))
                .find(|(column, (cell, first))| {
                    column.line_item_of.is_none() && cell.is_some() && cell != first
                });
            group.inconsistent = disagreeing.map(|(column, _)| column.name.clone());
        }
        self.add_line_item(group, cells);
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
                Row::Cells(cells) => {
                    if cells.iter().all(Option::is_none) {
                        continue;
                    }
                    match self.pending.take() {
                        Some(mut group) if self.continues(&group, &cells) => {
                            self.extend(&mut group, &cells);
                            self.pending = Some(group);
                        }
                        Some(group) => {
                            self.pending = Some(self.start(cells));
                            return Some(Ok(group.into_raw()));
                        }
                        None => self.pending = Some(self.start(cells)),
                    }
                }
            }
        }
    }
}

/// Puts `cell` at `steps` inside `object`, creating objects and arrays on the way.
fn insert(object: &mut Map<String, Value>, steps: &[Step], cell: String) {
    let Some((Step::Key(first), rest)) = steps.split_first() else {
        return;
    };
    let slot = object.entry(*first).or_insert(Value::Null);
    place(slot, rest, cell);
}

fn place(slot: &mut Value, steps: &[Step], cell: String) {
    let Some((step, rest)) = steps.split_first() else {
        *slot = Value::String(cell);
        return;
    };
    match step {
        Step::Key(key) => {
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(map) = slot {
                place(map.entry(*key).or_insert(Value::Null), rest, cell);
            }
        }
        Step::Index(index) => {
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            if let Value::Array(items) = slot {
                if items.len() <= *index {
                    items.resize(index + 1, Value::Null);
                }
                place(&mut items[*index], rest, cell);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(kind: Kind, text: &'static str) -> Result<Vec<RawEvent>, RequestError> {
        events("f.csv", kind, Box::new(text.as_bytes()))?.collect()
    }

    fn objects(events: &[RawEvent]) -> Vec<Value> {
        events
            .iter()
            .map(|e| e.event.clone().unwrap_or(Value::Null))
            .collect()
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
                serde_json::json!({"request_unique_identifier": "1", "accounts_receivable_identifier": {"number": "A1"}}),
                serde_json::json!({"request_unique_identifier": "2", "accounts_receivable_identifier": {"number": "A,2"}, "description": "say \"hi\""}),
            ]
        );
    }

    #[test]
    fn consecutive_rows_of_one_request_group_their_line_items() {
        let text = "request_unique_identifier,reference_number,products_set.product_identifier.code,products_set.net_amount\n\
                    31,RF01,Bronze,50\n31,,Silver,60\n32,RF02,Bronze,1\n31,RF01,Gold,2\n";
        let events = read(Kind::Purchases, text).unwrap_or_default();
        let sizes: Vec<(Value, usize)> = events
            .iter()
            .map(|e| {
                let n = e
                    .event
                    .as_ref()
                    .ok()
                    .and_then(|v| v["products_set"].as_array().map(Vec::len));
                (e.rui.clone(), n.unwrap_or(0))
            })
            .collect();
        assert_eq!(
            sizes,
            [("31".into(), 2), ("32".into(), 1), ("31".into(), 1)]
        );
    }

    #[test]
    fn disagreeing_event_cells_make_the_event_unprocessed() {
        let text = "request_unique_identifier,reference_number,products_set.net_amount\n31,RF01,1\n31,RF02,2\n";
        let events = read(Kind::Purchases, text).unwrap_or_default();
        let error = events.first().and_then(|e| e.event.clone().err());
        assert_eq!(
            error,
            Some(EventError::InconsistentRows {
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
        assert!(events[0].event.is_ok() && events[2].event.is_ok());
        assert!(
            matches!(&events[1].event, Err(EventError::InvalidValue { path, .. }) if path == "line 3")
        );
    }

    #[test]
    fn an_unknown_column_rejects_the_input() {
        let error = read(Kind::Web, "request_unique_identifier,webiste\n1,w\n").err();
        assert!(error.is_some_and(|e| e.detail.contains("webiste")));
        assert!(read(Kind::Web, "").is_err());
    }
}
