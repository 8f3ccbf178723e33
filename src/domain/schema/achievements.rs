//! `customer_events/bulk/achievements/create`: the fields of one achievement event.

use super::common::*;
use super::field::Field;

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
    fields
}
