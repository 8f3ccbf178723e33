//! cebulk's integration tests: one crate, one module an area, all running the real `cebulk`
//! binary on stores in temporary directories, through the helpers of `support`.
//!
//! Run every area with `cargo test --test it`, one area with its module name as the filter,
//! e.g. `cargo test --test it crash::`, one test with its path,
//! e.g. `cargo test --test it cli::amounts_are_kept_exact`.

mod broken;
mod cli;
mod concurrency;
mod crash;
mod formats;
mod golden;
mod journal;
mod migration;
mod properties;
mod review;
mod rules;
mod store_failure;
mod support;
