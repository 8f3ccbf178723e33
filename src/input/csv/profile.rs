//! Mapping profiles (`--map FILE`, TOML): how one partner's CSV export maps onto a kind's
//! columns. Partner columns name cebulk paths, with a date format or a decimal comma when
//! their cells need one; constants give every event a value; listed columns are ignored.
//! The profile is checked whole against the kind when it is loaded, and against each
//! file's header before its first row ([`super::layout`]); each error names the profile's
//! line.
//!
//! ```toml
//! delimiter = ";"
//! ignore = ["Notes"]
//!
//! [columns]
//! "Order" = "request_unique_identifier"
//! "Date" = { path = "performed_on", date_format = "%d/%m/%Y %H:%M" }
//! "Net" = { path = "products_set.net_amount", decimal_comma = true }
//!
//! [constants]
//! "classification_identifier.name" = "Partner X purchase"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::convert::DateFormat;
use super::header::column;
use crate::domain::kind::Kind;
use crate::domain::schema;
use crate::domain::schema::field::FieldType;

/// The largest profile read: a profile is a few dozen lines.
const MAX_PROFILE_BYTES: u64 = 1024 * 1024;

/// A mapping profile that cannot be used; nothing was imported.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("mapping profile {}{}: {message}", path.display(), line.map(|l| format!(" line {l}")).unwrap_or_default())]
#[diagnostic(
    code(cebulk::map),
    help(
        "fix the profile and run the same command again; `cebulk columns --kind KIND` lists the paths a profile may name"
    )
)]
pub struct ProfileError {
    /// The profile's path.
    pub path: PathBuf,
    /// The line of the profile at fault, when one is.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// What a partner column's cells go through before they are read as the path's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Convert {
    /// Nothing: the cell is the value.
    Nothing,
    /// A date in this format, turned into the API's form.
    Date(DateFormat),
    /// A number with a decimal comma.
    DecimalComma,
}

/// One partner column and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The partner's header, as the profile writes it.
    pub partner: String,
    /// The cebulk path.
    pub path: String,
    /// What its cells go through.
    pub convert: Convert,
    /// Its line in the profile.
    pub line: usize,
}

/// A value every event gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constant {
    /// The cebulk path.
    pub path: String,
    /// The value, as a cell would hold it.
    pub value: String,
    /// Its line in the profile.
    pub line: usize,
}

/// A loaded and checked mapping profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Where it was read from, as given.
    pub path: PathBuf,
    /// `delimiter`, when given.
    pub delimiter: Option<u8>,
    /// The partner columns mapped, in the profile's order.
    pub columns: Vec<Mapping>,
    /// The partner columns ignored, each with its line.
    pub ignored: Vec<(String, usize)>,
    /// The constants, in the profile's order.
    pub constants: Vec<Constant>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    delimiter: Option<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    columns: BTreeMap<String, Spanned<RawColumn>>,
    #[serde(default)]
    constants: BTreeMap<String, Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawColumn {
    Path(String),
    Detailed(Detailed),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Detailed {
    path: String,
    date_format: Option<String>,
    #[serde(default)]
    decimal_comma: bool,
}

/// The delimiters cebulk reads, by the names `--delimiter` and profiles give them.
pub fn delimiter(text: &str) -> Option<u8> {
    match text {
        "," => Some(b','),
        ";" => Some(b';'),
        "\t" | "tab" | "\\t" => Some(b'\t'),
        "|" => Some(b'|'),
        _ => None,
    }
}

impl Profile {
    /// Reads the profile at `path` and checks it against `kind`.
    pub fn load(path: &Path, kind: Kind) -> Result<Profile, ProfileError> {
        let fail = |line: Option<usize>, message: String| ProfileError {
            path: path.to_owned(),
            line,
            message,
        };
        let file = std::fs::File::open(path).map_err(|e| fail(None, e.to_string()))?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_PROFILE_BYTES + 1),
            &mut bytes,
        )
        .map_err(|e| fail(None, e.to_string()))?;
        if bytes.len() as u64 > MAX_PROFILE_BYTES {
            return Err(fail(
                None,
                "larger than 1 MiB: not a mapping profile".into(),
            ));
        }
        let text = String::from_utf8(bytes).map_err(|_| fail(None, "not UTF-8".into()))?;
        Profile::parse(path, &text, kind)
    }

    /// Parses and checks `text`, read from `path`.
    pub fn parse(path: &Path, text: &str, kind: Kind) -> Result<Profile, ProfileError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let fail = |line: usize, message: String| ProfileError {
            path: path.to_owned(),
            line: Some(line),
            message,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| ProfileError {
            path: path.to_owned(),
            line: e.span().map(|s| line_of(s.start)),
            message: format!("not a valid profile: {}", e.message()),
        })?;
        let delimiter = match raw.delimiter {
            None => None,
            Some(given) => Some(delimiter(given.get_ref()).ok_or_else(|| {
                fail(
                    line_of(given.span().start),
                    format!(
                        "delimiter {:?}: use \",\", \";\", \"\\t\" (tab) or \"|\"",
                        given.get_ref()
                    ),
                )
            })?),
        };
        let mut columns = Vec::new();
        for (partner, spec) in raw.columns {
            let line = line_of(spec.span().start);
            let (target, date_format, decimal_comma) = match spec.into_inner() {
                RawColumn::Path(path) => (path, None, false),
                RawColumn::Detailed(d) => (d.path, d.date_format, d.decimal_comma),
            };
            let target = checked_path(kind, &target).map_err(|why| fail(line, why))?;
            let leaf = leaf_type(kind, &target);
            let convert = match (date_format, decimal_comma) {
                (Some(_), true) => {
                    return Err(fail(
                        line,
                        format!(
                            "column {partner:?}: give a date_format or a decimal_comma, not both"
                        ),
                    ));
                }
                (Some(format), false) => {
                    if !matches!(leaf, Some(FieldType::Date)) {
                        return Err(fail(
                            line,
                            format!(
                                "column {partner:?}: date_format is for dates, and {target} is not one"
                            ),
                        ));
                    }
                    Convert::Date(DateFormat::parse(&format).map_err(|why| {
                        fail(
                            line,
                            format!("column {partner:?}: date format {format:?}: {why}"),
                        )
                    })?)
                }
                (None, true) => {
                    if !matches!(leaf, Some(FieldType::Number | FieldType::Quantity)) {
                        return Err(fail(
                            line,
                            format!(
                                "column {partner:?}: decimal_comma is for numbers, and {target} is not one"
                            ),
                        ));
                    }
                    Convert::DecimalComma
                }
                (None, false) => Convert::Nothing,
            };
            columns.push(Mapping {
                partner: partner.trim().to_owned(),
                path: target,
                convert,
                line,
            });
        }
        columns.sort_by_key(|m| m.line);
        let mut constants = Vec::new();
        for (target, value) in raw.constants {
            let line = line_of(value.span().start);
            let target = checked_path(kind, &target).map_err(|why| fail(line, why))?;
            let value = match value.into_inner() {
                toml::Value::String(s) => s,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Float(x) => x.to_string(),
                other => {
                    return Err(fail(
                        line,
                        format!(
                            "constant {target}: {} is neither text nor a number",
                            other.type_str()
                        ),
                    ));
                }
            };
            constants.push(Constant {
                path: target,
                value,
                line,
            });
        }
        constants.sort_by_key(|c| c.line);
        let ignored: Vec<(String, usize)> = raw
            .ignore
            .iter()
            .map(|name| (name.get_ref().trim().to_owned(), line_of(name.span().start)))
            .collect();
        let profile = Profile {
            path: path.to_owned(),
            delimiter,
            columns,
            ignored,
            constants,
        };
        profile
            .check_repeats()
            .map_err(|(line, why)| fail(line, why))?;
        Ok(profile)
    }

    /// Refuses a partner column given twice (mapped or ignored) and a path given twice
    /// (by two columns, or a column and a constant).
    fn check_repeats(&self) -> Result<(), (usize, String)> {
        let partners = self
            .columns
            .iter()
            .map(|m| (m.partner.as_str(), m.line))
            .chain(
                self.ignored
                    .iter()
                    .map(|(name, line)| (name.as_str(), *line)),
            );
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for (name, line) in partners {
            if let Some((_, first)) = seen.iter().find(|(s, _)| s.eq_ignore_ascii_case(name)) {
                return Err((
                    line,
                    format!("column {name:?} is already given on line {first}"),
                ));
            }
            seen.push((name, line));
        }
        let paths = self
            .columns
            .iter()
            .map(|m| (m.path.as_str(), m.line))
            .chain(self.constants.iter().map(|c| (c.path.as_str(), c.line)));
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for (path, line) in paths {
            if let Some((_, first)) = seen.iter().find(|(s, _)| *s == path) {
                return Err((
                    line,
                    format!("{path} is already given a value on line {first}"),
                ));
            }
            seen.push((path, line));
        }
        Ok(())
    }

    /// The mapping of the partner header `name`, matched as headers are (ignoring ASCII
    /// case and surrounding spaces).
    pub fn mapping(&self, name: &str) -> Option<&Mapping> {
        let name = name.trim();
        self.columns
            .iter()
            .find(|m| m.partner.eq_ignore_ascii_case(name))
    }

    /// Whether the partner header `name` is to be ignored.
    pub fn ignores(&self, name: &str) -> bool {
        let name = name.trim();
        self.ignored
            .iter()
            .any(|(i, _)| i.eq_ignore_ascii_case(name))
    }
}

/// `path` as a column of `kind`, in its canonical form; `Err` says why it is not one.
fn checked_path(kind: Kind, path: &str) -> Result<String, String> {
    column(kind, path).map(|c| c.name)
}

/// The type of the field a (valid, canonical) path ends at.
fn leaf_type(kind: Kind, path: &str) -> Option<FieldType> {
    let mut fields = schema::fields(kind);
    let mut found = None;
    for part in path.split('.') {
        if part.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Some(field) = fields.iter().find(|f| f.name == part) else {
            // The identifier's own field (`.code`): the identifier is the leaf.
            return found;
        };
        found = Some(field.ty);
        if let FieldType::Set(element) = field.ty {
            fields = element;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Profile, ProfileError> {
        Profile::parse(Path::new("p.toml"), text, Kind::Purchases)
    }

    #[test]
    fn a_profile_maps_converts_and_sets_constants() {
        let profile = parse(
            "delimiter = \";\"\nignore = [\"Notes\"]\n[columns]\n\"Order\" = \"request_unique_identifier\"\n\
             \"Date\" = { path = \"performed_on\", date_format = \"%d/%m/%Y %H:%M\" }\n\
             \"Net\" = { path = \"Products_Set.Net_Amount\", decimal_comma = true }\n\
             [constants]\n\"classification_identifier.name\" = \"Partner X purchase\"\n",
        )
        .unwrap();
        assert_eq!(profile.delimiter, Some(b';'));
        assert_eq!(profile.columns.len(), 3);
        assert_eq!(profile.columns[2].path, "products_set.net_amount");
        assert_eq!(profile.columns[2].line, 6);
        assert_eq!(profile.constants[0].line, 8);
        assert!(profile.ignores(" notes "));
        assert_eq!(profile.mapping("order").map(|m| m.line), Some(4));
    }

    #[test]
    fn errors_name_the_line() {
        for (text, line, says) in [
            ("[columns]\n\"A\" = \"performed_onn\"\n", 2, "did you mean"),
            (
                "[columns]\n\"A\" = \"request_unique_identifier\"\n\"B\" = { path = \"performed_on\", date_format = \"%d/%q\" }\n",
                3,
                "%q",
            ),
            (
                "[columns]\n\"A\" = { path = \"description\", date_format = \"%d/%m/%Y\" }\n",
                2,
                "not one",
            ),
            (
                "[columns]\n\"A\" = { path = \"performed_on\", decimal_comma = true }\n",
                2,
                "numbers",
            ),
            (
                "\n[constants]\n\"classification_identifier.nam\" = \"x\"\n",
                3,
                "classification_identifier.nam",
            ),
            (
                "[columns]\n\"A\" = \"description\"\n\"a\" = \"reference_number\"\n",
                3,
                "already given",
            ),
            (
                "[columns]\n\"A\" = \"description\"\n[constants]\n\"description\" = \"x\"\n",
                4,
                "already given",
            ),
            ("\n\ndelimiter = \"#\"\n", 3, "delimiter"),
            ("\ncolumnz = 1\n", 2, "columnz"),
        ] {
            let error = parse(text).expect_err(text);
            assert_eq!(error.line, Some(line), "{text}: {error}");
            assert!(error.to_string().contains(says), "{text}: {error}");
        }
    }
}
