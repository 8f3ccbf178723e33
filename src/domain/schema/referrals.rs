//! `customer_events/bulk/referrals/create`: the fields of one referral event. Referrals name
//! two participants instead of the account/participant group of the other kinds.

use super::common::*;
use super::field::{Field, FieldType};
use crate::domain::entity::Entity;

pub fn fields() -> Vec<Field> {
    let mut fields = vec![
        REQUEST_UNIQUE_IDENTIFIER,
        CLASSIFICATION_OPTIONAL,
        UNIT,
        PERFORMED_ON,
        DESCRIPTION,
        Field::mandatory(
            "referred_rewards_participant_identifier",
            FieldType::Identifier(Entity::Participant),
        ),
        Field::mandatory(
            "referred_by_rewards_participant_identifier",
            FieldType::Identifier(Entity::Participant),
        ),
        EXTERNAL_SYSTEM,
        EXTERNAL_REFERENCE,
    ];
    fields.extend(udfs(8));
    fields
}
