//! Capacities whose allocations stay on mimalloc's fast path.
//!
//! The `mimalloc` crate allocates everything through `mi_malloc_aligned`, and mimalloc 3
//! serves an aligned request quickly only when a page of its size class has a free block;
//! otherwise, unless the class is a power of two, it over-allocates into the next class. So
//! a class that is not a power of two never gets pages of its own, and every request in it
//! takes the slow path (docs/performance.md, "capacity: mimalloc's fast path"). A parsed
//! object's eight pairs, 448 bytes, always did. A capacity rounded up to fill a
//! power-of-two class (504 bytes of a 512-byte class for nine pairs) takes the fast path,
//! in the memory the slow path used anyway.

/// The most `T`s that fit in the smallest power of two of bytes, 128 at least, that holds
/// `n` of them; so at least `n`. For items of at most an eighth of that size, the
/// allocation is in the power-of-two class itself (from 128 bytes up, the class below one is
/// seven eighths of it; below 128, classes are a word apart, and 24-byte items, say, never
/// fill a power of two).
pub fn fitted<T>(n: usize) -> usize {
    let size = std::mem::size_of::<T>();
    let Some(bytes) = n.checked_mul(size).filter(|b| *b > 0) else {
        return n;
    };
    let class = bytes.checked_next_power_of_two().unwrap_or(bytes).max(128);
    (class / size).max(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_the_power_of_two_without_going_under() {
        // A parsed object's pair: 56 bytes.
        assert_eq!(fitted::<[u64; 7]>(8), 9);
        assert_eq!(fitted::<[u64; 7]>(9), 9);
        assert_eq!(fitted::<[u64; 7]>(10), 18);
        assert_eq!(fitted::<u64>(6), 16);
        assert_eq!(fitted::<[u64; 3]>(2), 5);
        assert_eq!(fitted::<u64>(0), 0);
        assert_eq!(fitted::<()>(5), 5);
        for n in 0..100 {
            assert!(fitted::<[u8; 24]>(n) >= n);
            assert!(fitted::<[u8; 24]>(n) * 24 <= (n * 24).next_power_of_two().max(128));
        }
    }
}
