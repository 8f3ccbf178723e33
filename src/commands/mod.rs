//! One file per command: each opens the store the way it needs and hands over to the
//! library modules. [`run`] picks the command.

pub mod check;
pub mod columns;
pub mod completions;
pub mod events;
pub mod import;
pub mod key;
pub mod man;
pub mod reference;
pub mod run;
pub mod serve;
pub mod store;
pub mod user;
