//! Inserting one created event (and a referral's participants) through statements prepared
//! once per batch. Product lines and measured KPIs are part of the listing (schema.rs).

use rusqlite::{CachedStatement, Transaction, params};

use super::error::{Doing, StoreError};
use super::schema;
use crate::kind::Kind;
use crate::resolve::Resolved;

/// The insert statements of one batch transaction.
pub struct Inserts<'t> {
    events: CachedStatement<'t>,
    referrals: CachedStatement<'t>,
}

impl<'t> Inserts<'t> {
    /// Prepares the statements in `tx`.
    pub fn prepare(tx: &'t Transaction<'t>) -> Result<Inserts<'t>, StoreError> {
        let doing = "preparing the insert statements";
        Ok(Inserts {
            events: tx
                .prepare_cached(
                    "INSERT INTO events (seq, kind, number, id, request_unique_identifier,
                         accounts_receivable_id, external_system,
                         external_system_reference_number, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .doing(doing)?,
            referrals: tx
                .prepare_cached(
                    "INSERT INTO referrals (referred_participant_id,
                         referred_by_participant_id, event_seq) VALUES (?1, ?2, ?3)",
                )
                .doing(doing)?,
        })
    }

    /// Inserts `event` as event `number` of `kind` with id `id`.
    pub fn insert(
        &mut self,
        kind: Kind,
        event: &Resolved,
        id: &str,
        number: i64,
    ) -> Result<(), StoreError> {
        let (system, reference) = match &event.external {
            Some((system, reference)) => (
                (!system.is_empty()).then_some(system.as_str()),
                Some(reference.as_str()),
            ),
            None => (None, None),
        };
        let seq = schema::seq(kind.ordinal(), number);
        self.events
            .execute(params![
                seq,
                kind.name(),
                number,
                id,
                event.rui,
                event.account_id,
                system,
                reference,
                event.listing,
            ])
            .doing("inserting an event")?;
        if let Some(referral) = &event.referral {
            self.referrals
                .execute(params![referral.referred_id, referral.referred_by_id, seq])
                .doing("recording the referral")?;
        }
        Ok(())
    }
}
