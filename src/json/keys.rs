//! Equality of short strings (field names, identifier keys) without calling libc's
//! `memcmp`: a call that dispatches on length and alignment costs more than comparing a
//! 20-byte key, and validation compares every key of every event against the schema
//! (docs/performance.md, "json/keys: short key equality").

/// Whether `a` and `b` hold the same bytes.
#[inline]
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    // Overlapping loads: the first and the last word cover any length between one and two
    // words, so there is no byte loop.
    if n >= 8 {
        let mut at = 0;
        while at + 8 < n {
            if word8(a, at) != word8(b, at) {
                return false;
            }
            at += 8;
        }
        word8(a, n - 8) == word8(b, n - 8)
    } else if n >= 4 {
        word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4)
    } else {
        a == b
    }
}

fn word8(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_ne_bytes(word)
}

fn word4(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_ne_bytes(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_string_equality() {
        let words = [
            "",
            "a",
            "b",
            "ab",
            "abc",
            "abd",
            "abcd",
            "abce",
            "abcde",
            "abcdf",
            "bbcde",
            "abcdefg",
            "abcdefgh",
            "abcdefgi",
            "bbcdefgh",
            "abcdefghi",
            "abcdefghj",
            "request_unique_identifier",
            "request_unique_identifies",
            "sequest_unique_identifier",
            "products_set",
            "product_identifier",
            "é",
            "éa",
            "aé",
        ];
        for a in words {
            for b in words {
                assert_eq!(same(a, b), a == b, "{a:?} {b:?}");
            }
        }
        // Every length up to three words, differing at every position.
        for n in 0..=24 {
            let a = "x".repeat(n);
            assert!(same(&a, &a.clone()));
            for i in 0..n {
                let mut b = a.clone().into_bytes();
                b[i] = b'y';
                let b = String::from_utf8(b).unwrap_or_default();
                assert!(!same(&a, &b), "{n} {i}");
            }
        }
    }
}
