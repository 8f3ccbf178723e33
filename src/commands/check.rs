//! `cebulk check`: reads the store and says whether it is sound (`store/check.rs` holds
//! what is checked). A problem found is exit status 3, as for a store that fails: the
//! store must not be imported into before it is looked at.

use std::path::Path;

use super::store::open_existing;
use crate::cli::fatal::{EXIT_FAILURE, EXIT_OK, Fatal};
use crate::report::destination::print;
use crate::store::check::check;

/// Checks the store at `store_path`, printing the problems found and a verdict.
pub fn run(store_path: &Path) -> Result<u8, Fatal> {
    // A path with nothing at it is not a store to call sound: most likely a mistyped one.
    let store = open_existing(store_path)?;
    let findings = check(&store.conn).map_err(|e| {
        Fatal::from(e).nothing_changed(
            "the check changed nothing in the store; a store SQLite cannot read is damaged: restore it from a backup",
        )
    })?;
    let mut text = String::new();
    for problem in &findings.problems {
        text.push_str(&format!("problem: {problem}\n"));
    }
    let counts = format!(
        "{} events, {} reference records",
        findings.events, findings.reference_records
    );
    if findings.sound() {
        text.push_str(&format!("ok: {counts}, no problem found\n"));
    } else {
        let problems = match findings.found {
            1 => "1 problem".to_owned(),
            n => format!("{n} problems"),
        };
        text.push_str(&format!("not ok: {problems} found in {counts}\n"));
    }
    print(text.as_bytes())?;
    Ok(if findings.sound() {
        EXIT_OK
    } else {
        EXIT_FAILURE
    })
}
