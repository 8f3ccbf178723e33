//! The report: the API's response envelope ([`envelope`]), where it is written
//! ([`destination`]), output written on a thread of its own ([`handoff`]), and the import's
//! summary ([`summary`]).

pub mod destination;
pub mod envelope;
pub mod handoff;
pub mod summary;
