//! `cebulk completions SHELL`: the completion script of a shell, generated from the
//! command line's definition so that it names every command, flag and kind.

use clap::CommandFactory;

use crate::cli::args::Args;
use crate::cli::fatal::{EXIT_OK, Fatal};
use crate::report::destination::print;

/// Prints the completion script for `shell`.
pub fn run(shell: clap_complete::Shell) -> Result<u8, Fatal> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Args::command(), "cebulk", &mut script);
    print(&script)?;
    Ok(EXIT_OK)
}
