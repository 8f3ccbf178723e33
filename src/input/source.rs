//! An input of an import as the command line names it: a file (or `-`, standard input) and
//! the format it is read in.

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A JSON request document.
    Json,
    /// CSV, one event (or line item) a row.
    Csv,
    /// One JSON event a line.
    Ndjson,
}

impl Format {
    /// The format a file name's extension tells, if any (`.json`, `.csv`, `.tsv`,
    /// `.ndjson`, `.jsonl`, in any case), under a compression suffix if there is one
    /// (`events.csv.gz`, `events.ndjson.zst`).
    pub fn from_extension(name: &str) -> Option<Format> {
        let name = crate::input::compression::without_suffix(name);
        let extension = std::path::Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("json") => Some(Format::Json),
            Some("csv" | "tsv") => Some(Format::Csv),
            Some("ndjson" | "jsonl") => Some(Format::Ndjson),
            _ => None,
        }
    }

    /// The usual extension of a file in this format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }
}

/// One input of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The name as given (`-` for stdin).
    pub name: String,
    /// Where the file is read from when not at its name: an upload to the console, named
    /// in messages and rejects files as the user's file was.
    pub path: Option<std::path::PathBuf>,
    /// Its format.
    pub format: Format,
}
