//! Ids of created events: 32 upper-case hex characters that hold the event's kind and
//! number, so they are unique because `(kind, number)` is (the store's primary key) and need
//! no index of their own: a unique index on ids slows every insert, random ids most of all
//! (docs/performance.md, "store/ids: ids without an index").
//!
//! Since schema 7 an event's row holds no id: it is made again from the event's `seq` and
//! the `id_batches` row of the batch that created it ([`record_batch`]), in Rust by
//! [`StoredIds`] and in SQL by the `event_ids` view ([`DERIVED`]). Events created before
//! schema 7 keep the id text their row holds.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};

use super::error::{Doing, StoreError};
use super::schema::NUMBER_BITS;
use crate::domain::kind::Kind;

/// Bits of a time-ordered id's random part (its last 9 hex digits).
const RANDOM_BITS: u32 = 36;

/// The random part's values: `2^RANDOM_BITS - 1`.
const RANDOM_MASK: u64 = (1 << RANDOM_BITS) - 1;

/// An odd multiplier that spreads consecutive numbers over the random part. Small enough
/// that SQLite computes the same part without overflowing 64 bits, which it would turn
/// into a floating-point number: `(2^36 - 1) × 40503 + 2^36 < 2^53`.
const SPREAD: u64 = 40_503;

/// The id of the event at `e.seq` made from its batch's row `b` of `id_batches`, as an SQL
/// expression: the same text as [`BatchIds::id`].
pub const DERIVED: &str = "CASE WHEN b.random IS NULL
    THEN printf('%012X%X%019X', b.millis, e.seq >> 40, e.seq & 1099511627775)
    ELSE printf('%012X%X%010X%09X', b.millis, e.seq >> 40, e.seq & 1099511627775,
                (b.random + ((e.seq & 1099511627775) % 68719476736) * 40503) % 68719476736)
    END";

/// The `id_batches` row of the batch that created the event at `e.seq`, as the end of an
/// SQL `SELECT … FROM id_batches b`: the last batch of the event's kind that began at or
/// before it.
pub const BATCH_OF: &str = "WHERE b.first_seq <= e.seq AND b.first_seq >= (e.seq >> 40) << 40
    ORDER BY b.first_seq DESC LIMIT 1";

/// Makes event ids.
#[derive(Debug, Clone, Copy)]
pub enum IdGenerator {
    /// A millisecond timestamp (12 hex digits, as in UUIDv7), the kind (1), the number (10)
    /// and 36 random bits (9): ordered by time, then number.
    TimeOrdered,
    /// `--id-seed N`: the seed, the kind and the event's number, so that a replay on a fresh
    /// store gives the same ids. Still ordered within a kind, and unique because numbers are.
    Seeded(u64),
}

impl IdGenerator {
    /// The id of event `number` of `kind`.
    pub fn id(self, kind: Kind, number: i64) -> String {
        self.batch().id(kind, number)
    }

    /// Ids for one batch: the clock and the random source are read once, not once an id,
    /// on the one writer thread (docs/performance.md, "store/ids: ids a batch at a time").
    pub fn batch(self) -> BatchIds {
        match self {
            IdGenerator::TimeOrdered => {
                let uuid = uuid::Uuid::now_v7().as_u128();
                BatchIds::TimeOrdered {
                    millis: (uuid >> 80) as u64,
                    random: uuid as u64 & RANDOM_MASK,
                }
            }
            IdGenerator::Seeded(seed) => BatchIds::Seeded(seed),
        }
    }
}

/// The ids of one batch's events.
#[derive(Debug, Clone, Copy)]
pub enum BatchIds {
    /// See [`IdGenerator::TimeOrdered`]: the batch's millisecond, and random bits that each
    /// id mixes with its number.
    TimeOrdered {
        /// Milliseconds since the Unix epoch when the batch began.
        millis: u64,
        /// Random bits for the batch, [`RANDOM_BITS`] of them.
        random: u64,
    },
    /// See [`IdGenerator::Seeded`].
    Seeded(u64),
}

impl BatchIds {
    /// The id of event `number` of `kind`.
    pub fn id(self, kind: Kind, number: i64) -> String {
        let mut id = String::with_capacity(32);
        self.write_id(kind, number, &mut id);
        id
    }

    /// Appends the id of event `number` of `kind` to `out`.
    fn write_id(self, kind: Kind, number: i64, out: &mut String) {
        match self {
            BatchIds::TimeOrdered { millis, random } => {
                push_hex(out, millis, 12);
                push_hex(out, u64::from(kind.ordinal()), 1);
                push_hex(out, number as u64 & 0xFF_FFFF_FFFF, 10);
                let number = number as u64 & RANDOM_MASK;
                push_hex(out, (random + number * SPREAD) & RANDOM_MASK, 9);
            }
            BatchIds::Seeded(seed) => {
                push_hex(out, seed, 12);
                push_hex(out, u64::from(kind.ordinal()), 1);
                // 19 digits: the number's 16, after three zeros.
                push_hex(out, 0, 3);
                push_hex(out, number as u64, 16);
            }
        }
    }
}

/// Whether `id` is 32 upper-case hex digits.
fn is_upper_hex_32(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'))
}

/// Whether `id` is the id cebulk gives event `number` of `kind`, by either generator: 32
/// upper-case hex digits holding the kind's ordinal and the number (10 digits of it, or 19
/// when seeded). `cebulk check` asks this of every event: ids are unique because they
/// hold what makes an event unique, so an id that does not is a problem.
pub fn holds(id: &str, kind: Kind, number: i64) -> bool {
    if !is_upper_hex_32(id) || id.as_bytes()[12] != b"0123456789ABCDEF"[usize::from(kind.ordinal())]
    {
        return false;
    }
    let Ok(number) = u64::try_from(number) else {
        return false;
    };
    let time_ordered = u64::from_str_radix(&id[13..23], 16) == Ok(number & 0xFF_FFFF_FFFF);
    let seeded = u128::from_str_radix(&id[13..], 16) == Ok(u128::from(number));
    time_ordered || seeded
}

/// The value of `id` if it is a UUIDv7 in upper-case hex (its version digit 7, its variant
/// 10xx): the ids schema 1 gave events imported without `--id-seed`, which hold neither
/// kind nor number, and which stores upgraded from it still have.
pub fn schema_1_uuid(id: &str) -> Option<u128> {
    let bytes = id.as_bytes();
    (is_upper_hex_32(id) && bytes[12] == b'7' && matches!(bytes[16], b'8' | b'9' | b'A' | b'B'))
        .then(|| u128::from_str_radix(id, 16).ok())
        .flatten()
}

impl BatchIds {
    /// The batch's `id_batches` columns: `millis` (the seed, when seeded) and `random`
    /// (none when seeded).
    fn columns(self) -> (i64, Option<i64>) {
        match self {
            BatchIds::TimeOrdered { millis, random } => (
                (millis & 0xFFFF_FFFF_FFFF) as i64,
                Some((random & RANDOM_MASK) as i64),
            ),
            BatchIds::Seeded(seed) => ((seed & 0xFFFF_FFFF_FFFF) as i64, None),
        }
    }

    /// The batch an `id_batches` row stands for, if its cells are what [`record_batch`]
    /// writes.
    fn from_columns(millis: ValueRef<'_>, random: ValueRef<'_>) -> Option<BatchIds> {
        let ValueRef::Integer(millis) = millis else {
            return None;
        };
        let millis = u64::try_from(millis)
            .ok()
            .filter(|m| *m <= 0xFFFF_FFFF_FFFF)?;
        match random {
            ValueRef::Null => Some(BatchIds::Seeded(millis)),
            ValueRef::Integer(random) => {
                let random = u64::try_from(random).ok().filter(|r| *r <= RANDOM_MASK)?;
                Some(BatchIds::TimeOrdered { millis, random })
            }
            _ => None,
        }
    }
}

/// Records, in the write transaction, that the batch whose first created event is at
/// `first_seq` gave its events `batch`'s ids: one row a batch instead of an id an event.
pub fn record_batch(conn: &Connection, first_seq: i64, batch: BatchIds) -> Result<(), StoreError> {
    let (millis, random) = batch.columns();
    conn.prepare_cached("INSERT INTO id_batches (first_seq, millis, random) VALUES (?1, ?2, ?3)")
        .and_then(|mut s| s.execute(params![first_seq, millis, random]))
        .inserting("recording the batch's ids")
        .map(drop)
}

/// Whether an `id_batches` row's `millis` and `random` are what [`record_batch`] writes.
pub fn batch_columns_valid(millis: ValueRef<'_>, random: ValueRef<'_>) -> bool {
    BatchIds::from_columns(millis, random).is_some()
}

/// The kind and number of the event at `seq`, if its ordinal is a kind's.
pub fn kind_and_number(seq: i64) -> Option<(Kind, i64)> {
    let ordinal = u8::try_from(seq >> NUMBER_BITS).ok()?;
    let kind = Kind::ALL.into_iter().find(|k| k.ordinal() == ordinal)?;
    Some((kind, seq & ((1 << NUMBER_BITS) - 1)))
}

/// The failure of an event at `seq` whose id the store can neither read nor make.
fn missing(seq: i64) -> StoreError {
    let event = match kind_and_number(seq) {
        Some((kind, number)) => format!("{} event {number}", kind.name()),
        None => format!("the event at rowid {seq}"),
    };
    StoreError {
        doing: format!("reading the id of {event}"),
        source: rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(
                "its row holds no id and id_batches no valid row of the batch that created it"
                    .to_owned(),
            ),
        ),
        inconsistent: true,
    }
}

/// Events' ids as the store gives them: the only way ids are read from it (the writer's
/// re-run recognition, listings, `cebulk check`). Reading events in `seq` order, it looks
/// up each batch once.
pub struct StoredIds<'c> {
    conn: &'c Connection,
    /// The batch last looked up: the `seq` range it covers and its ids.
    batch: Option<(i64, i64, Option<BatchIds>)>,
    /// The last id made.
    made: String,
}

impl<'c> StoredIds<'c> {
    /// Ids of the events `conn` reads.
    pub fn new(conn: &'c Connection) -> StoredIds<'c> {
        StoredIds {
            conn,
            batch: None,
            made: String::with_capacity(32),
        }
    }

    /// The id of the event at `seq`, whose `id` cell is `stored`: that text for an event
    /// created before schema 7, otherwise the one its batch gives. None when there is
    /// neither (a damaged store: `cebulk check` says so).
    pub fn id<'a>(
        &'a mut self,
        seq: i64,
        stored: ValueRef<'a>,
    ) -> Result<Option<&'a str>, StoreError> {
        match stored {
            ValueRef::Null => {}
            ValueRef::Text(text) => return Ok(std::str::from_utf8(text).ok()),
            _ => return Ok(None),
        }
        let Some((kind, number)) = kind_and_number(seq) else {
            return Ok(None);
        };
        let Some(batch) = self.batch_of(seq)? else {
            return Ok(None);
        };
        self.made.clear();
        batch.write_id(kind, number, &mut self.made);
        Ok(Some(&self.made))
    }

    /// The id of the event at `seq`, as [`StoredIds::id`], for what must show or report it
    /// (the listing, a re-run's report): an event with no id stops them as a store that
    /// contradicts itself, to be checked, rather than show an empty id.
    pub fn required<'a>(
        &'a mut self,
        seq: i64,
        stored: ValueRef<'a>,
    ) -> Result<&'a str, StoreError> {
        self.id(seq, stored)?.ok_or_else(|| missing(seq))
    }

    /// Forgets the batch kept: a batch row written since may begin within its range.
    pub fn forget(&mut self) {
        self.batch = None;
    }

    /// The ids of the batch that created the event at `seq`, if the store has a valid row
    /// of it.
    fn batch_of(&mut self, seq: i64) -> Result<Option<BatchIds>, StoreError> {
        if let Some((first, end, batch)) = self.batch
            && (first..end).contains(&seq)
        {
            return Ok(batch);
        }
        let doing = "reading the ids of the event's batch";
        let kind_first = (seq >> NUMBER_BITS) << NUMBER_BITS;
        let kind_end = kind_first.saturating_add(1 << NUMBER_BITS);
        let found = self
            .conn
            .prepare_cached(
                "SELECT first_seq, millis, random FROM id_batches
                 WHERE first_seq <= ?1 AND first_seq >= ?2 ORDER BY first_seq DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row(params![seq, kind_first], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        BatchIds::from_columns(row.get_ref(1)?, row.get_ref(2)?),
                    ))
                })
                .optional()
            })
            .doing(doing)?;
        let Some((first, batch)) = found else {
            return Ok(None);
        };
        let next: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT first_seq FROM id_batches WHERE first_seq > ?1
                 ORDER BY first_seq LIMIT 1",
            )
            .and_then(|mut s| s.query_row([seq], |row| row.get(0)).optional())
            .doing(doing)?;
        let end = next.map_or(kind_end, |next| next.min(kind_end));
        self.batch = Some((first, end, batch));
        Ok(batch)
    }
}

/// Appends the low `digits` hex digits of `value`, upper case.
fn push_hex(out: &mut String, value: u64, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for i in (0..digits).rev() {
        out.push(char::from(HEX[((value >> (i * 4)) & 0xF) as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_id(id: &str) -> bool {
        id.len() == 32
            && id
                .chars()
                .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
    }

    #[test]
    fn ids_are_32_upper_hex_and_ordered() {
        let batch = IdGenerator::TimeOrdered.batch();
        let ids: Vec<String> = (1..50).map(|n| batch.id(Kind::Web, n)).collect();
        assert!(ids.iter().all(|id| is_id(id)));
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        // The kind and number are in the id: no two events of a store can share one.
        assert_eq!(&ids[11][12..23], "5000000000C");
        // The first 12 digits are UUIDv7's millisecond timestamp.
        let millis = u64::from_str_radix(&ids[0][..12], 16).unwrap_or_default();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
        assert!(now.abs_diff(millis) < 60_000, "{millis} vs {now}");
    }

    #[test]
    fn every_id_made_holds_its_kind_and_number_and_no_other() {
        for kind in Kind::ALL {
            for number in [1, 9, 10, 4096, (1 << 36) - 1, 1 << 36, (1 << 40) - 1] {
                for ids in [IdGenerator::TimeOrdered, IdGenerator::Seeded(7)] {
                    let id = ids.id(kind, number);
                    assert!(holds(&id, kind, number), "{id} {kind:?} {number}");
                    assert!(!holds(&id, kind, number + 1), "{id} {number}");
                    let other = if kind == Kind::Web {
                        Kind::Purchases
                    } else {
                        Kind::Web
                    };
                    assert!(!holds(&id, other, number), "{id} {other:?}");
                    assert!(!holds(&format!("g{}", &id[1..]), kind, number), "{id}");
                }
            }
        }
        assert!(!holds("", Kind::Web, 1));
        assert!(
            !holds("01A22C534AB150000000001a30a10a99", Kind::Web, 1),
            "lower case"
        );
        assert!(!holds("0000000000015000000000000000000G", Kind::Web, 1));
    }

    #[test]
    fn schema_1_ids_are_uuid_v7() {
        let id = "0190F3C1A2B37C4D8E5F60718293A4B5";
        assert_eq!(schema_1_uuid(id), u128::from_str_radix(id, 16).ok());
        assert_eq!(schema_1_uuid(&id.to_lowercase()), None);
        assert_eq!(
            schema_1_uuid("0190F3C1A2B36C4D8E5F60718293A4B5"),
            None,
            "version 6"
        );
        assert_eq!(
            schema_1_uuid("0190F3C1A2B37C4DCE5F60718293A4B5"),
            None,
            "variant 110"
        );
    }

    #[test]
    fn the_store_makes_each_events_id_again_from_its_batch_in_rust_and_in_sql() {
        let conn = Connection::open_in_memory().unwrap();
        super::super::schema::create(&conn).unwrap();
        let numbers = [1, 2, 9, 4096, (1 << 36) - 1, 1 << 36, (1 << 40) - 1];
        let batches = [
            (Kind::Web, IdGenerator::TimeOrdered.batch()),
            (
                Kind::Purchases,
                BatchIds::TimeOrdered {
                    millis: 0xFFFF_FFFF_FFFF,
                    random: RANDOM_MASK,
                },
            ),
            (Kind::Referrals, IdGenerator::Seeded(u64::MAX).batch()),
        ];
        let mut expected = Vec::new();
        for (kind, batch) in batches {
            let seq = |number| super::super::schema::seq(kind.ordinal(), number);
            record_batch(&conn, seq(numbers[0]), batch).unwrap();
            for number in numbers {
                conn.execute(
                    "INSERT INTO events (seq, request_unique_identifier, body) VALUES (?1, 'r', '{}')",
                    [seq(number)],
                )
                .unwrap();
                expected.push((seq(number), batch.id(kind, number)));
            }
        }
        // An event created before schema 7 keeps the id its row holds.
        let old = super::super::schema::seq(Kind::Achievements.ordinal(), 1);
        conn.execute(
            "INSERT INTO events (seq, id, request_unique_identifier, body) VALUES (?1, 'OLD', 'r', '{}')",
            [old],
        )
        .unwrap();
        expected.push((old, "OLD".to_owned()));
        expected.sort();
        let mut statement = conn
            .prepare("SELECT seq, id FROM event_ids ORDER BY seq")
            .unwrap();
        let in_sql: Vec<(i64, String)> = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(in_sql, expected);
        let mut stored = StoredIds::new(&conn);
        let mut statement = conn
            .prepare("SELECT seq, id FROM events ORDER BY seq")
            .unwrap();
        let mut rows = statement.query([]).unwrap();
        let mut in_rust = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            let seq: i64 = row.get(0).unwrap();
            let id = stored.id(seq, row.get_ref(1).unwrap()).unwrap();
            in_rust.push((seq, id.unwrap_or_default().to_owned()));
        }
        assert_eq!(in_rust, expected);
        // No batch of its kind, no id.
        let orphan = super::super::schema::seq(Kind::SocialMedia.ordinal(), 3);
        assert_eq!(stored.id(orphan, ValueRef::Null).unwrap(), None);
    }

    #[test]
    fn seeded_ids_repeat_and_differ_by_kind() {
        let a = IdGenerator::Seeded(7).id(Kind::Web, 12);
        assert_eq!(a, IdGenerator::Seeded(7).id(Kind::Web, 12));
        assert_ne!(a, IdGenerator::Seeded(7).id(Kind::Referrals, 12));
        assert!(is_id(&a));
        assert!(IdGenerator::Seeded(7).id(Kind::Web, 9) < IdGenerator::Seeded(7).id(Kind::Web, 10));
    }
}
