//! `cebulk key add|remove|list`: the web API keys `cebulk serve` accepts, managed from the
//! command line only. A new key is printed once; the store keeps its hash.

use std::path::Path;

use super::store::open_write;
use super::user::when;
use crate::cli::args::KeyCommand;
use crate::cli::fatal::{EXIT_OK, Fatal};
use crate::cli::stderr;
use crate::report::destination::print;
use crate::serve::credentials::{hash_secret, new_key};
use crate::serve::tokens::now_ms;
use crate::store::auth::{self, Key};

/// Runs a `key` command.
pub fn run(store: &Path, command: KeyCommand) -> Result<u8, Fatal> {
    match command {
        KeyCommand::Add { name } => {
            if name.trim().is_empty() {
                return Err(Fatal::Usage("the key's name must not be empty".into()));
            }
            let (key, lookup) = new_key().map_err(Fatal::Usage)?;
            let key_hash = hash_secret(&key).map_err(Fatal::Usage)?;
            let store = open_write(store)?;
            let kept = Key {
                name: name.clone(),
                lookup,
                key_hash,
                created_at: now_ms(),
            };
            if !auth::add_key(&store.conn, &kept)? {
                return Err(Fatal::Usage(format!(
                    "there is a key named {name:?} already; remove it first to replace it"
                )));
            }
            print(format!("{key}\n").as_bytes())?;
            stderr::line(format_args!(
                "cebulk: key {name} made; it is shown only this once"
            ));
        }
        KeyCommand::Remove { name } => {
            let mut store = open_write(store)?;
            if !auth::remove_key(&mut store.conn, &name)? {
                return Err(Fatal::Usage(format!("there is no key named {name:?}")));
            }
            stderr::line(format_args!(
                "cebulk: key {name} removed; its tokens no longer work"
            ));
        }
        KeyCommand::List => {
            let store = open_write(store)?;
            let mut out = String::new();
            for key in auth::keys(&store.conn)? {
                out.push_str(&format!(
                    "{}\t{}…\t{}\n",
                    key.name,
                    key.lookup,
                    when(key.created_at)
                ));
            }
            print(out.as_bytes())?;
        }
    }
    Ok(EXIT_OK)
}
