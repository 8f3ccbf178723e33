//! The request unique identifiers a request has used so far, for the rule that a second use
//! within one request is a duplicate however far apart the two events are (docs/spec.md §3).
//!
//! Held exactly in memory while they fit in [`MEMORY_BYTES`] (every request of `cebulk
//! serve`, and a nightly file of a few hundred thousand events), then in a private
//! temporary SQLite database, as a dry run's memory is ([`super::dry_run`]): a file of any
//! size costs a bounded page cache, and SQLite unlinks the file under `TMPDIR` as soon as
//! it opens it. A Bloom filter in front of the file answers most first uses without a
//! query.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rusqlite::{Connection, OptionalExtension};

use super::bloom::Bloom;
use super::error::{Doing, StoreError};
use crate::judge::judged::request_key;

/// Where a failure of this memory happened, for its message.
const DOING: &str = "keeping the request's identifiers in a temporary file (in TMPDIR)";

/// The identifiers one request has used.
pub struct Repeats {
    held: Held,
    /// The most bytes the identifiers may take in memory before they move to a file.
    budget: usize,
}

enum Held {
    Memory(InMemory),
    File(OnFile),
}

impl Default for Repeats {
    /// An empty memory, for a new request.
    fn default() -> Repeats {
        Repeats::with_budget(MEMORY_BYTES)
    }
}

impl Repeats {
    fn with_budget(budget: usize) -> Repeats {
        Repeats {
            held: Held::Memory(InMemory::default()),
            budget,
        }
    }

    /// Notes a use of `rui`; whether it is its first use in the request.
    pub fn first_use(&mut self, rui: &str) -> Result<bool, StoreError> {
        if let Held::Memory(memory) = &mut self.held {
            if memory.holds(rui) {
                return Ok(false);
            }
            if memory.fits(rui, self.budget) {
                memory.add(rui);
                return Ok(true);
            }
            self.held = Held::File(OnFile::from(std::mem::take(memory))?);
        }
        let Held::File(file) = &mut self.held else {
            unreachable!("the identifiers moved to a file just above");
        };
        let hash = request_key(rui);
        if file.seen(rui, hash)? {
            return Ok(false);
        }
        file.note(rui, hash);
        Ok(true)
    }

    /// Whether the request used `rui` before, without noting a use of it.
    pub fn holds(&mut self, rui: &str) -> Result<bool, StoreError> {
        match &mut self.held {
            Held::Memory(memory) => Ok(memory.holds(rui)),
            Held::File(file) => file.seen(rui, request_key(rui)),
        }
    }

    /// Writes the identifiers noted since the last flush to the file, once there are
    /// [`PENDING`] of them: identifiers in no order each land on a page of their own, and
    /// more of them a flush share pages (docs/performance.md, "store/repeats: identifiers
    /// written many at a time"). Identifiers held in memory stay there.
    pub fn flush_if_many(&mut self) -> Result<(), StoreError> {
        match &mut self.held {
            Held::File(file) if file.pending.len() >= PENDING => file.flush(),
            _ => Ok(()),
        }
    }
}

/// The most bytes a request's identifiers take in memory (about 360 k UUIDs) before they
/// move to a temporary file.
const MEMORY_BYTES: usize = 16 << 20;

/// The bytes of one piece of [`InMemory`]'s text.
const PIECE: usize = 1 << 20;

/// Every identifier, exactly: their bytes one after another in pieces of [`PIECE`] bytes,
/// each preceded by its length (two bytes), and a hash table of where each begins (four
/// bytes a slot, not a `String` each). Pieces are never moved or grown, so memory is what
/// the identifiers take and no more than one piece beyond.
#[derive(Default)]
struct InMemory {
    pieces: Vec<Vec<u8>>,
    table: HashTable<u32>,
}

impl InMemory {
    fn holds(&self, rui: &str) -> bool {
        let pieces = &self.pieces;
        self.table
            .find(hash(rui.as_bytes()), |&at| {
                text(pieces, at) == rui.as_bytes()
            })
            .is_some()
    }

    /// Whether `rui` can be added within `budget` bytes (and in the form a piece holds).
    fn fits(&self, rui: &str, budget: usize) -> bool {
        let Ok(len) = u16::try_from(rui.len()) else {
            return false;
        };
        let pieces = self.pieces.len() + usize::from(self.needs_piece(len.into()));
        // The table doubles when full: its slots, their control bytes and the load factor's
        // spare room, about six bytes a slot.
        let slots = if self.table.len() == self.table.capacity() {
            (self.table.capacity() * 2).max(16)
        } else {
            self.table.capacity()
        };
        pieces * PIECE + slots * 6 <= budget
    }

    /// Whether an identifier of `len` bytes needs a piece of its own.
    fn needs_piece(&self, len: usize) -> bool {
        self.pieces
            .last()
            .is_none_or(|piece| piece.len() + 2 + len > PIECE)
    }

    /// Adds `rui`, which [`InMemory::fits`] and is not held yet.
    fn add(&mut self, rui: &str) {
        let len = rui.len();
        if self.needs_piece(len) {
            self.pieces.push(Vec::with_capacity(PIECE));
        }
        let number = self.pieces.len() - 1;
        let piece = &mut self.pieces[number];
        let at = u32::try_from(number * PIECE + piece.len())
            .expect("the budget keeps the pieces far below 4 GiB");
        piece.extend_from_slice(&(len as u16).to_le_bytes());
        piece.extend_from_slice(rui.as_bytes());
        let InMemory { pieces, table } = self;
        table.insert_unique(hash(rui.as_bytes()), at, |&at| hash(text(pieces, at)));
    }

    /// Every identifier held, each once.
    fn into_identifiers(self) -> impl Iterator<Item = String> {
        self.pieces.into_iter().flat_map(|piece| {
            let mut at = 0;
            std::iter::from_fn(move || {
                let (rui, next) = entry(&piece, at)?;
                at = next;
                Some(String::from_utf8_lossy(rui).into_owned())
            })
        })
    }
}

/// The hash of an identifier's bytes in [`InMemory`]'s table.
fn hash(rui: &[u8]) -> u64 {
    foldhash::quality::FixedState::with_seed(0x7265_7065_6174).hash_one(rui)
}

/// The identifier that begins at `at` of `pieces` (its piece, then where in it).
fn text(pieces: &[Vec<u8>], at: u32) -> &[u8] {
    let piece = &pieces[(at / PIECE as u32) as usize];
    entry(piece, (at % PIECE as u32) as usize).map_or(&[], |(rui, _)| rui)
}

/// The identifier that begins at `at` of `piece`, and where the next begins.
fn entry(piece: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let len = u16::from_le_bytes([*piece.get(at)?, *piece.get(at + 1)?]) as usize;
    let next = at + 2 + len;
    Some((piece.get(at + 2..next)?, next))
}

/// The identifiers of a request past [`MEMORY_BYTES`], in a temporary database.
struct OnFile {
    conn: Connection,
    filter: Bloom,
    /// Identifiers noted since the last flush, written together by the next one.
    pending: Vec<String>,
}

impl OnFile {
    /// A temporary database holding every identifier in `memory`.
    fn from(memory: InMemory) -> Result<OnFile, StoreError> {
        let conn = super::temporary::open(
            "CREATE TABLE used (rui TEXT PRIMARY KEY) WITHOUT ROWID;",
            1024,
            DOING,
        )?;
        let mut file = OnFile {
            conn,
            filter: Bloom::default(),
            pending: Vec::new(),
        };
        for rui in memory.into_identifiers() {
            file.filter.insert(request_key(&rui));
            file.pending.push(rui);
            if file.pending.len() >= PENDING {
                file.flush()?;
            }
        }
        file.flush()?;
        Ok(file)
    }

    fn note(&mut self, rui: &str, hash: u64) {
        self.filter.insert(hash);
        self.pending.push(rui.to_owned());
    }

    /// Whether `rui`, whose request key is `hash`, was noted: the filter answers most
    /// identifiers never noted without a query.
    fn seen(&mut self, rui: &str, hash: u64) -> Result<bool, StoreError> {
        if !self.filter.may_contain(hash) {
            return Ok(false);
        }
        self.flush()?;
        self.conn
            .prepare_cached("SELECT 1 FROM used WHERE rui = ?1")
            .and_then(|mut s| s.query_row([rui], |_| Ok(())).optional())
            .doing(DOING)
            .map(|found| found.is_some())
    }

    /// Writes the identifiers noted since the last flush, sorted (neighbouring keys share
    /// pages) and [`ROWS`] to a statement (one statement's overhead for many rows).
    fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.pending.sort_unstable();
        let tx = self.conn.transaction().doing(DOING)?;
        {
            let mut chunks = self.pending.chunks_exact(ROWS);
            let mut many = tx.prepare_cached(&insert_rows(ROWS)).doing(DOING)?;
            for chunk in &mut chunks {
                many.execute(rusqlite::params_from_iter(chunk))
                    .doing(DOING)?;
            }
            let rest = chunks.remainder();
            if !rest.is_empty() {
                tx.prepare_cached(&insert_rows(rest.len()))
                    .and_then(|mut s| s.execute(rusqlite::params_from_iter(rest)))
                    .doing(DOING)?;
            }
        }
        self.pending.clear();
        tx.commit().doing(DOING)
    }
}

/// Identifiers noted before they are written (about 1 MiB of UUIDs).
const PENDING: usize = 16_384;

/// Identifiers inserted by one statement.
const ROWS: usize = 64;

/// `INSERT OR IGNORE` of `rows` identifiers.
fn insert_rows(rows: usize) -> String {
    let mut sql = String::from("INSERT OR IGNORE INTO used (rui) VALUES (?)");
    for _ in 1..rows {
        sql.push_str(", (?)");
    }
    sql
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    /// A budget of one piece and `slots` slots: the identifiers move to a file when the
    /// table grows past them.
    fn budget_of(slots: usize) -> usize {
        PIECE + slots * 6
    }

    fn on_file(repeats: &Repeats) -> Option<&OnFile> {
        match &repeats.held {
            Held::File(file) => Some(file),
            Held::Memory(_) => None,
        }
    }

    #[test]
    fn a_second_use_is_found_however_far_apart() {
        let mut repeats = Repeats::default();
        assert!(repeats.first_use("a").unwrap());
        for i in 0..5000 {
            assert!(repeats.first_use(&i.to_string()).unwrap());
        }
        assert!(!repeats.first_use("a").unwrap());
        assert!(!repeats.first_use("4999").unwrap());
        assert!(!repeats.holds("5000").unwrap());
        assert!(repeats.first_use("5000").unwrap());
        assert!(repeats.holds("5000").unwrap());
        assert!(!repeats.first_use("5000").unwrap(), "a repeat");
        assert!(
            on_file(&repeats).is_none(),
            "5001 identifiers stay in memory"
        );
    }

    #[test]
    fn about_360_thousand_uuids_stay_in_memory() {
        let mut repeats = Repeats::default();
        let uuid = |i: u32| format!("{i:08x}-0000-4000-8000-{:012x}", u64::from(i) * 7919);
        let mut held = 0;
        while on_file(&repeats).is_none() {
            assert!(repeats.first_use(&uuid(held)).unwrap());
            held += 1;
        }
        assert!(
            (350_000..370_000).contains(&held),
            "{held} UUIDs held in memory"
        );
        assert!(!repeats.first_use(&uuid(0)).unwrap(), "moved with the rest");
    }

    #[test]
    fn identifiers_past_the_budget_move_to_a_file_and_are_found_there() {
        let mut repeats = Repeats::with_budget(budget_of(1024));
        for i in 0..896 {
            assert!(repeats.first_use(&format!("{i:x}")).unwrap());
        }
        assert!(
            on_file(&repeats).is_none(),
            "a full table, within the budget"
        );
        assert!(repeats.first_use("the one past").unwrap());
        assert!(
            on_file(&repeats).is_some(),
            "the table would outgrow the budget"
        );
        for i in 0..896 {
            assert!(repeats.holds(&format!("{i:x}")).unwrap(), "{i:x} moved");
        }
        assert!(!repeats.first_use("0").unwrap());
        assert!(!repeats.first_use("the one past").unwrap());
        assert!(repeats.first_use("another").unwrap());
    }

    #[test]
    fn an_identifier_longer_than_a_piece_holds_goes_to_the_file() {
        let mut repeats = Repeats::default();
        assert!(repeats.first_use("short").unwrap());
        let long = "x".repeat(70_000);
        assert!(repeats.first_use(&long).unwrap());
        assert!(on_file(&repeats).is_some());
        assert!(!repeats.first_use(&long).unwrap());
        assert!(!repeats.first_use("short").unwrap());
    }

    #[test]
    fn a_repeat_is_found_whether_its_first_use_was_written_or_still_waits() {
        let mut repeats = Repeats::with_budget(budget_of(16));
        let total = PENDING + PENDING / 2;
        for i in 0..total {
            assert!(repeats.first_use(&format!("{i:x}")).unwrap());
            if i % 1000 == 999 {
                repeats.flush_if_many().unwrap();
            }
        }
        let pending = on_file(&repeats).unwrap().pending.len();
        assert!(pending < PENDING, "some were written");
        assert!(pending > 0, "some still wait");
        assert!(!repeats.first_use("0").unwrap(), "written");
        assert!(
            !repeats.first_use(&format!("{:x}", total - 1)).unwrap(),
            "waiting"
        );
        assert!(repeats.first_use(&format!("{total:x}")).unwrap());
    }

    proptest! {
        /// Whatever the budget, and wherever the identifiers move to the file, each
        /// answer is the one an exact set gives.
        #[test]
        fn answers_as_an_exact_set_does(
            slots in 0usize..64,
            uses in prop::collection::vec((any::<bool>(), "[a-e]{0,3}|é[0-9]{1,2}"), 0..300),
        ) {
            let mut repeats = Repeats::with_budget(budget_of(slots));
            let mut model = HashSet::new();
            for (note, rui) in uses {
                if note {
                    prop_assert_eq!(repeats.first_use(&rui).unwrap(), model.insert(rui));
                } else {
                    prop_assert_eq!(repeats.holds(&rui).unwrap(), model.contains(&rui));
                }
                repeats.flush_if_many().unwrap();
            }
        }
    }
}
