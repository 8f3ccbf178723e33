//! The JSON of events: a tree that borrows from its text ([`tree`]), its fast parser
//! ([`fast`]), the scan for bytes a JSON string must escape ([`escape`]) and the equality
//! of short keys ([`keys`]).

pub mod escape;
pub mod fast;
pub mod keys;
pub mod tree;
