//! `POST customer_events/bulk/<kind>/create`: the body is read as `cebulk import` reads a
//! JSON request document ([`document::read`]), judged on the import's workers
//! ([`judge_batch`], [`mark_repeats`]), written by the one writer, and answered with the
//! report `cebulk import` writes ([`report_batch`]).

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State as Shared;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::sync::oneshot;

use super::answer::Answer;
use super::body;
use super::state::State;
use super::tokens;
use super::writer::Job;
use crate::domain::codes::{EventError, RequestCode};
use crate::domain::kind::Kind;
use crate::import::pipeline::report_batch;
use crate::input::document;
use crate::input::request::{RawEvent, RequestError};
use crate::judge::batch::judge_batch;
use crate::judge::judged::Judged;
use crate::judge::precedence::mark_repeats;
use crate::judge::resolve::Context;
use crate::report::destination::Memory;
use crate::report::envelope::{FieldsSet, Report};

/// How errors about the request name it (where `cebulk import` names the file).
pub const BODY: &str = "request body";

/// A request, judged.
struct Judgement {
    kind: Kind,
    ruis: Vec<Value>,
    batch: Vec<Result<Judged, EventError>>,
    fields: FieldsSet,
}

/// Answers one create call of `kind`.
pub async fn create(
    Shared(state): Shared<Arc<State>>,
    kind: Kind,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let config = &state.config;
    let bytes = match body::read(body, &headers, config.max_body, config.request_timeout).await {
        Ok(bytes) => bytes,
        Err(answer) => return answer,
    };
    let token = match token_of(&bytes) {
        Some(token) => token,
        // Not a JSON object: the reader says why, as it would to `cebulk import`.
        None => {
            return match document::read(BODY, &bytes, Some(kind), false) {
                Err(error) => Answer::rejected(&error),
                Ok(_) => Answer::refused(
                    RequestCode::InvalidRequestDocument,
                    "the document is not a request",
                    "$: a request document is a JSON object",
                ),
            };
        }
    };
    let token = match tokens::authorize(&state, token.as_deref()).await {
        Ok(hash) => hash,
        Err(answer) => return answer,
    };
    let (judged_tx, judged_rx) = oneshot::channel();
    let judging = Arc::clone(&state);
    state.pool.spawn(move || {
        let _ = judged_tx.send(judge(&judging, kind, &bytes));
    });
    let judgement = match judged_rx.await {
        Ok(Ok(judgement)) => judgement,
        Ok(Err(error)) => return Answer::rejected(&error),
        Err(_) => return Answer::store_failed("the request could not be judged"),
    };
    let Judgement {
        kind,
        ruis,
        batch,
        fields,
    } = judgement;
    let (reply, outcomes) = oneshot::channel();
    let job = Job {
        kind,
        batch,
        token,
        reply,
    };
    if state.writer.send(job).await.is_err() {
        return Answer::store_failed("the server is stopping");
    }
    let outcomes = match outcomes.await {
        Ok(Ok(outcomes)) => outcomes,
        Ok(Err(error)) => return Answer::store_failed(error),
        Err(_) => return Answer::store_failed("the writer stopped"),
    };
    let events = ruis.len();
    match answer(ruis, outcomes, &fields) {
        Ok(body) => Answer::written(StatusCode::OK, body, events),
        Err(error) => Answer::store_failed(format!(
            "the events were committed, but the answer could not be written: {error}"
        )),
    }
}

/// The `token` of a body that is a JSON object (`Some(None)`: it has none, or not a
/// string); `None` when the body is not a JSON object.
fn token_of(bytes: &[u8]) -> Option<Option<String>> {
    #[derive(serde::Deserialize)]
    struct Top<'a> {
        #[serde(borrow)]
        token: Option<&'a RawValue>,
    }
    let top: Top<'_> = serde_json::from_slice(bytes).ok()?;
    Some(
        top.token
            .and_then(|raw| serde_json::from_str(raw.get()).ok()),
    )
}

/// Reads and judges a request document, as `cebulk import` does one of `--batch-size` 1000.
fn judge(state: &State, kind: Kind, bytes: &[u8]) -> Result<Judgement, RequestError> {
    let request = document::read(BODY, bytes, Some(kind), false)?;
    let events = request.events.collect::<Result<Vec<RawEvent>, _>>()?;
    let context = Context {
        kind: request.kind,
        maps: &state.maps,
        intended_currency: request.intended_currency.as_ref(),
    };
    let (ruis, mut batch) = judge_batch(request.kind, &context, events);
    let mut used = HashSet::new();
    mark_repeats(&ruis, &mut batch, |rui| {
        Ok::<_, std::convert::Infallible>(used.insert(rui.to_owned()))
    })
    .unwrap_or_else(|never| match never {});
    Ok(Judgement {
        kind: request.kind,
        ruis,
        batch,
        fields: request.fields_set.unwrap_or_default(),
    })
}

/// The report of one committed request, as `cebulk import` writes it.
fn answer(
    ruis: Vec<Value>,
    outcomes: Vec<crate::store::writer::Outcome>,
    fields: &FieldsSet,
) -> Result<Vec<u8>, crate::report::destination::ReportError> {
    let buffer = Memory::default();
    let mut report = Report::new(Box::new(buffer.clone()), "the answer")?;
    report_batch(&mut report, ruis, outcomes, fields)?;
    report.finish()?;
    Ok(buffer.take())
}
