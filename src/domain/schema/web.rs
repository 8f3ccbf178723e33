//! `customer_events/bulk/web/create`: the fields of one web event.

use super::common::*;
use super::field::{Field, FieldType};

pub fn fields() -> Vec<Field> {
    let mut fields = vec![
        REQUEST_UNIQUE_IDENTIFIER,
        ACCOUNT,
        PARTICIPANT,
        CLASSIFICATION_OPTIONAL,
        UNIT,
        PERFORMED_ON,
        DESCRIPTION,
        Field::mandatory("website", FieldType::Text),
        EXTERNAL_SYSTEM,
        EXTERNAL_REFERENCE,
    ];
    fields.extend(udfs(8));
    fields
}
