//! The kinds' business rules that need reference data but not the store: classification
//! type, intended currency, self-referral and already-referred participants (as reference
//! data knows them), and payment mediums allowed on the account.

use crate::domain::codes::{EventError, MediumPart};
use crate::domain::entity::Entity;
use crate::domain::kind::Kind;
use crate::reference::maps::ReferenceMaps;
use crate::reference::record::Record;

/// What the rules look at: the event's kind and its identifiers, resolved.
pub struct Subject<'a> {
    /// The event's kind.
    pub kind: Kind,
    /// Each top-level identifier parameter with the record it resolved to.
    pub records: Vec<(&'static str, &'a Record)>,
    /// The intended currency of a purchases request, resolved.
    pub intended_currency: Option<&'a Record>,
}

impl<'a> Subject<'a> {
    fn get(&self, parameter: &str) -> Option<&'a Record> {
        self.records
            .iter()
            .find(|(p, _)| *p == parameter)
            .map(|(_, r)| *r)
    }

    /// The event's account: the one named, or the named participant's.
    pub fn account(&self, maps: &'a ReferenceMaps) -> Option<&'a Record> {
        if let Some(account) = self.get("accounts_receivable_identifier") {
            return Some(account);
        }
        let participant = self.get("rewards_participant_identifier")?;
        let number = participant.text(Entity::Participant, "accounts_receivable")?;
        maps.find_by_key(Entity::Account, number)
    }
}

/// Checks the rules in ERRORS.md's order (classification first, then the kind's own).
pub fn check(subject: &Subject<'_>, maps: &ReferenceMaps) -> Result<(), EventError> {
    if let Some(classification) = subject.get("classification_identifier") {
        let kind = classification.text(Entity::Classification, "type");
        if kind != Some(subject.kind.name()) {
            return Err(EventError::ClassificationType {
                name: classification
                    .text(Entity::Classification, "name")
                    .unwrap_or_default()
                    .to_owned(),
                kind: subject.kind,
            });
        }
    }
    match subject.kind {
        Kind::Purchases => intended_currency(subject),
        Kind::Referrals => referral(subject),
        Kind::FinancialAchievements => payment_mediums(subject, maps),
        _ => Ok(()),
    }
}

fn intended_currency(subject: &Subject<'_>) -> Result<(), EventError> {
    let (Some(currency), Some(unit)) = (
        subject.intended_currency,
        subject.get("performed_by_unit_identifier"),
    ) else {
        return Ok(());
    };
    let intended = currency.text(Entity::Currency, "code").unwrap_or_default();
    let unit_currency = unit.text(Entity::Unit, "currency").unwrap_or_default();
    if intended == unit_currency {
        return Ok(());
    }
    Err(EventError::CurrencyMismatch {
        intended: intended.to_owned(),
        unit: unit
            .text(Entity::Unit, "name")
            .unwrap_or_default()
            .to_owned(),
        unit_currency: unit_currency.to_owned(),
    })
}

fn referral(subject: &Subject<'_>) -> Result<(), EventError> {
    let (Some(referred), Some(by)) = (
        subject.get("referred_rewards_participant_identifier"),
        subject.get("referred_by_rewards_participant_identifier"),
    ) else {
        return Ok(());
    };
    let number = referred
        .text(Entity::Participant, "number")
        .unwrap_or_default()
        .to_owned();
    if referred.id == by.id {
        return Err(EventError::SelfReferral { number });
    }
    if referred.text(Entity::Participant, "referred_by").is_some() {
        return Err(EventError::ReferredByAnother { number });
    }
    Ok(())
}

fn payment_mediums(subject: &Subject<'_>, maps: &ReferenceMaps) -> Result<(), EventError> {
    let Some(account) = subject.account(maps) else {
        return Ok(());
    };
    let checks = [
        (
            "payment_medium_type_identifier",
            "payment_medium_types",
            Entity::PaymentMediumType,
            MediumPart::Type,
        ),
        (
            "payment_medium_brand_identifier",
            "payment_medium_brands",
            Entity::PaymentMediumBrand,
            MediumPart::Brand,
        ),
    ];
    for (parameter, column, entity, part) in checks {
        let Some(medium) = subject.get(parameter) else {
            continue;
        };
        let Some(allowed) = account.list(Entity::Account, column) else {
            continue;
        };
        let name = medium.text(entity, "name").unwrap_or_default();
        if !allowed.iter().any(|a| a == name) {
            return Err(EventError::MediumNotAllowed {
                part,
                name: name.to_owned(),
                account: account
                    .text(Entity::Account, "number")
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
    }
    Ok(())
}
