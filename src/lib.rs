//! cebulk: CRM.COM's `customer_events/bulk/*/create` methods over files and a local
//! SQLite store. The binary is thin glue over [`run`]; each module has one job.

pub mod capacity;
pub mod cli;
pub mod codes;
pub mod commands;
pub mod config;
pub mod entity;
pub mod error;
pub mod event;
pub mod ids;
pub mod import;
pub mod in_order;
pub mod input;
pub mod json_plain;
pub mod kind;
pub mod model;
pub mod output;
pub mod progress;
pub mod raw;
pub mod raw_fast;
pub mod reference;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod short_eq;
pub mod store;
pub mod validate;
pub mod values;
pub mod workers;

pub use commands::run;
