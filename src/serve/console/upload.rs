//! The import form and its upload: `GET /console/import` and `POST /console/imports`. The
//! upload streams to temporary files beside the store, never whole into memory, and is cut
//! off (413) as soon as it grows over `--max-body`; then the import starts in the
//! background and the browser goes to its result page.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::multipart::Field;
use axum::extract::{FromRequest, Multipart, Request, State as Shared};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use tempfile::NamedTempFile;

use super::csrf;
use super::layout;
use super::runs::{self, Started, files};
use super::session::Session;
use super::state::private_directory;
use crate::cli::config::ImportConfig;
use crate::cli::fatal::error_chain;
use crate::domain::kind::Kind;
use crate::input::compression::without_suffix;
use crate::input::csv::options::CsvOptions;
use crate::input::csv::profile::{Profile, delimiter};
use crate::input::source::{Format, Source};
use crate::serve::state::State;
use crate::store::history::{Begin, Origin};
use crate::store::ids::IdGenerator;

/// Longest value of a plain form field (kind, delimiter, dry run, form token).
const FIELD_LIMIT: usize = 4096;

/// `size` in bytes, as people read it.
pub fn readable_size(size: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, bytes) in UNITS {
        if size >= bytes {
            let whole = size / bytes;
            return if size.is_multiple_of(bytes) {
                format!("{whole} {unit}")
            } else {
                format!("{:.1} {unit}", size as f64 / bytes as f64)
            };
        }
    }
    format!("{size} bytes")
}

/// `GET /console/import`: the form.
pub async fn show(Shared(state): Shared<Arc<State>>, session: Session) -> Response {
    let limit = readable_size(state.config.max_body);
    let body = html! {
        form #import-form method="post" action="/console/imports" enctype="multipart/form-data" {
            (layout::csrf_field(&session))
            label for="file" { "File" }
            input #file type="file" name="file" required
                accept=".json,.csv,.tsv,.ndjson,.jsonl,.gz,.zst";
            p .hint {
                "A JSON request document, CSV or NDJSON file, gzip- or zstd-compressed or not, of at most "
                span #size-limit { (limit) } "."
            }
            label for="kind" { "Kind" }
            select #kind name="kind" {
                option value="" { "from the document or the file name" }
                @for kind in Kind::ALL {
                    option value=(kind.name()) { (kind.name()) }
                }
            }
            label for="profile" { "Mapping profile (optional)" }
            input #profile type="file" name="profile" accept=".toml";
            label for="delimiter" { "Delimiter (CSV)" }
            select #delimiter name="delimiter" {
                option value="" { "automatic" }
                option value="," { "comma ," }
                option value=";" { "semicolon ;" }
                option value="tab" { "tab" }
                option value="|" { "bar |" }
            }
            label .check for="dry-run" {
                input #dry-run type="checkbox" name="dry_run" value="1";
                " Dry run: check everything, create nothing"
            }
            button #import-submit type="submit" { "Import" }
        }
    };
    layout::respond(StatusCode::OK, layout::page("Import", Some(&session), body))
}

/// What the form sent.
#[derive(Default)]
struct Upload {
    file: Option<(String, NamedTempFile)>,
    profile: Option<(String, NamedTempFile)>,
    kind: String,
    delimiter: String,
    dry_run: bool,
    csrf: Option<String>,
}

/// Why an upload is refused: the HTTP status and what to tell the user.
type Refusal = (StatusCode, String);

fn bad(message: impl Into<String>) -> Refusal {
    (StatusCode::BAD_REQUEST, message.into())
}

/// Bytes of the upload received so far, against the limit.
struct Received {
    bytes: u64,
    limit: u64,
    timeout: std::time::Duration,
}

impl Received {
    fn too_large(&self) -> Refusal {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the upload is larger than this server accepts ({}): split the file, or compress it (gzip or zstd)",
                readable_size(self.limit)
            ),
        )
    }

    /// The next chunk of `field`, counted.
    async fn chunk(&mut self, field: &mut Field<'_>) -> Result<Option<axum::body::Bytes>, Refusal> {
        let next = tokio::time::timeout(self.timeout, field.chunk())
            .await
            .map_err(|_| {
                (
                    StatusCode::REQUEST_TIMEOUT,
                    "the upload stalled: nothing arrived for --request-timeout; try again"
                        .to_owned(),
                )
            })?
            .map_err(|e| bad(format!("the upload could not be read: {e}")))?;
        if let Some(chunk) = &next {
            self.bytes += chunk.len() as u64;
            if self.bytes > self.limit {
                return Err(self.too_large());
            }
        }
        Ok(next)
    }

    /// `field` into a new temporary file in `dir`.
    async fn file_of(
        &mut self,
        field: &mut Field<'_>,
        dir: &Path,
    ) -> Result<NamedTempFile, Refusal> {
        let failed = |e: std::io::Error| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the upload could not be kept beside the store: {e}"),
            )
        };
        let mut file = NamedTempFile::new_in(dir).map_err(failed)?;
        while let Some(chunk) = self.chunk(field).await? {
            // A write to the page cache: brief, but off the asynchronous threads' duty.
            tokio::task::block_in_place(|| file.write_all(&chunk)).map_err(failed)?;
        }
        tokio::task::block_in_place(|| file.flush()).map_err(failed)?;
        Ok(file)
    }

    /// `field` as text (at most [`FIELD_LIMIT`] bytes).
    async fn text_of(&mut self, field: &mut Field<'_>, name: &str) -> Result<String, Refusal> {
        let mut bytes = Vec::new();
        while let Some(chunk) = self.chunk(field).await? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > FIELD_LIMIT {
                return Err(bad(format!("the field {name} is too long")));
            }
        }
        String::from_utf8(bytes).map_err(|_| bad(format!("the field {name} is not UTF-8 text")))
    }
}

/// Reads the multipart form, the files into `dir`.
async fn receive(
    mut multipart: Multipart,
    dir: &Path,
    received: &mut Received,
) -> Result<Upload, Refusal> {
    let mut upload = Upload::default();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(format!("the upload is not a form this page sends: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" | "profile" => {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                let kept = received.file_of(&mut field, dir).await?;
                let slot = if name == "file" {
                    &mut upload.file
                } else {
                    &mut upload.profile
                };
                if !file_name.is_empty() {
                    *slot = Some((file_name, kept));
                }
            }
            "kind" => upload.kind = received.text_of(&mut field, &name).await?,
            "delimiter" => upload.delimiter = received.text_of(&mut field, &name).await?,
            "dry_run" => upload.dry_run = !received.text_of(&mut field, &name).await?.is_empty(),
            "csrf" => upload.csrf = Some(received.text_of(&mut field, &name).await?),
            // Fields no console form has are read and dropped, counted all the same.
            _ => while received.chunk(&mut field).await?.is_some() {},
        }
    }
    Ok(upload)
}

/// The last part of a file name as a browser sent it (some send a whole path).
fn base_name(sent: &str) -> String {
    sent.rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The kind a file's name names (`purchases.csv`, `2016_social_media.ndjson.gz`): the
/// longest kind name in it, so `financial_achievements` wins over `achievements`.
pub fn kind_in_name(name: &str) -> Option<Kind> {
    let name = name.to_ascii_lowercase().replace('-', "_");
    Kind::ALL
        .into_iter()
        .filter(|kind| name.contains(kind.name()))
        .max_by_key(|kind| kind.name().len())
}

/// The name a download of the rejects of `file` gets: `.rejects` before its extension
/// (compression dropped: the rejects file is plain).
pub fn rejects_name(file: &str) -> String {
    let plain = without_suffix(file);
    let path = Path::new(plain);
    match (path.file_stem(), path.extension()) {
        (Some(stem), Some(extension)) => format!(
            "{}.rejects.{}",
            stem.to_string_lossy(),
            extension.to_string_lossy()
        ),
        _ => format!("{plain}.rejects"),
    }
}

/// What an upload asks for, checked: the import's configuration and the history's entry.
struct Checked {
    config: ImportConfig,
    begin: Begin,
    input: NamedTempFile,
    extensions: String,
    profile: Option<NamedTempFile>,
}

fn check(state: &State, session: &Session, upload: Upload) -> Result<Checked, Refusal> {
    let Some((sent_name, input)) = upload.file else {
        return Err(bad("no file was chosen: choose the file to import"));
    };
    let name = base_name(&sent_name);
    if name.is_empty() || name == "-" || name.starts_with('.') {
        return Err(bad(format!(
            "the file's name {sent_name:?} cannot be used: rename the file (e.g. purchases.csv) and upload it again"
        )));
    }
    let Some(format) = Format::from_extension(&name) else {
        return Err(bad(format!(
            "cannot tell the format of {name} from its extension: name it .json, .csv, .tsv or .ndjson (.gz or .zst when compressed)"
        )));
    };
    let plain = without_suffix(&name);
    let extensions = format!(
        "{}{}",
        Path::new(plain)
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default(),
        name[plain.len()..].to_ascii_lowercase()
    );
    let kind = match upload.kind.as_str() {
        "" => kind_in_name(&name),
        given => Some(Kind::from_name(given).ok_or_else(|| {
            bad(format!(
                "{given:?} is not a kind: choose one of the Kind list, or leave it to the document or the file name"
            ))
        })?),
    };
    if kind.is_none() && format != Format::Json {
        return Err(bad(format!(
            "cannot tell the kind of {name}: a CSV or NDJSON file carries none, and its name names none; choose it in the Kind list (or name the file after it, e.g. purchases.csv)"
        )));
    }
    let delimiter_given = match upload.delimiter.as_str() {
        "" => None,
        given => Some(delimiter(given).ok_or_else(|| {
            bad(format!(
                "{given:?} is not a delimiter: choose one of the Delimiter list"
            ))
        })?),
    };
    let (profile, profile_file) = match upload.profile {
        None => (None, None),
        Some((profile_name, file)) => {
            let Some(kind) = kind else {
                return Err(bad(
                    "a mapping profile maps columns onto one kind: choose the kind in the Kind list",
                ));
            };
            let profile_name = base_name(&profile_name);
            let loaded = Profile::load(file.path(), kind).map_err(|e| {
                let at = e
                    .line
                    .map(|line| format!(", line {line}"))
                    .unwrap_or_default();
                bad(format!(
                    "the mapping profile {profile_name}{at}: {}; fix it and upload again",
                    e.message
                ))
            })?;
            (Some(Arc::new(loaded)), Some(file))
        }
    };
    let config = ImportConfig {
        store: state.config.store.clone(),
        inputs: vec![Source {
            name: name.clone(),
            format,
            path: None,
        }],
        kind,
        reference: None,
        report: None,
        fields_set: None,
        batch_size: 1000,
        dry_run: upload.dry_run,
        jobs: state.config.jobs,
        quiet: true,
        ids: IdGenerator::TimeOrdered,
        rejects: None,
        summary: None,
        max_errors: None,
        csv: CsvOptions {
            delimiter: delimiter_given,
            skip_unknown_columns: false,
            profile,
        },
        progress: None,
        history: false,
    };
    Ok(Checked {
        config,
        begin: Begin {
            origin: Origin::Console,
            user: session.user.clone(),
            file: name,
            kind: kind.map(|k| k.name().to_owned()),
            dry_run: upload.dry_run,
        },
        input,
        extensions,
        profile: profile_file,
    })
}

/// `POST /console/imports`.
pub async fn submit(
    Shared(state): Shared<Arc<State>>,
    session: Session,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let refused = |(status, message): Refusal| {
        let mut response = layout::error(status, Some(&session), "Import refused", &message);
        if status == StatusCode::PAYLOAD_TOO_LARGE || status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body is not read: the connection cannot carry another request.
            response.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
        }
        response
    };
    let mut received = Received {
        bytes: 0,
        limit: state.config.max_body,
        timeout: state.config.request_timeout,
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > received.limit) {
        return refused(received.too_large());
    }
    // Read here rather than as an extractor, so that a body that is no multipart form
    // gets the console's page.
    let multipart = match Multipart::from_request(request, &state).await {
        Ok(multipart) => multipart,
        Err(rejection) => {
            return refused(bad(format!(
                "the upload is not a form this page sends: {}",
                rejection.body_text()
            )));
        }
    };
    let uploads = state.console.uploads();
    if let Err(e) = tokio::task::block_in_place(|| private_directory(&uploads)) {
        return refused((
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "the uploads directory {} cannot be made: {e}",
                uploads.display()
            ),
        ));
    }
    let upload = match receive(multipart, &uploads, &mut received).await {
        Ok(upload) => upload,
        Err(refusal) => return refused(refusal),
    };
    if !csrf::same_origin(&headers) || !csrf::matches(&session.csrf, upload.csrf.as_deref()) {
        return layout::forged(Some(&session));
    }
    let checked = match check(&state, &session, upload) {
        Ok(checked) => checked,
        Err(refusal) => return refused(refusal),
    };
    match tokio::task::block_in_place(|| begin(&state, checked)) {
        Ok(id) => Redirect::to(&format!("/console/imports/{id}")).into_response(),
        Err(message) => refused((StatusCode::INTERNAL_SERVER_ERROR, message)),
    }
}

/// Moves the upload (and its profile) into the run's directory; gives the input's path.
fn place(
    directory: &Path,
    input: NamedTempFile,
    extensions: &str,
    profile: Option<NamedTempFile>,
) -> std::io::Result<PathBuf> {
    private_directory(directory)?;
    let path = directory.join(files::input(extensions));
    input.persist(&path).map_err(|e| e.error)?;
    if let Some(profile) = profile {
        profile
            .persist(directory.join(files::PROFILE))
            .map_err(|e| e.error)?;
    }
    Ok(path)
}

/// Records the run, moves its files into its directory and starts it; gives its id.
fn begin(state: &Arc<State>, checked: Checked) -> Result<i64, String> {
    let Checked {
        mut config,
        begin,
        input,
        extensions,
        profile,
    } = checked;
    let console = &state.console;
    let id = runs::begin(state, &begin)?;
    let directory = console.run_directory(id);
    let started = place(&directory, input, &extensions, profile)
        .map_err(|e| {
            format!(
                "the run's directory {} cannot be written: {e}",
                directory.display()
            )
        })
        .and_then(|path| {
            let format = config.inputs[0].format;
            config.inputs[0].path = Some(path.clone());
            config.report = Some(directory.join(files::REPORT));
            config.summary = Some(directory.join(files::SUMMARY));
            config.rejects = Some(vec![directory.join(files::rejects(format.extension()))]);
            runs::start(
                state,
                Started {
                    id,
                    input: path,
                    directory: directory.clone(),
                },
                config,
            )
            .map_err(|fatal| error_chain(&fatal))
        });
    if let Err(message) = &started {
        // Recorded as begun: the history says why it went no further.
        runs::never_ran(state, id, message);
    }
    started?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_found_in_file_names_longest_first() {
        assert_eq!(kind_in_name("purchases.csv"), Some(Kind::Purchases));
        assert_eq!(
            kind_in_name("2016_Financial-Achievements.ndjson.gz"),
            Some(Kind::FinancialAchievements)
        );
        assert_eq!(kind_in_name("achievements.csv"), Some(Kind::Achievements));
        assert_eq!(kind_in_name("partner.csv"), None);
    }

    #[test]
    fn rejects_files_are_named_after_the_upload() {
        assert_eq!(rejects_name("purchases.csv"), "purchases.rejects.csv");
        assert_eq!(rejects_name("a.b.ndjson.gz"), "a.b.rejects.ndjson");
        assert_eq!(rejects_name("noext"), "noext.rejects");
        assert_eq!(base_name("C:\\x\\y.csv"), "y.csv");
        assert_eq!(base_name("/etc/p.csv"), "p.csv");
    }

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(readable_size(16 << 20), "16 MiB");
        assert_eq!(readable_size(1536), "1.5 KiB");
        assert_eq!(readable_size(12), "12 bytes");
    }
}
