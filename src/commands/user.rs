//! `cebulk user add|remove|list`: the users who may log in to `cebulk serve`, managed from
//! the command line only.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use super::store::open_write;
use crate::cli::args::UserCommand;
use crate::cli::fatal::{EXIT_OK, Fatal};
use crate::cli::stderr;
use crate::report::destination::print;
use crate::serve::credentials::hash_secret;
use crate::serve::tokens::now_ms;
use crate::store::auth::{self, User};

/// Runs a `user` command.
pub fn run(store: &Path, command: UserCommand) -> Result<u8, Fatal> {
    match command {
        UserCommand::Add { name, organisation } => {
            if name.trim().is_empty() || organisation.trim().is_empty() {
                return Err(Fatal::Usage(
                    "the user name and the organisation must not be empty".into(),
                ));
            }
            let password = read_secret(&format!("Password for {name}: "))?;
            let password_hash = hash_secret(&password).map_err(Fatal::Usage)?;
            let store = open_write(store)?;
            let user = User {
                name: name.clone(),
                organisation,
                password_hash,
                created_at: now_ms(),
            };
            if !auth::add_user(&store.conn, &user)? {
                return Err(Fatal::Usage(format!(
                    "there is a user named {name:?} already; remove it first to replace it"
                )));
            }
            stderr::line(format_args!("cebulk: user {name} added"));
        }
        UserCommand::Remove { name } => {
            let mut store = open_write(store)?;
            if !auth::remove_user(&mut store.conn, &name)? {
                return Err(Fatal::Usage(format!("there is no user named {name:?}")));
            }
            stderr::line(format_args!(
                "cebulk: user {name} removed; their tokens no longer work"
            ));
        }
        UserCommand::List => {
            let store = open_write(store)?;
            let mut out = String::new();
            for user in auth::users(&store.conn)? {
                out.push_str(&format!(
                    "{}\t{}\t{}\n",
                    user.name,
                    user.organisation,
                    when(user.created_at)
                ));
            }
            print(out.as_bytes())?;
        }
    }
    Ok(EXIT_OK)
}

/// A time in Unix milliseconds, as RFC 3339 in UTC.
pub fn when(millis: i64) -> String {
    let at = std::time::UNIX_EPOCH
        + std::time::Duration::from_millis(u64::try_from(millis).unwrap_or(0));
    humantime::format_rfc3339_seconds(at).to_string()
}

/// A password: asked for without echo on a terminal, else the first line of standard
/// input.
fn read_secret(prompt: &str) -> Result<String, Fatal> {
    let secret = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt)
            .map_err(|e| Fatal::Usage(format!("cannot read the password: {e}")))?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            Fatal::Usage(format!("cannot read the password from standard input: {e}"))
        })?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    };
    if secret.is_empty() {
        return Err(Fatal::Usage(
            "the password is empty; give it on standard input (one line)".into(),
        ));
    }
    Ok(secret)
}
