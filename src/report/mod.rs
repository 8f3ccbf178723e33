//! The report: the API's response envelope ([`envelope`]), where it is written
//! ([`destination`]), and the import's summary ([`summary`]).

pub mod destination;
pub mod envelope;
pub mod summary;
