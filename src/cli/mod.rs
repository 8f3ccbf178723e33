//! The command line: the flags as typed ([`args`]), resolved into what the commands need
//! ([`config`]), the progress bar, the fatal errors with their exit statuses, and messages on
//! standard error that cannot fail ([`stderr`]).

pub mod args;
pub mod config;
pub mod fatal;
pub mod help;
pub mod progress;
pub mod stderr;
