//! `cebulk reference load FILE|DIR`: upserts reference data into the store, all or nothing.

use std::path::Path;

use super::store::open_write;
use crate::cli::fatal::{EXIT_OK, Fatal};
use crate::cli::stderr;
use crate::reference::file::read_and_merge;
use crate::store::reference;

/// Loads the reference data at `path` into the store at `store_path`.
pub fn run(store_path: &Path, path: &Path) -> Result<u8, Fatal> {
    let mut store = open_write(store_path)?;
    let loaded = (|| {
        let existing = reference::load(&store.conn)?;
        let merged = read_and_merge(path, &existing)?;
        reference::write(&mut store.conn, &merged.changed)?;
        Ok::<_, Fatal>(merged)
    })();
    let merged = loaded.map_err(|fatal| {
        fatal.nothing_changed(
            "nothing of the reference data was loaded (a load is all or nothing); run the same load again once the cause is fixed",
        )
    })?;
    let total: usize = merged.maps.counts().iter().map(|(_, n)| n).sum();
    stderr::line(format_args!(
        "cebulk: {} reference records new or changed; the store holds {total}",
        merged.changed.len()
    ));
    Ok(EXIT_OK)
}
