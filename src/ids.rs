//! Ids of created events: 32 upper-case hex characters, time-ordered so that the store's
//! unique index on them keeps appending (perf/NOTES: random ids make inserts 7× slower).

use crate::kind::Kind;

/// Makes event ids.
#[derive(Debug, Clone, Copy)]
pub enum IdGenerator {
    /// UUIDv7: a millisecond timestamp, then random bits.
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
                let mut buffer = uuid::Uuid::encode_buffer();
                uuid::Uuid::now_v7()
                    .simple()
                    .encode_upper(&mut buffer)
                    .to_owned()
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
