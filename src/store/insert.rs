//! Inserting one created event with its product lines, measured KPIs and referral, through
//! statements prepared once per batch.

use rusqlite::{CachedStatement, Transaction, params};

use super::error::{Doing, StoreError};
use crate::kind::Kind;
use crate::resolve::Resolved;

/// The insert statements of one batch transaction.
pub struct Inserts<'t> {
    tx: &'t Transaction<'t>,
    events: CachedStatement<'t>,
    products: CachedStatement<'t>,
    kpis: CachedStatement<'t>,
    referrals: CachedStatement<'t>,
}

impl<'t> Inserts<'t> {
    /// Prepares the statements in `tx`.
    pub fn prepare(tx: &'t Transaction<'t>) -> Result<Inserts<'t>, StoreError> {
        let doing = "preparing the insert statements";
        Ok(Inserts {
            tx,
            events: tx
                .prepare_cached(
                    "INSERT INTO events (id, kind, number, request_unique_identifier,
                         content_hash, accounts_receivable_id, rewards_participant_id, unit_id,
                         classification_id, performed_on, external_system,
                         external_system_reference_number, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )
                .doing(doing)?,
            products: tx
                .prepare_cached(
                    "INSERT INTO event_products (event_seq, line, product_id, quantity,
                         net_amount, vat_amount, total_amount)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .doing(doing)?,
            kpis: tx
                .prepare_cached(
                    "INSERT INTO event_kpis (event_seq, line, key_performance_indicator_id,
                         value, product_id) VALUES (?1, ?2, ?3, ?4, ?5)",
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
        self.events
            .execute(params![
                id,
                kind.name(),
                number,
                event.rui,
                event.content_hash.as_slice(),
                event.account_id,
                event.participant_id,
                event.unit_id,
                event.classification_id,
                event.performed_on,
                system,
                reference,
                event.listing,
            ])
            .doing("inserting an event")?;
        let seq = self.tx.last_insert_rowid();
        for (line, product) in (0i64..).zip(&event.products) {
            self.products
                .execute(params![
                    seq,
                    line,
                    product.product_id,
                    product.quantity,
                    product.net_amount,
                    product.vat_amount,
                    product.total_amount
                ])
                .doing("inserting a product line")?;
        }
        for (line, kpi) in (0i64..).zip(&event.kpis) {
            self.kpis
                .execute(params![seq, line, kpi.kpi_id, kpi.value, kpi.product_id])
                .doing("inserting a measured KPI")?;
        }
        if let Some(referral) = &event.referral {
            self.referrals
                .execute(params![referral.referred_id, referral.referred_by_id, seq])
                .doing("recording the referral")?;
        }
        Ok(())
    }
}
