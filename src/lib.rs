//! cebulk: CRM.COM's `customer_events/bulk/*/create` methods over files and a local
//! SQLite store. The binary is thin glue over [`run`].
//!
//! The modules follow an event: [`cli`] (the command line) → [`commands`] (one file per
//! command) → [`input`] (files into requests of raw events) → [`json`] (the parsed tree) →
//! [`judge`] (validation, resolution and the rules, in docs/ERRORS.md's precedence) →
//! [`import`] (the pipeline) → [`store`] (the SQLite store and its one writer) →
//! [`report`] (the API's response envelope); [`serve`] answers the same methods over HTTP,
//! and [`listing`] writes what `cebulk events` prints.
//! [`reference`](mod@reference) reads and holds reference data;
//! [`domain`] (kinds, entities, values, error codes, the per-kind schemas) is below them all.

pub mod cli;
pub mod commands;
pub mod domain;
pub mod import;
pub mod input;
pub mod json;
pub mod judge;
pub mod listing;
pub mod reference;
pub mod report;
pub mod serve;
pub mod store;

pub use commands::run::run;
