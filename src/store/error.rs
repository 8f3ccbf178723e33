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
    /// Whether the failure shows that the store contradicts itself: an insert broke a
    /// uniqueness constraint that the writer's own checks had found free (see
    /// [`Doing::inserting`]).
    pub inconsistent: bool,
}

/// Adds what was being done to a SQLite error.
pub trait Doing<T> {
    /// Wraps the error with `doing`.
    fn doing(self, doing: &str) -> Result<T, StoreError>;

    /// Wraps the error of an insert of created events (or their referrals) with `doing`.
    /// The writer inserts only what it found free in the same transaction (numbers from
    /// the kind's sequence, external references and referrals it looked for), so a
    /// constraint the insert breaks means the store contradicts itself, say a sequence
    /// behind its events: the error says so, rather than ask for a re-run that would stop
    /// at the same place.
    fn inserting(self, doing: &str) -> Result<T, StoreError>;
}

impl<T> Doing<T> for Result<T, rusqlite::Error> {
    fn doing(self, doing: &str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError {
            doing: doing.to_owned(),
            source,
            inconsistent: false,
        })
    }

    fn inserting(self, doing: &str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError {
            doing: doing.to_owned(),
            inconsistent: source.sqlite_error_code()
                == Some(rusqlite::ErrorCode::ConstraintViolation),
            source,
        })
    }
}
