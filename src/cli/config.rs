//! Judged configuration: the raw flags of `cli` turned into what the commands need
//! (formats settled per input, defaults applied, ids chosen).

use std::path::{Path, PathBuf};

use crate::cli::args::{ImportArgs, InputFormat, ServeArgs};
use crate::cli::fatal::Fatal;
use crate::domain::entity::Entity;
use crate::domain::kind::Kind;
use crate::input::csv::options::CsvOptions;
use crate::input::csv::profile::{Profile, delimiter};
use crate::input::source::{Format, Source};
use crate::report::destination::would_replace;
use crate::store::ids::IdGenerator;

/// Everything `import` needs.
#[derive(Debug, Clone)]
pub struct ImportConfig {
    /// The store.
    pub store: PathBuf,
    /// Inputs, in order.
    pub inputs: Vec<Source>,
    /// `--kind`
    pub kind: Option<Kind>,
    /// `--reference`
    pub reference: Option<PathBuf>,
    /// `--report` (else stdout).
    pub report: Option<PathBuf>,
    /// `--fields-set`, as given.
    pub fields_set: Option<String>,
    /// Events per batch.
    pub batch_size: usize,
    /// `--dry-run`
    pub dry_run: bool,
    /// Threads for validation and resolution.
    pub jobs: usize,
    /// No progress or summary.
    pub quiet: bool,
    /// How ids are made.
    pub ids: IdGenerator,
    /// `--rejects`: each input's rejects file, in the inputs' order.
    pub rejects: Option<Vec<PathBuf>>,
    /// `--summary`
    pub summary: Option<PathBuf>,
    /// `--max-errors`
    pub max_errors: Option<u64>,
    /// How CSV inputs are read (`--delimiter`, `--skip-unknown-columns`, `--map`).
    pub csv: CsvOptions,
    /// Where the import counts its progress for another thread (the console), if anywhere.
    pub progress: Option<std::sync::Arc<crate::cli::progress::Counters>>,
    /// Whether the import records itself in the store's history when it ends: on for the
    /// command line; off where the caller records the run itself (the console).
    pub history: bool,
}

/// `--jobs` is at most this many threads a core: more workers only queue for the cores and
/// for the one writer, and each costs a thread's start-up and stack.
pub const MAX_JOBS_PER_CORE: usize = 4;

fn format_of(name: &str, given: Option<InputFormat>) -> Result<Format, Fatal> {
    if let Some(format) = given {
        return Ok(format.resolved());
    }
    match Format::from_extension(name) {
        Some(format) => Ok(format),
        None if name == "-" => Err(Fatal::Usage(
            "reading standard input needs --format json|csv|ndjson (compressed or not)".into(),
        )),
        None => Err(Fatal::Usage(format!(
            "{name}: cannot tell the format from the extension; give --format json|csv|ndjson"
        ))),
    }
}

impl ImportConfig {
    /// Resolves `cebulk import`'s flags.
    pub fn new(store: PathBuf, args: ImportArgs) -> Result<ImportConfig, Fatal> {
        let inputs = args
            .files
            .iter()
            .map(|name| {
                Ok(Source {
                    name: name.clone(),
                    path: None,
                    format: format_of(name, args.format)?,
                })
            })
            .collect::<Result<Vec<_>, Fatal>>()?;
        if args.kind.is_none()
            && let Some(input) = inputs.iter().find(|i| i.format != Format::Json)
        {
            let kinds: Vec<&str> = Kind::ALL.iter().map(|kind| kind.name()).collect();
            return Err(Fatal::Usage(format!(
                "{}: CSV and NDJSON inputs need --kind (the events carry no set key): one of {}",
                input.name,
                kinds.join(", ")
            )));
        }
        if inputs.iter().filter(|i| i.name == "-").count() > 1 {
            return Err(Fatal::Usage(
                "standard input (-) can be read only once".into(),
            ));
        }
        let protected = protected_files(&store, &inputs, args.reference.as_deref());
        let rejects = match &args.rejects {
            None => None,
            Some(path) => Some(rejects_files(path, &inputs)?),
        };
        let mut written: Vec<(&str, &Path)> = Vec::new();
        written.extend(args.report.as_deref().map(|p| ("--report", p)));
        written.extend(args.summary.as_deref().map(|p| ("--summary", p)));
        for file in rejects.iter().flatten() {
            written.push(("--rejects", file));
        }
        for (i, (flag, path)) in written.iter().enumerate() {
            let mut others = protected.clone();
            others.extend(
                written[..i]
                    .iter()
                    .map(|(other, path)| (format!("the file of {other}"), path.to_path_buf())),
            );
            refuse_replacing(flag, path, &others, &inputs)?;
        }
        let csv = csv_options(&args)?;
        let jobs = jobs(args.jobs)?;
        Ok(ImportConfig {
            store,
            inputs,
            kind: args.kind,
            reference: args.reference,
            report: args.report,
            fields_set: args.fields_set,
            batch_size: usize::from(args.batch_size),
            dry_run: args.dry_run,
            jobs,
            quiet: args.quiet,
            ids: args
                .id_seed
                .map_or(IdGenerator::TimeOrdered, IdGenerator::Seeded),
            rejects,
            summary: args.summary,
            max_errors: args.max_errors,
            csv,
            progress: None,
            history: true,
        })
    }
}

/// `--delimiter`, `--skip-unknown-columns` and `--map` (the profile read and checked
/// against `--kind` here, before anything is imported).
fn csv_options(args: &ImportArgs) -> Result<CsvOptions, Fatal> {
    let profile = match (&args.map, args.kind) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(Fatal::Usage(
                "--map needs --kind: a profile maps columns onto one kind's parameters".into(),
            ));
        }
        (Some(path), Some(kind)) => Some(std::sync::Arc::new(Profile::load(path, kind)?)),
    };
    Ok(CsvOptions {
        delimiter: args.delimiter.as_deref().and_then(delimiter),
        skip_unknown_columns: args.skip_unknown_columns,
        profile,
    })
}

/// Each input's rejects file under `--rejects PATH`: PATH itself for one input, unless it is
/// a directory; else, in the directory PATH (created when missing), a file named after each
/// input (`stdin.csv`, … for standard input). Two inputs of one name are refused.
fn rejects_files(path: &Path, inputs: &[Source]) -> Result<Vec<PathBuf>, Fatal> {
    if inputs.len() == 1 && !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    if path.exists() && !path.is_dir() {
        return Err(Fatal::Usage(format!(
            "--rejects {}: with several inputs, give a directory (one rejects file each, named after its input)",
            path.display()
        )));
    }
    let mut files: Vec<PathBuf> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let name = match input.name.as_str() {
            "-" => format!("stdin.{}", input.format.extension()),
            name => Path::new(name)
                .file_name()
                .map_or_else(|| name.to_owned(), |n| n.to_string_lossy().into_owned()),
        };
        let file = path.join(&name);
        if files.contains(&file) {
            return Err(Fatal::Usage(format!(
                "--rejects {}: two inputs are named {name}, and their rejects files would be one;                  import them in separate runs",
                path.display()
            )));
        }
        files.push(file);
    }
    std::fs::create_dir_all(path).map_err(|e| {
        Fatal::Usage(format!(
            "--rejects {}: cannot create the directory: {e}",
            path.display()
        ))
    })?;
    Ok(files)
}

/// `--jobs`, or every core when not given; refused above [`MAX_JOBS_PER_CORE`] a core.
fn jobs(given: Option<u16>) -> Result<usize, Fatal> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    match given.map(usize::from) {
        None => Ok(cores),
        Some(jobs) if jobs <= MAX_JOBS_PER_CORE * cores => Ok(jobs),
        Some(jobs) => {
            let available = if cores == 1 { "core" } else { "cores" };
            Err(Fatal::Usage(format!(
                "--jobs {jobs} is too many: at most {} ({MAX_JOBS_PER_CORE} a core, \
                 {cores} {available} available)",
                MAX_JOBS_PER_CORE * cores
            )))
        }
    }
}

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The store.
    pub store: PathBuf,
    /// `--listen`
    pub listen: std::net::SocketAddr,
    /// `--base-path`, with one leading `/` and no trailing one (empty for the root).
    pub base_path: String,
    /// `--token-idle`
    pub token_idle: std::time::Duration,
    /// `--key-token-ttl`
    pub key_token_ttl: std::time::Duration,
    /// `--max-body`
    pub max_body: u64,
    /// `--request-timeout`
    pub request_timeout: std::time::Duration,
    /// Threads for validation and resolution.
    pub jobs: usize,
}

impl ServeConfig {
    /// Resolves `cebulk serve`'s flags.
    pub fn new(store: PathBuf, args: ServeArgs) -> Result<ServeConfig, Fatal> {
        let trimmed = args.base_path.trim_matches('/');
        if trimmed.contains(['?', '#', '{', '}', '*']) || trimmed.contains("//") {
            return Err(Fatal::Usage(format!(
                "--base-path {:?} is not a plain path such as /crmapi/rest/v2",
                args.base_path
            )));
        }
        Ok(ServeConfig {
            store,
            listen: args.listen,
            base_path: if trimmed.is_empty() {
                String::new()
            } else {
                format!("/{trimmed}")
            },
            token_idle: args.token_idle,
            key_token_ttl: args.key_token_ttl,
            max_body: args.max_body,
            request_timeout: args.request_timeout,
            jobs: jobs(args.jobs)?,
        })
    }
}

/// The files that a file cebulk writes must never replace: the inputs, the store (and its
/// companion files) and the reference data, each with what it is, for the message.
fn protected_files(
    store: &Path,
    inputs: &[Source],
    reference: Option<&Path>,
) -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = inputs
        .iter()
        .filter(|input| input.name != "-")
        .map(|input| {
            (
                format!("the input {}", input.name),
                PathBuf::from(&input.name),
            )
        })
        .collect();
    let beside_store = |suffix: &str| {
        let mut name = store.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    files.extend([
        (format!("the store {}", store.display()), store.to_owned()),
        (
            format!("the store's rollback journal {}-journal", store.display()),
            beside_store("-journal"),
        ),
        (
            format!("the store's write-ahead log {}-wal", store.display()),
            beside_store("-wal"),
        ),
        (
            format!("the store's shared-memory file {}-shm", store.display()),
            beside_store("-shm"),
        ),
    ]);
    match reference {
        Some(dir) if dir.is_dir() => files.extend(Entity::ALL.iter().map(|entity| {
            let path = dir.join(format!("{}.csv", entity.key()));
            (format!("the reference data {}", path.display()), path)
        })),
        Some(file) => files.push((
            format!("the reference data {}", file.display()),
            file.to_owned(),
        )),
        None => {}
    }
    files
}

/// Refuses, before anything is read, a path of `flag` (`--report`, …) whose file would
/// replace one of `files`: cebulk's files are renamed onto their paths, or written through
/// a symbolic link, at the end of the run.
fn refuse_replacing(
    flag: &str,
    path: &Path,
    files: &[(String, PathBuf)],
    inputs: &[Source],
) -> Result<(), Fatal> {
    let stdin = inputs.iter().any(|input| input.name == "-");
    match would_replace(path, files, stdin) {
        None => Ok(()),
        Some(what) => Err(Fatal::Usage(format!(
            "{flag} {}: that is {what}, which {flag} would replace; give another path",
            path.display()
        ))),
    }
}
