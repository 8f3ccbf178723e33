//! Dates written `YYYY-MM-DDTHH:MM:SS` (no fraction, no offset) as seconds since the Unix
//! epoch (1970-01-01T00:00:00, read as UTC), and back: a stored body keeps such a date as a
//! JSON integer (`judge/body.rs`, schema 7), 10 digits instead of a 21-byte string.
//!
//! Only that one form is turned into seconds, and only because it comes back from them
//! exactly as written: any other date text (a date alone, fractions, an offset) has no
//! single text to come back as, and stays text.

use std::cell::Cell;

/// The seconds of 0001-01-01T00:00:00, the first moment a date may name.
pub const FIRST: i64 = -62_135_596_800;
/// The seconds of 9999-12-31T23:59:59, the last.
pub const LAST: i64 = 253_402_300_799;

/// The seconds since the epoch of `text` when it is a date of the form
/// `YYYY-MM-DDTHH:MM:SS` that `crate::domain::values::is_date` accepts; `None` for any
/// other text.
pub fn seconds(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 19 || !crate::domain::values::is_date(text) {
        return None;
    }
    let number = |from: usize, to: usize| {
        b[from..to]
            .iter()
            .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'))
    };
    let days = days_from_civil(number(0, 4), number(5, 7), number(8, 10));
    Some(days * 86_400 + number(11, 13) * 3600 + number(14, 16) * 60 + number(17, 19))
}

/// The text `YYYY-MM-DDTHH:MM:SS` of a moment given in seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateText([u8; 19]);

impl DateText {
    /// The date `seconds` names; `None` outside years 0001 to 9999 ([`FIRST`] to [`LAST`]).
    pub fn from_seconds(seconds: i64) -> Option<DateText> {
        if !(FIRST..=LAST).contains(&seconds) {
            return None;
        }
        let days = seconds.div_euclid(86_400);
        // In range: below 86 400, and the fields below 10 000.
        let time = seconds.rem_euclid(86_400) as usize;
        let mut out = *b"0000-00-00T00:00:00";
        LAST_DAY.with(|last| {
            let (last_days, date) = last.get();
            if last_days == days {
                out[..10].copy_from_slice(&date);
                return;
            }
            let (year, month, day) = civil_from_days(days);
            let year = year as usize;
            put_pair(&mut out, 0, year / 100);
            put_pair(&mut out, 2, year % 100);
            put_pair(&mut out, 5, month as usize);
            put_pair(&mut out, 8, day as usize);
            let mut date = [0; 10];
            date.copy_from_slice(&out[..10]);
            last.set((days, date));
        });
        put_pair(&mut out, 11, time / 3600);
        put_pair(&mut out, 14, time / 60 % 60);
        put_pair(&mut out, 17, time % 60);
        Some(DateText(out))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written into it.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

thread_local! {
    /// The last day [`DateText::from_seconds`] wrote out, and its text: the events listed
    /// one after the other are mostly of a few days (a nightly file's), and the calendar
    /// was most of the cost of a date.
    static LAST_DAY: Cell<(i64, [u8; 10])> = const { Cell::new((i64::MIN, [0; 10])) };
}

/// Writes `value` (below 100) as two digits at `at`.
fn put_pair(out: &mut [u8; 19], at: usize, value: usize) {
    out[at] = b'0' + (value / 10) as u8;
    out[at + 1] = b'0' + (value % 10) as u8;
}

/// The date a stored value names, when it is a JSON integer written canonically (`-?` then
/// digits, no leading zero, not `-0`) between [`FIRST`] and [`LAST`]; `None` for any other
/// JSON text.
pub fn from_json(raw: &str) -> Option<DateText> {
    let bytes = raw.as_bytes();
    let (negative, digits) = match bytes {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, bytes),
    };
    let canonical = match digits {
        [] => false,
        [b'0'] => !negative,
        [first, ..] => *first != b'0' && digits.len() <= 12,
    };
    if !canonical {
        return None;
    }
    let mut value = 0i64;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(digit - b'0');
    }
    DateText::from_seconds(if negative { -value } else { value })
}

/// Days since 1970-01-01 of a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn known_dates_have_their_seconds() {
        assert_eq!(seconds("1970-01-01T00:00:00"), Some(0));
        assert_eq!(seconds("2016-06-22T15:00:00"), Some(1_466_607_600));
        assert_eq!(seconds("0001-01-01T00:00:00"), Some(FIRST));
        assert_eq!(seconds("9999-12-31T23:59:59"), Some(LAST));
        assert_eq!(seconds("1969-12-31T23:59:59"), Some(-1));
        assert_eq!(seconds("2000-02-29T12:30:45"), Some(951_827_445));
        for other in [
            "2016-06-22",
            "2016-06-22T15:00:00Z",
            "2016-06-22T15:00:00.0",
            "2016-06-22T15:00:00+00:00",
            "2016-02-30T15:00:00",
            "2016-06-22T24:00:00",
            "2016-06-22 15:00:00",
            "0000-01-01T00:00:00",
        ] {
            assert_eq!(seconds(other), None, "{other}");
        }
    }

    #[test]
    fn only_canonical_integers_in_range_are_dates() {
        assert_eq!(
            from_json("0").map(|d| d.as_str().to_owned()).as_deref(),
            Some("1970-01-01T00:00:00")
        );
        assert_eq!(
            from_json("-62135596800")
                .map(|d| d.as_str().to_owned())
                .as_deref(),
            Some("0001-01-01T00:00:00")
        );
        for other in [
            "-0",
            "01",
            "-01",
            "1.0",
            "1e5",
            "",
            "-",
            "\"0\"",
            "null",
            "-62135596801",
            "253402300800",
            "99999999999999999999",
            "+1",
            " 1",
        ] {
            assert_eq!(from_json(other), None, "{other}");
        }
    }

    proptest! {
        /// chrono, the slow reference: the same seconds for every date, and the same text
        /// for every second.
        #[test]
        fn seconds_and_dates_agree_with_chrono(
            year in 1i32..=9999, month in 1u32..=12, day in 1u32..=31,
            h in 0u32..24, m in 0u32..60, s in 0u32..60,
        ) {
            let text = format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}");
            let reference = chrono::NaiveDate::from_ymd_opt(year, month, day)
                .and_then(|date| date.and_hms_opt(h, m, s))
                .map(|moment| moment.and_utc().timestamp());
            prop_assert_eq!(seconds(&text), reference, "{}", text);
            if let Some(at) = reference {
                let written = chrono::DateTime::from_timestamp(at, 0)
                    .expect("in range")
                    .naive_utc()
                    .format("%Y-%m-%dT%H:%M:%S")
                    .to_string();
                let made = DateText::from_seconds(at).expect("in range");
                prop_assert_eq!(made.as_str(), written.as_str());
            }
        }

        #[test]
        fn every_second_of_every_year_comes_back_as_it_was(seconds_in in FIRST..=LAST) {
            let text = DateText::from_seconds(seconds_in).expect("in range");
            prop_assert_eq!(seconds(text.as_str()), Some(seconds_in));
            prop_assert_eq!(from_json(&seconds_in.to_string()), Some(text));
        }

        #[test]
        fn every_canonical_date_comes_back_as_it_was(
            year in 1i64..=9999, month in 1i64..=12, day in 1i64..=31,
            h in 0i64..24, m in 0i64..60, s in 0i64..60,
        ) {
            let text = format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}");
            match seconds(&text) {
                Some(at) => {
                    let back = DateText::from_seconds(at).expect("in range");
                    prop_assert_eq!(back.as_str(), text.as_str());
                }
                None => prop_assert!(!crate::domain::values::is_date(&text), "{}", text),
            }
        }
    }
}
