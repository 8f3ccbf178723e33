//! Store failures: fatal for the run (exit status 3), always with what was being done.

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
#[error("{doing}: {source}")]
pub struct StoreError {
    /// What cebulk was doing.
    pub doing: String,
    /// SQLite's error.
    #[source]
    pub source: rusqlite::Error,
}

/// Adds what was being done to a SQLite error.
pub trait Doing<T> {
    /// Wraps the error with `doing`.
    fn doing(self, doing: &str) -> Result<T, StoreError>;
}

impl<T> Doing<T> for Result<T, rusqlite::Error> {
    fn doing(self, doing: &str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError {
            doing: doing.to_owned(),
            source,
        })
    }
}
