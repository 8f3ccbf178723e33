//! The one writer: takes a batch of judged events in input order and, in one transaction,
//! applies the rules that need the store (re-run recognition, external references,
//! participants already referred), numbers and creates the valid events.
//!
//! The store-dependent checks run inside the write transaction so that they see every
//! event committed before, by this run or another process, and this batch's own inserts.

use std::sync::Arc;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::dry_run::DryRun;
use super::error::{Doing, StoreError};
use super::insert::{Inserts, Rows};
use super::journal::Journal;
use super::open::Store;
use super::seen::{Ceiling, Fresh, KindState};
use crate::domain::codes::EventError;
use crate::domain::kind::Kind;
use crate::judge::judged::Judged;
use crate::store::ids::{self, IdGenerator, StoredIds};
use crate::store::schema;

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Created now, or earlier by the same request (a re-run).
    Created {
        /// The event's id.
        id: String,
        /// The event's number.
        number: i64,
        /// Whether it is new, and what the store held of its request unique identifier.
        creation: Creation,
    },
    /// Not created. Boxed: an outcome waits in memory until its group commits, and most
    /// are `Created`, half the size of an error.
    Unprocessed(Box<EventError>),
}

/// How a created event stands to the events stored before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creation {
    /// New, and no event of its kind had its request unique identifier.
    New,
    /// An earlier run's identical event (same kind, identifier and body): not created again.
    Recognised {
        /// No other event of its kind has its request unique identifier, which a batch
        /// needs for its digest to be recorded.
        only: bool,
    },
    /// New, though an event of its kind already had its request unique identifier with
    /// other content (an amended row): the API too creates a second event.
    Amended,
}

/// The writer.
pub struct Writer<'c> {
    conn: &'c mut Connection,
    ids: IdGenerator,
    dry_run: Option<DryRun>,
    fresh: Fresh,
    /// The store's journal (none in a dry run, which commits nothing).
    journal: Option<Journal>,
}

impl<'c> Writer<'c> {
    /// A writer that creates events in `store` (opened for writing).
    pub fn new(store: &'c mut Store, ids: IdGenerator) -> Result<Writer<'c>, StoreError> {
        let journal = match (&store.path, &store.flush) {
            (Some(path), Some(flush)) => Some(Journal::new(&store.conn, path, Arc::clone(flush))?),
            _ => None,
        };
        Ok(Writer {
            conn: &mut store.conn,
            ids,
            dry_run: None,
            fresh: Fresh::default(),
            journal,
        })
    }

    /// A writer that only reads the store and reports what it would create.
    pub fn dry_run(conn: &'c mut Connection, ids: IdGenerator) -> Result<Writer<'c>, StoreError> {
        Ok(Writer {
            conn,
            ids,
            dry_run: Some(DryRun::new()?),
            fresh: Fresh::default(),
            journal: None,
        })
    }

    /// Writes whole batches of one kind in one transaction (each batch judged after the one
    /// before, as if committed alone); returns each batch's outcomes, in order.
    pub fn write_batches(
        &mut self,
        kind: Kind,
        batches: Vec<Vec<Result<Judged, EventError>>>,
    ) -> Result<Vec<Vec<Outcome>>, StoreError> {
        let mut group = self.group()?;
        let mut all = Vec::with_capacity(batches.len());
        for batch in batches {
            all.push(group.write(kind, batch)?);
        }
        group.commit()?;
        Ok(all)
    }

    /// Opens a transaction for a group of whole batches, written one after the other as
    /// they come and committed together ([`Group::commit`]).
    ///
    /// One commit for several batches writes each touched page once instead of once a
    /// batch: with random request unique identifiers nearly every page of their index is
    /// touched by every batch.
    pub fn group(&mut self) -> Result<Group<'_>, StoreError> {
        let Writer {
            conn,
            ids,
            dry_run,
            fresh,
            journal,
        } = self;
        if let Some(journal) = journal {
            journal.before_begin(conn)?;
        }
        let tx = match dry_run {
            Some(memory) => {
                memory.begin()?;
                conn.transaction().doing("reading the store")?
            }
            None => conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .doing("starting the batch transaction (waiting for the write lock)")?,
        };
        Ok(Group {
            tx,
            ids: *ids,
            dry_run: dry_run.as_mut(),
            fresh,
            journal: journal.as_mut(),
            events: 0,
        })
    }
}

/// An open transaction of whole batches.
pub struct Group<'w> {
    tx: Transaction<'w>,
    ids: IdGenerator,
    dry_run: Option<&'w mut DryRun>,
    fresh: &'w mut Fresh,
    journal: Option<&'w mut Journal>,
    /// Events written so far.
    events: usize,
}

impl Group<'_> {
    /// Whether the writer's identifiers come in no order ([`Journal::in_no_order`]), known
    /// from the commits before this group: larger groups then go faster.
    pub fn in_no_order(&self) -> bool {
        self.journal.as_ref().is_some_and(|j| j.in_no_order())
    }

    /// Judges and writes one batch of `kind`; its outcomes, in order.
    pub fn write(
        &mut self,
        kind: Kind,
        batch: Vec<Result<Judged, EventError>>,
    ) -> Result<Vec<Outcome>, StoreError> {
        self.events += batch.len();
        let rows = if self.in_no_order() {
            Rows::OneAStatement
        } else {
            Rows::ManyAStatement
        };
        match self.dry_run.as_deref_mut() {
            Some(state) => judge_batch(&self.tx, kind, batch, self.ids, Some(state), None, rows),
            None => judge_batch(
                &self.tx,
                kind,
                batch,
                self.ids,
                None,
                Some(self.fresh),
                rows,
            ),
        }
    }

    /// Records `digest`, of the batch of `kind` whose outcomes are `outcomes`, in this
    /// transaction when its events have consecutive numbers, each created new or found
    /// stored as the only one of its kind with its identifier: a re-run then recognises the
    /// batch without judging it ([`super::digests`]). A dry run records nothing.
    pub fn record_digest(
        &self,
        kind: Kind,
        digest: &super::digests::Digest,
        outcomes: &[Outcome],
    ) -> Result<(), StoreError> {
        // Each event is the only one of its kind with its identifier, so that no two
        // recorded batches share one (design.md, "Batch digests"): new, or an earlier
        // run's (a re-run after the key changed records its batches under the new key).
        let mut numbers = outcomes.iter().map(|outcome| match outcome {
            Outcome::Created {
                number,
                creation: Creation::New | Creation::Recognised { only: true },
                ..
            } => Some(*number),
            _ => None,
        });
        let Some(Some(first)) = numbers.next() else {
            return Ok(());
        };
        let consecutive = (first + 1..).zip(numbers).all(|(next, n)| n == Some(next));
        match self.dry_run {
            None if consecutive => super::digests::record(
                &self.tx,
                digest,
                schema::seq(kind.ordinal(), first),
                outcomes.len(),
            ),
            _ => Ok(()),
        }
    }

    /// Records, in this transaction, that the token with `hash` was used at `now`
    /// (`cebulk serve`: a create call's use of its token commits with its events).
    pub fn touch_token(&self, hash: &str, now: i64) -> Result<(), StoreError> {
        super::auth::touch_token(&self.tx, hash, now)
    }

    /// Commits every batch written (a dry run's transaction only read, and ends).
    pub fn commit(self) -> Result<(), StoreError> {
        if let Some(memory) = self.dry_run {
            // Read-only: dropping rolls back.
            drop(self.tx);
            return memory.end();
        }
        if let Some(journal) = self.journal {
            journal.before_commit(self.events);
        }
        self.tx.commit().doing("committing the batch")
    }
}

/// Events whose filter blocks are loaded together.
const WARM_AHEAD: usize = 16;

fn judge_batch(
    tx: &Transaction<'_>,
    kind: Kind,
    batch: Vec<Result<Judged, EventError>>,
    ids: IdGenerator,
    mut dry: Option<&mut DryRun>,
    fresh: Option<&mut Fresh>,
    rows: Rows,
) -> Result<Vec<Outcome>, StoreError> {
    let stored_last: i64 = tx
        .query_row(
            "SELECT last_number FROM sequences WHERE kind = ?1",
            [kind.name()],
            |row| row.get(0),
        )
        .optional()
        .doing("reading the event number sequence")?
        .unwrap_or(0);
    let mut last = match dry.as_deref() {
        Some(state) => state.last_number(kind).unwrap_or(stored_last),
        None => stored_last,
    };
    let mut fresh = match fresh {
        Some(fresh) => Some(fresh.begin(kind, stored_last, || ceiling(tx))?),
        None => None,
    };
    let batch_ids = ids.batch();
    // Whether this batch's row of `id_batches` is written: at its first created event.
    let mut batch_recorded = false;
    let mut stored_ids = StoredIds::new(tx);
    let mut inserts = Inserts::new(tx, kind, rows);
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut items = batch.into_iter();
    for index in 0.. {
        // Warmed a few events ahead: a whole batch's blocks would be evicted again by the
        // pages and rows written in between.
        if index % WARM_AHEAD == 0
            && let Some(state) = fresh.as_deref()
        {
            let next = items.as_slice().iter().take(WARM_AHEAD);
            state.warm_requests(next.map(|item| item.as_ref().map_or(0, |e| e.request_key)));
        }
        let Some(item) = items.next() else {
            break;
        };
        let event = match item {
            Ok(event) => event,
            Err(error) => {
                outcomes.push(Outcome::Unprocessed(Box::new(error)));
                continue;
            }
        };
        let known = fresh.as_deref();
        let earlier = already_created(
            tx,
            kind,
            &event,
            dry.as_deref(),
            known,
            &mut inserts,
            &mut stored_ids,
        )?;
        let creation = match earlier {
            Earlier::Same { id, number, only } => {
                outcomes.push(Outcome::Created {
                    id,
                    number,
                    creation: Creation::Recognised { only },
                });
                continue;
            }
            Earlier::Other => Creation::Amended,
            Earlier::None => Creation::New,
        };
        if let Some(error) = store_rule(tx, kind, &event, dry.as_deref(), known, &mut inserts)? {
            outcomes.push(Outcome::Unprocessed(Box::new(error)));
            continue;
        }
        last += 1;
        let id = batch_ids.id(kind, last);
        if let Some(state) = fresh.as_deref_mut() {
            state.created(&event);
        }
        match dry.as_deref_mut() {
            Some(state) => state.remember(kind, &event, &id, last)?,
            None => {
                if !batch_recorded {
                    ids::record_batch(tx, schema::seq(kind.ordinal(), last), batch_ids)?;
                    stored_ids.forget();
                    batch_recorded = true;
                }
                inserts.insert(event, last)?;
            }
        }
        outcomes.push(Outcome::Created {
            id,
            number: last,
            creation,
        });
    }
    inserts.flush()?;
    match dry {
        Some(state) => state.set_last_number(kind, last),
        None if last != stored_last => {
            if let Some(state) = fresh {
                state.committed(last);
            }
            tx.prepare_cached(
                "INSERT INTO sequences (kind, last_number) VALUES (?1, ?2)
                 ON CONFLICT (kind) DO UPDATE SET last_number = excluded.last_number",
            )
            .and_then(|mut s| s.execute(params![kind.name(), last]))
            .doing("advancing the event number sequence")?;
        }
        None => {}
    }
    Ok(outcomes)
}

/// The highest request unique identifier the store holds, of any kind: one seek to the end
/// of their index.
fn ceiling(tx: &Transaction<'_>) -> Result<Ceiling, StoreError> {
    tx.query_row(
        "SELECT max(request_unique_identifier) FROM events",
        [],
        |row| {
            Ok(match row.get_ref(0)? {
                ValueRef::Null => Ceiling::Empty,
                ValueRef::Text(text) => match std::str::from_utf8(text) {
                    Ok(text) => Ceiling::Highest(text.to_owned()),
                    Err(_) => Ceiling::Unknown,
                },
                _ => Ceiling::Unknown,
            })
        },
    )
    .doing("reading the highest request unique identifier")
}

/// What the store held of an event's request unique identifier before it.
enum Earlier {
    /// No event of the kind with it.
    None,
    /// The same event, created earlier: its id and number (docs/spec.md §5: a re-run
    /// creates nothing), and whether no other event of the kind has its identifier.
    Same { id: String, number: i64, only: bool },
    /// Events of the kind with it, but other content.
    Other,
}

/// Looks for the events of `event`'s kind and request unique identifier created earlier.
fn already_created(
    tx: &Transaction<'_>,
    kind: Kind,
    event: &Judged,
    dry: Option<&DryRun>,
    fresh: Option<&KindState>,
    pending: &mut Inserts<'_>,
    stored_ids: &mut StoredIds<'_>,
) -> Result<Earlier, StoreError> {
    if let Some(state) = dry
        && let Some((id, number)) = state.created(kind, event)?
    {
        // A dry run records no digest, which is all `only` is for.
        return Ok(Earlier::Same {
            id,
            number,
            only: false,
        });
    }
    if fresh.is_some_and(|f| !f.may_hold_request(&event.rui, event.request_key)) {
        return Ok(Earlier::None);
    }
    pending.flush()?;
    // One lookup on the identifier's index tells both, as the plain lookup of the identical
    // event did: the same rows, read in index order with no sort. The kind is the range of
    // rowids, which the index's entries hold. A body that leaves the account to its row is
    // the same content only with the same account there.
    let doing = "looking for an earlier run's event";
    let mut statement = tx
        .prepare_cached(
            "SELECT seq, id, body = ?4 AND (?5 IS NULL OR accounts_receivable_id = ?5)
             FROM events WHERE seq > ?1 AND seq < ?2 AND request_unique_identifier = ?3",
        )
        .doing(doing)?;
    let range = (
        schema::seq(kind.ordinal(), 0),
        schema::seq(kind.ordinal() + 1, 0),
    );
    let account = event.account_in_row();
    let mut rows = statement
        .query(params![range.0, range.1, event.rui, event.listing, account])
        .doing(doing)?;
    let mut earlier = Earlier::None;
    while let Some(row) = rows.next().doing(doing)? {
        if row.get::<_, bool>(2).doing(doing)? {
            let seq: i64 = row.get(0).doing(doing)?;
            let id = stored_ids.required(seq, row.get_ref(1).doing(doing)?)?;
            let id = id.to_owned();
            // One more step of the same index cursor tells whether another follows.
            let only = matches!(earlier, Earlier::None) && rows.next().doing(doing)?.is_none();
            return Ok(Earlier::Same {
                id,
                number: seq - range.0,
                only,
            });
        }
        earlier = Earlier::Other;
    }
    Ok(earlier)
}

/// The rules that need every event created so far.
fn store_rule(
    tx: &Transaction<'_>,
    kind: Kind,
    event: &Judged,
    dry: Option<&DryRun>,
    fresh: Option<&KindState>,
    pending: &mut Inserts<'_>,
) -> Result<Option<EventError>, StoreError> {
    if let Some((system, reference)) = event.external.as_deref() {
        let in_run = match dry {
            Some(state) => state.holds_external(kind, system, reference)?,
            None => false,
        };
        let unseen = fresh.is_some_and(|f| !f.may_hold_external(system, reference));
        let stored = in_run
            || !unseen && {
                pending.flush()?;
                tx.prepare_cached(
                    "SELECT 1 FROM events WHERE kind = ?1
                     AND ifnull(external_system, '') = ?2
                     AND external_system_reference_number = ?3",
                )
                .and_then(|mut s| s.exists(params![kind.name(), system, reference]))
                .doing("checking the external reference")?
            };
        if stored {
            return Ok(Some(EventError::DuplicateExternal {
                value: reference.clone(),
                system: system.clone(),
            }));
        }
    }
    if let Some(referral) = &event.referral {
        let in_run = match dry {
            Some(state) => state.holds_referral(&referral.referred_id)?,
            None => false,
        };
        let unseen = fresh.is_some_and(|f| !f.may_hold_referral(&referral.referred_id));
        let stored = in_run
            || !unseen
                && tx
                    .prepare_cached("SELECT 1 FROM referrals WHERE referred_participant_id = ?1")
                    .and_then(|mut s| s.exists([&referral.referred_id]))
                    .doing("checking earlier referrals")?;
        if stored {
            return Ok(Some(EventError::ReferredByAnother {
                number: referral.referred_number.clone(),
            }));
        }
    }
    Ok(None)
}
