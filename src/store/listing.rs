//! Reading created events back for `cebulk events`, one at a time, so that listing a large
//! store does not hold it in memory: the events a [`Selection`] picks, each with the
//! natural keys of the records its identifiers name.

use std::collections::HashMap;

use std::borrow::Cow;
use std::rc::Rc;

use foldhash::fast::RandomState;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Statement, params_from_iter, types::Value as Sql};
use serde_json::value::RawValue;

use super::error::{Doing, StoreError};
use super::ids::StoredIds;
use super::schema::seq;
use crate::domain::entity::Entity;
use crate::domain::epoch::DateText;
use crate::domain::kind::Kind;
use crate::domain::values::Moment;
use crate::json::escape::push_json_string;
use crate::judge::body::{self, Columns, RecordRef};
use crate::listing::decoded::{self, Decoded, shared};

/// Which events to list (`cebulk events`' filters). Every filter given must hold.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only this kind (`--kind`): a range of rowids.
    pub kind: Option<Kind>,
    /// Only this request unique identifier (`--rid`): through the `events_request` index.
    pub rid: Option<String>,
    /// Only events of this account (`--account`, its number resolved with [`account`]): a
    /// scan of the kinds' rows, as no index holds accounts.
    pub account: Option<Account>,
    /// Only events performed at or after this moment (`--since`).
    pub since: Option<Moment>,
    /// Only events performed before this moment (`--until`).
    pub until: Option<Moment>,
    /// At most this many events (`--limit`).
    pub limit: Option<u64>,
    /// Only events whose `seq` is in this range: one chunk of a listing made in parallel
    /// ([`chunks`]).
    pub seqs: Option<std::ops::Range<i64>>,
}

impl Selection {
    /// The kinds to read, in listing order.
    fn kinds(&self) -> Vec<Kind> {
        let mut kinds: Vec<Kind> = match self.kind {
            Some(kind) => vec![kind],
            None => Kind::ALL.to_vec(),
        };
        kinds.sort_by_key(|kind| kind.ordinal());
        kinds
    }

    fn dated(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// Whether an event whose body holds `performed_on` (text, or seconds: `judge/body.rs`)
    /// is within `--since` and `--until`.
    fn in_time_stored(&self, performed_on: ValueRef<'_>) -> bool {
        match performed_on {
            ValueRef::Integer(seconds) => {
                let date = DateText::from_seconds(seconds);
                self.in_time(date.as_ref().map(DateText::as_str))
            }
            other => self.in_time(other.as_str_or_null().ok().flatten()),
        }
    }

    /// Whether an event performed at `performed_on` is within `--since` and `--until`.
    fn in_time(&self, performed_on: Option<&str>) -> bool {
        let Some(moment) = performed_on.and_then(Moment::parse) else {
            return !self.dated();
        };
        self.since.is_none_or(|since| moment >= since)
            && self.until.is_none_or(|until| moment < until)
    }

    /// The query of one kind's events: `columns` of its rows that pass the filters SQLite
    /// applies (kind, identifier, account), in number order, then, with `--since` or
    /// `--until`, the stored `performed_on` as the last column, for [`Selection::in_time`].
    fn query(&self, kind: Kind, columns: &str) -> (String, Vec<Sql>) {
        let mut sql = format!("SELECT {columns}");
        let (mut first, mut end) = (seq(kind.ordinal(), 0), seq(kind.ordinal() + 1, 0));
        if let Some(seqs) = &self.seqs {
            first = first.max(seqs.start);
            end = end.min(seqs.end).max(first);
        }
        let mut values = vec![Sql::Integer(first), Sql::Integer(end)];
        if self.dated() {
            let path = body::path(kind, &["performed_on"]).unwrap_or_default();
            values.push(Sql::Text(path));
            sql.push_str(&format!(", body ->> ?{}", values.len()));
        }
        sql.push_str(" FROM events WHERE seq >= ?1 AND seq < ?2");
        if let Some(rid) = &self.rid {
            values.push(Sql::Text(rid.clone()));
            sql.push_str(&format!(
                " AND request_unique_identifier = ?{}",
                values.len()
            ));
        }
        if let Some(account) = &self.account {
            values.push(Sql::Integer(account.rid));
            values.push(Sql::Text(account.id.clone()));
            // Stored by its row, or by its id (see schema.rs).
            sql.push_str(&format!(
                " AND accounts_receivable_id IN (?{}, ?{})",
                values.len() - 1,
                values.len()
            ));
        }
        sql.push_str(" ORDER BY seq");
        (sql, values)
    }
}

/// An account of the store's reference data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its row (`rid`).
    pub rid: i64,
    /// Its id.
    pub id: String,
}

/// The account numbered `number` in the store's reference data, if there is one.
pub fn account(conn: &Connection, number: &str) -> Result<Option<Account>, StoreError> {
    conn.query_row(
        "SELECT rid, id FROM accounts_receivable WHERE number = ?1",
        [number],
        |row| {
            Ok(Account {
                rid: row.get(0)?,
                id: row.get(1)?,
            })
        },
    )
    .optional()
    .doing("looking the account up")
}

/// An event as stored: what [`for_each_row`] hands on.
#[derive(Debug, Clone, Copy)]
pub struct Row<'r> {
    /// Its kind.
    pub kind: Kind,
    /// Its id.
    pub id: &'r str,
    /// Its number.
    pub number: i64,
    /// Its body (`judge/body.rs`).
    pub stored: &'r str,
    /// What its body leaves to the row.
    pub columns: Columns<'r>,
}

/// Calls `each` with every event `selection` picks, by kind and then number, as stored,
/// and the [`Names`] of the records its identifiers name. Stops at the first error `each`
/// returns.
pub fn for_each_row<E>(
    conn: &Connection,
    selection: &Selection,
    each: impl FnMut(Row<'_>, &mut Names<'_>) -> Result<Result<(), E>, StoreError>,
) -> Result<Result<(), E>, StoreError> {
    Lister::new(conn).for_each_row(selection, each)
}

/// What listing keeps from one selection to the next on one connection: the records
/// named and the ids' batches read, so that the chunks of a listing made in parallel do
/// not each read them again.
pub struct Lister<'c> {
    conn: &'c Connection,
    names: Names<'c>,
    ids: StoredIds<'c>,
}

impl<'c> Lister<'c> {
    /// A lister reading through `conn`.
    pub fn new(conn: &'c Connection) -> Lister<'c> {
        Lister {
            conn,
            names: Names::new(conn),
            ids: StoredIds::new(conn),
        }
    }

    /// [`for_each_row`], with what this lister kept.
    pub fn for_each_row<E>(
        &mut self,
        selection: &Selection,
        each: impl FnMut(Row<'_>, &mut Names<'_>) -> Result<Result<(), E>, StoreError>,
    ) -> Result<Result<(), E>, StoreError> {
        rows(self.conn, &mut self.names, &mut self.ids, selection, each)
    }
}

fn rows<'c, E>(
    conn: &'c Connection,
    names: &mut Names<'c>,
    ids: &mut StoredIds<'c>,
    selection: &Selection,
    mut each: impl FnMut(Row<'_>, &mut Names<'_>) -> Result<Result<(), E>, StoreError>,
) -> Result<Result<(), E>, StoreError> {
    let doing = "listing events";
    let mut left = selection.limit.unwrap_or(u64::MAX);
    for kind in selection.kinds() {
        if left == 0 {
            break;
        }
        let (sql, values) = selection.query(
            kind,
            "seq, id, body, request_unique_identifier, accounts_receivable_id",
        );
        let mut statement = conn.prepare(&sql).doing(doing)?;
        let first = seq(kind.ordinal(), 0);
        let mut rows = statement.query(params_from_iter(values)).doing(doing)?;
        while let Some(row) = rows.next().doing(doing)? {
            if selection.dated() && !selection.in_time_stored(row.get_ref(5).doing(doing)?) {
                continue;
            }
            let at: i64 = row.get(0).doing(doing)?;
            let id = ids.required(at, row.get_ref(1).doing(doing)?)?;
            let row = Row {
                kind,
                id,
                number: at - first,
                stored: row.get_ref(2).doing(doing)?.as_str().unwrap_or_default(),
                columns: Columns {
                    rui: row.get_ref(3).doing(doing)?.as_str().unwrap_or_default(),
                    account: row.get_ref(4).doing(doing)?.as_i64().ok(),
                },
            };
            if let Err(e) = each(row, names)? {
                return Ok(Err(e));
            }
            left -= 1;
            if left == 0 {
                break;
            }
        }
    }
    Ok(Ok(()))
}

/// Calls `each` with every event `selection` picks, by kind and then number: its request
/// object with identifiers resolved (each `{"id": …}` with its record's
/// [`Entity::listed_columns`]), plus `kind`, `id` and `number`, decoded as a [`Decoded`].
/// Stops at the first error `each` returns.
pub fn for_each_event<E>(
    conn: &Connection,
    selection: &Selection,
    mut each: impl FnMut(&Decoded<'_>) -> Result<(), E>,
) -> Result<Result<(), E>, StoreError> {
    for_each_row(conn, selection, |row, names| Ok(each(&decode(row, names)?)))
}

/// The listing of `row` decoded as a [`Decoded`], the reference form (see `listing/stream.rs`
/// for the fast one).
pub fn decode<'r>(row: Row<'r>, names: &mut Names<'_>) -> Result<Decoded<'r>, StoreError> {
    let mut failed = None;
    let fields = decoded::decode(
        row.kind,
        row.stored,
        row.columns,
        &mut |entity, record, object| {
            if let Err(e) = names.add(entity, record, object) {
                failed.get_or_insert(e);
            }
        },
    );
    if let Some(e) = failed {
        return Err(e);
    }
    let mut event = vec![
        (Cow::Borrowed("kind"), Decoded::Shared(names.kind(row.kind))),
        (Cow::Borrowed("id"), Decoded::text(row.id)),
        (
            Cow::Borrowed("number"),
            Decoded::text(itoa::Buffer::new().format(row.number)),
        ),
    ];
    event.extend(fields.unwrap_or_default());
    Ok(Decoded::Object(event))
}

/// How many events `selection` picks: counted by SQLite, unless `--since` or `--until`
/// needs each event's date.
pub fn count(conn: &Connection, selection: &Selection) -> Result<u64, StoreError> {
    let doing = "counting events";
    let mut counted = 0u64;
    for kind in selection.kinds() {
        if selection.dated() {
            let (sql, values) = selection.query(kind, "seq");
            let mut statement = conn.prepare(&sql).doing(doing)?;
            let mut rows = statement.query(params_from_iter(values)).doing(doing)?;
            while let Some(row) = rows.next().doing(doing)? {
                counted += u64::from(selection.in_time_stored(row.get_ref(1).doing(doing)?));
            }
        } else {
            let (sql, values) = selection.query(kind, "count(*)");
            let sql = sql.replace(" ORDER BY seq", "");
            let n: i64 = conn
                .query_row(&sql, params_from_iter(values), |row| row.get(0))
                .doing(doing)?;
            counted += n.unsigned_abs();
        }
    }
    Ok(selection.limit.map_or(counted, |limit| counted.min(limit)))
}

/// Reference records met in the listing, by entity and id or row: their listed columns,
/// read through the id's or the row's key the first time one comes and kept for the next
/// events (a few units, products and accounts recur in most listings). Each entity keeps
/// at most [`Names::KEPT`] records named by row and as many named by id, so memory stays
/// flat on a listing of any length.
pub struct Names<'c> {
    conn: &'c Connection,
    /// By [`Kind::ordinal`]: its name as a JSON string.
    kinds: Vec<Option<Rc<RawValue>>>,
    statements: HashMap<(Entity, bool), Statement<'c>, RandomState>,
    /// By entity (`entity as usize`).
    kept: Vec<Kept>,
}

/// The records of one entity kept by [`Names`].
#[derive(Default)]
struct Kept {
    /// Named by row: slot `row % KEPT` holds the last record read whose row falls there
    /// (no hashing: an identifier's lookup is a compare).
    by_row: Vec<Option<(i64, Named)>>,
    /// Named by id (bodies written before schema 6).
    by_id: HashMap<String, Named, RandomState>,
}

/// A record's listed columns that have a value, by name, as JSON strings.
pub type Listed = Vec<(&'static str, Rc<RawValue>)>;

/// What is listed of a record named in a body: its id as JSON text when the body named it
/// by its row (the body holds it otherwise), and its [`Listed`] columns.
#[derive(Debug, Clone, Default)]
pub struct Named {
    /// The record's id (its row as a JSON number when the store has no record there).
    pub id: Option<Rc<RawValue>>,
    /// Its listed columns.
    pub columns: Listed,
}

impl<'c> Names<'c> {
    const KEPT: usize = 65_536;

    fn new(conn: &'c Connection) -> Names<'c> {
        Names {
            conn,
            kinds: Vec::new(),
            statements: HashMap::default(),
            kept: Vec::new(),
        }
    }

    /// `kind`'s name as a JSON string.
    pub fn kind(&mut self, kind: Kind) -> Rc<RawValue> {
        let at = usize::from(kind.ordinal());
        if self.kinds.len() <= at {
            self.kinds.resize(at + 1, None);
        }
        Rc::clone(self.kinds[at].get_or_insert_with(|| shared(kind.name())))
    }

    /// Adds what is listed of the `entity` record `record` names to `object`: its `id`
    /// first when named by its row, then its listed columns (none for a record the store
    /// does not hold, or a column without a value).
    pub fn add<'s>(
        &mut self,
        entity: Entity,
        record: RecordRef<'_>,
        object: &mut Vec<(Cow<'s, str>, Decoded<'s>)>,
    ) -> Result<(), StoreError> {
        let named = self.listed(entity, record)?;
        if let Some(id) = &named.id {
            object.push((Cow::Borrowed("id"), Decoded::Shared(Rc::clone(id))));
        }
        for (name, value) in &named.columns {
            object.push((Cow::Borrowed(*name), Decoded::Shared(Rc::clone(value))));
        }
        Ok(())
    }

    /// What is listed of the `entity` record `record` names (see [`Named`]).
    pub fn listed(&mut self, entity: Entity, record: RecordRef<'_>) -> Result<&Named, StoreError> {
        let index = entity as usize;
        if self.kept.len() <= index {
            self.kept.resize_with(index + 1, Default::default);
        }
        match record {
            RecordRef::Row(row) => {
                let slot = usize::try_from(row.rem_euclid(Self::KEPT as i64)).unwrap_or(0);
                let kept = &self.kept[index].by_row;
                if !matches!(kept.get(slot), Some(Some((at, _))) if *at == row) {
                    let named = self.read(entity, record)?;
                    let by_row = &mut self.kept[index].by_row;
                    if by_row.len() <= slot {
                        by_row.resize_with(slot + 1, || None);
                    }
                    by_row[slot] = Some((row, named));
                }
                match &self.kept[index].by_row[slot] {
                    Some((_, named)) => Ok(named),
                    None => unreachable!("the slot was just filled"),
                }
            }
            RecordRef::Id(id) => {
                if !self.kept[index].by_id.contains_key(id) {
                    let named = self.read(entity, record)?;
                    let by_id = &mut self.kept[index].by_id;
                    if by_id.len() >= Self::KEPT {
                        by_id.clear();
                    }
                    by_id.insert(id.to_owned(), named);
                }
                Ok(&self.kept[index].by_id[id])
            }
        }
    }

    /// Reads what is listed of the `entity` record `record` names from the store.
    fn read(&mut self, entity: Entity, record: RecordRef<'_>) -> Result<Named, StoreError> {
        let by_row = matches!(record, RecordRef::Row(_));
        let doing = match record {
            RecordRef::Row(row) => format!("reading {} record at row {row}", entity.key()),
            RecordRef::Id(id) => format!("reading {} record {id}", entity.key()),
        };
        let statement = match self.statements.entry((entity, by_row)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let sql = format!(
                    "SELECT id, {} FROM {} WHERE {} = ?1",
                    entity.listed_columns().join(", "),
                    entity.key(),
                    if by_row { "rid" } else { "id" },
                );
                e.insert(self.conn.prepare(&sql).doing(&doing)?)
            }
        };
        let read = |row: &rusqlite::Row<'_>| {
            let mut named = Named::default();
            if by_row {
                let mut json = String::new();
                push_json_string(&mut json, row.get_ref(0)?.as_str()?);
                named.id = RawValue::from_string(json).ok().map(Rc::from);
            }
            for (i, name) in entity.listed_columns().iter().enumerate() {
                if let Some(text) = row.get_ref(i + 1)?.as_str_or_null()? {
                    named.columns.push((*name, shared(text)));
                }
            }
            Ok(named)
        };
        let found = match record {
            RecordRef::Row(row) => statement.query_row([row], read),
            RecordRef::Id(id) => statement.query_row([id], read),
        };
        let mut named = found.optional().doing(&doing)?.unwrap_or_default();
        if let (RecordRef::Row(row), None) = (record, &named.id) {
            // No record at that row (none is written so): the row itself, as the body has it.
            named.id = RawValue::from_string(row.to_string()).ok().map(Rc::from);
        }
        Ok(named)
    }
}

/// A read transaction on `conn`, until dropped: the listings made in it see the same events
/// even while an import commits.
pub fn snapshot(conn: &Connection) -> Result<rusqlite::Transaction<'_>, StoreError> {
    let snapshot = conn
        .unchecked_transaction()
        .doing("starting the listing's read transaction")?;
    // SQLite takes the snapshot at the transaction's first read.
    snapshot
        .query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
        .doing("starting the listing's read transaction")?;
    Ok(snapshot)
}

/// The selections that together list what `selection` picks, in its order: one a range of
/// at most `size` numbers of one kind, for listing them in parallel (`--limit` applies to
/// the whole, so a selection with one is not split).
pub fn chunks(
    conn: &Connection,
    selection: &Selection,
    size: i64,
) -> Result<Vec<Selection>, StoreError> {
    let mut chunks = Vec::new();
    for kind in selection.kinds() {
        let (first, end) = (seq(kind.ordinal(), 0), seq(kind.ordinal() + 1, 0));
        let held: (Option<i64>, Option<i64>) = conn
            .query_row(
                "SELECT min(seq), max(seq) FROM events WHERE seq >= ?1 AND seq < ?2",
                [first, end],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .doing("dividing the listing")?;
        let (Some(low), Some(high)) = held else {
            continue;
        };
        let mut at = low;
        while at <= high {
            let next = at.saturating_add(size).min(high + 1);
            chunks.push(Selection {
                kind: Some(kind),
                seqs: Some(at..next),
                ..selection.clone()
            });
            at = next;
        }
    }
    Ok(chunks)
}

/// How long a listing waits for the store's write lock before it is made on one thread: a
/// writer holds it for a group of batches (a second at most), and the listing need not wait
/// for a longer one (a large reference load).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// `count` more read-only connections to the store at `path` whose snapshots are the one
/// `snapshot` (a call that starts a read transaction on the caller's own connection) takes,
/// each in a read transaction until it is dropped: None when they cannot be had, and the
/// listing is then made on the one connection.
///
/// While a connection of its own holds the store's write lock (`BEGIN IMMEDIATE`), no
/// commit can come between the snapshots taken. A store that cannot be written by this
/// user gives None. A store read as immutable (in WAL with no WAL file: no writer at work,
/// see [`super::open`]) needs no lock: every connection reads it as the first one does.
pub fn same_snapshot<T>(
    path: &std::path::Path,
    count: usize,
    snapshot: impl FnOnce() -> Result<T, StoreError>,
) -> Result<Option<(T, Vec<Connection>)>, StoreError> {
    use rusqlite::OpenFlags;
    let immutable = super::open::read_as_immutable(path);
    // A rollback journal beside the store may be a cut-short commit's, which a connection
    // that can write would roll back: a listing changes nothing, so it stays on one thread.
    let journal = std::path::PathBuf::from(format!("{}-journal", path.display()));
    let lock = if immutable {
        None
    } else if journal.exists() {
        return Ok(None);
    } else {
        let Ok(lock) = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE) else {
            return Ok(None);
        };
        if lock.busy_timeout(LOCK_WAIT).is_err() || lock.execute_batch("BEGIN IMMEDIATE").is_err() {
            return Ok(None);
        }
        Some(lock)
    };
    let taken = snapshot()?;
    let mut readers = Vec::with_capacity(count);
    for _ in 0..count {
        // A store that opened once opens again; if not, the listing is made on one.
        let Ok(reader) = super::open::read_only_connection(path) else {
            return Ok(None);
        };
        reader
            .execute_batch("BEGIN")
            .and_then(|()| reader.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(())))
            .doing("starting the listing's read transaction")?;
        readers.push(reader);
    }
    if let Some(lock) = lock {
        lock.execute_batch("ROLLBACK")
            .doing("letting the store's writers go on")?;
    }
    Ok(Some((taken, readers)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's plan for `selection`'s query of purchases, one line a step.
    fn plan(selection: &Selection) -> String {
        let conn = Connection::open_in_memory().unwrap();
        super::super::schema::create(&conn).unwrap();
        let (sql, values) = selection.query(Kind::Purchases, "seq, id, body");
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let steps = statement
            .query_map(params_from_iter(values), |row| row.get::<_, String>(3))
            .unwrap();
        steps.map(Result::unwrap).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn filters_use_the_rowid_range_and_the_request_index() {
        let kind = plan(&Selection::default());
        assert!(
            kind.contains("USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"),
            "{kind}"
        );
        let rid = plan(&Selection {
            rid: Some("7".into()),
            ..Selection::default()
        });
        assert!(rid.contains("USING INDEX events_request"), "{rid}");
        assert!(!rid.contains("TEMP B-TREE"), "{rid}");
        let both = plan(&Selection {
            rid: Some("7".into()),
            account: Some(Account {
                rid: 1,
                id: "A".into(),
            }),
            since: Moment::parse("2016-01-01"),
            ..Selection::default()
        });
        assert!(both.contains("USING INDEX events_request"), "{both}");
        let account = plan(&Selection {
            account: Some(Account {
                rid: 1,
                id: "A".into(),
            }),
            ..Selection::default()
        });
        assert!(account.contains("USING INTEGER PRIMARY KEY"), "{account}");
    }

    #[test]
    fn records_whose_rows_share_a_slot_are_each_listed_as_theirs() {
        let conn = Connection::open_in_memory().unwrap();
        super::super::schema::create(&conn).unwrap();
        let far = 1 + i64::try_from(Names::KEPT).unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO products (rid, id, code) VALUES (1, 'P1', 'One'), ({far}, 'P2', 'Two')"
        ))
        .unwrap();
        let mut names = Names::new(&conn);
        let mut listed = |row| {
            let named = names.listed(Entity::Product, RecordRef::Row(row)).unwrap();
            let id = named.id.as_ref().map(|id| id.get().to_owned());
            let code: Vec<String> = named
                .columns
                .iter()
                .map(|(_, v)| v.get().to_owned())
                .collect();
            (id.unwrap_or_default(), code.join(","))
        };
        for _ in 0..2 {
            assert_eq!(listed(1), ("\"P1\"".to_owned(), "\"One\"".to_owned()));
            assert_eq!(listed(far), ("\"P2\"".to_owned(), "\"Two\"".to_owned()));
        }
        assert_eq!(listed(7), ("7".to_owned(), String::new()));
        let by_id = names.listed(Entity::Product, RecordRef::Id("P2")).unwrap();
        assert!(by_id.id.is_none());
        assert_eq!(by_id.columns[0].1.get(), "\"Two\"");
    }

    #[test]
    fn since_is_inclusive_and_until_exclusive() {
        let selection = Selection {
            since: Moment::parse("2016-06-01"),
            until: Moment::parse("2016-07-01"),
            ..Selection::default()
        };
        assert!(selection.in_time(Some("2016-06-01")));
        assert!(selection.in_time(Some("2016-06-30T23:59:59.999")));
        assert!(selection.in_time(Some("2016-07-01T01:00:00+02:00")));
        assert!(!selection.in_time(Some("2016-07-01")));
        assert!(selection.in_time(Some("2016-05-31T23:00:00-02:00")));
        assert!(!selection.in_time(Some("2016-06-01T01:00:00+02:00")));
        assert!(!selection.in_time(None));
        assert!(Selection::default().in_time(None));
        // Dates a body holds as seconds (`judge/body.rs`).
        let seconds = |text| ValueRef::Integer(crate::domain::epoch::seconds(text).unwrap());
        assert!(selection.in_time_stored(seconds("2016-06-01T00:00:00")));
        assert!(selection.in_time_stored(seconds("2016-06-30T23:59:59")));
        assert!(!selection.in_time_stored(seconds("2016-07-01T00:00:00")));
        assert!(!selection.in_time_stored(seconds("2016-05-31T23:59:59")));
        assert!(selection.in_time_stored(ValueRef::Text(b"2016-06-01")));
        assert!(!selection.in_time_stored(ValueRef::Integer(i64::MAX)));
    }
}
