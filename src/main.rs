//! The `cebulk` binary: parses the command line, runs it, and turns the outcome into an
//! exit status (docs/spec.md §6). Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;

// Events are parsed on one thread and freed on others; glibc's malloc spends more time
// consolidating those cross-thread frees than cebulk spends validating. mimalloc keeps
// per-thread free lists. It replaces malloc itself (the crate's `override` feature), not
// only Rust's allocator: SQLite allocates through it too, and Rust's default allocator
// calls plain malloc, where the crate's own GlobalAlloc asks for aligned blocks, which
// mimalloc 3 serves on its slow path for most sizes.
// See docs/performance.md, "main: mimalloc".
use mimalloc as _;

fn main() -> ExitCode {
    let args = match cebulk::cli::args::Args::try_parse() {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                cebulk::cli::fatal::EXIT_REJECTED
            } else {
                cebulk::cli::fatal::EXIT_OK
            });
        }
    };
    match cebulk::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(fatal) => {
            let code = fatal.exit_code();
            cebulk::cli::stderr::line(format_args!("{}", fatal.message()));
            ExitCode::from(code)
        }
    }
}
