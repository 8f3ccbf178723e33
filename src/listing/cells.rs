//! A [`Sink`] that turns a streamed listing into CSV cells: each scalar with its dotted
//! path (the import's header form), as [`super::decoded::for_each_cell`] gives them from a
//! [`super::decoded::Decoded`].

use std::borrow::Cow;
use std::rc::Rc;

use serde_json::value::RawValue;

use super::stream::Sink;
use crate::domain::epoch::DateText;

/// A cell's value, as the listing holds it.
#[derive(Debug, Clone, Default)]
pub enum Cell<'s> {
    /// No value.
    #[default]
    Empty,
    /// A scalar's JSON text, from the body.
    Json(&'s str),
    /// A scalar's JSON text, from elsewhere (a record's natural key).
    Shared(Rc<RawValue>),
    /// The text itself.
    Text(Cow<'s, str>),
    /// A date the body holds as seconds.
    Date(DateText),
}

impl Cell<'_> {
    /// The cell's text: a string's text, a number as written, `true`, `false`, and nothing
    /// for `null`.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Json(json) => json_text(json),
            Cell::Shared(json) => json_text(json.get()),
            Cell::Text(text) => Cow::Borrowed(text),
            Cell::Date(date) => Cow::Borrowed(date.as_str()),
        }
    }
}

fn json_text(json: &str) -> Cow<'_, str> {
    match json.as_bytes().first() {
        Some(b'"') => {
            let inner = &json[1..json.len() - 1];
            if inner.contains('\\') {
                Cow::Owned(serde_json::from_str::<String>(json).unwrap_or_default())
            } else {
                Cow::Borrowed(inner)
            }
        }
        Some(b'n') => Cow::Borrowed(""),
        _ => Cow::Borrowed(json),
    }
}

/// What takes the cells of a listing.
pub trait Cells<'s> {
    /// The cell at `path`.
    fn cell(&mut self, path: &str, cell: Cell<'s>);
}

/// Hands each cell of a streamed listing to [`ListedCells::cells`] with its path, built in
/// one buffer.
pub struct ListedCells<C> {
    /// Where the cells go.
    pub cells: C,
    path: String,
    /// Each open object or array, innermost last: the path's length at it, whether it is an
    /// array, and the index of its next element.
    open: Vec<(usize, bool, usize)>,
}

impl<C> ListedCells<C> {
    /// Cells of listings whose top object is open, going to `cells`.
    pub fn new(cells: C) -> ListedCells<C> {
        ListedCells {
            cells,
            path: String::with_capacity(128),
            open: vec![(0, false, 0)],
        }
    }

    /// Forgets the listing streamed so far: ready for the next one's fields.
    pub fn reset(&mut self) {
        self.path.clear();
        self.open.truncate(1);
    }

    /// Puts the path of a value at: an element of an array gets its index.
    fn before_value(&mut self) {
        if let Some((base, true, index)) = self.open.last_mut() {
            self.path.truncate(*base);
            self.path.push('.');
            self.path.push_str(itoa::Buffer::new().format(*index));
            *index += 1;
        }
    }

    fn open(&mut self, array: bool) {
        self.before_value();
        self.open.push((self.path.len(), array, 0));
    }

    fn cell<'s>(&mut self, cell: Cell<'s>)
    where
        C: Cells<'s>,
    {
        self.before_value();
        self.cells.cell(&self.path, cell);
    }
}

impl<'s, C: Cells<'s>> Sink<'s> for ListedCells<C> {
    fn open_object(&mut self) {
        self.open(false);
    }

    fn close_object(&mut self) {
        self.open.pop();
    }

    fn open_array(&mut self) {
        self.open(true);
    }

    fn close_array(&mut self) {
        self.open.pop();
    }

    fn key(&mut self, key: &'static str) {
        let base = self.open.last().map_or(0, |&(base, _, _)| base);
        self.path.truncate(base);
        if base > 0 {
            self.path.push('.');
        }
        self.path.push_str(key);
    }

    fn value(&mut self, json: &'s str) {
        self.cell(Cell::Json(json));
    }

    fn shared(&mut self, json: &Rc<RawValue>) {
        self.cell(Cell::Shared(Rc::clone(json)));
    }

    fn text(&mut self, text: &'s str) {
        self.cell(Cell::Text(Cow::Borrowed(text)));
    }

    fn date(&mut self, date: &DateText) {
        self.cell(Cell::Date(*date));
    }
}
