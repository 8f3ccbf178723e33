//! One CSV event as the reader hands it over: its rows, kept as read, and the header's
//! plan of where each cell goes. The event's tree is built on the worker threads, borrowing
//! the cells, so the one reader thread does not copy every cell into a `String` of its own
//! (docs/performance.md, "input/csv: cells borrowed on the workers").

use std::borrow::Cow;
use std::sync::Arc;

use crate::input::csv::header::{Column, Step};
use crate::json::tree::Tree;

type Object<'r> = Vec<(Cow<'r, str>, Tree<'r>)>;

/// The rows of one event (several when line items come one per row), cells checked to be
/// UTF-8 and of the header's count.
#[derive(Debug, Clone)]
pub struct CsvEvent {
    /// Where each column's cells go.
    pub columns: Arc<[Column]>,
    /// Whether some columns are line items (then the first row holds the event's cells).
    pub grouped: bool,
    /// The rows, in file order.
    pub rows: Vec<csv::StringRecord>,
}

impl CsvEvent {
    /// The event as a JSON tree: empty cells absent, every cell a string.
    pub fn tree(&self) -> Tree<'_> {
        let mut event = object();
        let Some(first) = self.rows.first() else {
            return Tree::Object(event);
        };
        for (column, cell) in self.columns.iter().zip(first.iter()) {
            if column.line_item_of.is_none()
                && let Some(text) = text(cell)
            {
                insert(&mut event, &column.steps, column.new_keys, text);
            }
        }
        if self.grouped {
            for row in &self.rows {
                self.add_line_item(&mut event, row);
            }
        }
        Tree::Object(event)
    }

    fn add_line_item<'r>(&self, event: &mut Object<'r>, row: &'r csv::StringRecord) {
        let mut item = object();
        let mut set = None;
        for (column, cell) in self.columns.iter().zip(row.iter()) {
            if let (Some(of), Some(text)) = (column.line_item_of, text(cell)) {
                set = Some(of);
                insert(&mut item, &column.steps, column.new_keys, text);
            }
        }
        if let Some(set) = set {
            let items = entry(event, set, false);
            if !matches!(items, Tree::Array(_)) {
                *items = Tree::Array(Vec::new());
            }
            if let Tree::Array(items) = items {
                items.push(Tree::Object(item));
            }
        }
    }
}

/// An empty object with room for eight pairs: grown from nothing, it would be allocated
/// for four pairs, then again for eight.
fn object<'r>() -> Object<'r> {
    Vec::with_capacity(8)
}

/// A non-empty cell's text.
fn text(cell: &str) -> Option<&str> {
    (!cell.is_empty()).then_some(cell)
}

/// The value under `key`, added as null when absent; `new`: the key cannot be there yet
/// ([`crate::input::csv::header::Column::new_keys`]), so it is added without a search.
fn entry<'o, 'r>(object: &'o mut Object<'r>, key: &'static str, new: bool) -> &'o mut Tree<'r> {
    // From the end: the columns that share a key come one after the other.
    let found = match new {
        true => None,
        false => object
            .iter()
            .rposition(|(k, _)| crate::json::keys::same(k, key)),
    };
    let index = match found {
        Some(index) => index,
        None => {
            object.push((Cow::Borrowed(key), Tree::Null));
            object.len() - 1
        }
    };
    &mut object[index].1
}

/// Puts `cell` at `steps` inside `object`, creating objects and arrays on the way; bit `d`
/// of `new_keys` says that the key of `steps[d]` is not there yet.
fn insert<'r>(object: &mut Object<'r>, steps: &[Step], new_keys: u64, cell: &'r str) {
    let Some((Step::Key(first), rest)) = steps.split_first() else {
        return;
    };
    place(
        entry(object, first, new_keys & 1 != 0),
        rest,
        new_keys >> 1,
        cell,
    );
}

fn place<'r>(slot: &mut Tree<'r>, steps: &[Step], new_keys: u64, cell: &'r str) {
    let Some((step, rest)) = steps.split_first() else {
        *slot = Tree::String(Cow::Borrowed(cell));
        return;
    };
    match step {
        Step::Key(key) => {
            if !matches!(slot, Tree::Object(_)) {
                *slot = Tree::Object(object());
            }
            if let Tree::Object(object) = slot {
                place(
                    entry(object, key, new_keys & 1 != 0),
                    rest,
                    new_keys >> 1,
                    cell,
                );
            }
        }
        Step::Index(index) => {
            if !matches!(slot, Tree::Array(_)) {
                *slot = Tree::Array(Vec::new());
            }
            if let Tree::Array(items) = slot {
                if items.len() <= *index {
                    items.resize(index + 1, Tree::Null);
                }
                place(&mut items[*index], rest, new_keys >> 1, cell);
            }
        }
    }
}
