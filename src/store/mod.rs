//! The SQLite store: schema, opening, reference data, the batch writer and the listing.

pub mod body;
pub mod checkpoint;
pub mod error;
pub mod fresh;
pub mod insert;
pub mod journal;
pub mod listing;
pub mod open;
pub mod reference;
pub mod schema;
pub mod writer;
