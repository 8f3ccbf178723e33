//! The vocabulary of a schema: a field's name, type and whether the seed marks it
//! mandatory, optional or semi-optional.

use crate::domain::entity::Entity;

/// What the seed says of a field's presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// `(mandatory)`: absent, null or empty is an error.
    Mandatory,
    /// `(optional)`.
    Optional,
    /// `(semi-optional)`: exactly one field of the event's semi-optional group is given.
    SemiOptional,
}

/// The type of a field's value.
#[derive(Debug, Clone, Copy)]
pub enum FieldType {
    /// A string.
    Text,
    /// A number kept exact (amounts, values, UDF floats).
    Number,
    /// A number that must be greater than zero (`quantity`); defaults to 1.
    Quantity,
    /// A date or date-time.
    Date,
    /// A string from a fixed list.
    Choice(&'static [&'static str]),
    /// An identifier object naming one record of an entity.
    Identifier(Entity),
    /// A non-empty array of objects with fields of their own.
    Set(&'static [Field]),
}

/// One field of an event or of a set's element.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The parameter name.
    pub name: &'static str,
    /// Its type.
    pub ty: FieldType,
    /// Its presence.
    pub presence: Presence,
}

impl Field {
    /// A mandatory field.
    pub const fn mandatory(name: &'static str, ty: FieldType) -> Field {
        Field {
            name,
            ty,
            presence: Presence::Mandatory,
        }
    }

    /// An optional field.
    pub const fn optional(name: &'static str, ty: FieldType) -> Field {
        Field {
            name,
            ty,
            presence: Presence::Optional,
        }
    }

    /// A field of the event's semi-optional group.
    pub const fn semi_optional(name: &'static str, ty: FieldType) -> Field {
        Field {
            name,
            ty,
            presence: Presence::SemiOptional,
        }
    }
}
