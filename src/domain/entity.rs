//! The ten reference entities of docs/spec.md §2: their reference-document names, columns,
//! natural keys, the identifier fields the API accepts for them, and the word the error
//! texts use.

use std::fmt;

/// How a reference column holds its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// A plain string.
    Text,
    /// A list of names (`|`-separated in CSV, a JSON array in the document).
    List,
    /// The natural key of a record of another entity (a currency code, an account number).
    Ref(Entity),
}

/// One column of a reference entity, besides `id`.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The field name in the reference document and the store.
    pub name: &'static str,
    /// What the value is.
    pub ty: ColumnType,
}

const fn text(name: &'static str) -> Column {
    Column {
        name,
        ty: ColumnType::Text,
    }
}

/// A reference entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    /// `currencies`
    Currency,
    /// `units`
    Unit,
    /// `accounts_receivable`
    Account,
    /// `rewards_participants`
    Participant,
    /// `classifications`
    Classification,
    /// `products`
    Product,
    /// `payment_medium_brands`
    PaymentMediumBrand,
    /// `payment_medium_types`
    PaymentMediumType,
    /// `invoices`
    Invoice,
    /// `key_performance_indicators`
    Kpi,
}

impl Entity {
    /// Every entity, in an order where each one's references come before it, so that a
    /// reference document can be checked and loaded in one pass.
    pub const ALL: [Entity; 10] = [
        Entity::Currency,
        Entity::Unit,
        Entity::Account,
        Entity::Participant,
        Entity::Classification,
        Entity::Product,
        Entity::PaymentMediumBrand,
        Entity::PaymentMediumType,
        Entity::Invoice,
        Entity::Kpi,
    ];

    /// The key in the reference document, the CSV file stem and the store table.
    pub fn key(self) -> &'static str {
        match self {
            Entity::Currency => "currencies",
            Entity::Unit => "units",
            Entity::Account => "accounts_receivable",
            Entity::Participant => "rewards_participants",
            Entity::Classification => "classifications",
            Entity::Product => "products",
            Entity::PaymentMediumBrand => "payment_medium_brands",
            Entity::PaymentMediumType => "payment_medium_types",
            Entity::Invoice => "invoices",
            Entity::Kpi => "key_performance_indicators",
        }
    }

    /// The entity with this document key.
    pub fn from_key(key: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.key() == key)
    }

    /// The word of `NotFoundAPIValueException` texts ("Account").
    pub fn word(self) -> &'static str {
        match self {
            Entity::Currency => "Currency",
            Entity::Unit => "Unit",
            Entity::Account => "Account",
            Entity::Participant => "Rewards Participant",
            Entity::Classification => "Customer Event Classification",
            Entity::Product => "Product",
            Entity::PaymentMediumBrand => "Payment Medium Brand",
            Entity::PaymentMediumType => "Payment Medium Type",
            Entity::Invoice => "Invoice",
            Entity::Kpi => "Key Performance Indicator",
        }
    }

    /// The columns besides `id`, in the order of docs/spec.md §2.
    pub fn columns(self) -> &'static [Column] {
        const CURRENCY: &[Column] = &[text("code")];
        const NAMED: &[Column] = &[text("name"), text("alternative_code")];
        const UNIT: &[Column] = &[
            text("name"),
            text("alternative_code"),
            Column {
                name: "currency",
                ty: ColumnType::Ref(Entity::Currency),
            },
        ];
        const ACCOUNT: &[Column] = &[
            text("number"),
            text("name"),
            Column {
                name: "payment_medium_types",
                ty: ColumnType::List,
            },
            Column {
                name: "payment_medium_brands",
                ty: ColumnType::List,
            },
        ];
        const PARTICIPANT: &[Column] = &[
            text("number"),
            Column {
                name: "accounts_receivable",
                ty: ColumnType::Ref(Entity::Account),
            },
            Column {
                name: "referred_by",
                ty: ColumnType::Ref(Entity::Participant),
            },
        ];
        const CLASSIFICATION: &[Column] = &[text("name"), text("alternative_code"), text("type")];
        const PRODUCT: &[Column] = &[text("code"), text("alternative_code")];
        const INVOICE: &[Column] = &[
            text("number"),
            text("reference_number"),
            text("back_office_code"),
            Column {
                name: "accounts_receivable",
                ty: ColumnType::Ref(Entity::Account),
            },
        ];
        match self {
            Entity::Currency => CURRENCY,
            Entity::Unit => UNIT,
            Entity::Account => ACCOUNT,
            Entity::Participant => PARTICIPANT,
            Entity::Classification => CLASSIFICATION,
            Entity::Product => PRODUCT,
            Entity::PaymentMediumBrand | Entity::PaymentMediumType | Entity::Kpi => NAMED,
            Entity::Invoice => INVOICE,
        }
    }

    /// The natural key: the column that names a record when `id` is absent, and that other
    /// entities refer to.
    pub fn natural_key(self) -> &'static str {
        match self {
            Entity::Currency | Entity::Product => "code",
            Entity::Account | Entity::Participant | Entity::Invoice => "number",
            Entity::Unit
            | Entity::Classification
            | Entity::PaymentMediumBrand
            | Entity::PaymentMediumType
            | Entity::Kpi => "name",
        }
    }

    /// The columns `cebulk events` shows beside a resolved identifier's `id`, so that a
    /// person can read the listing: the natural key, and an account's name too.
    pub fn listed_columns(self) -> &'static [&'static str] {
        match self {
            Entity::Account => &["number", "name"],
            Entity::Currency | Entity::Product => &["code"],
            Entity::Participant | Entity::Invoice => &["number"],
            Entity::Unit
            | Entity::Classification
            | Entity::PaymentMediumBrand
            | Entity::PaymentMediumType
            | Entity::Kpi => &["name"],
        }
    }

    /// The fields an identifier object of this entity may name, in the seed's order.
    pub fn identifier_fields(self) -> &'static [&'static str] {
        match self {
            Entity::Currency => &["id", "code"],
            Entity::Unit
            | Entity::Classification
            | Entity::PaymentMediumBrand
            | Entity::PaymentMediumType
            | Entity::Kpi => &["id", "name", "alternative_code"],
            Entity::Account => &["id", "number", "name"],
            Entity::Participant => &["id", "number"],
            Entity::Product => &["id", "code", "alternative_code"],
            Entity::Invoice => &["id", "number", "reference_number", "back_office_code"],
        }
    }

    /// The index of a column by name.
    pub fn column_index(self, name: &str) -> Option<usize> {
        self.columns().iter().position(|c| c.name == name)
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// An identifier given at request level (`intended_currency_identifier`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenIdentifier {
    /// `id` or `code`.
    pub field: &'static str,
    /// The value.
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_fields_are_id_or_text_columns() {
        for entity in Entity::ALL {
            for field in entity.identifier_fields() {
                let is_text_column = entity
                    .columns()
                    .iter()
                    .any(|c| c.name == *field && c.ty == ColumnType::Text);
                assert!(*field == "id" || is_text_column, "{entity}.{field}");
            }
            assert!(entity.column_index(entity.natural_key()).is_some());
            assert_eq!(entity.listed_columns()[0], entity.natural_key());
            for column in entity.listed_columns() {
                assert!(entity.column_index(column).is_some(), "{entity}.{column}");
            }
        }
    }

    #[test]
    fn references_point_to_earlier_entities() {
        for (i, entity) in Entity::ALL.iter().enumerate() {
            for column in entity.columns() {
                if let ColumnType::Ref(target) = column.ty {
                    let j = Entity::ALL.iter().position(|e| *e == target).unwrap_or(99);
                    assert!(j <= i, "{entity}.{} refers forward", column.name);
                }
            }
        }
    }
}
