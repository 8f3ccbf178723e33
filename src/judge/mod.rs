//! Judging events: each raw event is validated against its kind's schema, resolved against
//! reference data and checked against the rules; [`precedence`] settles which problem an
//! event is reported with (docs/ERRORS.md).
//! Pure and free of the store: the rules that need the store are the writer's.

pub mod batch;
pub mod body;
pub mod judged;
pub mod precedence;
pub mod resolve;
pub mod rules;
pub mod valid;
pub mod validate;
