//! Where output goes: the report to stdout or to a file that appears only when complete,
//! and stdout that a reader may close early (`| head`) without that being a failure; and
//! which report paths are refused because the report would replace an input or the store.

use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::report::envelope::Report;

/// Output cannot be written: the report, or a listing, page or script on standard output.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot write {what}")]
#[diagnostic(code(cebulk::report::write))]
pub struct ReportError {
    /// What, and where to: `the report to out.json`.
    what: String,
    /// Whether it was the report's temporary file of unprocessed entries, in TMPDIR.
    in_tmpdir: bool,
    /// What the store kept and what to do about it, once the run knows
    /// ([`ReportError::after`]).
    #[help]
    help: Option<String>,
    /// Why.
    #[source]
    source: std::io::Error,
}

/// What an import had committed when its report failed, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    /// Events created (or recognised as created before) and committed by this run.
    Events(usize),
    /// None: a dry run changes nothing.
    DryRun,
}

impl ReportError {
    /// Writing `what` failed (`cannot write {what}`).
    pub fn writing(what: impl std::fmt::Display, source: std::io::Error) -> ReportError {
        ReportError {
            what: what.to_string(),
            in_tmpdir: false,
            help: None,
            source,
        }
    }

    /// Writing the report to `to` (a path, or standard output) failed.
    pub fn report_to(to: impl std::fmt::Display, source: std::io::Error) -> ReportError {
        ReportError::writing(format_args!("the report to {to}"), source)
    }

    /// The temporary file that keeps the unprocessed entries until the processed set is
    /// closed failed: it lives in TMPDIR, which the message names, since the report's own
    /// path is fine.
    pub fn held(source: std::io::Error) -> ReportError {
        ReportError {
            in_tmpdir: true,
            ..ReportError::writing(
                format_args!(
                    "the report's unprocessed entries to a temporary file in TMPDIR ({})",
                    std::env::temp_dir().display()
                ),
                source,
            )
        }
    }

    /// Says what the store holds of the run, and what a re-run does with it.
    pub fn after(mut self, committed: Committed) -> ReportError {
        let kept = match committed {
            Committed::DryRun => {
                "a dry run changes nothing in the store; re-run it once the report can be written"
                    .to_owned()
            }
            Committed::Events(0) => "the store holds no events of this run; re-run the same \
                command once the report can be written"
                .to_owned(),
            Committed::Events(n) => {
                let events = if n == 1 { "event" } else { "events" };
                format!(
                    "the store holds {n} {events} of this run, committed before the failure; \
                     re-running the same command recognises them (same ids and numbers) and \
                     writes the whole report"
                )
            }
        };
        self.help = Some(if self.in_tmpdir {
            format!("point TMPDIR at a writable directory with room; {kept}")
        } else {
            kept
        });
        self
    }
}

/// A report file being written: a temporary file of its own beside the target, moved onto
/// the target once the report is complete.
pub struct Pending {
    /// The temporary file (deleted if the run ends before [`close_report`]).
    temp: tempfile::TempPath,
    /// Where it goes.
    target: PathBuf,
}

/// Where the report goes: stdout; or, for a path that is a regular file or nothing yet, a
/// temporary file beside it, renamed onto it at the end, so that a reader never sees half a
/// report and a failed run leaves the earlier file as it was.
pub fn open_report(path: Option<&Path>) -> Result<(Report, Option<Pending>), ReportError> {
    match path {
        None => {
            let out = Box::new(BrokenPipeIsFine(std::io::BufWriter::new(std::io::stdout())));
            Ok((Report::new(out, "standard output")?, None))
        }
        Some(path) => {
            let (out, pending) = open_file(path, ".cebulk-report-")
                .map_err(|source| ReportError::report_to(path.display(), source))?;
            Ok((Report::new(out, path.display())?, pending))
        }
    }
}

/// A file that appears only when complete ([`Pending::persist`]), as the report's: for a
/// path that is a regular file or nothing yet, a temporary file beside it named with
/// `prefix`; a symbolic link, device or pipe is written through.
pub fn open_file(
    path: &Path,
    prefix: &str,
) -> std::io::Result<(Box<dyn Write + Send>, Option<Pending>)> {
    if !is_plain_file_or_absent(path) {
        // A symlink, device or pipe (`/dev/stdout`, `>(jq …)`) is written through, never
        // replaced by a rename.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        return Ok((Box::new(std::io::BufWriter::new(file)), None));
    }
    // Created exclusively under a name nobody chose (no file of the user's is opened, let
    // alone truncated, and no two runs share it), in the target's directory so that the
    // rename stays on one file system. The mode is any new file's (0666 less the umask),
    // not a private temporary file's 0600.
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let temp = tempfile::Builder::new()
        .prefix(prefix)
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    let (file, temp) = temp.into_parts();
    let target = path.to_owned();
    Ok((
        Box::new(std::io::BufWriter::new(file)),
        Some(Pending { temp, target }),
    ))
}

impl Pending {
    /// Moves the complete file onto its target.
    pub fn persist(self) -> std::io::Result<()> {
        self.temp.persist(&self.target).map_err(|e| e.error)
    }
}

fn is_plain_file_or_absent(path: &Path) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => meta.file_type().is_file(),
        Err(_) => true,
    }
}

/// Finishes the report and, for a file, moves it into place.
pub fn close_report(report: Report, pending: Option<Pending>) -> Result<(), ReportError> {
    report.finish()?;
    if let Some(pending) = pending {
        let target = pending.target.display().to_string();
        pending
            .persist()
            .map_err(|e| ReportError::report_to(target, e))?;
    }
    Ok(())
}

/// What `report` would replace, if it is one of `files` (each with what it is, for the
/// message) or, when `stdin` is an input, the file on standard input: the same file (its
/// device and inode), directly or through symbolic links, or for a file that does not exist
/// yet, the same place once its links and directory are resolved.
pub fn would_replace(report: &Path, files: &[(String, PathBuf)], stdin: bool) -> Option<String> {
    // A device or pipe is written through and replaces nothing, so the same one may be an
    // input too (`/dev/stdin` and `/dev/stdout` on one terminal are one device).
    if std::fs::metadata(report).is_ok_and(|meta| !meta.is_file()) {
        return None;
    }
    let report = Identity::of(report);
    if let Some((what, _)) = files.iter().find(|(_, path)| Identity::of(path) == report) {
        return Some(what.clone());
    }
    (stdin && Identity::of_stdin().as_ref() == Some(&report)).then(|| "standard input".into())
}

/// Which file a path names, for telling whether two paths name the same one.
#[derive(Debug, PartialEq, Eq)]
enum Identity {
    /// An existing file (symbolic links followed): hard links and other spellings of it
    /// are the same.
    File { dev: u64, ino: u64 },
    /// No file yet: where it would be created.
    Absent(PathBuf),
}

impl Identity {
    fn of(path: &Path) -> Identity {
        match std::fs::metadata(path) {
            Ok(meta) => Identity::File {
                dev: meta.dev(),
                ino: meta.ino(),
            },
            Err(_) => Identity::Absent(where_created(path)),
        }
    }

    /// The regular file on standard input, if it is one (a pipe or terminal is nobody's
    /// file to replace).
    fn of_stdin() -> Option<Identity> {
        let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
        let meta = std::fs::File::from(fd).metadata().ok()?;
        meta.is_file().then(|| Identity::File {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }
}

/// Where a file that does not exist would be created at `path`: a dangling symbolic link
/// leads to its target, and the directory is made canonical (`./a`, `sub/../a` and the
/// absolute path are one place).
fn where_created(path: &Path) -> PathBuf {
    let mut path = path.to_owned();
    // The kernel's own bound on links followed, against a loop of them.
    for _ in 0..40 {
        let Ok(target) = std::fs::read_link(&path) else {
            break;
        };
        path = path
            .parent()
            .map_or_else(|| target.clone(), |dir| dir.join(&target));
    }
    let absolute = |path: PathBuf| std::path::absolute(&path).unwrap_or(path);
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            match dir.canonicalize() {
                Ok(dir) => dir.join(name),
                Err(_) => absolute(path),
            }
        }
        _ => absolute(path),
    }
}

/// Writes `bytes` to standard output, whole: what the small commands print (a man page, a
/// completion script, a verdict). A reader that stops early is not a failure.
pub fn print(bytes: &[u8]) -> Result<(), ReportError> {
    let mut out = BrokenPipeIsFine(std::io::stdout().lock());
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|source| ReportError::writing("to standard output", source))
}

/// A report written into memory (`cebulk serve`'s answers), taken once finished.
#[derive(Debug, Clone, Default)]
pub struct Memory(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Memory {
    /// What was written so far, leaving it empty.
    pub fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut bytes| std::mem::take(&mut *bytes))
            .unwrap_or_default()
    }
}

impl Write for Memory {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("the report's memory was poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Standard output where a reader that stops early (`| head`) is not a failure of ours.
pub struct BrokenPipeIsFine<W>(pub W);

impl<W: Write> Write for BrokenPipeIsFine<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(buf.len()),
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        ignore_broken_pipe(self.0.flush())
    }
}

/// A reader that stops early (`| head`) is not a failure of cebulk's.
pub fn ignore_broken_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
