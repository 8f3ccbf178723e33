//! How an import reads its CSV inputs beyond the defaults: the delimiter, unknown columns
//! skipped, and a partner's mapping profile.

use std::sync::Arc;

use super::profile::Profile;

/// The CSV options of an import (`--delimiter`, `--skip-unknown-columns`, `--map`).
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    /// `--delimiter`, when given.
    pub delimiter: Option<u8>,
    /// `--skip-unknown-columns`: a column that names no parameter is skipped (with a
    /// warning) instead of rejecting the file.
    pub skip_unknown_columns: bool,
    /// `--map`: the partner's mapping profile.
    pub profile: Option<Arc<Profile>>,
}

impl CsvOptions {
    /// The delimiter of the input `name`: `--delimiter`, else the profile's, else a tab for
    /// a `.tsv` file (compressed or not), else a comma.
    pub fn delimiter_for(&self, name: &str) -> u8 {
        let tsv = || {
            let name = crate::input::compression::without_suffix(name);
            name.len() > 4
                && name
                    .get(name.len() - 4..)
                    .is_some_and(|e| e.eq_ignore_ascii_case(".tsv"))
        };
        self.delimiter
            .or_else(|| self.profile.as_ref().and_then(|p| p.delimiter))
            .unwrap_or_else(|| if tsv() { b'\t' } else { b',' })
    }
}

/// A delimiter as messages and `--delimiter` write it.
pub fn shown(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tab".into(),
        other => (other as char).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_then_the_profile_then_the_extension_choose() {
        let options = CsvOptions::default();
        assert_eq!(options.delimiter_for("a.csv"), b',');
        assert_eq!(options.delimiter_for("a.TSV.gz"), b'\t');
        let given = CsvOptions {
            delimiter: Some(b'|'),
            ..CsvOptions::default()
        };
        assert_eq!(given.delimiter_for("a.tsv"), b'|');
    }
}
