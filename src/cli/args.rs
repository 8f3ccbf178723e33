//! The command line as typed (clap only): raw flags, resolved elsewhere (`config`).

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum};

use crate::cli::help;
use crate::domain::kind::Kind;
use crate::domain::values::Moment;
use crate::input::source::Format;

/// Create CRM.COM customer events in bulk from files, over a local SQLite store.
#[derive(Debug, Parser)]
#[command(
    name = "cebulk",
    version = env!("CEBULK_VERSION"),
    about,
    after_help = help::examples_text(help::FIRST_EXAMPLES)
)]
pub struct Args {
    /// The SQLite store (created on first use).
    #[arg(long, global = true, env = "CEBULK_STORE", default_value = "cebulk.db")]
    pub store: PathBuf,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the events of request documents and write the API's report.
    #[command(after_help = help::import_after_help())]
    Import(ImportArgs),
    /// Manage reference data (accounts, units, classifications, …).
    #[command(after_help = help::examples_text(help::REFERENCE_EXAMPLES))]
    Reference {
        /// What to do with reference data.
        #[command(subcommand)]
        command: ReferenceCommand,
    },
    /// List (or count) created events as JSON, NDJSON or CSV, with filters.
    #[command(after_help = help::examples_text(help::EVENTS_EXAMPLES))]
    Events(EventsArgs),
    /// Check the store for damage: SQLite's integrity check and cebulk's own invariants.
    ///
    /// Reads the store only. Prints each problem found on a line of its own, then a verdict;
    /// the exit status is 0 when the store is sound, 3 when a problem was found.
    #[command(after_help = help::examples_text(help::CHECK_EXAMPLES))]
    Check,
    /// List the CSV columns a kind accepts, or write a CSV template for it.
    ///
    /// One column a line: its path, then `mandatory`, `semi-optional` (an event gives exactly
    /// one of the semi-optional identifiers) or `optional`; an identifier's fields come
    /// together, marked `one of IDENTIFIER.*`: give one of them. Line items are listed in
    /// their one-per-row form (`products_set.net_amount`); `products_set.0.net_amount` works
    /// too.
    #[command(after_help = help::examples_text(help::COLUMNS_EXAMPLES))]
    Columns {
        /// The event kind.
        #[arg(long, value_parser = kind_parser(), required = true)]
        kind: Option<Kind>,
        /// Write a CSV header and one example row (which imports against `fixtures/`)
        /// instead of the list.
        #[arg(long)]
        template: bool,
    },
    /// Answer the Web API's create and authentication methods over HTTP.
    #[command(after_help = help::examples_text(help::SERVE_EXAMPLES))]
    Serve(ServeArgs),
    /// Manage the users who may log in to `cebulk serve`.
    #[command(after_help = help::examples_text(help::USER_EXAMPLES))]
    User {
        /// What to do with users.
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage the web API keys `cebulk serve` accepts.
    #[command(after_help = help::examples_text(help::KEY_EXAMPLES))]
    Key {
        /// What to do with keys.
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell.
    #[command(after_help = help::examples_text(help::COMPLETIONS_EXAMPLES))]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), of cebulk or of one of its commands.
    #[command(after_help = help::examples_text(help::MAN_EXAMPLES))]
    Man {
        /// The command whose page to print (`import`, `reference`, …); cebulk's own page
        /// when absent.
        command: Option<String>,
    },
}

/// `cebulk import`
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Input files, imported in this order; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<String>,

    /// The event kind (needed for CSV and NDJSON, and for the seed's financial statements
    /// set name).
    #[arg(long, value_parser = kind_parser())]
    pub kind: Option<Kind>,

    /// The input format, when the extension does not tell.
    #[arg(long, value_enum)]
    pub format: Option<InputFormat>,

    /// Reference data to load before importing: a JSON document, or a directory of CSV files
    /// named after their entities (`units.csv`, …).
    #[arg(long)]
    pub reference: Option<PathBuf>,

    /// Write the report here instead of standard output.
    #[arg(long)]
    pub report: Option<PathBuf>,

    /// Fields of each report entry, comma separated (overrides the documents' fields_set).
    #[arg(long)]
    pub fields_set: Option<String>,

    /// Events per batch (one transaction each).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub batch_size: u16,

    /// Report what would happen; write nothing to the store.
    #[arg(long)]
    pub dry_run: bool,

    /// Threads for validation and resolution (default: all cores; at most 4 a core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// No progress or summary on standard error.
    #[arg(long, short)]
    pub quiet: bool,

    /// Make event ids deterministic (for replays whose reports are compared).
    #[arg(long)]
    pub id_seed: Option<u64>,

    /// Write every event reported unprocessed here, in its input's format, annotated with
    /// cebulk_error_code, cebulk_error_description and cebulk_source: fix and import it as it
    /// is. With several inputs (or a directory), one file each in that directory, named after
    /// the input.
    #[arg(long, value_name = "PATH")]
    pub rejects: Option<PathBuf>,

    /// Write the summary (counts, errors by code, missing references) here as JSON.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,

    /// Stop reading once more than N events are unprocessed (exit status 4); what was
    /// committed stays committed and reported.
    #[arg(long, value_name = "N")]
    pub max_errors: Option<u64>,

    /// The CSV delimiter: `,` (the default), `;`, `tab` (the default for `.tsv`) or `|`.
    #[arg(long, value_parser = ["," , ";", "tab", "|"])]
    pub delimiter: Option<String>,

    /// Skip CSV columns that name no parameter of the kind (with a warning for each)
    /// instead of rejecting the file.
    #[arg(long)]
    pub skip_unknown_columns: bool,

    /// A mapping profile (TOML) for a partner's CSV: its columns' cebulk paths, date
    /// formats, decimal commas, constants and columns to ignore (README "Partner files").
    #[arg(long, value_name = "FILE")]
    pub map: Option<PathBuf>,
}

/// `cebulk serve`
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address and port to listen on (port 0: any free port, printed when listening).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,

    /// The path the methods are served under.
    #[arg(long, default_value = "/crmapi/rest/v2")]
    pub base_path: String,

    /// A login's token expires after this long unused (e.g. 30m, 1h, 90s).
    #[arg(long, default_value = "1h", value_parser = duration_parser)]
    pub token_idle: std::time::Duration,

    /// A web API key's token expires this long after it was issued, used or not.
    #[arg(long, default_value = "2h", value_parser = duration_parser)]
    pub key_token_ttl: std::time::Duration,

    /// The largest request body accepted (bytes, or with KiB, MiB, GiB).
    #[arg(long, default_value = "16MiB", value_parser = size_parser)]
    pub max_body: u64,

    /// How long a client may take to send its request's body.
    #[arg(long, default_value = "60s", value_parser = duration_parser)]
    pub request_timeout: std::time::Duration,

    /// Threads for validation and resolution (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

/// `cebulk user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input (one line), or asked for on a
    /// terminal.
    Add {
        /// The user name.
        name: String,
        /// The organisation the user logs in to.
        #[arg(long)]
        organisation: String,
    },
    /// Remove a user (their tokens stop working).
    Remove {
        /// The user name.
        name: String,
    },
    /// List the users.
    List,
}

/// `cebulk key …`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make a web API key and print it, once (the store keeps only its hash).
    Add {
        /// The key's name.
        name: String,
    },
    /// Remove a key (its tokens stop working).
    Remove {
        /// The key's name.
        name: String,
    },
    /// List the keys, by name.
    List,
}

/// A duration as `1h`, `30m`, `90s` or `500ms`.
fn duration_parser(text: &str) -> Result<std::time::Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if duration.is_zero() {
        return Err("must be longer than zero".into());
    }
    Ok(duration)
}

/// A size in bytes, as `1048576`, `512KiB`, `16MiB` or `1GiB`.
fn size_parser(text: &str) -> Result<u64, String> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit: u64 = match &text[digits.len()..] {
        "" | "B" => 1,
        "KiB" | "K" => 1 << 10,
        "MiB" | "M" => 1 << 20,
        "GiB" | "G" => 1 << 30,
        other => return Err(format!("unknown unit {other:?} (use B, KiB, MiB or GiB)")),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{text:?} is not a size such as 16MiB"))
}

/// `cebulk reference …`
#[derive(Debug, Subcommand)]
pub enum ReferenceCommand {
    /// Load (upsert) reference data into the store, all or nothing.
    #[command(after_help = help::examples_text(help::REFERENCE_EXAMPLES))]
    Load {
        /// A JSON reference document, a directory of CSV files named after their
        /// entities (`units.csv`, …), or one such CSV file.
        path: PathBuf,
    },
}

/// `cebulk events`
#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    /// Only events of this kind.
    #[arg(long, value_parser = kind_parser())]
    pub kind: Option<Kind>,

    /// Only events with this request unique identifier (of any run: an identifier reused
    /// with other content made another event).
    #[arg(long, value_name = "ID")]
    pub rid: Option<String>,

    /// Only events of the account with this number (the account the event names, or its
    /// rewards participant's).
    #[arg(long, value_name = "NUMBER")]
    pub account: Option<String>,

    /// Only events performed on or after DATE (YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS with an
    /// optional fraction and Z or ±HH:MM; without an offset, UTC).
    #[arg(long, value_name = "DATE", value_parser = moment_parser)]
    pub since: Option<Moment>,

    /// Only events performed before DATE (same forms as --since): --since 2016-06-01
    /// --until 2016-07-01 lists June.
    #[arg(long, value_name = "DATE", value_parser = moment_parser)]
    pub until: Option<Moment>,

    /// At most N events (the first N, by kind and then number).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,

    /// Print only how many events would be listed.
    #[arg(long, conflicts_with_all = ["format", "no_formula_escaping"])]
    pub count: bool,

    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: ListFormat,

    /// With --format csv, write cells that begin with =, +, -, @, a tab or a carriage
    /// return as they are, instead of with a leading ' that keeps spreadsheets from running
    /// them as formulas (plain numbers such as -5.2 are never escaped).
    #[arg(long)]
    pub no_formula_escaping: bool,
}

/// Formats of `cebulk events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A JSON array.
    Json,
    /// CSV with dotted-path headers (the union of every listed event's fields).
    Csv,
    /// One JSON event a line.
    Ndjson,
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// A JSON request document.
    Json,
    /// CSV, one event (or line item) a row.
    Csv,
    /// One JSON event a line.
    Ndjson,
}

/// `--since` and `--until`: a date in a form the import accepts for `performed_on`.
fn moment_parser(text: &str) -> Result<Moment, String> {
    Moment::parse(text).ok_or_else(|| {
        "not a date: give YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, with an optional fraction \
         (.250) and offset (Z, +02:00)"
            .to_owned()
    })
}

/// `--kind`: one of the seven kinds by name, each listed in `--help` with its API method.
fn kind_parser() -> impl TypedValueParser<Value = Kind> {
    PossibleValuesParser::new(
        Kind::ALL.map(|kind| PossibleValue::new(kind.name()).help(kind.method())),
    )
    .try_map(|name| Kind::from_name(&name).ok_or("not a kind of event"))
}

impl InputFormat {
    /// The input module's format.
    pub fn resolved(self) -> Format {
        match self {
            InputFormat::Json => Format::Json,
            InputFormat::Csv => Format::Csv,
            InputFormat::Ndjson => Format::Ndjson,
        }
    }
}
