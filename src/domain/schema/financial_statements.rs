//! `customer_events/bulk/financial_statements/create`: the fields of one financial statement
//! event and of its measured key performance indicators. The seed does not mark the set
//! mandatory, so an event may measure none.

use super::common::*;
use super::field::{Field, FieldType};
use crate::domain::entity::Entity;

const MEASURED_KPI: &[Field] = &[
    Field::mandatory(
        "key_performance_indicator_identifier",
        FieldType::Identifier(Entity::Kpi),
    ),
    Field::mandatory("value", FieldType::Number),
    Field::optional("product_identifier", FieldType::Identifier(Entity::Product)),
];

pub fn fields() -> Vec<Field> {
    let mut fields = vec![
        REQUEST_UNIQUE_IDENTIFIER,
        ACCOUNT,
        PARTICIPANT,
        CLASSIFICATION_MANDATORY,
        UNIT,
        PERFORMED_ON,
        DESCRIPTION,
        EXTERNAL_SYSTEM,
        EXTERNAL_REFERENCE,
    ];
    fields.extend(udfs(8));
    fields.push(Field::optional(
        "measured_key_performance_indicators_set",
        FieldType::Set(MEASURED_KPI),
    ));
    fields
}
