//! Reading a reference file from disk and merging it over the records already held.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::document::{self, ReferenceProblem};
use super::maps::ReferenceMaps;
use super::merge::{Merged, merge};
use crate::input::limits::{MAX_REFERENCE_FILE_BYTES, mib};
use crate::input::position::line_column;

/// Why reference data was not loaded: nothing of it was.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ReferenceError {
    /// A reference file or directory cannot be read.
    #[error("cannot read the reference data {path}")]
    #[diagnostic(code(cebulk::reference::read))]
    Read {
        /// The path given.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// The reference data is malformed.
    #[error("invalid reference data in {path}: {at}: {message}")]
    #[diagnostic(
        code(cebulk::reference::invalid),
        help("nothing from this reference document was loaded; fix it and load it again")
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Entity, record and field (`units[2].currency`), or line and column.
        at: String,
        /// What is wrong.
        message: String,
    },
}

/// Reads `path` (a JSON document, a directory of CSV files, or one of those files) and
/// merges it over
/// `existing`; nothing is written anywhere.
pub fn read_and_merge(path: &Path, existing: &ReferenceMaps) -> Result<Merged, ReferenceError> {
    let to_fatal = |p: ReferenceProblem| ReferenceError::Invalid {
        path: path.to_owned(),
        at: p.at,
        message: p.message,
    };
    let unreadable = |source| ReferenceError::Read {
        path: path.to_owned(),
        source,
    };
    if std::fs::metadata(path).map_err(unreadable)?.is_dir() {
        let records = super::csv_dir::read(path).map_err(to_fatal)?;
        return merge(existing, records).map_err(to_fatal);
    }
    if super::csv_dir::is_csv_file(path) {
        let records = super::csv_dir::read_one(path).map_err(to_fatal)?;
        return merge(existing, records).map_err(to_fatal);
    }
    let file = open_capped(path).map_err(to_fatal)?;
    let mut bytes = Vec::new();
    file.take(MAX_REFERENCE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    // The file may have grown since it was opened.
    if bytes.len() as u64 > MAX_REFERENCE_FILE_BYTES {
        return Err(to_fatal(too_large()));
    }
    let invalid = |at: String, message: String| ReferenceError::Invalid {
        path: path.to_owned(),
        at,
        message,
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(bytes, e.valid_up_to());
        invalid(format!("line {line}, column {column}"), "not UTF-8".into())
    })?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        let detail = crate::input::position::json_error(&e);
        let (at, what) = detail.split_once(": ").unwrap_or((detail.as_str(), ""));
        invalid(at.to_owned(), format!("not valid JSON: {what}"))
    })?;
    let records = document::read(&value).map_err(to_fatal)?;
    merge(existing, records).map_err(to_fatal)
}

/// Opens the reference file `path`, refusing what is not a regular file (a device, a pipe or
/// a socket may never end) and a file over [`MAX_REFERENCE_FILE_BYTES`], unread.
pub(crate) fn open_capped(path: &Path) -> Result<std::fs::File, ReferenceProblem> {
    let problem = |e: std::io::Error| ReferenceProblem::new("(file)", e.to_string());
    let file = std::fs::File::open(path).map_err(problem)?;
    let metadata = file.metadata().map_err(problem)?;
    if !metadata.is_file() {
        return Err(ReferenceProblem::new(
            "(file)",
            "not a regular file or a directory (a device, a pipe or a socket may never end); \
             reference data is read from a JSON file or a directory of CSV files",
        ));
    }
    if metadata.len() > MAX_REFERENCE_FILE_BYTES {
        return Err(too_large());
    }
    Ok(file)
}

/// A reference file over [`MAX_REFERENCE_FILE_BYTES`].
pub(crate) fn too_large() -> ReferenceProblem {
    ReferenceProblem::new(
        "(file)",
        format!(
            "larger than {} ({MAX_REFERENCE_FILE_BYTES} bytes), the most a reference file may hold; \
             split the reference data and load the parts one after the other",
            mib(MAX_REFERENCE_FILE_BYTES)
        ),
    )
}
