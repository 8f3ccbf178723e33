//! `customer_events/bulk/social_media/create`: the fields of one social media event.

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
        Field::mandatory("social_media", FieldType::Choice(&["FACEBOOK"])),
        Field::mandatory("profile", FieldType::Text),
        Field::mandatory("action", FieldType::Choice(&["LIKE"])),
        EXTERNAL_SYSTEM,
        EXTERNAL_REFERENCE,
    ];
    fields.extend(udfs(8));
    fields
}
