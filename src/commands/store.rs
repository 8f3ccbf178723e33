//! Opening the store for a command, a failure to open it being fatal (exit status 3).

use std::path::Path;

use crate::cli::fatal::Fatal;
use crate::store::open::{Store, open_for_write, open_read_only};

/// Opens the store for writing (created on first use).
pub fn open_write(path: &Path) -> Result<Store, Fatal> {
    open_for_write(path).map_err(|source| Fatal::StoreOpen {
        path: path.to_owned(),
        source,
    })
}

/// Opens the store read-only: for commands that must not write.
pub fn open_read(path: &Path) -> Result<Store, Fatal> {
    open_read_only(path).map_err(|source| Fatal::StoreOpen {
        path: path.to_owned(),
        source,
    })
}
