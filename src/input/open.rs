//! Opening an input (a file or standard input) as the request its format describes,
//! decompressed when its first bytes say it is compressed (gzip, zstd), counting the bytes
//! read (compressed, as the file's size is) so that progress can be shown.

use std::io::{BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::compression::decompressed;
use super::csv::options::CsvOptions;
use super::csv::reader as csv;
use super::limits::MAX_DOCUMENT_BYTES;
use super::request::{Request, RequestError, Shape};
use super::source::{Format, Source};
use super::{document, ndjson};
use crate::domain::kind::Kind;

/// An opened input.
pub struct Opened {
    /// The request.
    pub request: Request,
    /// The input's size, when known.
    pub size: Option<u64>,
    /// Bytes read so far (updated as the request's events are consumed).
    pub read: Arc<AtomicU64>,
    /// What to tell the user about the input before its events (CSV columns skipped).
    pub warnings: Vec<String>,
}

struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens `input`; `kind` is `--kind`, `options` how CSV is read; `keep`: each event keeps
/// what was read of it, for a rejects file.
pub fn open(
    input: &Source,
    kind: Option<Kind>,
    options: &CsvOptions,
    keep: bool,
) -> Result<Opened, RequestError> {
    let unreadable = |e: std::io::Error| {
        RequestError::invalid(&input.name, "the input cannot be read", e.to_string())
    };
    let (source, size): (Box<dyn Read + Send>, Option<u64>) = if input.name == "-" {
        (Box::new(std::io::stdin()), None)
    } else {
        let path = input
            .path
            .as_deref()
            .unwrap_or(std::path::Path::new(&input.name));
        let file = std::fs::File::open(path).map_err(unreadable)?;
        let size = file.metadata().ok().map(|m| m.len());
        (Box::new(file), size)
    };
    let read = Arc::new(AtomicU64::new(0));
    let counted = Counting {
        inner: source,
        read: Arc::clone(&read),
    };
    let counted = decompressed(Box::new(counted), Arc::clone(&read));
    let mut warnings = Vec::new();
    let request = match input.format {
        Format::Json => {
            let mut bytes = Vec::new();
            counted
                .take(MAX_DOCUMENT_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(unreadable)?;
            if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
                return Err(RequestError::invalid(
                    &input.name,
                    "the request document is too large",
                    format!(
                        "more than {MAX_DOCUMENT_BYTES} bytes; a request holds at most 1000 events (use NDJSON or CSV for more)"
                    ),
                ));
            }
            document::read(&input.name, &bytes, kind, keep)?
        }
        Format::Ndjson | Format::Csv => {
            let Some(kind) = kind else {
                return Err(RequestError::invalid(
                    &input.name,
                    "the kind of the events is not known",
                    "CSV and NDJSON inputs need --kind",
                ));
            };
            let (events, shape) = if input.format == Format::Csv {
                let header = csv::events(&input.name, kind, counted, options, keep)?;
                warnings = header.warnings;
                let shape = Shape::Csv {
                    names: header.names,
                    delimiter: options.delimiter_for(&input.name),
                };
                (header.events, shape)
            } else {
                let reader = Box::new(BufReader::with_capacity(1 << 16, counted));
                (ndjson::events(&input.name, reader, keep), Shape::Ndjson)
            };
            Request {
                kind,
                fields_set: None,
                intended_currency: None,
                events,
                shape,
            }
        }
    };
    Ok(Opened {
        request,
        size,
        read,
        warnings,
    })
}
