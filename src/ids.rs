//! Ids of created events: 32 upper-case hex characters that hold the event's kind and
//! number, so they are unique because `(kind, number)` is (the store's primary key) and need
//! no index of their own (perf/NOTES: a unique index on random ids makes inserts 7× slower;
//! even a time-ordered one cost 0.4 µs an event, `benches/stages`).

use crate::kind::Kind;

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
        match self {
            IdGenerator::TimeOrdered => {
                // Written digit by digit: this runs on the one writer thread for every
                // event, where `format!` with padding cost 2 300 instructions an id.
                let uuid = uuid::Uuid::now_v7().as_u128();
                let millis = (uuid >> 80) as u64;
                let random = (uuid & 0xF_FFFF_FFFF) as u64;
                let mut id = String::with_capacity(32);
                push_hex(&mut id, millis, 12);
                push_hex(&mut id, u64::from(kind.ordinal()), 1);
                push_hex(&mut id, number as u64 & 0xFF_FFFF_FFFF, 10);
                push_hex(&mut id, random, 9);
                id
            }
            IdGenerator::Seeded(seed) => {
                format!(
                    "{:012X}{:X}{:019X}",
                    seed & 0xFFFF_FFFF_FFFF,
                    kind.ordinal(),
                    number
                )
            }
        }
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
        let ids: Vec<String> = (1..50)
            .map(|n| IdGenerator::TimeOrdered.id(Kind::Web, n))
            .collect();
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
    fn seeded_ids_repeat_and_differ_by_kind() {
        let a = IdGenerator::Seeded(7).id(Kind::Web, 12);
        assert_eq!(a, IdGenerator::Seeded(7).id(Kind::Web, 12));
        assert_ne!(a, IdGenerator::Seeded(7).id(Kind::Referrals, 12));
        assert!(is_id(&a));
        assert!(IdGenerator::Seeded(7).id(Kind::Web, 9) < IdGenerator::Seeded(7).id(Kind::Web, 10));
    }
}
