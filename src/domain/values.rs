//! Parsing of scalar values: dates in the forms docs/spec.md §1 accepts, and exact decimal
//! numbers (amounts are money: never a binary float).

use std::borrow::Cow;
use std::str::FromStr;

use rust_decimal::Decimal;

/// How scalar values arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbers {
    /// JSON: numbers are JSON numbers.
    Json,
    /// CSV: every cell is a string; numbers are decimal strings.
    Strings,
}

/// Whether `text` is a date the spec accepts (docs/spec.md §1): `YYYY-MM-DD`, or
/// `YYYY-MM-DDTHH:MM:SS` with optional fractional seconds (1 to 9 digits) and an optional
/// `Z` or `±HH:MM` offset. Every field has its fixed number of digits, the year is 0001 to
/// 9999, the date exists in the proleptic Gregorian calendar, and `T` and `Z` are upper
/// case: a partner's malformed date is refused rather than guessed at.
// By hand, not chrono: chrono's parsers are lenient (one-digit fields, leading spaces,
// signed and five-digit years, lower-case `t` and `z`, a leap second without a zone), and
// its format parser re-reads its format string on every call, for every date of every event.
pub fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() < 10 || !is_calendar_date(&b[..10]) {
        return false;
    }
    match &b[10..] {
        [] => true,
        [b'T', time @ ..] => is_time_and_zone(time),
        _ => false,
    }
}

/// Exactly `N` ASCII digits as a number.
fn digits<const N: usize>(b: &[u8]) -> Option<u32> {
    if b.len() != N {
        return None;
    }
    b.iter().try_fold(0u32, |n, d| {
        d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
    })
}

/// `YYYY-MM-DD` (ten bytes), a day that exists, in years 0001 to 9999.
fn is_calendar_date(b: &[u8]) -> bool {
    if b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (
        digits::<4>(&b[0..4]),
        digits::<2>(&b[5..7]),
        digits::<2>(&b[8..10]),
    ) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1 && (1..=days).contains(&day)
}

/// `HH:MM` with hours 00 to 23 and minutes 00 to 59 (an offset, or a time's first part).
fn is_hours_minutes(b: &[u8]) -> bool {
    b.len() == 5 && b[2] == b':' && two_digits_below(&b[0..2], 24) && two_digits_below(&b[3..5], 60)
}

/// Two ASCII digits, making a number below `limit`.
fn two_digits_below(b: &[u8], limit: u32) -> bool {
    digits::<2>(b).is_some_and(|n| n < limit)
}

/// What follows the `T`: `HH:MM:SS`, an optional `.` and 1 to 9 digits, then nothing, `Z`
/// or `±HH:MM`.
fn is_time_and_zone(b: &[u8]) -> bool {
    let hh_mm_ss =
        b.len() >= 8 && is_hours_minutes(&b[..5]) && b[5] == b':' && two_digits_below(&b[6..8], 60);
    if !hh_mm_ss {
        return false;
    }
    let mut zone = &b[8..];
    if let [b'.', fraction @ ..] = zone {
        let n = fraction.iter().take_while(|d| d.is_ascii_digit()).count();
        if !(1..=9).contains(&n) {
            return false;
        }
        zone = &fraction[n..];
    }
    match zone {
        [] | [b'Z'] => true,
        [b'+' | b'-', offset @ ..] => is_hours_minutes(offset),
        _ => false,
    }
}

/// A point in time, from a date in one of [`is_date`]'s forms, for comparing dates written
/// with different offsets and precisions: seconds and nanoseconds since 0001-01-01T00:00:00
/// UTC. A date alone is its midnight, and a time without an offset counts as UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Moment {
    seconds: i64,
    nanos: u32,
}

impl Moment {
    /// The moment `text` names; `None` when it is not a date [`is_date`] accepts.
    pub fn parse(text: &str) -> Option<Moment> {
        if !is_date(text) {
            return None;
        }
        let b = text.as_bytes();
        let number = |from: usize, to: usize| {
            b[from..to]
                .iter()
                .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'))
        };
        let days = days_before(number(0, 4), number(5, 7), number(8, 10));
        let mut seconds = days * 86_400;
        let mut nanos = 0u32;
        if b.len() > 10 {
            seconds += number(11, 13) * 3600 + number(14, 16) * 60 + number(17, 19);
            let mut zone = &b[19..];
            if let [b'.', fraction @ ..] = zone {
                let n = fraction.iter().take_while(|d| d.is_ascii_digit()).count();
                let digits = fraction[..n]
                    .iter()
                    .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
                nanos = digits * 10u32.pow(9 - n as u32);
                zone = &fraction[n..];
            }
            if let [sign @ (b'+' | b'-'), offset @ ..] = zone {
                let hours = i64::from(offset[0] - b'0') * 10 + i64::from(offset[1] - b'0');
                let minutes = i64::from(offset[3] - b'0') * 10 + i64::from(offset[4] - b'0');
                let offset = hours * 3600 + minutes * 60;
                // Local time is UTC plus the offset.
                seconds -= if *sign == b'+' { offset } else { -offset };
            }
        }
        Some(Moment { seconds, nanos })
    }
}

/// Days from 0001-01-01 to `year`-`month`-`day` in the proleptic Gregorian calendar.
fn days_before(year: i64, month: i64, day: i64) -> i64 {
    let y = year - 1;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    const BEFORE_MONTH: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let month_days = BEFORE_MONTH[(month - 1) as usize] + i64::from(leap && month > 2);
    y * 365 + y / 4 - y / 100 + y / 400 + month_days + day - 1
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
    fn moments_order_dates_across_offsets_and_precisions() {
        let m = |text| Moment::parse(text).unwrap_or_else(|| panic!("{text}"));
        assert_eq!(m("2016-06-22"), m("2016-06-22T00:00:00"));
        assert_eq!(m("2016-06-22T00:00:00"), m("2016-06-22T00:00:00.000Z"));
        assert_eq!(m("2016-06-22T15:00:00+02:00"), m("2016-06-22T13:00:00Z"));
        assert_eq!(m("2016-06-22T15:00:00-05:30"), m("2016-06-22T20:30:00"));
        assert_eq!(
            m("2016-06-22T15:00:00.5"),
            m("2016-06-22T15:00:00.500000000")
        );
        assert!(m("2016-06-22T15:00:00.000000001") > m("2016-06-22T15:00:00"));
        assert!(m("2016-06-21T23:59:59.999999999") < m("2016-06-22"));
        assert!(m("2016-06-22T01:00:00+02:00") < m("2016-06-22"));
        assert!(m("2016-02-29") < m("2016-03-01"));
        assert!(m("2015-12-31T23:59:59") < m("2016-01-01"));
        assert_eq!(
            m("0001-01-01"),
            Moment {
                seconds: 0,
                nanos: 0
            }
        );
        // One day after another, across every month and leap rule, is 86 400 s later.
        let mut previous = m("1899-12-31");
        for year in [1900, 2000, 2015, 2016, 2100] {
            for month in 1..=12 {
                for day in 1..=31 {
                    let text = format!("{year:04}-{month:02}-{day:02}");
                    if let Some(next) = Moment::parse(&text) {
                        if day == 1 && month == 1 && year != 1900 {
                            previous = Moment::parse(&format!("{}-12-31", year - 1)).unwrap();
                        }
                        assert_eq!(next.seconds - previous.seconds, 86_400, "{text}");
                        previous = next;
                    }
                }
            }
        }
        assert_eq!(Moment::parse("2016-06-22 15:00"), None);
        assert_eq!(Moment::parse("yesterday"), None);
    }

    #[test]
    fn accepts_exactly_the_documented_date_forms() {
        let accepted = [
            "2016-06-22",
            "2016-06-22T15:00:00",
            "2016-06-22T00:00:00",
            "2016-06-22T23:59:59",
            "2016-06-22T15:00:00.2",
            "2016-06-22T15:00:00.250",
            "2016-06-22T15:00:00.123456789",
            "2016-06-22T15:00:00Z",
            "2016-06-22T15:00:00.250Z",
            "2016-06-22T15:00:00+02:00",
            "2016-06-22T15:00:00-05:30",
            "2016-06-22T15:00:00.5+23:59",
            "2016-06-22T15:00:00-00:00",
            "0001-01-01",
            "9999-12-31T23:59:59.999999999Z",
            "2016-02-29",
            "2000-02-29T12:00:00",
            "2016-01-31",
            "2016-04-30",
            "2016-12-31",
        ];
        for text in accepted {
            assert!(is_date(text), "{text:?} should be accepted");
        }
        let rejected = [
            // One-digit and two-digit fields.
            "2016-6-2",
            "2016-6-22",
            "2016-06-2",
            "16-06-22",
            "2016-06-22T5:00:00",
            "2016-06-22T15:0:00",
            "2016-06-22T15:00:0",
            "2016-06-22T15:00:00+2:00",
            // Spaces anywhere.
            " 2016-06-22",
            "  2016-06-22T15:00:00",
            "2016-06-22 ",
            "2016-06-22T15:00:00 ",
            "2016-06-22 15:00:00",
            "2016-06-22T15:00:00 Z",
            "2016-06-22\n",
            // Years outside 0001-9999, signed or of another width.
            "+99999-01-01",
            "-0001-01-01",
            "+2016-06-22",
            "0000-01-01",
            "0000-01-01T00:00:00Z",
            "10000-01-01",
            // Letter case.
            "2016-06-22t15:00:00",
            "2016-06-22T15:00:00z",
            // Out-of-range fields.
            "2016-06-22T15:00:60",
            "2016-06-22T15:00:60Z",
            "2016-06-22T15:00:60.5",
            "2016-06-22T24:00:00",
            "2016-06-22T15:60:00",
            "2016-06-22T15:00:00+24:00",
            "2016-06-22T15:00:00+02:60",
            "2016-13-22",
            "2016-00-10",
            "2016-06-00",
            "2016-06-31",
            "2016-04-31",
            "2016-01-32",
            // Feb 29 outside leap years.
            "2015-02-29",
            "1900-02-29",
            "2100-02-29T00:00:00",
            "2016-02-30",
            // Malformed fractions and zones.
            "2016-06-22T15:00:00.",
            "2016-06-22T15:00:00.Z",
            "2016-06-22T15:00:00.1234567890",
            "2016-06-22T15:00:00,5",
            "2016-06-22T15:00:00+0200",
            "2016-06-22T15:00:00+02",
            "2016-06-22T15:00:00+02:00:00",
            "2016-06-22T15:00:00ZZ",
            "2016-06-22T15:00:00Z+02:00",
            "2016-06-22T15:00:00UTC",
            "2016-06-22Z",
            "2016-06-22+02:00",
            // Truncated or otherwise shaped.
            "2016-06-22T",
            "2016-06-22T15:00",
            "2016-06-22T15",
            "2016-06",
            "2016",
            "",
            "22/06/2016",
            "2016/06/22",
            "20160622",
            "2016-06-22T150000",
            "２０１６-06-22",
            "2016-06-22T15:00:00\u{0}",
        ];
        for text in rejected {
            assert!(!is_date(text), "{text:?} should be rejected");
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
