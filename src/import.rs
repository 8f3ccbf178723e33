//! `cebulk import`: each input is one request, read, then processed batch by batch:
//! validate and resolve in parallel (input order kept), then the one writer commits.

use std::collections::HashSet;
use std::io::Read;
use std::time::Instant;

use rayon::prelude::*;
use serde_json::Value;

use crate::cli::InputFormat;
use crate::codes::{EventError, RequestCode};
use crate::config::{ImportConfig, Input};
use crate::error::{EXIT_OK, EXIT_REJECTED, EXIT_UNPROCESSED, Fatal};
use crate::input::json_document;
use crate::input::request::{Request, RequestError};
use crate::reference::maps::ReferenceMaps;
use crate::report::{FieldsSet, Report};
use crate::resolve::{self, Context};
use crate::store::writer::{Outcome, Writer};
use crate::validate::{Numbers, validate};

/// What an import did.
#[derive(Debug)]
pub struct Imported {
    /// The report.
    pub report: Report,
    /// Inputs rejected as a whole.
    pub rejected: Vec<RequestError>,
}

impl Imported {
    /// The exit status (SPEC §6).
    pub fn exit_code(&self) -> u8 {
        if !self.rejected.is_empty() {
            EXIT_REJECTED
        } else if self.report.unprocessed_count() > 0 {
            EXIT_UNPROCESSED
        } else {
            EXIT_OK
        }
    }
}

/// Imports every input of `config` through `writer`.
pub fn import(
    config: &ImportConfig,
    maps: &ReferenceMaps,
    writer: &mut Writer<'_>,
) -> Result<Imported, Fatal> {
    let started = Instant::now();
    let mut report = Report::default();
    let mut rejected = Vec::new();

    let cli_fields = match config.fields_set.as_deref() {
        None => None,
        Some(list) => {
            let value = Value::String(list.to_owned());
            match json_document::fields_set("--fields-set", &value) {
                Ok(fields) => Some(fields),
                Err(error) => {
                    report.reject(error.status());
                    return Ok(Imported {
                        report,
                        rejected: vec![error],
                    });
                }
            }
        }
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.jobs)
        .build()
        .map_err(|e| Fatal::Usage(format!("cannot start {} worker threads: {e}", config.jobs)))?;

    for input in &config.inputs {
        let request = read_input(input, config);
        let request = match request {
            Ok(request) => request,
            Err(error) => {
                report.reject(error.status());
                rejected.push(error);
                continue;
            }
        };
        report.begin_request();
        let fields = cli_fields
            .clone()
            .or_else(|| request.fields_set.clone())
            .unwrap_or_default();
        pool.install(|| import_request(config, maps, writer, &request, &fields, &mut report))?;
    }

    if !config.quiet {
        summary(&report, started);
    }
    Ok(Imported { report, rejected })
}

fn read_input(input: &Input, config: &ImportConfig) -> Result<Request, RequestError> {
    let mut bytes = Vec::new();
    let read = if input.name == "-" {
        std::io::stdin().lock().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(&input.name).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    read.map_err(|e| {
        RequestError::new(
            &input.name,
            RequestCode::InvalidRequestDocument,
            "the input cannot be read",
            e.to_string(),
        )
    })?;
    match input.format {
        InputFormat::Json => json_document::read(&input.name, &bytes, config.kind),
        InputFormat::Csv | InputFormat::Ndjson => Err(RequestError::new(
            &input.name,
            RequestCode::InvalidRequestDocument,
            "CSV and NDJSON input are not supported yet",
            "give a JSON request document",
        )),
    }
}

/// The request unique identifier as the report echoes it: the caller's value when it is a
/// string or number, else null.
fn echoed_rui(raw: &Value) -> Value {
    match raw.get("request_unique_identifier") {
        Some(v @ (Value::String(_) | Value::Number(_))) => v.clone(),
        _ => Value::Null,
    }
}

fn import_request(
    config: &ImportConfig,
    maps: &ReferenceMaps,
    writer: &mut Writer<'_>,
    request: &Request,
    fields: &FieldsSet,
    report: &mut Report,
) -> Result<(), Fatal> {
    let kind = request.kind;
    let context = Context {
        kind,
        maps,
        intended_currency: request.intended_currency.as_ref(),
    };
    for batch in request.events.chunks(config.batch_size) {
        let mut judged: Vec<Result<_, EventError>> = batch
            .par_iter()
            .map(|raw| validate(kind, raw, Numbers::Json))
            .collect();
        mark_duplicates(batch, &mut judged);
        let resolved = judged
            .into_par_iter()
            .map(|event| event.and_then(|e| resolve::resolve(&context, e)))
            .collect();
        let outcomes = writer.write_batch(kind, resolved)?;
        for (raw, outcome) in batch.iter().zip(outcomes) {
            match outcome {
                Outcome::Created { id, number } => {
                    report.processed(echoed_rui(raw), &id, &number, fields);
                }
                Outcome::Unprocessed(error) => report.unprocessed(echoed_rui(raw), &error, fields),
            }
        }
    }
    Ok(())
}

/// A request unique identifier already used earlier in the batch makes a valid event
/// unprocessed; an invalid event keeps its own, earlier-ranked error.
fn mark_duplicates<T>(batch: &[Value], judged: &mut [Result<T, EventError>]) {
    let mut seen = HashSet::new();
    for (raw, outcome) in batch.iter().zip(judged.iter_mut()) {
        let Some(rui) = raw.get("request_unique_identifier").and_then(Value::as_str) else {
            continue;
        };
        if !seen.insert(rui) && outcome.is_ok() {
            *outcome = Err(EventError::DuplicateRequest {
                value: rui.to_owned(),
            });
        }
    }
}

fn summary(report: &Report, started: Instant) {
    let processed = report.processed_count();
    let unprocessed = report.unprocessed_count();
    let read = processed + unprocessed;
    let elapsed = started.elapsed().as_secs_f64();
    let rate = if elapsed > 0.0 {
        read as f64 / elapsed
    } else {
        0.0
    };
    eprintln!(
        "cebulk: {read} events read, {processed} processed, {unprocessed} unprocessed in {elapsed:.2} s ({rate:.0} events/s)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_second_use_of_an_identifier_is_the_duplicate() {
        let batch = [
            json!({"request_unique_identifier": "1"}),
            json!({"request_unique_identifier": "1"}),
            json!({"request_unique_identifier": "2"}),
        ];
        let mut judged: Vec<Result<(), EventError>> = vec![Ok(()), Ok(()), Ok(())];
        mark_duplicates(&batch, &mut judged);
        assert!(judged[0].is_ok() && judged[2].is_ok());
        assert_eq!(
            judged[1].as_ref().err().map(EventError::code),
            Some(crate::codes::EventCode::DuplicateRequestUniqueIdentifier)
        );
    }
}
