//! Finding the bytes a JSON string cannot hold as they are (`"`, `\` and control
//! characters), eight at a time: every string of every event is scanned for them twice,
//! once when parsed (`crate::json::fast`) and once when written into the listing.

/// The length of the longest prefix of `bytes` with no `"`, `\` or byte below 0x20.
pub fn plain_prefix(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // A byte of `v` is zero exactly where the high bit of `(v - ONES) & !v` is set
        // (no false positives below the first zero byte, which is all we look for).
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
        let quote = zero(x ^ (ONES * u64::from(b'"')));
        let backslash = zero(x ^ (ONES * u64::from(b'\\')));
        // Bytes below 0x20 (high bit clear): `x - 0x20` borrows into the high bit.
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        let found = quote | backslash | control;
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + bytes[at..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(bytes.len() - at)
}

/// Appends `text` as a JSON string literal.
pub fn push_json_string(out: &mut String, text: &str) {
    let plain = crate::json::escape::plain_prefix(text.as_bytes()) == text.len();
    if plain {
        // Most values need no escaping; this runs for every field of every event.
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else if let Ok(quoted) = serde_json::to_string(text) {
        // serde_json's escaping; writing a &str to a String cannot fail.
        out.push_str(&quoted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(bytes: &[u8]) -> usize {
        bytes
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(bytes.len())
    }

    #[test]
    fn finds_each_kind_of_byte_at_every_position() {
        for len in 0..20 {
            for at in 0..len {
                for special in [b'"', b'\\', 0x00, 0x1F, b'\n'] {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = special;
                    assert_eq!(plain_prefix(&bytes), at, "{bytes:?}");
                }
            }
            assert_eq!(plain_prefix(&vec![b'x'; len]), len);
        }
        // High bytes (UTF-8) and bytes just above the limits are plain.
        assert_eq!(
            plain_prefix("é ü 0x20 !#[]".as_bytes()),
            "é ü 0x20 !#[]".len()
        );
    }

    proptest! {
        #[test]
        fn agrees_with_the_byte_by_byte_scan(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(plain_prefix(&bytes), naive(&bytes));
        }

        #[test]
        fn agrees_on_mostly_plain_text(text in "[a-z \"\\\\\\x00-\\x1f\\x7f-\\u{ff}]{0,40}") {
            prop_assert_eq!(plain_prefix(text.as_bytes()), naive(text.as_bytes()));
        }
    }
}
