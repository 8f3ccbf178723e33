//! Judging one batch on a worker: each raw event parsed (when it came as text), validated
//! and resolved. Repeated identifiers (stage 3 of [`precedence`]) are marked afterwards,
//! across the whole request, by [`precedence::mark_repeats`].
//!
//! [`precedence`]: crate::judge::precedence

use serde_json::Value;

use crate::domain::codes::{EventError, quote_text};
use crate::domain::kind::Kind;
use crate::input::position::json_error_what;
use crate::input::request::{Body, RawEvent, echoed_rui};
use crate::judge::judged::Judged;
use crate::judge::resolve::{self, Context};
use crate::judge::validate::validate;

/// A judged batch: each event's echoed request unique identifier and its outcome, in input
/// order.
pub type JudgedBatch = (Vec<Value>, Vec<Result<Judged, EventError>>);

/// Parses, validates and resolves one batch, in input order; gives each
/// event's echoed request unique identifier and outcome.
pub fn judge_batch(kind: Kind, context: &Context<'_>, batch: Vec<RawEvent>) -> JudgedBatch {
    // One pass an event, so the validated event can borrow the parsed tree instead of
    // copying every value out of it.
    batch
        .into_iter()
        .map(|raw| check(kind, raw, context))
        .unzip()
}

fn check(kind: Kind, raw: RawEvent, context: &Context<'_>) -> (Value, Result<Judged, EventError>) {
    let whole = |value: String, allowed: String| EventError::InvalidValue {
        value: quote_text(&value),
        path: raw.origin.path(kind),
        allowed,
    };
    let judge_tree = |tree: &crate::json::tree::Tree<'_>| match tree {
        crate::json::tree::Tree::Object(_) => (
            echoed_rui(tree),
            validate(kind, tree, raw.numbers).and_then(|event| resolve::resolve(context, event)),
        ),
        other => (
            Value::Null,
            Err(whole(
                other.to_json(),
                "Each event must be a JSON object".into(),
            )),
        ),
    };
    match &raw.body {
        Body::Text(text) => match crate::json::parse::parse(text) {
            Ok(tree) => judge_tree(&tree),
            Err(error) => (
                Value::Null,
                Err(EventError::InvalidValue {
                    value: quote_text(text.trim_end()),
                    path: format!(
                        "{}, column {}",
                        raw.origin.path(kind),
                        error.column().max(1)
                    ),
                    allowed: format!(
                        "Each line must hold one JSON event object ({})",
                        json_error_what(&error)
                    ),
                }),
            ),
        },
        Body::Tree(tree) => judge_tree(tree),
        Body::Csv(event) => judge_tree(&event.tree()),
        Body::Broken { rui, error } => (rui.clone(), Err(error.clone())),
    }
}
