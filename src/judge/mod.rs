//! Judging events: each raw event is validated against its kind's schema, resolved against
//! reference data and checked against the rules, in the precedence of docs/ERRORS.md.
//! Pure and free of the store: the rules that need the store are the writer's.

pub mod body;
pub mod judged;
pub mod resolve;
pub mod rules;
pub mod valid;
pub mod validate;
