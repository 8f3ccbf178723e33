//! The SQLite store: schema, opening, reference data, the batch writer and the listing.

pub mod auth;
pub mod bloom;
pub mod check;
pub mod checkpoint;
pub mod digests;
pub mod dry_run;
pub mod error;
pub mod history;
pub mod ids;
pub mod insert;
pub mod journal;
pub mod listing;
pub mod open;
pub mod reference;
pub mod repeats;
pub mod schema;
pub mod seen;
pub mod temporary;
pub mod writer;
