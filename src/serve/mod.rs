//! `cebulk serve`: the seed's Web API over HTTP (axum on tokio), answering the seven create
//! methods through the same reader, judge, writer and envelope as `cebulk import`, and the
//! three authentication methods from the store's users, keys and tokens.

pub mod answer;
pub mod body;
pub mod console;
pub mod create;
pub mod credentials;
pub mod log;
pub mod login;
pub mod router;
pub mod server;
pub mod shutdown;
pub mod state;
pub mod tokens;
pub mod writer;
