//! One reference record: its id and its column values, in the entity's column order.

use crate::domain::entity::Entity;

/// A column value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attr {
    /// A string (also a reference to another record's natural key).
    Text(String),
    /// A list of names.
    List(Vec<String>),
}

/// A reference record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record's id.
    pub id: String,
    /// Its row in the store's table (`rid`, schema 6), which stored bodies name it by; `None`
    /// for a record not in the store (read from a file by a dry run).
    pub rid: Option<i64>,
    /// One value per column of the entity (`None` = absent).
    pub values: Vec<Option<Attr>>,
}

impl Record {
    /// A text column by name.
    pub fn text(&self, entity: Entity, column: &str) -> Option<&str> {
        match self.values.get(entity.column_index(column)?)? {
            Some(Attr::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// A list column by name; `None` when absent (which means "any").
    pub fn list(&self, entity: Entity, column: &str) -> Option<&[String]> {
        match self.values.get(entity.column_index(column)?)? {
            Some(Attr::List(items)) => Some(items),
            _ => None,
        }
    }

    /// The value an identifier field names (`id` or a text column).
    pub fn identifier(&self, entity: Entity, field: &str) -> Option<&str> {
        if field == "id" {
            Some(&self.id)
        } else {
            self.text(entity, field)
        }
    }

    /// The natural key's value.
    pub fn natural_key(&self, entity: Entity) -> Option<&str> {
        self.text(entity, entity.natural_key())
    }
}
