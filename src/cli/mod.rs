//! The command line: the flags as typed ([`args`]), resolved into what the commands need
//! ([`config`]), the progress bar, and the fatal errors with their exit statuses.

pub mod args;
pub mod config;
pub mod fatal;
pub mod help;
pub mod progress;
