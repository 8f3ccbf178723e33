//! The report: the API's response envelope ([`envelope`]), and where it is written
//! ([`destination`]).

pub mod destination;
pub mod envelope;
