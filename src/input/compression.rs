//! Compressed inputs: gzip and zstd, recognised by their first bytes whatever the file is
//! called, and decompressed as they are read (never whole), so that the caps on a line, a
//! row or a document bound the decompressed data too.

use std::io::{Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How an input's bytes are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    Plain,
    /// gzip (RFC 1952), one member or several.
    Gzip,
    /// Zstandard, one frame or several.
    Zstd,
}

impl Compression {
    /// The compression that `magic`, an input's first bytes, announces.
    pub fn from_magic(magic: &[u8]) -> Compression {
        if magic.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::Plain
        }
    }

    fn name(self) -> &'static str {
        match self {
            Compression::Plain => "plain",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// The file name without a compression suffix (`.gz`, `.zst`, `.zstd`, in any case), so
/// that `events.csv.gz` tells its format as `events.csv` does.
pub fn without_suffix(name: &str) -> &str {
    for suffix in [".gz", ".zst", ".zstd"] {
        if name.len() > suffix.len()
            && let Some(stem) = name.get(name.len() - suffix.len()..)
            && stem.eq_ignore_ascii_case(suffix)
        {
            return &name[..name.len() - suffix.len()];
        }
    }
    name
}

/// `reader`, decompressed when its first bytes say it is compressed. `read` counts the
/// bytes taken from `reader` (the compressed ones): a read error names how far the
/// decompression got in them. Nothing is read before the first read: an input from a pipe
/// that has nothing yet does not hold up the opening.
pub fn decompressed(reader: Box<dyn Read + Send>, read: Arc<AtomicU64>) -> Box<dyn Read + Send> {
    Box::new(Sniffing::Unknown(Some((reader, read))))
}

/// A reader that looks at its first bytes on its first read, then reads through the
/// decoder they call for.
enum Sniffing {
    /// Not read yet.
    Unknown(Option<(Box<dyn Read + Send>, Arc<AtomicU64>)>),
    /// Reading.
    Known(Box<dyn Read + Send>),
}

impl Read for Sniffing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Sniffing::Unknown(parts) = self {
            let Some((mut reader, read)) = parts.take() else {
                return Ok(0);
            };
            let mut magic = Vec::with_capacity(4);
            (&mut reader).take(4).read_to_end(&mut magic)?;
            let compression = Compression::from_magic(&magic);
            let whole = Box::new(Cursor::new(magic).chain(reader));
            *self = Sniffing::Known(match compression {
                Compression::Plain => whole,
                Compression::Gzip => Box::new(Described {
                    decoder: Box::new(flate2::read::MultiGzDecoder::new(whole)),
                    compression,
                    read,
                    out: 0,
                }),
                Compression::Zstd => Box::new(Described {
                    decoder: Box::new(zstd::stream::read::Decoder::new(whole)?),
                    compression,
                    read,
                    out: 0,
                }),
            });
        }
        match self {
            Sniffing::Known(reader) => reader.read(buf),
            Sniffing::Unknown(_) => Ok(0),
        }
    }
}

/// A decoder whose errors say what was being decompressed and how far it got.
struct Described {
    decoder: Box<dyn Read + Send>,
    compression: Compression,
    /// Compressed bytes read so far.
    read: Arc<AtomicU64>,
    /// Decompressed bytes given so far.
    out: u64,
}

impl Read for Described {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.decoder.read(buf) {
            Ok(n) => {
                self.out += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let what = match e.kind() {
                    std::io::ErrorKind::UnexpectedEof => "is cut short (truncated)",
                    _ => "is corrupt",
                };
                Err(std::io::Error::new(
                    e.kind(),
                    format!(
                        "the {} data {what}: the error came after {} compressed bytes, \
                         {} bytes decompressed ({e})",
                        self.compression.name(),
                        self.read.load(Ordering::Relaxed),
                        self.out
                    ),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn inflate(bytes: Vec<u8>) -> (std::io::Result<Vec<u8>>, Compression) {
        let compression = Compression::from_magic(&bytes);
        let mut reader = decompressed(Box::new(Cursor::new(bytes)), Arc::default());
        let mut out = Vec::new();
        (reader.read_to_end(&mut out).map(|_| out), compression)
    }

    #[test]
    fn magic_bytes_choose_the_decoder() {
        let text = b"a,b\n1,2\n".repeat(100);
        let (out, compression) = inflate(gzip(&text));
        assert_eq!(
            (out.unwrap(), compression),
            (text.clone(), Compression::Gzip)
        );
        let zstd = zstd::encode_all(&text[..], 1).unwrap();
        let (out, compression) = inflate(zstd);
        assert_eq!(
            (out.unwrap(), compression),
            (text.clone(), Compression::Zstd)
        );
        let (out, compression) = inflate(text.clone());
        assert_eq!((out.unwrap(), compression), (text, Compression::Plain));
        let (out, compression) = inflate(b"a".to_vec());
        assert_eq!(
            (out.unwrap(), compression),
            (b"a".to_vec(), Compression::Plain)
        );
    }

    #[test]
    fn truncated_archives_are_errors_saying_how_far_they_got() {
        let text = b"request_unique_identifier\n".repeat(1000);
        for archive in [gzip(&text), zstd::encode_all(&text[..], 1).unwrap()] {
            let cut = archive[..archive.len() - 8].to_vec();
            let (out, _) = inflate(cut);
            let error = out.unwrap_err().to_string();
            assert!(error.contains("compressed bytes"), "{error}");
        }
    }

    #[test]
    fn suffixes_are_dropped_in_any_case() {
        assert_eq!(without_suffix("events.csv.gz"), "events.csv");
        assert_eq!(without_suffix("events.NDJSON.ZST"), "events.NDJSON");
        assert_eq!(without_suffix("events.csv"), "events.csv");
        assert_eq!(without_suffix(".gz"), ".gz");
    }
}
