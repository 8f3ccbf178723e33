//! A fixed-size Bloom filter of 64-bit hashes, for skipping lookups that cannot find
//! anything while memory stays flat.

/// A Bloom filter of 2^24 bits (2 MiB, allocated at the first insert), blocked: the probes
/// of one value all fall in one 64-byte cache line, so a lookup or insert costs one cache
/// miss instead of one per probe. Each false positive costs one SELECT; a larger filter has
/// fewer, but its lookups, spread over more pages, cost more than those SELECTs
/// (docs/performance.md, "store/seen: the Bloom filter"). Used for what a run created
/// ([`super::seen`]) and for a request's identifiers ([`super::repeats`]).
#[derive(Default)]
pub struct Bloom {
    words: Vec<u64>,
}

const BLOOM_WORDS: usize = 1 << 18;
const BLOCK_WORDS: usize = 8;
const BLOOM_PROBES: u32 = 5;

impl Bloom {
    /// The first word of the block that holds `hash`'s bits.
    fn block(hash: u64) -> usize {
        (hash % (BLOOM_WORDS / BLOCK_WORDS) as u64) as usize * BLOCK_WORDS
    }

    fn positions(hash: u64) -> impl Iterator<Item = usize> {
        let first_bit = Self::block(hash) * 64;
        // The bits within the block from the hash's other half, 9 bits (0..512) a probe.
        let within = hash.rotate_left(32).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (0..BLOOM_PROBES).map(move |i| first_bit + ((within >> (i * 9)) & 511) as usize)
    }

    /// Adds `hash`.
    pub fn insert(&mut self, hash: u64) {
        if self.words.is_empty() {
            self.words = vec![0; BLOOM_WORDS];
        }
        for bit in Self::positions(hash) {
            self.words[bit / 64] |= 1 << (bit % 64);
        }
    }

    /// Loads the block of each hash: the loads do not depend on each other, so the
    /// processor overlaps their cache misses, and the probes that follow find the blocks
    /// in cache.
    pub fn warm(&self, hashes: impl Iterator<Item = u64>) {
        if self.words.is_empty() {
            return;
        }
        let touched = hashes.fold(0, |acc, hash| acc ^ self.words[Self::block(hash)]);
        std::hint::black_box(touched);
    }

    /// Whether `hash` may have been added (false: it never was).
    pub fn may_contain(&self, hash: u64) -> bool {
        !self.words.is_empty()
            && Self::positions(hash).all(|bit| self.words[bit / 64] & (1 << (bit % 64)) != 0)
    }
}
