//! Parsing of scalar values: dates in the forms docs/spec.md §1 accepts, and exact decimal
//! numbers (amounts are money: never a binary float).

use std::borrow::Cow;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

/// How scalar values arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbers {
    /// JSON: numbers are JSON numbers.
    Json,
    /// CSV: every cell is a string; numbers are decimal strings.
    Strings,
}

/// Whether `text` is a date the spec accepts: `YYYY-MM-DDTHH:MM:SS`, optionally with
/// fractional seconds and a `Z` or `±HH:MM` offset, or a bare `YYYY-MM-DD`.
pub fn is_date(text: &str) -> bool {
    is_plain_date_time(text)
        || NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
        || NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        || DateTime::parse_from_rfc3339(text).is_ok()
}

/// The seed's own form, `YYYY-MM-DDTHH:MM:SS`, checked without chrono's format parser
/// (which re-reads its format string on every call; this runs for every event).
fn is_plain_date_time(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        number(0..4),
        number(5..7),
        number(8..10),
        number(11..13),
        number(14..16),
        number(17..19),
    ) else {
        return false;
    };
    i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
        .and_then(|d| d.and_hms_opt(hour, minute, second))
        .is_some()
}

/// Parses an exact decimal from JSON number text or a CSV cell, and gives it back in
/// canonical form (`120.50` → `120.5`, `1e2` → `100`). `None` when it is not a finite
/// number in the range a decimal holds (28 digits).
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    if text.is_empty() || text.starts_with('+') {
        return None;
    }
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()?
    } else {
        Decimal::from_str_exact(text).ok()?
    };
    Some(parsed.normalize())
}

/// The canonical form of a decimal ([`parse_decimal`] printed), without building a
/// `Decimal` for the common plain forms (`60`, `180.50`, `-0.25`): this runs for every
/// amount of every event, twice. Other forms (exponents, 19 digits or more) go through
/// `Decimal`.
pub fn canonical_decimal(text: &str) -> Option<Cow<'_, str>> {
    // Untrimmed: a cell with spaces around its number is not plain and takes the slow path,
    // which trims.
    let Some((negative, int, frac)) = plain_decimal(text) else {
        return parse_decimal(text).map(|d| Cow::Owned(d.to_string()));
    };
    // Bytes, not `trim_*_matches('0')`: a char pattern decodes UTF-8 (all ASCII here).
    let int = &int[leading_zeros(int.as_bytes())..];
    let frac = &frac[..frac.len() - trailing_zeros(frac.as_bytes())];
    let zero = int.is_empty() && frac.is_empty();
    let int = if int.is_empty() { "0" } else { int };
    let sign = negative && !zero;
    let canonical_len =
        usize::from(sign) + int.len() + if frac.is_empty() { 0 } else { frac.len() + 1 };
    if canonical_len == text.len() {
        // Already canonical: the same characters, borrowed.
        return Some(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(canonical_len);
    if sign {
        out.push('-');
    }
    out.push_str(int);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Some(Cow::Owned(out))
}

fn leading_zeros(digits: &[u8]) -> usize {
    digits.iter().take_while(|&&b| b == b'0').count()
}

fn trailing_zeros(digits: &[u8]) -> usize {
    digits.iter().rev().take_while(|&&b| b == b'0').count()
}

/// Whether `text` is a decimal [`canonical_decimal`] accepts (`None` if not) and greater
/// than zero, without writing its canonical form: validation checks every amount before
/// the normalized event is built.
pub fn decimal_is_positive(text: &str) -> Option<bool> {
    match plain_decimal(text) {
        Some((negative, int, frac)) => {
            let zero = leading_zeros(int.as_bytes()) == int.len()
                && leading_zeros(frac.as_bytes()) == frac.len();
            Some(!negative && !zero)
        }
        None => parse_decimal(text).map(|d| d.is_sign_positive() && !d.is_zero()),
    }
}

/// `-?digits(.digits)?` with at most 18 digits in all (well inside a `Decimal`): the sign,
/// the integer digits and the fraction digits. One pass over the bytes.
// Always inlined into its two callers: returned through memory, its parts cost as much as
// finding them.
#[inline(always)]
fn plain_decimal(text: &str) -> Option<(bool, &str, &str)> {
    let bytes = text.as_bytes();
    let negative = bytes.first() == Some(&b'-');
    let start = usize::from(negative);
    let len = bytes.len();
    // 18 digits and a dot at most; longer texts are never plain, so they are not scanned.
    if len - start > 19 {
        return None;
    }
    // `len` while there is no dot.
    let mut dot = len;
    let mut at = start;
    while at < len {
        let byte = bytes[at];
        if byte.wrapping_sub(b'0') >= 10 {
            if byte != b'.' || dot != len {
                return None;
            }
            dot = at;
        }
        at += 1;
    }
    let has_dot = dot < len;
    let digits = len - start - usize::from(has_dot);
    if dot == start || (has_dot && dot + 1 == len) || digits > 18 {
        return None;
    }
    // Every byte is ASCII, so the cuts are on char boundaries.
    let frac = if has_dot { text.get(dot + 1..)? } else { "" };
    Some((negative, text.get(start..dot)?, frac))
}

/// The JSON number for a canonical decimal.
pub fn decimal_to_json(value: Decimal) -> serde_json::Value {
    // arbitrary_precision keeps the digits exactly as printed.
    serde_json::Number::from_str(&value.to_string())
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positivity_agrees_with_the_canonical_form() {
        let cases = [
            "0",
            "0.0",
            "-0",
            "-0.00",
            "00",
            "1",
            "-1",
            "0.001",
            "-0.001",
            "120.50",
            "1e2",
            "-1e2",
            "0e5",
            "1E-3",
            " 5 ",
            "",
            "-",
            "1.",
            ".5",
            "abc",
            "+1",
            "99999999999999999999999999999",
            "0.0000000000000000000000000001",
        ];
        for text in cases {
            let expected =
                canonical_decimal(text).map(|c| !c.starts_with('-') && c.as_ref() != "0");
            assert_eq!(decimal_is_positive(text), expected, "{text:?}");
        }
    }

    #[test]
    fn accepts_the_documented_date_forms() {
        for ok in [
            "2016-06-22T15:00:00",
            "2016-06-22T15:00:00.250",
            "2016-06-22T15:00:00Z",
            "2016-06-22T15:00:00+02:00",
            "2016-06-22",
        ] {
            assert!(is_date(ok), "{ok}");
        }
        for bad in [
            "2016-13-22",
            "22/06/2016",
            "2016-06-22 15:00:00",
            "",
            "2016-06-22T25:00:00",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }

    #[test]
    fn decimals_are_exact_and_canonical() {
        assert_eq!(
            parse_decimal("120.50").map(|d| d.to_string()),
            Some("120.5".into())
        );
        assert_eq!(
            parse_decimal("0.1").map(|d| d.to_string()),
            Some("0.1".into())
        );
        assert_eq!(
            parse_decimal("1e2").map(|d| d.to_string()),
            Some("100".into())
        );
        assert_eq!(
            parse_decimal("-3").map(|d| d.to_string()),
            Some("-3".into())
        );
        assert_eq!(parse_decimal("1e400"), None);
        assert_eq!(parse_decimal("abc"), None);
        assert_eq!(parse_decimal(""), None);
        assert_eq!(parse_decimal("NaN"), None);
    }

    #[test]
    fn the_fast_canonical_form_is_the_decimal_one() {
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "-0.000",
            "000.000",
            "00012.3400",
            ".5",
            "5.",
            "1.",
            "-",
            "",
            " 7 ",
            "1e2",
            "1E-2",
            "+1",
            "1.2.3",
            "12a",
            "0.10",
            "60",
            "180.50",
            "-0.25",
            "100",
            "999999999999999999",
            "9999999999999999999",
            "0.000000000000000001",
            "12345678901234567890123456789",
            "1234567890123456789012345678",
            "-00.0100",
            "0.0",
            "10.0",
            "- 1",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        // Every string over a small alphabet up to five characters.
        let alphabet = ['0', '1', '-', '.', '5'];
        let mut frontier = vec![String::new()];
        for _ in 0..5 {
            frontier = frontier
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            texts.extend(frontier.iter().cloned());
        }
        for text in texts {
            let slow = parse_decimal(&text).map(|d| d.to_string());
            let fast = canonical_decimal(&text).map(Cow::into_owned);
            assert_eq!(fast, slow, "{text:?}");
        }
    }

    #[test]
    fn json_numbers_keep_their_digits() {
        let n = parse_decimal("0.30").map(decimal_to_json);
        assert_eq!(n.map(|v| v.to_string()), Some("0.3".into()));
    }
}
