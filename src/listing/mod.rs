//! What `cebulk events` prints of each stored event: its compact body decoded for a
//! person, as JSON, NDJSON or CSV cells, with each reference's natural key beside its id.
//! The store's rows come from [`crate::store::listing`]; this module only turns them into
//! output.

pub mod cells;
pub mod csv_record;
pub mod decoded;
pub mod json;
pub mod stream;
