//! The operators' console: pages served by `cebulk serve` under `/console/` for signing in,
//! uploading a partner file and watching it load, its result and downloads, the history of
//! imports and the events listing. Server-rendered HTML (maud), sessions in the tokens
//! table, a CSRF token in every form.

pub mod assets;
pub mod csrf;
pub mod downloads;
pub mod events;
pub mod history;
pub mod layout;
pub mod result;
pub mod routes;
pub mod runs;
pub mod session;
pub mod sign_in;
pub mod state;
pub mod upload;
