//! Picks the command a parsed command line names.

use super::{check, columns, completions, events, import, key, man, reference, serve, user};
use crate::cli::args::{Args, Command, ReferenceCommand};
use crate::cli::config::{ImportConfig, ServeConfig};
use crate::cli::fatal::Fatal;

/// Runs a parsed command line; returns the exit status.
pub fn run(args: Args) -> Result<u8, Fatal> {
    match args.command {
        Command::Import(import_args) => {
            let config = ImportConfig::new(args.store, import_args)?;
            let dry_run = config.dry_run;
            import::run(&config).map_err(|fatal| match dry_run {
                true => fatal.nothing_changed(import::DRY_RUN_FAILED),
                false => fatal,
            })
        }
        Command::Reference {
            command: ReferenceCommand::Load { path },
        } => reference::run(&args.store, &path),
        Command::Events(events_args) => events::run(&args.store, &events_args),
        Command::Check => check::run(&args.store),
        Command::Columns { kind, template } => match kind {
            Some(kind) => columns::run(kind, template),
            None => Err(Fatal::Usage("columns needs --kind".into())),
        },
        Command::Serve(serve_args) => serve::run(ServeConfig::new(args.store, serve_args)?),
        Command::User { command } => user::run(&args.store, command),
        Command::Key { command } => key::run(&args.store, command),
        Command::Completions { shell } => completions::run(shell),
        Command::Man { command } => man::run(command.as_deref()),
    }
}
