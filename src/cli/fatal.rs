//! Fatal errors: the ones that stop a command. Each has an exit status (docs/spec.md §6)
//! and is shown on stderr through miette. Problems with single events are not here: they
//! are data ([`crate::domain::codes::EventError`]) and the run goes on.

use std::path::PathBuf;

use miette::Diagnostic;

use crate::input::csv::profile::ProfileError;
use crate::reference::file::ReferenceError;
use crate::report::destination::ReportError;
use crate::store::error::StoreError;
use crate::store::open::{NotAStore, NotWritable, OpenError};

/// Exit status: every event processed.
pub const EXIT_OK: u8 = 0;
/// Exit status: finished, some events unprocessed.
pub const EXIT_UNPROCESSED: u8 = 1;
/// Exit status: the invocation or a whole input was rejected.
pub const EXIT_REJECTED: u8 = 2;
/// Exit status: store or I/O failure.
pub const EXIT_FAILURE: u8 = 3;
/// Exit status: more than `--max-errors` events were unprocessed, and the import stopped
/// reading; what it committed is reported.
pub const EXIT_TOO_MANY_UNPROCESSED: u8 = 4;
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

    /// The mapping profile (`--map`) cannot be read or does not fit the kind; nothing was
    /// imported.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Profile(#[from] ProfileError),

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
    #[error("cannot open the store {}", path.display())]
    #[diagnostic(code(cebulk::store::open))]
    StoreOpen {
        /// The store's path.
        path: PathBuf,
        /// Why.
        #[source]
        source: OpenError,
    },

    /// A command that writes cannot write the store (checked before anything is done).
    #[error("cannot write to the store {}: {reason}", path.display())]
    #[diagnostic(code(cebulk::store::not_writable))]
    StoreNotWritable {
        /// The store's path.
        path: PathBuf,
        /// Why.
        reason: NotWritable,
        /// What to do about it.
        #[help]
        help: &'static str,
    },

    /// A command that only reads the store (`events`, `check`) was given a path with no
    /// file at it.
    #[error("there is no store at {}: no such file", path.display())]
    #[diagnostic(
        code(cebulk::store::missing),
        help(
            "check --store and CEBULK_STORE (the default is ./cebulk.db); an import or `cebulk reference load` creates a store"
        )
    )]
    NoStore {
        /// The store's path, as given.
        path: PathBuf,
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
        help: String,
    },

    /// The store failed during the run. Committed batches stay; the batch under way was
    /// rolled back.
    #[error("store failure")]
    #[diagnostic(
        code(cebulk::store::failure),
        help(
            "batches committed before the failure are kept; once its cause is fixed, re-running the same command finishes the job"
        )
    )]
    Store(#[source] StoreError),

    /// The store failed while a command read it (`events`, `check`) or loaded reference
    /// data into it (all or nothing): nothing in it was changed.
    #[error("store failure")]
    #[diagnostic(code(cebulk::store::failure))]
    StoreUnchanged {
        /// What failed.
        #[source]
        source: StoreError,
        /// What to do about it.
        #[help]
        help: &'static str,
    },

    /// The store contradicts itself: an insert broke a constraint that the writer's checks
    /// had found free (a sequence behind its events, …), or an event recognised has no id
    /// its row or its batch gives. Committed batches stay; the batch under way was rolled
    /// back, and a re-run would stop at the same place.
    #[error(
        "the store is inconsistent: its own records contradict each other (an event number, external reference or referral they give as free is taken, or an event has no id)"
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
    /// A store failure of a command that changes nothing in the store when it fails (the
    /// batches-committed hint of [`Fatal::Store`] does not apply), with `help` instead.
    #[must_use]
    pub fn nothing_changed(self, help: &'static str) -> Fatal {
        match self {
            Fatal::Store(source) | Fatal::Inconsistent(source) => {
                Fatal::StoreUnchanged { source, help }
            }
            other => other,
        }
    }

    /// The error as standard error shows it: `cebulk: ` and one line, what failed and then
    /// each cause that line does not already say, and, when there is one, a second line
    /// with what to do (`hint: …`).
    pub fn message(&self) -> String {
        let mut text = format!("cebulk: {}", one_line(self));
        if let Some(help) = miette::Diagnostic::help(self) {
            text.push_str(&format!("\nhint: {help}"));
        }
        text
    }

    /// The exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Fatal::Usage(_) | Fatal::Reference(_) | Fatal::Profile(_) => EXIT_REJECTED,
            Fatal::Thread { .. }
            | Fatal::StoreOpen { .. }
            | Fatal::NoStore { .. }
            | Fatal::StoreNotWritable { .. }
            | Fatal::StoreUnchanged { .. }
            | Fatal::NotAStore { .. }
            | Fatal::Store(_)
            | Fatal::Inconsistent(_)
            | Fatal::Listen { .. }
            | Fatal::Report(_) => EXIT_FAILURE,
        }
    }
}

/// `error` and its causes on one line: `cannot open the store x.db: its directory d does
/// not exist`. The chain stops at the first cause whose text the line already holds: a
/// store failure's text includes SQLite's, whose own cause repeats it with a code.
pub fn one_line(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if text.contains(&cause_text) {
            break;
        }
        text.push_str(": ");
        text.push_str(&cause_text);
        source = cause.source();
    }
    text
}

/// An error and its sources on one line: `store failure: committing the batch: disk I/O
/// error` (a source already at the end of the text is not said twice).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.ends_with(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}
