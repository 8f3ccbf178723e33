//! Where output goes: the report to stdout or to a file that appears only when complete,
//! and stdout that a reader may close early (`| head`) without that being a failure; and
//! which report paths are refused because the report would replace an input or the store.

use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::report::envelope::Report;

/// The report cannot be written.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot write the report to {path}")]
#[diagnostic(code(cebulk::report::write))]
pub struct ReportError {
    /// Where it was going.
    pub path: String,
    /// Why.
    #[source]
    pub source: std::io::Error,
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
    let fail = |path: &Path| {
        let path = path.display().to_string();
        move |source| ReportError { path, source }
    };
    match path {
        None => {
            let out = Box::new(BrokenPipeIsFine(std::io::BufWriter::new(std::io::stdout())));
            let report = Report::new(out).map_err(fail(Path::new("a temporary file")))?;
            Ok((report, None))
        }
        Some(path) if !is_plain_file_or_absent(path) => {
            // A symlink, device or pipe (`/dev/stdout`, `>(jq …)`) is written through, never
            // replaced by a rename.
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(path)
                .map_err(fail(path))?;
            let out = Box::new(std::io::BufWriter::new(file));
            let report = Report::new(out).map_err(fail(path))?;
            Ok((report, None))
        }
        Some(path) => {
            // Created exclusively under a name nobody chose (no file of the user's is opened,
            // let alone truncated, and no two runs share it), in the target's directory so
            // that the rename stays on one file system. The mode is any new file's (0666
            // less the umask), not a private temporary file's 0600.
            let dir = match path.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir,
                _ => Path::new("."),
            };
            let temp = tempfile::Builder::new()
                .prefix(".cebulk-report-")
                .permissions(std::fs::Permissions::from_mode(0o666))
                .tempfile_in(dir)
                .map_err(fail(path))?;
            let (file, temp) = temp.into_parts();
            let out = Box::new(std::io::BufWriter::new(file));
            let report = Report::new(out).map_err(fail(path))?;
            let target = path.to_owned();
            Ok((report, Some(Pending { temp, target })))
        }
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
    let fail = |path: &Path| {
        let path = path.display().to_string();
        move |source| ReportError { path, source }
    };
    report.finish().map_err(fail(
        pending
            .as_ref()
            .map_or(Path::new("standard output"), |p| &p.target),
    ))?;
    if let Some(Pending { temp, target }) = pending {
        temp.persist(&target).map_err(|e| fail(&target)(e.error))?;
    }
    Ok(())
}

/// What `report` would replace, if it is one of `files` (each with what it is, for the
/// message) or, when `stdin` is an input, the file on standard input: the same file (its
/// device and inode), directly or through symbolic links, or for a file that does not exist
/// yet, the same place once its links and directory are resolved.
pub fn would_replace(report: &Path, files: &[(String, PathBuf)], stdin: bool) -> Option<String> {
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
