//! The seed's fields of each kind of event, as data that the validator walks.

pub mod by_kind;
pub mod field;

mod achievements;
mod common;
mod financial_achievements;
mod financial_statements;
mod purchases;
mod referrals;
mod social_media;
mod web;

pub use by_kind::fields;
