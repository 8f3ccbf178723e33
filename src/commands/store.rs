//! Opening the store for a command, a failure to open it being fatal (exit status 3).

use std::path::Path;

use crate::cli::fatal::Fatal;
use crate::store::open::{NotAStore, OpenError, Store, open_for_write_noting, open_read_only};
use crate::store::schema;

/// Opens the store for writing (created on first use). An older store is upgraded first,
/// said on standard error: for a large store that is minutes with nothing else shown.
pub fn open_write(path: &Path) -> Result<Store, Fatal> {
    let mut upgrading = |from: i64, to: i64| {
        let takes = if from < schema::REWRITTEN_BELOW {
            "minutes for millions of events"
        } else {
            "a moment: no event is rewritten"
        };
        eprintln!(
            "cebulk: upgrading the store {} from schema {from} to {to}, once ({takes}; if it is stopped, the store stays usable and the next command that writes goes on with it)",
            path.display()
        );
    };
    open_for_write_noting(path, &mut upgrading).map_err(|source| fatal(path, source))
}

/// Opens the store read-only: for commands that must not write.
pub fn open_read(path: &Path) -> Result<Store, Fatal> {
    open_read_only(path).map_err(|source| fatal(path, source))
}

/// Opens the store read-only for a command that only reads an existing store (`events`,
/// `check`): a path with nothing at it is most likely a mistyped one, not an empty store.
pub fn open_existing(path: &Path) -> Result<Store, Fatal> {
    let missing = std::fs::metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
    if missing {
        return Err(Fatal::NoStore {
            path: path.to_owned(),
        });
    }
    open_read(path)
}

/// The fatal error of a store at `path` that cannot be opened.
pub fn fatal(path: &Path, source: OpenError) -> Fatal {
    match source {
        OpenError::NotAStore(reason) => Fatal::NotAStore {
            path: path.to_owned(),
            help: match reason {
                NotAStore::Directory => format!(
                    "give --store (or CEBULK_STORE) the path of a store file, such as {}",
                    path.join("cebulk.db").display()
                ),
                _ => reason.help().to_owned(),
            },
            reason,
        },
        OpenError::NotWritable(reason) => Fatal::StoreNotWritable {
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
