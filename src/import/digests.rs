//! The digest by which a re-run recognises a batch an earlier run created
//! ([`crate::store::digests`]): of each event as read, in order, keyed by everything else its
//! judging depends on (this cebulk's version, the kind, the reference data, the request's
//! parameters and the CSV options), so that a batch read alike but judged otherwise is not
//! taken for it.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::domain::values::Numbers;
use crate::input::csv::options::CsvOptions;
use crate::input::request::{Body, RawEvent};
use crate::judge::judged::request_key;
use crate::judge::resolve::Context;
use crate::store::bloom::Bloom;
use crate::store::digests::{Digest, Found};
use crate::store::error::StoreError;
use crate::store::repeats::Repeats;

/// What a request's batches are judged with, as a key for their digests.
#[derive(Debug, Clone)]
pub struct Key([u8; 32]);

impl Key {
    /// The key of a request judged in `context` with `csv`, whose reference data has
    /// `maps_digest`.
    pub fn new(context: &Context<'_>, maps_digest: &[u8; 32], csv: &CsvOptions) -> Key {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"cebulk batch digest\0");
        hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
        hasher.update(b"\0");
        hasher.update(context.kind.name().as_bytes());
        hasher.update(b"\0");
        hasher.update(maps_digest);
        hasher.update(format!("{:?}\0{csv:?}", context.intended_currency).as_bytes());
        Key(*hasher.finalize().as_bytes())
    }

    /// The digest of `batch`; None for a batch that holds an event not read as text or CSV
    /// rows (a request document's, or one that could not be read), which is never
    /// recognised by a digest.
    pub fn digest(&self, batch: &[RawEvent]) -> Option<Digest> {
        // Framed into one buffer and hashed at once: BLAKE3 costs much more for many small
        // updates than for one large one. The buffer is the thread's, kept from batch to
        // batch, so that it is not grown again for each.
        BUFFER.with_borrow_mut(|bytes| {
            bytes.clear();
            let digest = self
                .framed_into(batch, bytes)
                .map(|()| Digest(*blake3::keyed_hash(&self.0, bytes).as_bytes()));
            // A batch of huge events does not keep its size for the rest of the run.
            if bytes.capacity() > KEPT {
                *bytes = Vec::new();
            }
            digest
        })
    }

    /// Writes `batch` into `bytes`, each text after its length; None as [`Key::digest`].
    fn framed_into(&self, batch: &[RawEvent], bytes: &mut Vec<u8>) -> Option<()> {
        let mut columns = None;
        for raw in batch {
            bytes.push(match raw.numbers {
                Numbers::Json => b'J',
                Numbers::Strings => b'S',
            });
            match &raw.body {
                Body::Text(text) => {
                    bytes.push(b'T');
                    framed(bytes, text.as_bytes());
                }
                Body::Csv(event) => {
                    // The header's plan is the same for every event of a file: hashed once.
                    match &columns {
                        None => {
                            bytes.push(b'H');
                            let plan = format!("{:?}{}", event.columns, event.grouped);
                            framed(bytes, plan.as_bytes());
                            columns = Some(Arc::clone(&event.columns));
                        }
                        Some(first) if Arc::ptr_eq(first, &event.columns) => {}
                        Some(_) => return None,
                    }
                    bytes.push(b'C');
                    bytes.extend_from_slice(&(event.rows.len() as u64).to_le_bytes());
                    for row in &event.rows {
                        // Where each cell ends, then the cells together: one copy a row
                        // instead of one a cell.
                        bytes.extend_from_slice(&(row.len() as u64).to_le_bytes());
                        let mut end = 0u64;
                        for cell in row {
                            end += cell.len() as u64;
                            bytes.extend_from_slice(&end.to_le_bytes());
                        }
                        bytes.extend_from_slice(row.as_byte_record().as_slice());
                    }
                }
                Body::Tree(_) | Body::Broken { .. } => return None,
            }
        }
        Some(())
    }
}

/// Batches of a request not found in a row after which the rest of it is looked up only
/// now and then: a lookup reads the store while the writer commits, and in the rollback
/// journal a commit waits for readers, which cost an import of new events a tenth of its
/// rate (docs/performance.md, "import/digests: when to look batches up").
pub const GIVE_UP_AFTER: usize = 4;

/// After [`GIVE_UP_AFTER`] misses, one batch in this many is still looked up: a re-run whose
/// first batches were not recorded (each had an event unprocessed) finds the later ones.
pub const RETRY_EVERY: usize = 16;

/// Whether a request's batches are still worth looking up by their digests: a re-run's are
/// found one after the other, a new input's never, and a re-run cut short (killed, then
/// re-run) has them found first, then not. Batches are judged several at once, so the
/// count is only about in a row; what it decides is only how fast, never what is reported.
#[derive(Default)]
pub struct Misses {
    /// Batches not found since the last one found.
    missed: AtomicUsize,
    /// Batches asked about.
    asked: AtomicUsize,
}

impl Misses {
    /// Whether to look the next batch up.
    pub fn worth_looking(&self) -> bool {
        let asked = self.asked.fetch_add(1, Ordering::Relaxed);
        self.missed.load(Ordering::Relaxed) < GIVE_UP_AFTER || asked.is_multiple_of(RETRY_EVERY)
    }

    /// Notes whether a batch looked up was found.
    pub fn note(&self, found: bool) {
        if found {
            self.missed.store(0, Ordering::Relaxed);
        } else {
            self.missed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The batches of one request recognised by their digests so far, and whether the request
/// had others.
///
/// A batch found by its digest stands for its events only if the request did not use one of
/// their identifiers before it (a repeat is a duplicate however far apart, docs/spec.md §3):
/// - two batches recorded never share an identifier, so among batches recognised only the
///   same batch twice can repeat one (its `seq` range is then taken);
/// - after a batch that was judged, each identifier is looked for among those the request
///   used ([`Repeats::holds`]).
///
/// And a judged event whose identifier a batch recognised used is a repeat: its first
/// use is looked for among these batches' events in the store ([`Recognised::may_hold`]
/// first, then `crate::store::digests::Finder::holds_within`).
#[derive(Default)]
pub struct Recognised {
    /// The `seq` ranges of the batches recognised, sorted.
    ranges: Vec<Range<i64>>,
    /// Their identifiers' request keys.
    filter: Bloom,
    /// Whether a batch of the request was judged.
    judged: bool,
}

impl Recognised {
    /// Whether `found` may stand for its batch: the request used none of its identifiers
    /// before.
    pub fn accepts(&self, found: &Found, repeats: &mut Repeats) -> Result<bool, StoreError> {
        let seqs = found.seqs();
        let after = self.ranges.partition_point(|range| range.end <= seqs.start);
        if self
            .ranges
            .get(after)
            .is_some_and(|range| range.start < seqs.end)
        {
            return Ok(false);
        }
        if self.judged {
            for (rui, _, _) in &found.events {
                if repeats.holds(rui)? {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Notes `found`, which stands for its batch.
    pub fn add(&mut self, found: &Found) {
        let seqs = found.seqs();
        let at = self.ranges.partition_point(|range| range.end <= seqs.start);
        self.ranges.insert(at, seqs);
        for (rui, _, _) in &found.events {
            self.filter.insert(request_key(rui));
        }
    }

    /// Notes that a batch of the request was judged.
    pub fn judged(&mut self) {
        self.judged = true;
    }

    /// Whether a batch recognised may have used `rui` (false: none did).
    pub fn may_hold(&self, rui: &str) -> bool {
        !self.ranges.is_empty() && self.filter.may_contain(request_key(rui))
    }

    /// The `seq` ranges of the batches recognised, sorted and apart.
    pub fn ranges(&self) -> &[Range<i64>] {
        &self.ranges
    }
}

/// The most a worker's buffer keeps between batches: a batch of 1000 large events.
const KEPT: usize = 4 << 20;

thread_local! {
    /// Each worker's buffer for [`Key::digest`], kept between batches up to [`KEPT`].
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Adds `text` after its length, so that no two sequences of texts frame alike.
fn framed(bytes: &mut Vec<u8>, text: &[u8]) {
    bytes.extend_from_slice(&(text.len() as u64).to_le_bytes());
    bytes.extend_from_slice(text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kind::Kind;
    use crate::input::request::Origin;
    use crate::reference::maps::ReferenceMaps;

    fn line(text: &str) -> RawEvent {
        RawEvent {
            body: Body::Text(text.into()),
            numbers: Numbers::Json,
            origin: Origin::Line(1),
            verbatim: None,
        }
    }

    fn key(kind: Kind, maps: &ReferenceMaps) -> Key {
        let context = Context {
            kind,
            maps,
            intended_currency: None,
        };
        Key::new(&context, &maps.digest(), &CsvOptions::default())
    }

    #[test]
    fn a_digest_changes_with_any_event_their_order_the_kind_or_the_reference_data() {
        let maps = ReferenceMaps::default();
        let purchases = key(Kind::Purchases, &maps);
        let batch = [line("{\"a\":1}"), line("{\"b\":2}")];
        let digest = purchases.digest(&batch);
        assert!(digest.is_some());
        assert_eq!(purchases.digest(&batch), digest, "the same batch alike");
        let others = [
            purchases.digest(&[line("{\"a\":1}"), line("{\"b\":3}")]),
            purchases.digest(&[line("{\"b\":2}"), line("{\"a\":1}")]),
            purchases.digest(&[line("{\"a\":1}{\"b\":2}")]),
            purchases.digest(&batch[..1]),
            key(Kind::Web, &maps).digest(&batch),
        ];
        for other in others {
            assert_ne!(other, digest);
        }
        let record = crate::reference::record::Record {
            id: "P1".into(),
            rid: Some(1),
            values: vec![None; crate::domain::entity::Entity::Product.columns().len()],
        };
        let more = ReferenceMaps::from_records([(crate::domain::entity::Entity::Product, record)]);
        assert_ne!(key(Kind::Purchases, &more).digest(&batch), digest);
    }

    fn csv_event(columns: &Arc<[crate::input::csv::header::Column]>, rows: &[&[&str]]) -> RawEvent {
        let rows = rows
            .iter()
            .map(|cells| csv::StringRecord::from(cells.to_vec()));
        RawEvent {
            body: Body::Csv(crate::input::csv::rows::CsvEvent {
                columns: Arc::clone(columns),
                grouped: false,
                rows: rows.collect(),
            }),
            numbers: Numbers::Strings,
            origin: Origin::Line(2),
            verbatim: None,
        }
    }

    #[test]
    fn a_csv_digest_tells_apart_cells_split_otherwise_rows_and_headers() {
        let maps = ReferenceMaps::default();
        let key = key(Kind::Web, &maps);
        let header = |names: &[&str]| -> Arc<[crate::input::csv::header::Column]> {
            let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            crate::input::csv::header::plan(Kind::Web, &names)
                .unwrap()
                .into()
        };
        let columns = header(&["request_unique_identifier", "website"]);
        let digest = |rows: &[&[&str]]| key.digest(&[csv_event(&columns, rows)]);
        let first = digest(&[&["ab", "c"]]);
        assert!(first.is_some());
        assert_eq!(digest(&[&["ab", "c"]]), first);
        assert_ne!(digest(&[&["a", "bc"]]), first);
        assert_ne!(digest(&[&["ab"], &["c"]]), first);
        assert_ne!(digest(&[&["abc", ""]]), first);
        let other = header(&["website", "request_unique_identifier"]);
        assert_ne!(key.digest(&[csv_event(&other, &[&["ab", "c"]])]), first);
        assert_eq!(
            key.digest(&[
                csv_event(&columns, &[&["ab", "c"]]),
                csv_event(&other, &[&["ab", "c"]])
            ]),
            None,
            "events planned by two headers"
        );
    }

    /// Whether each of `found.len()` batches was looked up, each found or not as `found`
    /// says.
    fn looked_up(misses: &Misses, found: impl IntoIterator<Item = bool>) -> Vec<bool> {
        found
            .into_iter()
            .map(|found| {
                let worth = misses.worth_looking();
                if worth {
                    misses.note(found);
                }
                worth
            })
            .collect()
    }

    #[test]
    fn batches_are_looked_up_until_some_in_a_row_are_not_found_then_now_and_then() {
        let misses = Misses::default();
        let missed = |n| std::iter::repeat_n(false, n);
        let first = missed(GIVE_UP_AFTER - 1)
            .chain([true])
            .chain(missed(GIVE_UP_AFTER));
        assert!(
            looked_up(&misses, first).iter().all(|&worth| worth),
            "a batch found counts afresh"
        );
        let after = looked_up(&misses, missed(RETRY_EVERY * 2));
        assert_eq!(after.iter().filter(|&&worth| worth).count(), 2);
        // A batch looked up now and then is found: the next are all looked up again.
        let found = looked_up(&misses, std::iter::repeat_n(true, RETRY_EVERY * 2));
        let first_found = found.iter().position(|&worth| worth).unwrap();
        assert!(found[first_found..].iter().all(|&worth| worth));
    }

    #[test]
    fn a_batch_with_an_event_of_a_request_document_has_no_digest() {
        let maps = ReferenceMaps::default();
        let mut batch = vec![line("{}")];
        batch.push(RawEvent {
            body: Body::Tree(crate::json::tree::Tree::Null),
            ..line("")
        });
        assert_eq!(key(Kind::Purchases, &maps).digest(&batch), None);
    }
}
