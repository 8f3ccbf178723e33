//! Inserting created events: rows are gathered and inserted many to a statement, and a
//! referral's participants at once. Product lines and measured KPIs are part of the
//! listing (schema.rs).
//!
//! Why many rows to a statement: each statement execution opens its cursors, seeks the
//! table from its root and closes a statement transaction, a good part of what an insert
//! costs (docs/performance.md, "store/insert: many rows to a statement"). Within one
//! statement the table cursor stays at the end and each row appends.

use std::sync::LazyLock;

use rusqlite::{CachedStatement, Transaction, params};

use super::error::{Doing, StoreError};
use super::schema;
use crate::domain::kind::Kind;
use crate::judge::judged::Judged;

/// Rows inserted by one statement.
const ROWS: usize = 32;

/// How many rows a statement inserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// [`ROWS`] a statement: for identifiers in order, whose rows all change the same
    /// pages at the end of the table and of the index.
    ManyAStatement,
    /// One a statement: for identifiers in no order. A statement of several rows runs in a
    /// statement transaction, which copies each page before the statement first changes it;
    /// in no order each row changes another page of the identifiers' index, so that copy
    /// cost more than the statements it saves (docs/performance.md, "store/journal:
    /// identifiers in no order").
    OneAStatement,
}

/// The insert of `rows` events. Neither kind nor number nor id: `seq` holds the first two,
/// and the batch's row of `id_batches` the rest of the id (schema 7).
fn statement(rows: usize) -> String {
    let values = vec!["(?, ?, ?, ?, ?, ?)"; rows].join(", ");
    format!(
        "INSERT INTO events (seq, request_unique_identifier, accounts_receivable_id,
             external_system, external_system_reference_number, body)
         VALUES {values}"
    )
}

/// The statements: one row, and [`ROWS`] rows.
static STATEMENTS: LazyLock<(String, String)> = LazyLock::new(|| (statement(1), statement(ROWS)));

/// One event waiting to be inserted.
struct Row {
    number: i64,
    event: Judged,
}

/// The events of one batch transaction that are created but not yet inserted.
///
/// Anything that reads the events table in the same transaction must [`Inserts::flush`]
/// first, so that it sees every event created before.
pub struct Inserts<'t> {
    tx: &'t Transaction<'t>,
    kind: Kind,
    /// How many rows a statement inserts.
    per_statement: Rows,
    rows: Vec<Row>,
    /// The many-row insert, kept for the batch: handed back to the cache after each use,
    /// all its bindings were cleared, only to be bound again the next time
    /// (docs/performance.md, "store/insert: keeping the many-row statement").
    many: Option<CachedStatement<'t>>,
    /// The one-row insert, kept likewise: in no order it runs once an event.
    one: Option<CachedStatement<'t>>,
}

impl<'t> Inserts<'t> {
    /// Inserts for events of `kind` in `tx`, `rows` a statement.
    pub fn new(tx: &'t Transaction<'t>, kind: Kind, rows: Rows) -> Inserts<'t> {
        Inserts {
            tx,
            kind,
            per_statement: rows,
            rows: Vec::with_capacity(ROWS),
            many: None,
            one: None,
        }
    }

    /// Creates `event` as event `number`: its referral at once, the event with the next
    /// rows.
    pub fn insert(&mut self, event: Judged, number: i64) -> Result<(), StoreError> {
        if let Some(referral) = &event.referral {
            let seq = schema::seq(self.kind.ordinal(), number);
            self.tx
                .prepare_cached(
                    "INSERT INTO referrals (referred_participant_id,
                         referred_by_participant_id, event_seq) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut s| {
                    s.execute(params![referral.referred_id, referral.referred_by_id, seq])
                })
                .inserting("recording the referral")?;
        }
        self.rows.push(Row { number, event });
        if self.rows.len() == ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Inserts every row waiting.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        let doing = "inserting an event";
        let rows = std::mem::take(&mut self.rows);
        let mut rest = rows.as_slice();
        let (one, many) = &*STATEMENTS;
        while !rest.is_empty() {
            let take = if self.per_statement == Rows::ManyAStatement && rest.len() >= ROWS {
                ROWS
            } else {
                1
            };
            let (now, later) = rest.split_at(take);
            let (kept, sql) = if take == ROWS {
                (&mut self.many, many)
            } else {
                (&mut self.one, one)
            };
            let statement = match kept {
                Some(statement) => statement,
                None => kept.insert(self.tx.prepare_cached(sql).doing(doing)?),
            };
            let mut at = 1;
            for row in now {
                let event = &row.event;
                let (system, reference) = match event.external.as_deref() {
                    Some((system, reference)) => (
                        (!system.is_empty()).then_some(system.as_str()),
                        Some(reference.as_str()),
                    ),
                    None => (None, None),
                };
                let bound = (|| {
                    statement
                        .raw_bind_parameter(at, schema::seq(self.kind.ordinal(), row.number))?;
                    statement.raw_bind_parameter(at + 1, &event.rui)?;
                    match event.account_rid {
                        Some(row) => statement.raw_bind_parameter(at + 2, row)?,
                        None => statement.raw_bind_parameter(at + 2, &event.account_id)?,
                    }
                    statement.raw_bind_parameter(at + 3, system)?;
                    statement.raw_bind_parameter(at + 4, reference)?;
                    statement.raw_bind_parameter(at + 5, &event.listing)
                })();
                bound.doing(doing)?;
                at += 6;
            }
            statement.raw_execute().inserting(doing)?;
            rest = later;
        }
        // Keeps the allocation for the next rows.
        self.rows = rows;
        self.rows.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::judged::request_key;

    fn judged(rui: &str, external: Option<&str>) -> Judged {
        Judged {
            rui: rui.to_owned(),
            request_key: request_key(rui),
            account_id: Some(format!("A{rui}")),
            account_rid: None,
            account_left_out: false,
            external: external.map(|r| Box::new((String::new(), r.to_owned()))),
            referral: None,
            listing: format!("{{\"3\":\"{rui}\"}}"),
        }
    }

    /// Every row of the events table, after inserting 100 events `rows` a statement.
    fn stored(rows: Rows) -> Vec<Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::open::open_for_write(&dir.path().join("s.db")).unwrap();
        let tx = store.conn.transaction().unwrap();
        {
            let mut inserts = Inserts::new(&tx, Kind::Web, rows);
            for number in 1..=100 {
                // Identifiers in no order, some events with an external reference.
                let rui = format!("{:08x}", (number * 2_654_435_761_u64) % 4_294_967_291);
                let external = (number % 3 == 0).then(|| format!("R{number}"));
                inserts
                    .insert(judged(&rui, external.as_deref()), number as i64)
                    .unwrap();
            }
            inserts.flush().unwrap();
        }
        let mut select = tx
            .prepare(
                "SELECT quote(seq), kind, number, quote(id), request_unique_identifier,
                 quote(accounts_receivable_id), quote(external_system),
                 quote(external_system_reference_number), body FROM events ORDER BY seq",
            )
            .unwrap();
        select
            .query_map([], |row| {
                (0..9)
                    .map(|i| {
                        row.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect()
            })
            .unwrap()
            .collect::<Result<Vec<Vec<String>>, _>>()
            .unwrap()
    }

    #[test]
    fn one_row_a_statement_stores_what_many_rows_a_statement_do() {
        let many = stored(Rows::ManyAStatement);
        assert_eq!(many.len(), 100);
        assert_eq!(stored(Rows::OneAStatement), many);
    }
}
