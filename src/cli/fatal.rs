//! Fatal errors: the ones that stop a command. Each has an exit status (docs/spec.md §6)
//! and is shown on stderr through miette. Problems with single events are not here: they
//! are data ([`crate::domain::codes::EventError`]) and the run goes on.

use std::path::PathBuf;

use miette::Diagnostic;

use crate::reference::file::ReferenceError;
use crate::report::destination::ReportError;
use crate::store::error::StoreError;
use crate::store::open::{NotAStore, OpenError};

/// Exit status: every event processed.
pub const EXIT_OK: u8 = 0;
/// Exit status: finished, some events unprocessed.
pub const EXIT_UNPROCESSED: u8 = 1;
/// Exit status: the invocation or a whole input was rejected.
pub const EXIT_REJECTED: u8 = 2;
/// Exit status: store or I/O failure.
pub const EXIT_FAILURE: u8 = 3;
/// Exit status: the import was interrupted by SIGINT (128 + 2, as shells give); what it
/// committed is reported.
pub const EXIT_SIGINT: u8 = 130;
/// Exit status: the import was interrupted by SIGTERM (128 + 15); what it committed is
/// reported.
pub const EXIT_SIGTERM: u8 = 143;

/// A command-stopping error.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Fatal {
    /// The command line asks for something cebulk cannot do.
    #[error("{0}")]
    #[diagnostic(code(cebulk::usage))]
    Usage(String),

    /// The reference data cannot be read or is malformed; nothing of it was loaded.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Reference(#[from] ReferenceError),

    /// A thread cebulk needs cannot be started (the system is out of threads or memory).
    #[error("cannot start {what}")]
    #[diagnostic(
        code(cebulk::thread),
        help("the system refused a new thread; lower --jobs or free resources and re-run")
    )]
    Thread {
        /// Which thread or pool.
        what: String,
        /// Why, as the system said it.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The store cannot be opened.
    #[error("cannot open the store {path}")]
    #[diagnostic(code(cebulk::store::open))]
    StoreOpen {
        /// The store's path.
        path: PathBuf,
        /// Why.
        #[source]
        source: OpenError,
    },

    /// The file at the store's path is not a store this cebulk can use; it was left as it
    /// was.
    #[error("{} is not a cebulk store{reason}", path.display())]
    #[diagnostic(code(cebulk::store::not_a_store))]
    NotAStore {
        /// The store's path.
        path: PathBuf,
        /// What it is instead.
        reason: NotAStore,
        /// What to do about it.
        #[help]
        help: &'static str,
    },

    /// The store failed during the run. Committed batches stay; the batch under way was
    /// rolled back.
    #[error("store failure")]
    #[diagnostic(
        code(cebulk::store::failure),
        help("batches committed before the failure are kept; re-run the same command to finish")
    )]
    Store(#[source] StoreError),

    /// The store contradicts itself: an insert broke a constraint that the writer's checks
    /// had found free (a sequence behind its events, …). Committed batches stay; the batch
    /// under way was rolled back, and a re-run would stop at the same place.
    #[error(
        "the store is inconsistent: it already holds an event number, external reference or referral that its own records give as free"
    )]
    #[diagnostic(
        code(cebulk::store::inconsistent),
        help(
            "run `cebulk check` to see what is wrong with the store; the batch under way was rolled back, and batches committed before it are kept"
        )
    )]
    Inconsistent(#[source] StoreError),

    /// `cebulk serve` cannot listen on its address.
    #[error("cannot listen on {address}")]
    #[diagnostic(
        code(cebulk::serve::listen),
        help("give --listen an address and port this machine has and nothing else uses")
    )]
    Listen {
        /// The address.
        address: std::net::SocketAddr,
        /// Why, as the system said it.
        #[source]
        source: std::io::Error,
    },

    /// The report cannot be written.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Report(#[from] ReportError),
}

impl From<StoreError> for Fatal {
    fn from(error: StoreError) -> Fatal {
        if error.inconsistent {
            Fatal::Inconsistent(error)
        } else {
            Fatal::Store(error)
        }
    }
}

impl Fatal {
    /// The exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Fatal::Usage(_) | Fatal::Reference(_) => EXIT_REJECTED,
            Fatal::Thread { .. }
            | Fatal::StoreOpen { .. }
            | Fatal::NotAStore { .. }
            | Fatal::Store(_)
            | Fatal::Inconsistent(_)
            | Fatal::Listen { .. }
            | Fatal::Report(_) => EXIT_FAILURE,
        }
    }
}
