//! What `cebulk check` finds wrong with a store: SQLite's own integrity check, then the
//! invariants cebulk's writer relies on without checking them on every insert.
//!
//! - **SQLite's integrity check** (`PRAGMA integrity_check`): every page, every record, and
//!   every index against its table. That covers the request index (`events_request`, by
//!   which a re-run finds its events): each row must have exactly its entry there, so
//!   counting the events through the index as well would only repeat it.
//! - **Numbers**: each event's rowid is its kind's ordinal × 2^40 + its number (schema 7
//!   reads both from the rowid, so no two events of a kind can share a number), the number
//!   is positive; no number is above its kind's `sequences.last_number`, which the next
//!   import counts on (a sequence behind the events makes it reuse a number).
//! - **Ids**: 32 upper-case hex digits holding the event's kind and number, as both id
//!   generators write them (`store/ids.rs`), so that they are unique because numbers are;
//!   or, in a store upgraded from schema 1, that version's UUIDv7 ids, unique among
//!   themselves. An event without a stored id needs a valid row of its batch in
//!   `id_batches` to make it from, and every row there is at an event number of a kind,
//!   with a time (or seed) and random bits as the writer records them.
//! - **Bodies**: each decodes ([`body::decode`], which listings use; checked through
//!   [`body::held`], which gives the same answer without building the listing) to an
//!   object that leaves the request unique identifier to the row or holds the row's
//!   (re-run recognition and `--rid` go by the row's, the listing by the body's), and,
//!   when it names neither the account nor the participant, whose row holds the account's
//!   row for the listing to put back (schema 7); every record it names by its row, and the
//!   account its row holds, is there (the listing would otherwise have no id to show).
//! - **Referrals**: each points at a stored referral event.
//! - **Batch digests**: each stands for events of one kind, all in the store (a re-run
//!   judges a batch whose events are not all there again, so this is only a sign of
//!   events deleted by hand).
//!
//! It only reads, in one read transaction: one snapshot, even while an import commits.

use std::collections::{HashMap, HashSet};

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::error::{Doing, StoreError};
use super::ids;
use super::schema;
use crate::domain::entity::Entity;
use crate::domain::kind::Kind;
use crate::judge::body::{self, HeldRui};

/// Problems listed for each check; beyond that they are counted, so that a store damaged
/// throughout gives a readable list.
const LISTED: usize = 100;

/// What `cebulk check` found.
#[derive(Debug, Default)]
pub struct Findings {
    /// Events in the store.
    pub events: u64,
    /// Reference records in the store.
    pub reference_records: u64,
    /// Each problem found, one line each, without a trailing newline.
    pub problems: Vec<String>,
    /// Problems found in all, listed or not.
    pub found: u64,
}

impl Findings {
    /// Whether no problem was found.
    pub fn sound(&self) -> bool {
        self.found == 0
    }
}

/// The checks, each listing at most [`LISTED`] problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Check {
    Integrity,
    Kind,
    Layout,
    Sequence,
    Id,
    Body,
    Referral,
    Digest,
}

impl Check {
    /// The line that stands for the `more` problems of this check beyond those listed.
    fn more(self, more: u64) -> String {
        let what = match self {
            // SQLite stops after the first LISTED + 1.
            Check::Integrity => {
                return "SQLite's integrity check found more, and stopped there".to_owned();
            }
            Check::Kind => "events of no kind",
            Check::Layout => "events whose number is wrong",
            Check::Sequence => "sequence problems",
            Check::Id => "events whose id is wrong",
            Check::Body => "events whose body is wrong",
            Check::Referral => "referrals whose event is wrong",
            Check::Digest => "batch digests whose events are wrong",
        };
        format!("{more} more {what}, not listed")
    }
}

/// Problems found so far.
#[derive(Default)]
struct Problems {
    listed: Vec<String>,
    per_check: HashMap<Check, u64>,
}

impl Problems {
    fn add(&mut self, check: Check, problem: impl FnOnce() -> String) {
        let count = self.per_check.entry(check).or_default();
        *count += 1;
        if *count <= LISTED as u64 {
            self.listed.push(problem());
        }
    }
}

/// Runs every check on the store `conn` reads.
pub fn check(conn: &Connection) -> Result<Findings, StoreError> {
    // Dropped unfinished, it rolls back: it only read.
    let _snapshot = conn
        .unchecked_transaction()
        .doing("starting a read transaction")?;
    let mut problems = Problems::default();
    let checked = integrity(conn, &mut problems);
    unless_damaged(checked, &mut problems)?;
    let sequences = sequences(conn, &mut problems);
    let sequences = unless_damaged(sequences, &mut problems)?;
    // Counted as they are read: on a damaged file, the events read before the damage.
    let mut events = 0;
    let checked = check_events(conn, &sequences, &mut events, &mut problems);
    unless_damaged(checked, &mut problems)?;
    let checked = referrals(conn, &mut problems);
    unless_damaged(checked, &mut problems)?;
    let checked = id_batches(conn, &mut problems);
    unless_damaged(checked, &mut problems)?;
    let checked = batch_digests(conn, &mut problems);
    unless_damaged(checked, &mut problems)?;
    let reference_records = reference_records(conn);
    let reference_records = unless_damaged(reference_records, &mut problems)?;
    let mut found = 0;
    let mut listed = problems.listed;
    let mut checks: Vec<(Check, u64)> = problems.per_check.into_iter().collect();
    checks.sort_by_key(|(check, _)| *check as u8);
    for (check, count) in checks {
        found += count;
        if count > LISTED as u64 {
            listed.push(check.more(count - LISTED as u64));
        }
    }
    Ok(Findings {
        events,
        reference_records,
        problems: listed,
        found,
    })
}

/// The result of one part of the check, where SQLite failing because the file is damaged is
/// a problem found (that part found nothing more), not a failure to check the store.
fn unless_damaged<T: Default>(
    result: Result<T, StoreError>,
    problems: &mut Problems,
) -> Result<T, StoreError> {
    match result {
        Err(e)
            if matches!(
                e.source.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
            ) =>
        {
            problems.add(Check::Integrity, || {
                format!("cannot read on, the file is damaged ({e})")
            });
            Ok(T::default())
        }
        other => other,
    }
}

/// The reference records, of every entity.
fn reference_records(conn: &Connection) -> Result<u64, StoreError> {
    let mut records = 0;
    for entity in Entity::ALL {
        let count: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {}", entity.key()), [], |r| {
                r.get(0)
            })
            .doing("counting reference records")?;
        records += u64::try_from(count).unwrap_or_default();
    }
    Ok(records)
}

/// SQLite's integrity check: pages, records, and every index against its table.
fn integrity(conn: &Connection, problems: &mut Problems) -> Result<(), StoreError> {
    let doing = "running SQLite's integrity check";
    let mut statement = conn
        .prepare(&format!("PRAGMA integrity_check({})", LISTED + 1))
        .doing(doing)?;
    let mut rows = statement.query([]).doing(doing)?;
    while let Some(row) = rows.next().doing(doing)? {
        let message: String = row.get(0).doing(doing)?;
        if message == "ok" {
            continue;
        }
        // SQLite heads the first problem of each database with its name, on a line of its
        // own.
        for line in message
            .lines()
            .filter(|l| !l.starts_with("*** in database"))
        {
            problems.add(Check::Integrity, || {
                format!("SQLite's integrity check: {line}")
            });
        }
    }
    Ok(())
}

/// Each kind's last number, as `sequences` holds it; a row of no kind is a problem.
fn sequences(conn: &Connection, problems: &mut Problems) -> Result<HashMap<Kind, i64>, StoreError> {
    let doing = "reading the event number sequences";
    let mut statement = conn
        .prepare("SELECT kind, last_number FROM sequences")
        .doing(doing)?;
    let mut rows = statement.query([]).doing(doing)?;
    let mut sequences = HashMap::new();
    while let Some(row) = rows.next().doing(doing)? {
        let name = text(row.get_ref(0).doing(doing)?);
        let last = row.get_ref(1).doing(doing)?;
        match (Kind::from_name(&name), last) {
            (Some(kind), ValueRef::Integer(last)) => {
                sequences.insert(kind, last);
            }
            (Some(kind), _) => problems.add(Check::Sequence, || {
                format!(
                    "{}: the sequence's last number is not an integer",
                    kind.name()
                )
            }),
            (None, _) => problems.add(Check::Sequence, || {
                format!("a sequence of {name:?}, which is no kind of event")
            }),
        }
    }
    Ok(sequences)
}

/// A cell as text, however SQLite holds it (for messages).
fn text(cell: ValueRef<'_>) -> String {
    match cell {
        ValueRef::Null => "NULL".to_owned(),
        ValueRef::Integer(n) => n.to_string(),
        ValueRef::Real(x) => x.to_string(),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
    }
}

/// An event, for a problem line: its kind, number and rowid (`web 2 (rowid 5497558138882)`).
fn event_name(kind: Kind, number: i64, seq: i64) -> String {
    format!("{} {number} (rowid {seq})", kind.name())
}

/// Which rows of each reference table hold a record, for the bodies that name records by
/// row. Reference loads never delete, so a table's rows are usually 1 to its highest, and
/// then a row is checked against that range without a query.
struct Records<'c> {
    conn: &'c Connection,
    /// Per entity: the highest row, when every row from 1 to it holds a record.
    dense: HashMap<Entity, Option<i64>>,
}

impl<'c> Records<'c> {
    fn new(conn: &'c Connection) -> Records<'c> {
        Records {
            conn,
            dense: HashMap::new(),
        }
    }

    /// Whether a record of `entity` is at row `rid`.
    fn holds(&mut self, entity: Entity, rid: i64) -> Result<bool, StoreError> {
        let doing = "reading the reference records named by row";
        let dense = match self.dense.get(&entity) {
            Some(&dense) => dense,
            None => {
                let (count, highest): (i64, Option<i64>) = self
                    .conn
                    .query_row(
                        &format!("SELECT count(*), max(rid) FROM {}", entity.key()),
                        [],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .doing(doing)?;
                let dense = (highest.unwrap_or(0) == count).then_some(count);
                self.dense.insert(entity, dense);
                dense
            }
        };
        if let Some(highest) = dense {
            return Ok((1..=highest).contains(&rid));
        }
        self.conn
            .prepare_cached(&format!("SELECT 1 FROM {} WHERE rid = ?1", entity.key()))
            .and_then(|mut s| s.exists([rid]))
            .doing(doing)
    }
}

/// Every event, in rowid order: numbers, ids and bodies; `count` counts them.
fn check_events(
    conn: &Connection,
    sequences: &HashMap<Kind, i64>,
    count: &mut u64,
    problems: &mut Problems,
) -> Result<(), StoreError> {
    let doing = "reading the events";
    let mut statement = conn
        .prepare(
            "SELECT seq, id, request_unique_identifier, body, accounts_receivable_id
             FROM events ORDER BY seq",
        )
        .doing(doing)?;
    let mut rows = statement.query([]).doing(doing)?;
    let mut highest: HashMap<Kind, i64> = HashMap::new();
    let mut uuids: HashSet<u128> = HashSet::new();
    let mut stored_ids = ids::StoredIds::new(conn);
    let mut records = Records::new(conn);
    while let Some(row) = rows.next().doing(doing)? {
        *count += 1;
        let seq: i64 = row.get(0).doing(doing)?;
        let Some((kind, number)) = ids::kind_and_number(seq) else {
            problems.add(Check::Kind, || {
                format!(
                    "the event at rowid {seq}: {} is no kind's ordinal (rowid / 2^40)",
                    seq >> schema::NUMBER_BITS
                )
            });
            continue;
        };
        let name = || event_name(kind, number, seq);
        if number <= 0 {
            problems.add(Check::Layout, || {
                format!("{}: the number is not positive", name())
            });
        }
        let top = highest.entry(kind).or_default();
        *top = (*top).max(number);

        let cell = row.get_ref(1).doing(doing)?;
        match stored_ids.id(seq, cell)? {
            Some(id) if ids::holds(id, kind, number) => {}
            Some(id) if ids::schema_1_uuid(id).is_some_and(|uuid| uuids.insert(uuid)) => {}
            Some(id) if ids::schema_1_uuid(id).is_some() => problems.add(Check::Id, || {
                format!("{}: id {id} is another event's too", name())
            }),
            None if cell == ValueRef::Null => problems.add(Check::Id, || {
                format!(
                    "{}: no id: the row holds none, and id_batches no valid row of its batch",
                    name()
                )
            }),
            _ => problems.add(Check::Id, || {
                format!(
                    "{}: id {:?} is not 32 upper-case hex digits holding the event's kind and number",
                    name(),
                    text(cell)
                )
            }),
        }

        let rui = row.get_ref(2).doing(doing)?;
        let stored = row.get_ref(3).doing(doing)?;
        let Ok(stored) = stored.as_str() else {
            problems.add(Check::Body, || format!("{}: the body is not text", name()));
            continue;
        };
        let Some(held) = body::held(kind, stored) else {
            problems.add(Check::Body, || {
                format!(
                    "{}: the body does not decode (it is not a JSON object)",
                    name()
                )
            });
            continue;
        };
        let in_body = match &held.rui {
            HeldRui::Absent => None,
            HeldRui::Text(text) if Ok(text.as_str()) == rui.as_str() => None,
            HeldRui::Text(text) => Some(format!("{text:?}")),
            HeldRui::Other => Some("not text".to_owned()),
        };
        if let Some(in_body) = in_body {
            problems.add(Check::Body, || {
                format!(
                    "{}: the body's request unique identifier is {in_body}, the row's {:?}",
                    name(),
                    text(rui)
                )
            });
        }
        let account = row.get_ref(4).doing(doing)?;
        let left_out = body::LeftOut::of(kind).account.is_some() && !held.names_account;
        if left_out && !matches!(account, ValueRef::Integer(_)) {
            problems.add(Check::Body, || {
                format!(
                    "{}: the body leaves the account to the row, whose account is {}, not an account's row",
                    name(),
                    text(account)
                )
            });
        }
        // Every record the listing would name by its row, the account put back included.
        let columns = body::Columns {
            rui: rui.as_str().unwrap_or_default(),
            account: account.as_i64().ok(),
        };
        let mut named = Vec::new();
        crate::listing::decoded::decode(kind, stored, columns, &mut |entity, record, _| {
            if let body::RecordRef::Row(rid) = record {
                named.push((entity, rid));
            }
        });
        for (entity, rid) in named {
            if !records.holds(entity, rid)? {
                problems.add(Check::Body, || {
                    format!(
                        "{}: it names the {} at row {rid}, which no record of {} holds",
                        name(),
                        entity.key(),
                        entity.key()
                    )
                });
            }
        }
    }
    for kind in Kind::ALL {
        let Some(&top) = highest.get(&kind) else {
            continue;
        };
        match sequences.get(&kind) {
            None if top > 0 => problems.add(Check::Sequence, || {
                format!(
                    "{}: no sequence, but events up to number {top} are stored (the next import would number from 1 again)",
                    kind.name()
                )
            }),
            Some(&last) if last < top => problems.add(Check::Sequence, || {
                format!(
                    "{}: the sequence's last number {last} is below the highest stored number {top} (the next import would reuse a number)",
                    kind.name()
                )
            }),
            _ => {}
        }
    }
    Ok(())
}

/// Rows of `id_batches` that could make no id: not at an event number of a kind, or with
/// other columns than the time (or seed) and random bits the writer records.
fn id_batches(conn: &Connection, problems: &mut Problems) -> Result<(), StoreError> {
    let doing = "checking the id batches";
    let mut statement = conn
        .prepare("SELECT first_seq, millis, random FROM id_batches ORDER BY first_seq")
        .doing(doing)?;
    let mut rows = statement.query([]).doing(doing)?;
    while let Some(row) = rows.next().doing(doing)? {
        let first: i64 = row.get(0).doing(doing)?;
        let (millis, random) = (row.get_ref(1).doing(doing)?, row.get_ref(2).doing(doing)?);
        if ids::kind_and_number(first).is_none_or(|(_, number)| number <= 0) {
            problems.add(Check::Id, || {
                format!(
                    "the id batch at rowid {first} of id_batches is at no event number of a kind"
                )
            });
        } else if !ids::batch_columns_valid(millis, random) {
            problems.add(Check::Id, || {
                format!(
                    "the id batch at rowid {first} of id_batches: millis {} and random {} are not a time (or seed) and random bits",
                    text(millis),
                    text(random)
                )
            });
        }
    }
    Ok(())
}

/// Batch digests whose events are not all in the store, or not all of one kind.
fn batch_digests(conn: &Connection, problems: &mut Problems) -> Result<(), StoreError> {
    let doing = "checking the batch digests";
    let mut statement = conn
        .prepare(
            "SELECT hex(d.digest), d.first_seq, d.events,
                    (SELECT count(*) FROM events e
                     WHERE e.seq >= d.first_seq AND e.seq < d.first_seq + d.events)
             FROM batch_digests d ORDER BY d.first_seq",
        )
        .doing(doing)?;
    let mut rows = statement.query([]).doing(doing)?;
    while let Some(row) = rows.next().doing(doing)? {
        let digest: String = row.get(0).doing(doing)?;
        let first: i64 = row.get(1).doing(doing)?;
        let count: i64 = row.get(2).doing(doing)?;
        let stored: i64 = row.get(3).doing(doing)?;
        let short = digest.get(..16).unwrap_or(&digest).to_owned();
        match super::digests::span(first, count) {
            Some((kind, number)) => {
                if stored != count {
                    problems.add(Check::Digest, || {
                        format!(
                            "the batch digest {short}… stands for {} events {number} to {}, of which {} are not in the store (deleted by hand?); a re-run judges that batch again",
                            kind.name(),
                            number + count - 1,
                            count - stored
                        )
                    });
                }
            }
            None => problems.add(Check::Digest, || {
                format!(
                    "the batch digest {short}… stands for {count} events from rowid {first}, which are not events of one kind"
                )
            }),
        }
    }
    Ok(())
}

/// Referrals whose event is not a stored referral event.
fn referrals(conn: &Connection, problems: &mut Problems) -> Result<(), StoreError> {
    let doing = "checking the referrals";
    let mut statement = conn
        .prepare(
            "SELECT r.referred_participant_id, r.event_seq FROM referrals r
             WHERE NOT EXISTS (SELECT 1 FROM events e
                               WHERE e.seq = r.event_seq AND e.kind = 'referrals')",
        )
        .doing(doing)?;
    let mut rows = statement.query([]).doing(doing)?;
    while let Some(row) = rows.next().doing(doing)? {
        let participant = text(row.get_ref(0).doing(doing)?);
        let seq = text(row.get_ref(1).doing(doing)?);
        problems.add(Check::Referral, || {
            format!(
                "the referral of participant {participant}: its event, rowid {seq}, is not a stored referral"
            )
        });
    }
    Ok(())
}
