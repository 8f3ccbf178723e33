//! A CSV header read through an import's [`CsvOptions`]: partner columns renamed, converted
//! or ignored by the mapping profile, its constants added as columns of their own, unknown
//! columns skipped when asked; then planned as any header ([`super::header`]). Also what
//! the error says when the header looks written with another delimiter.

use std::sync::Arc;

use csv::ByteRecord;

use super::convert::decimal_comma;
use super::header::{Column, plan_partial};
use super::options::{CsvOptions, shown};
use super::profile::Convert;
use crate::domain::codes::EventError;
use crate::domain::kind::Kind;

/// The planned columns of a header.
#[derive(Debug)]
pub struct Layout {
    /// Where each cell goes: the file's columns, then the profile's constants.
    pub columns: Vec<Column>,
    /// The file's columns: the cells a row must have.
    pub width: usize,
    /// What the rows' cells go through, when the profile converts or adds any.
    pub conversions: Option<Arc<Conversions>>,
    /// The columns skipped (`--skip-unknown-columns`): the header, its position (from 1)
    /// and why.
    pub skipped: Vec<(String, usize, String)>,
}

/// What a mapping profile does to each row: converted cells, constants appended.
#[derive(Debug)]
pub struct Conversions {
    /// For each of the file's columns: its partner header, its path and its conversion.
    columns: Vec<(String, String, Convert)>,
    /// The constants' values, in the order of their columns.
    constants: Vec<String>,
    /// The bytes a row grows by: the constants, and dates that get longer.
    extra: usize,
}

impl Conversions {
    /// A copy of `row` (as read, in buffers of its own size) with its cells converted and
    /// the constants appended; `Err` when a cell does not fit its column's declared format
    /// (the event is then unprocessed: nothing is guessed). A cell that is not UTF-8 is
    /// copied as it is, for the row's UTF-8 check to report.
    pub fn apply(&self, row: &ByteRecord, line: usize) -> Result<ByteRecord, EventError> {
        let mut out = ByteRecord::with_capacity(
            row.as_slice().len() + self.extra,
            row.len() + self.constants.len(),
        );
        // One buffer for the converted cells of the row.
        let mut value = String::with_capacity(32);
        for (bytes, (partner, path, convert)) in row.iter().zip(&self.columns) {
            let converted = !bytes.is_empty() && !matches!(convert, Convert::Nothing);
            let Some(cell) = converted.then(|| std::str::from_utf8(bytes).ok()).flatten() else {
                out.push_field(bytes);
                continue;
            };
            value.clear();
            let fits = match convert {
                Convert::Date(format) => format.convert(cell, &mut value),
                Convert::DecimalComma => decimal_comma(cell, &mut value),
                Convert::Nothing => false,
            };
            if !fits {
                let form = match convert {
                    Convert::Date(format) => format!("a date written {}", format.text),
                    _ => "a number with a decimal comma (12,50)".to_owned(),
                };
                return Err(EventError::InvalidValue {
                    value: cell.to_owned(),
                    path: format!("line {line}, column {partner}"),
                    allowed: format!(
                        "Column {partner} ({path}) must hold {form}, as the mapping profile declares"
                    ),
                });
            }
            out.push_field(value.as_bytes());
        }
        for constant in &self.constants {
            out.push_field(constant.as_bytes());
        }
        out.set_position(row.position().cloned());
        Ok(out)
    }
}

/// Plans the header `names` of a `kind` input under `options`.
pub fn plan(kind: Kind, names: &[String], options: &CsvOptions) -> Result<Layout, String> {
    let profile = options.profile.as_deref();
    let mut paths = Vec::with_capacity(names.len());
    let mut converts = Vec::with_capacity(names.len());
    for name in names {
        let mapped = profile.and_then(|p| p.mapping(name));
        match mapped {
            Some(mapping) => {
                paths.push(Some(mapping.path.clone()));
                converts.push((name.clone(), mapping.path.clone(), mapping.convert.clone()));
            }
            None => {
                let ignored = profile.is_some_and(|p| p.ignores(name));
                paths.push((!ignored).then(|| name.clone()));
                converts.push((name.clone(), name.clone(), Convert::Nothing));
            }
        }
    }
    if let Some(profile) = profile {
        for mapping in &profile.columns {
            if !names
                .iter()
                .any(|n| n.trim().eq_ignore_ascii_case(&mapping.partner))
            {
                return Err(format!(
                    "the mapping profile {} line {} maps column {:?}, which this header does not have",
                    profile.path.display(),
                    mapping.line,
                    mapping.partner
                ));
            }
        }
        paths.extend(profile.constants.iter().map(|c| Some(c.path.clone())));
    }
    let (columns, skipped) = plan_partial(kind, &paths, options.skip_unknown_columns)?;
    if columns.iter().all(|c| c.steps.is_empty()) {
        return Err(match skipped.first() {
            Some((_, why)) => format!("no column is left to import once skipped: {why}"),
            None => format!("no column of the header is imported into {kind}"),
        });
    }
    let conversions = profile
        .filter(|p| {
            !p.constants.is_empty() || p.columns.iter().any(|m| m.convert != Convert::Nothing)
        })
        .map(|p| {
            let constants: Vec<String> = p.constants.iter().map(|c| c.value.clone()).collect();
            let dates = converts
                .iter()
                .filter(|(_, _, c)| matches!(c, Convert::Date(_)))
                .count();
            Arc::new(Conversions {
                extra: constants.iter().map(String::len).sum::<usize>() + 8 * dates,
                columns: converts,
                constants,
            })
        });
    Ok(Layout {
        columns,
        width: names.len(),
        conversions,
        skipped: skipped
            .into_iter()
            .map(|(i, why)| (names[i].clone(), i + 1, why))
            .collect(),
    })
}

/// When a header read with `used` is a single column that another delimiter splits into
/// columns that plan: what the error should add (the flag to give). cebulk does not switch
/// delimiters by itself: a guess could read a partner's file wrong without a word.
pub fn delimiter_hint(
    kind: Kind,
    names: &[String],
    used: u8,
    options: &CsvOptions,
) -> Option<String> {
    let [name] = names else { return None };
    [b';', b'\t', b'|', b',']
        .into_iter()
        .filter(|d| *d != used && name.as_bytes().contains(d))
        .find(|d| {
            let parts: Vec<String> = name.split(*d as char).map(str::to_owned).collect();
            let strict = CsvOptions {
                skip_unknown_columns: false,
                ..options.clone()
            };
            plan(kind, &parts, &strict).is_ok()
        })
        .map(|d| {
            let flag = match d {
                b'\t' => "--delimiter tab".to_owned(),
                other => format!("--delimiter '{}'", other as char),
            };
            format!(
                "the header is a single column {name:?}, which split on {} gives known columns: give {flag}",
                shown(d)
            )
        })
}
