//! Opening the store for a command, a failure to open it being fatal (exit status 3).

use std::path::Path;

use crate::cli::fatal::Fatal;
use crate::store::open::{OpenError, Store, open_for_write, open_read_only};

/// Opens the store for writing (created on first use).
pub fn open_write(path: &Path) -> Result<Store, Fatal> {
    open_for_write(path).map_err(|source| fatal(path, source))
}

/// Opens the store read-only: for commands that must not write.
pub fn open_read(path: &Path) -> Result<Store, Fatal> {
    open_read_only(path).map_err(|source| fatal(path, source))
}

/// The fatal error of a store at `path` that cannot be opened.
pub fn fatal(path: &Path, source: OpenError) -> Fatal {
    match source {
        OpenError::NotAStore(reason) => Fatal::NotAStore {
            path: path.to_owned(),
            help: reason.help(),
            reason,
        },
        source => Fatal::StoreOpen {
            path: path.to_owned(),
            source,
        },
    }
}
