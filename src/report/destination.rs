//! Where output goes: the report to stdout or to a file that appears only when complete,
//! and stdout that a reader may close early (`| head`) without that being a failure.

use std::io::Write;
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

/// Where the report goes: stdout, or a file written beside the target and renamed at the
/// end, so that a reader never sees half a report.
pub fn open_report(
    path: Option<&Path>,
) -> Result<(Report, Option<(PathBuf, PathBuf)>), ReportError> {
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
            let partial = path.with_extension("partial");
            let file = std::fs::File::create(&partial).map_err(fail(&partial))?;
            let out = Box::new(std::io::BufWriter::new(file));
            let report = Report::new(out).map_err(fail(path))?;
            Ok((report, Some((partial, path.to_owned()))))
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
pub fn close_report(report: Report, target: Option<(PathBuf, PathBuf)>) -> Result<(), ReportError> {
    let fail = |path: &Path| {
        let path = path.display().to_string();
        move |source| ReportError { path, source }
    };
    report.finish().map_err(fail(
        target
            .as_ref()
            .map_or(Path::new("standard output"), |t| &t.1),
    ))?;
    if let Some((partial, path)) = target {
        std::fs::rename(&partial, &path).map_err(fail(&path))?;
    }
    Ok(())
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
