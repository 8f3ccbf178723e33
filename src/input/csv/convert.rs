//! What a mapping profile may declare about a partner's cells: a date format
//! (`%d/%m/%Y %H:%M`), turned into the API's form (`2016-06-22T15:00:00`), and a decimal
//! comma (`12,50` into `12.50`). Both are strict: a cell that does not fit is refused, never
//! guessed at; the API's own checks then judge the converted value as any other
//! (`domain/values.rs`: a 30 February still fails there).

/// One part of a date format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// `%d`: two digits.
    Day,
    /// `%m`: two digits.
    Month,
    /// `%Y`: four digits.
    Year,
    /// `%H`: two digits.
    Hour,
    /// `%M`: two digits.
    Minute,
    /// `%S`: two digits.
    Second,
    /// Any other character, and `%%` for `%`: itself.
    Literal(char),
}

impl Part {
    fn digits(self) -> usize {
        match self {
            Part::Year => 4,
            Part::Literal(_) => 0,
            _ => 2,
        }
    }

    /// Where its digits go among a date's six fields.
    fn slot(self) -> usize {
        match self {
            Part::Day | Part::Literal(_) => 0,
            Part::Month => 1,
            Part::Year => 2,
            Part::Hour => 3,
            Part::Minute => 4,
            Part::Second => 5,
        }
    }
}

/// A parsed date format: the directives `%d %m %Y %H %M %S %%` and literal characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat {
    /// The format as written.
    pub text: String,
    parts: Vec<Part>,
    /// Whether it has a time (`%H` and `%M`).
    timed: bool,
}

impl DateFormat {
    /// Parses `text`; `Err` says what is wrong with it.
    pub fn parse(text: &str) -> Result<DateFormat, String> {
        let mut parts = Vec::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                parts.push(Part::Literal(c));
                continue;
            }
            parts.push(match chars.next() {
                Some('d') => Part::Day,
                Some('m') => Part::Month,
                Some('Y') => Part::Year,
                Some('H') => Part::Hour,
                Some('M') => Part::Minute,
                Some('S') => Part::Second,
                Some('%') => Part::Literal('%'),
                Some(other) => {
                    return Err(format!(
                        "%{other} is not a directive cebulk reads; use %d %m %Y %H %M %S and %%"
                    ));
                }
                None => return Err("it ends with a lone %".into()),
            });
        }
        let count = |part: Part| parts.iter().filter(|p| **p == part).count();
        for (part, name) in [
            (Part::Day, "%d"),
            (Part::Month, "%m"),
            (Part::Year, "%Y"),
            (Part::Hour, "%H"),
            (Part::Minute, "%M"),
            (Part::Second, "%S"),
        ] {
            if count(part) > 1 {
                return Err(format!("{name} appears more than once"));
            }
        }
        if count(Part::Day) + count(Part::Month) + count(Part::Year) != 3 {
            return Err("a date needs %d, %m and %Y".into());
        }
        let (hour, minute, second) = (
            count(Part::Hour) == 1,
            count(Part::Minute) == 1,
            count(Part::Second) == 1,
        );
        if (hour != minute) || (second && !minute) {
            return Err("a time needs %H and %M (and %S only with them)".into());
        }
        Ok(DateFormat {
            text: text.to_owned(),
            parts,
            timed: hour,
        })
    }

    /// Writes `cell` in the API's form (`YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SS` when the
    /// format has a time) to `out`; `false` (with `out` unchanged) when it does not fit the
    /// format exactly.
    pub fn convert(&self, cell: &str, out: &mut String) -> bool {
        self.fields(cell).is_some_and(|fields| {
            let [day, month, year, hour, minute, second] = fields;
            for part in [year, "-", month, "-", day] {
                out.push_str(part);
            }
            if self.timed {
                let second = if second.is_empty() { "00" } else { second };
                for part in ["T", hour, ":", minute, ":", second] {
                    out.push_str(part);
                }
            }
            true
        })
    }

    /// The day, month, year, hour, minute and second that `cell` gives (empty when the
    /// format has none), if it fits the format exactly.
    fn fields<'c>(&self, cell: &'c str) -> Option<[&'c str; 6]> {
        let mut fields = [""; 6];
        let mut rest = cell;
        for part in &self.parts {
            match part {
                Part::Literal(c) => rest = rest.strip_prefix(*c)?,
                _ => {
                    let digits = part.digits();
                    let field = rest.get(..digits)?;
                    if !field.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    fields[part.slot()] = field;
                    rest = &rest[digits..];
                }
            }
        }
        rest.is_empty().then_some(fields)
    }
}

/// Writes `cell`, a number with a decimal comma (`-12,50`, `3`), to `out` as the API writes
/// it (`-12.50`); `false` (with `out` unchanged) when it is not a plain number with at most
/// one comma (`1.234,50` is refused: a point may be a thousands separator, and cebulk does
/// not guess).
pub fn decimal_comma(cell: &str, out: &mut String) -> bool {
    let unsigned = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let (whole, fraction) = match unsigned.split_once(',') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return false;
    }
    let sign = &cell[..cell.len() - unsigned.len()];
    out.push_str(sign);
    out.push_str(whole);
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    impl DateFormat {
        fn converted(&self, cell: &str) -> Option<String> {
            let mut out = String::new();
            self.convert(cell, &mut out).then_some(out)
        }
    }

    fn comma(cell: &str) -> Option<String> {
        let mut out = String::new();
        decimal_comma(cell, &mut out).then_some(out)
    }

    #[test]
    fn dates_in_a_declared_format_take_the_api_form() {
        let format = DateFormat::parse("%d/%m/%Y %H:%M").unwrap();
        assert_eq!(
            format.converted("22/06/2016 15:07").as_deref(),
            Some("2016-06-22T15:07:00")
        );
        for bad in [
            "22/6/2016 15:07",
            "22/06/2016 15:07:00",
            "2016-06-22",
            " 22/06/2016 15:07",
            "",
        ] {
            assert_eq!(format.converted(bad), None, "{bad}");
        }
        let day = DateFormat::parse("%Y%m%d").unwrap();
        assert_eq!(day.converted("20160622").as_deref(), Some("2016-06-22"));
        let seconds = DateFormat::parse("%d.%m.%Y %H:%M:%S").unwrap();
        assert_eq!(
            seconds.converted("22.06.2016 15:07:09").as_deref(),
            Some("2016-06-22T15:07:09")
        );
    }

    #[test]
    fn bad_formats_are_refused() {
        for bad in [
            "%d/%m",
            "%d/%m/%Y %H",
            "%d/%m/%Y %q",
            "%d/%m/%Y %",
            "%d %d %m %Y",
            "%d/%m/%Y %S",
        ] {
            assert!(DateFormat::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decimal_commas_become_points_and_nothing_is_guessed() {
        assert_eq!(comma("12,50").as_deref(), Some("12.50"));
        assert_eq!(comma("-3").as_deref(), Some("-3"));
        for bad in [
            "1.234,50", "12.50", "12,5,0", ",5", "5,", "1 234,5", "abc", "",
        ] {
            assert_eq!(comma(bad), None, "{bad}");
        }
    }
}
