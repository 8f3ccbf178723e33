//! `cebulk serve`: opens the store twice for writing (the writer's connection, and one for
//! users, keys and tokens), loads the reference data and serves until a signal.

use super::store::open_write;
use crate::cli::config::ServeConfig;
use crate::cli::fatal::{EXIT_OK, Fatal};
use crate::store::reference;

/// Runs the server; exits 0 after a graceful stop.
pub fn run(config: ServeConfig) -> Result<u8, Fatal> {
    let auth = open_write(&config.store)?;
    // The console's imports a server left running when it stopped ended with it.
    crate::store::history::abandon_running(&auth.conn)?;
    let events = open_write(&config.store)?;
    let maps = reference::load(&events.conn)?;
    // The console's imports are `cebulk import`'s, without its signal handlers: the
    // server handles the signals, and lets a running import finish.
    let run_import = |config: &crate::cli::config::ImportConfig| {
        super::import::run_with(config, &crate::import::interrupt::Interrupt::none())
    };
    crate::serve::server::run(config, auth, events, maps, run_import)?;
    Ok(EXIT_OK)
}
