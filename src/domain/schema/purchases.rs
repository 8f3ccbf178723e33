//! `customer_events/bulk/purchases/create`: the fields of one purchase event and of its
//! products.

use super::common::*;
use super::field::{Field, FieldType};
use crate::domain::entity::Entity;

const PRODUCT: &[Field] = &[
    Field::mandatory("product_identifier", FieldType::Identifier(Entity::Product)),
    Field::optional("quantity", FieldType::Quantity),
    Field::mandatory("net_amount", FieldType::Number),
    Field::mandatory("vat_amount", FieldType::Number),
    Field::mandatory("total_amount", FieldType::Number),
];

pub fn fields() -> Vec<Field> {
    let mut fields = vec![
        REQUEST_UNIQUE_IDENTIFIER,
        ACCOUNT,
        PARTICIPANT,
        CLASSIFICATION_OPTIONAL,
        UNIT,
        PERFORMED_ON,
        DESCRIPTION,
        Field::mandatory("reference_number", FieldType::Text),
        Field::optional(
            "payment_medium_brand_identifier",
            FieldType::Identifier(Entity::PaymentMediumBrand),
        ),
        Field::optional(
            "payment_medium_type_identifier",
            FieldType::Identifier(Entity::PaymentMediumType),
        ),
        Field::optional("payment_medium_identifier", FieldType::Text),
        Field::optional("invoice_identifier", FieldType::Identifier(Entity::Invoice)),
        EXTERNAL_SYSTEM,
        EXTERNAL_REFERENCE,
    ];
    fields.extend(udfs(16));
    fields.push(Field::mandatory("products_set", FieldType::Set(PRODUCT)));
    fields
}
