//! Ids of created events: 32 upper-case hex characters that hold the event's kind and
//! number, so they are unique because `(kind, number)` is (the store's primary key) and need
//! no index of their own: a unique index on ids slows every insert, random ids most of all
//! (docs/performance.md, "store/ids: ids without an index").

use crate::domain::kind::Kind;

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
                    random: uuid as u64,
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
        /// Random bits for the batch.
        random: u64,
    },
    /// See [`IdGenerator::Seeded`].
    Seeded(u64),
}

impl BatchIds {
    /// The id of event `number` of `kind`.
    pub fn id(self, kind: Kind, number: i64) -> String {
        match self {
            BatchIds::TimeOrdered { millis, random } => {
                let mut id = String::with_capacity(32);
                push_hex(&mut id, millis, 12);
                push_hex(&mut id, u64::from(kind.ordinal()), 1);
                push_hex(&mut id, number as u64 & 0xFF_FFFF_FFFF, 10);
                push_hex(&mut id, splitmix64(random ^ number as u64), 9);
                id
            }
            BatchIds::Seeded(seed) => format!(
                "{:012X}{:X}{:019X}",
                seed & 0xFFFF_FFFF_FFFF,
                kind.ordinal(),
                number
            ),
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

/// SplitMix64's finalizer: spreads the batch's random bits differently for each number.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
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
    fn seeded_ids_repeat_and_differ_by_kind() {
        let a = IdGenerator::Seeded(7).id(Kind::Web, 12);
        assert_eq!(a, IdGenerator::Seeded(7).id(Kind::Web, 12));
        assert_ne!(a, IdGenerator::Seeded(7).id(Kind::Referrals, 12));
        assert!(is_id(&a));
        assert!(IdGenerator::Seeded(7).id(Kind::Web, 9) < IdGenerator::Seeded(7).id(Kind::Web, 10));
    }
}
