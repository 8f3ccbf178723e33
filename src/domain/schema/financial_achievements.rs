//! `customer_events/bulk/financial_achievements/create`: the fields of one financial
//! achievement event. The seed lists `payment_medium_type_identifier` twice; its second entry
//! describes the payment medium brand, so it is `payment_medium_brand_identifier` here
//! (docs/spec.md §1).

use super::common::*;
use super::field::{Field, FieldType};
use crate::domain::entity::Entity;

pub fn fields() -> Vec<Field> {
    let mut fields = vec![
        REQUEST_UNIQUE_IDENTIFIER,
        ACCOUNT,
        PARTICIPANT,
        CLASSIFICATION_MANDATORY,
        Field::optional("product_identifier", FieldType::Identifier(Entity::Product)),
        Field::optional(
            "payment_medium_type_identifier",
            FieldType::Identifier(Entity::PaymentMediumType),
        ),
        Field::optional(
            "payment_medium_brand_identifier",
            FieldType::Identifier(Entity::PaymentMediumBrand),
        ),
        Field::optional("payment_medium_identifier", FieldType::Text),
        Field::optional("amount", FieldType::Number),
        UNIT,
        PERFORMED_ON,
        DESCRIPTION,
        EXTERNAL_SYSTEM,
        EXTERNAL_REFERENCE,
    ];
    fields.extend(udfs(8));
    fields
}
