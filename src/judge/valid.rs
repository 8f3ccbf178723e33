//! An event that passed validation: its normalized request fields and the identifiers it
//! names, ready to be resolved against reference data.

use std::borrow::Cow;

use crate::domain::entity::Entity;

/// A JSON path inside one event (`products_set.1.product_identifier`), for error texts.
/// Each step borrows the path it extends, so building one allocates nothing: paths are
/// made for every field of every event and printed only for the few in error.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    last: Option<Segment>,
}

/// One step of a [`Path`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// An object key.
    Key(&'static str),
    /// An array index.
    Index(usize),
}

impl<'p> Path<'p> {
    /// This path extended by a key.
    pub fn key(&'p self, key: &'static str) -> Path<'p> {
        Path {
            parent: Some(self),
            last: Some(Segment::Key(key)),
        }
    }

    /// This path extended by an index.
    pub fn index(&'p self, index: usize) -> Path<'p> {
        Path {
            parent: Some(self),
            last: Some(Segment::Index(index)),
        }
    }

    /// The dotted form with a final key that is not `'static` (an unknown parameter).
    pub fn dotted_with(&self, last: &str) -> String {
        let base = self.to_string();
        if base.is_empty() {
            last.to_owned()
        } else {
            format!("{base}.{last}")
        }
    }

    fn segments(&self) -> Vec<Segment> {
        let mut segments = Vec::new();
        let mut at = Some(self);
        while let Some(path) = at {
            segments.extend(path.last);
            at = path.parent;
        }
        segments.reverse();
        segments
    }
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, segment) in self.segments().iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match segment {
                Segment::Key(k) => f.write_str(k)?,
                Segment::Index(n) => write!(f, "{n}")?,
            }
        }
        Ok(())
    }
}

/// An identifier object as the caller gave it: which entity, by which field, which value.
/// Values borrow the event's parsed tree: validation and resolution run back to back on
/// one worker, and a `String` a field was a good part of their allocations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentRef<'r> {
    /// The top-level parameter holding it (`products_set` for a product line).
    pub parameter: &'static str,
    /// For an identifier inside a set's element: the element's index.
    pub line: Option<usize>,
    /// The entity it names.
    pub entity: Entity,
    /// The identifier field used (`number`).
    pub field: &'static str,
    /// The value given.
    pub value: &'r str,
}

/// A normalized value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Norm<'r> {
    /// A string (text, date or choice), as given.
    Text(&'r str),
    /// A number, exact, in canonical decimal form (`120.50` → `120.5`); kept as text because
    /// it is only ever written out, into the listing.
    Number(Cow<'r, str>),
    /// An identifier: the index of its [`IdentRef`] in [`ValidEvent::idents`].
    Ident(usize),
    /// A set's elements, each its fields in the seed's order.
    Set(Vec<Fields<'r>>),
}

/// Normalized fields in the seed's order: only those given (and `quantity`, filled in).
pub type Fields<'r> = Vec<(&'static str, Norm<'r>)>;

/// A validated event, borrowing its parsed tree.
#[derive(Debug, Clone)]
pub struct ValidEvent<'r> {
    /// `request_unique_identifier`
    pub rui: &'r str,
    /// The request's fields, normalized.
    pub body: Fields<'r>,
    /// Every identifier, in the seed's order.
    pub idents: Vec<IdentRef<'r>>,
}

impl<'r> ValidEvent<'r> {
    /// A text field of the normalized body.
    pub fn text(&self, name: &str) -> Option<&'r str> {
        self.body.iter().find_map(|(n, v)| match v {
            Norm::Text(t) if *n == name => Some(*t),
            _ => None,
        })
    }

    /// The `external_system` + `external_system_reference_number` pair, when the reference
    /// number is given (a missing system counts as the empty one).
    pub fn external_reference(&self) -> Option<(&'r str, &'r str)> {
        let reference = self.text("external_system_reference_number")?;
        Some((self.text("external_system").unwrap_or(""), reference))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_dotted() {
        let root = Path::default();
        let set = root.key("products_set");
        let line = set.index(1);
        let path = line.key("net_amount");
        assert_eq!(path.to_string(), "products_set.1.net_amount");
        assert_eq!(Path::default().dotted_with("x"), "x");
        assert_eq!(path.dotted_with("y"), "products_set.1.net_amount.y");
    }
}
