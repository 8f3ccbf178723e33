//! An event that passed validation: its normalized request object and the identifiers it
//! names, ready to be resolved against reference data.

use serde_json::{Map, Value};

use crate::entity::Entity;

/// A JSON path inside one event (`products_set.1.product_identifier`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Path(Vec<Segment>);

/// One step of a [`Path`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// An object key.
    Key(&'static str),
    /// An array index.
    Index(usize),
}

impl Path {
    /// This path extended by a key.
    pub fn key(&self, key: &'static str) -> Path {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key));
        Path(segments)
    }

    /// This path extended by an index.
    pub fn index(&self, index: usize) -> Path {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Path(segments)
    }

    /// The path's steps.
    pub fn segments(&self) -> &[Segment] {
        &self.0
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

    /// The value at this path inside `object`, if it is there.
    pub fn get_mut<'a>(&self, object: &'a mut Map<String, Value>) -> Option<&'a mut Value> {
        let (first, rest) = self.0.split_first()?;
        let Segment::Key(first) = first else {
            return None;
        };
        let mut current = object.get_mut(*first)?;
        for segment in rest {
            current = match segment {
                Segment::Key(k) => current.get_mut(*k)?,
                Segment::Index(i) => current.get_mut(*i)?,
            };
        }
        Some(current)
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentRef {
    /// Where it stands in the event.
    pub path: Path,
    /// The entity it names.
    pub entity: Entity,
    /// The identifier field used (`number`).
    pub field: &'static str,
    /// The value given.
    pub value: String,
}

impl IdentRef {
    /// The top-level parameter holding this identifier (`products_set` for a product line).
    pub fn parameter(&self) -> &'static str {
        match self.path.segments().first() {
            Some(Segment::Key(k)) => k,
            _ => "",
        }
    }
}

/// A validated event.
#[derive(Debug, Clone)]
pub struct ValidEvent {
    /// `request_unique_identifier`
    pub rui: String,
    /// The request object, normalized: fields in the seed's order, numbers exact and
    /// canonical, `quantity` filled in, nulls and empty values dropped.
    pub body: Map<String, Value>,
    /// Every identifier, in the seed's order.
    pub idents: Vec<IdentRef>,
}

impl ValidEvent {
    /// A text field of the normalized body.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.body.get(name).and_then(Value::as_str)
    }

    /// The identifier held by a top-level parameter.
    pub fn ident(&self, parameter: &str) -> Option<&IdentRef> {
        self.idents
            .iter()
            .find(|i| i.parameter() == parameter && i.path.segments().len() == 1)
    }

    /// The `external_system` + `external_system_reference_number` pair, when the reference
    /// number is given (a missing system counts as the empty one).
    pub fn external_reference(&self) -> Option<(&str, &str)> {
        let reference = self.text("external_system_reference_number")?;
        Some((self.text("external_system").unwrap_or(""), reference))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_dotted() {
        let path = Path::default()
            .key("products_set")
            .index(1)
            .key("net_amount");
        assert_eq!(path.to_string(), "products_set.1.net_amount");
        assert_eq!(Path::default().dotted_with("x"), "x");
        assert_eq!(path.dotted_with("y"), "products_set.1.net_amount.y");
    }
}
