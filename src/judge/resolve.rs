//! Resolution of a validated event against the preloaded reference maps: each identifier
//! to a record id (in the seed's order, so the first unknown one is reported), then the
//! business rules. Pure and thread-safe: runs on rayon.

use crate::domain::codes::EventError;
use crate::domain::entity::Entity;
use crate::domain::entity::GivenIdentifier;
use crate::domain::kind::Kind;
use crate::judge::body::RecordRef;
use crate::judge::judged::{Judged, Referral, request_key};
use crate::judge::rules::{self, Subject};
use crate::judge::valid::ValidEvent;
use crate::reference::maps::ReferenceMaps;

/// What resolution needs besides the event.
pub struct Context<'a> {
    /// The request's kind.
    pub kind: Kind,
    /// Reference data.
    pub maps: &'a ReferenceMaps,
    /// `intended_currency_identifier` of a purchases request.
    pub intended_currency: Option<&'a GivenIdentifier>,
}

/// Resolves one event.
pub fn resolve(context: &Context<'_>, event: ValidEvent<'_>) -> Result<Judged, EventError> {
    let maps = context.maps;
    let mut records = Vec::with_capacity(event.idents.len());
    for ident in &event.idents {
        let record = maps
            .find(ident.entity, ident.field, ident.value)
            .ok_or_else(|| EventError::NotFound {
                entity: ident.entity,
                value: ident.value.to_owned(),
            })?;
        records.push(record);
    }
    let intended_currency = match context.intended_currency {
        Some(given) if context.kind == Kind::Purchases => Some(
            maps.find(Entity::Currency, given.field, &given.value)
                .ok_or_else(|| EventError::NotFound {
                    entity: Entity::Currency,
                    value: given.value.clone(),
                })?,
        ),
        _ => None,
    };
    let mut top = Vec::with_capacity(event.idents.len());
    top.extend(
        event
            .idents
            .iter()
            .zip(&records)
            .filter(|(i, _)| i.line.is_none())
            .map(|(i, r)| (i.parameter, *r)),
    );
    let subject = Subject {
        kind: context.kind,
        records: top,
        intended_currency,
    };
    rules::check(&subject, maps)?;

    let id_of = |parameter: &str| {
        subject
            .records
            .iter()
            .find(|(p, _)| *p == parameter)
            .map(|(_, r)| r.id.clone())
    };
    let referral = match (
        subject
            .records
            .iter()
            .find(|(p, _)| *p == "referred_rewards_participant_identifier"),
        id_of("referred_by_rewards_participant_identifier"),
    ) {
        (Some((_, referred)), Some(referred_by_id)) => Some(Box::new(Referral {
            referred_id: referred.id.clone(),
            referred_number: referred
                .text(Entity::Participant, "number")
                .unwrap_or_default()
                .to_owned(),
            referred_by_id,
        })),
        _ => None,
    };
    // Written with room to spare (no regrowth), then kept in a block of its own size (a
    // judged event waits in memory for the writer; mimalloc does not shrink in place).
    let mut listing = String::with_capacity(512);
    let account_left_out =
        crate::judge::body::write(&mut listing, context.kind, &event.body, &|index| {
            records.get(index).map_or(RecordRef::Id(""), |r| {
                r.rid.map_or(RecordRef::Id(&r.id), RecordRef::Row)
            })
        });
    let listing = listing.as_str().to_owned();
    let account = subject.account(maps);

    Ok(Judged {
        external: event
            .external_reference()
            .map(|(s, r)| Box::new((s.to_owned(), r.to_owned()))),
        account_id: account.map(|r| r.id.clone()),
        account_rid: account.and_then(|r| r.rid),
        account_left_out,
        rui: event.rui.to_owned(),
        request_key: request_key(event.rui),
        referral,
        listing,
    })
}
