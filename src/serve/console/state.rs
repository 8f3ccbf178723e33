//! What the console adds to the server's shared state: the secret its sign-in forms are
//! keyed with, where its runs' files live, the import it runs, and the runs themselves.

use std::path::{Path, PathBuf};

use super::runs::Runs;
use crate::cli::config::ImportConfig;
use crate::cli::fatal::Fatal;

/// How the console runs an import: `cebulk import`'s own run, without its signal handlers
/// (the server has its own), handed down by the command that starts the server.
pub type RunImport = fn(&ImportConfig) -> Result<u8, Fatal>;

/// The console's part of the server's state.
pub struct Console {
    /// The key of the sign-in forms' tokens, new at each start.
    pub secret: [u8; 32],
    /// `<store>.console`: a directory per run (`<id>/`) and the uploads being received
    /// (`uploads/`).
    pub directory: PathBuf,
    /// The import a run runs.
    pub run_import: RunImport,
    /// The runs of this server.
    pub runs: Runs,
}

impl Console {
    /// The console of the store at `store`.
    pub fn new(store: &Path, run_import: RunImport) -> Result<Console, getrandom::Error> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)?;
        let mut directory = store.as_os_str().to_owned();
        directory.push(".console");
        let directory = PathBuf::from(directory);
        Ok(Console {
            secret,
            runs: Runs::default(),
            directory,
            run_import,
        })
    }

    /// The directory of the run `id`.
    pub fn run_directory(&self, id: i64) -> PathBuf {
        self.directory.join(id.to_string())
    }

    /// The directory uploads are received in.
    pub fn uploads(&self) -> PathBuf {
        self.directory.join("uploads")
    }
}

/// Creates `dir` and its parents, readable by this user only.
pub fn private_directory(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}
