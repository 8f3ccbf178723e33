//! The JSON of events: a tree that borrows from its text ([`tree`]), parsed by [`parse`]
//! through a fast parser ([`fast`]) or serde_json, the scan for bytes a JSON string must
//! escape ([`escape`]) and the equality of short keys ([`keys`]).

pub mod escape;
pub mod fast;
pub mod keys;
pub mod parse;
pub mod tree;
