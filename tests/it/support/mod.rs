//! What the tests share: running the real `cebulk` binary (never an in-process stand-in)
//! with [`Cebulk`], a [`Store`] in a temporary directory to run it on and read back, the
//! crate's fixtures, generated inputs and the report's parts.
//!
//! - `cebulk.rs`: the [`Cebulk`] builder, a finished [`Run`], a [`cebulk::Running`] process;
//! - `store.rs`: [`Store`];
//! - `fixtures.rs`: paths of `fixtures/` and `tests/`, the entities and kinds;
//! - `inputs.rs`: a seeded generator and valid events;
//! - `report.rs`: the report's event sets and entries;
//! - `server.rs`: a running `cebulk serve` and an HTTP client for it;
//! - `console.rs`: a client of its console, keeping cookies as a browser does;
//! - `browser.rs`: a headless chromium driven over WebDriver, for the console's pages.

pub mod browser;
pub mod cebulk;
pub mod console;
pub mod fixtures;
pub mod inputs;
pub mod report;
pub mod server;
pub mod store;

pub use cebulk::{Cebulk, Run, can_run_unprivileged, gone_reader};
pub use fixtures::{
    ENTITIES, KINDS, crate_path, fixture, reference, reference_id, reference_json, reference_names,
};
pub use inputs::{XorShift, money, ndjson, web_event_at};
pub use report::{PROCESSED, UNPROCESSED, is_id, rui_id_number, set};
pub use store::{STORE, Store};
