//! Fields that every kind shares, written once so each kind's file lists only what the seed
//! says of that kind.

use super::field::{Field, FieldType};
use crate::domain::entity::Entity;

pub const REQUEST_UNIQUE_IDENTIFIER: Field =
    Field::mandatory("request_unique_identifier", FieldType::Text);
pub const ACCOUNT: Field = Field::semi_optional(
    "accounts_receivable_identifier",
    FieldType::Identifier(Entity::Account),
);
pub const PARTICIPANT: Field = Field::semi_optional(
    "rewards_participant_identifier",
    FieldType::Identifier(Entity::Participant),
);
pub const CLASSIFICATION_MANDATORY: Field = Field::mandatory(
    "classification_identifier",
    FieldType::Identifier(Entity::Classification),
);
pub const CLASSIFICATION_OPTIONAL: Field = Field::optional(
    "classification_identifier",
    FieldType::Identifier(Entity::Classification),
);
pub const UNIT: Field = Field::mandatory(
    "performed_by_unit_identifier",
    FieldType::Identifier(Entity::Unit),
);
pub const PERFORMED_ON: Field = Field::mandatory("performed_on", FieldType::Date);
pub const DESCRIPTION: Field = Field::optional("description", FieldType::Text);
pub const EXTERNAL_SYSTEM: Field = Field::optional("external_system", FieldType::Text);
pub const EXTERNAL_REFERENCE: Field =
    Field::optional("external_system_reference_number", FieldType::Text);

const UDF_STRINGS: [&str; 16] = [
    "udf_string_1",
    "udf_string_2",
    "udf_string_3",
    "udf_string_4",
    "udf_string_5",
    "udf_string_6",
    "udf_string_7",
    "udf_string_8",
    "udf_string_9",
    "udf_string_10",
    "udf_string_11",
    "udf_string_12",
    "udf_string_13",
    "udf_string_14",
    "udf_string_15",
    "udf_string_16",
];
const UDF_FLOATS: [&str; 4] = ["udf_float_1", "udf_float_2", "udf_float_3", "udf_float_4"];
const UDF_DATES: [&str; 4] = ["udf_date_1", "udf_date_2", "udf_date_3", "udf_date_4"];

/// The user-defined fields in the seed's order: `strings` string UDFs, then four floats and
/// four dates (the same for every kind).
pub fn udfs(strings: usize) -> impl Iterator<Item = Field> {
    let strings = UDF_STRINGS[..strings]
        .iter()
        .map(|n| Field::optional(n, FieldType::Text));
    let floats = UDF_FLOATS
        .iter()
        .map(|n| Field::optional(n, FieldType::Number));
    let dates = UDF_DATES
        .iter()
        .map(|n| Field::optional(n, FieldType::Date));
    strings.chain(floats).chain(dates)
}
