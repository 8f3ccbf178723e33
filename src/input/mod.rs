//! Readers of input files, each yielding a [`request::Request`]: the kind, the request-level
//! parameters and the raw events with their positions.

pub mod compression;
pub mod csv;
pub mod document;
pub mod limits;
pub mod ndjson;
pub mod open;
pub mod position;
pub mod request;
pub mod source;
