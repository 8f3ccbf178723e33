//! The order in which an event's problems are reported, stated and applied here once.
//! docs/ERRORS.md: when an event breaks several rules, the first in this order names it:
//!
//! 1. structure and types, then 2. mandatory and semi-optional parameters: [`validate`]
//!    (two passes, so that a type error anywhere comes before a missing parameter);
//! 3. a request unique identifier used earlier in the request: [`mark_repeats`] below, over
//!    the judged batches of the request in input order (which error an event already has
//!    tells whether it passed stages 1–2: [`repeat_overrides`]);
//! 4. identifier resolution in the seed's field order, then 5. the kind's rules that need
//!    reference data: [`resolve`] (which calls [`rules`] once every identifier resolved);
//! 6. the rules that need the store (re-run recognition, external references, participants
//!    already referred): the writer's, `crate::store::writer`, for events that passed 1–5.
//!
//! [`validate`]: crate::judge::validate
//! [`resolve`]: crate::judge::resolve
//! [`rules`]: crate::judge::rules

use serde_json::Value;

use crate::domain::codes::EventError;
use crate::judge::judged::Judged;

/// Whether a repeated request unique identifier (stage 3) is what `outcome` reports instead:
/// the event passed validation (stages 1–2), whatever resolution and the rules found.
pub fn repeat_overrides(outcome: &Result<Judged, EventError>) -> bool {
    match outcome {
        Ok(_) => true,
        Err(error) => !matches!(
            error,
            EventError::Missing { .. }
                | EventError::SemiOptional { .. }
                | EventError::Unknown { .. }
                | EventError::InvalidValue { .. }
                | EventError::InconsistentRows { .. }
                | EventError::DuplicateRequest { .. }
        ),
    }
}

/// Stage 3 across the batches of a request, each batch in input order. `first_use` notes an
/// identifier and tells whether the request had not used it before (whatever became of the
/// event that did).
pub fn mark_repeats<E>(
    ruis: &[Value],
    outcomes: &mut [Result<Judged, EventError>],
    mut first_use: impl FnMut(&str) -> Result<bool, E>,
) -> Result<(), E> {
    for (rui, outcome) in ruis.iter().zip(outcomes.iter_mut()) {
        let Some(rui) = rui.as_str() else {
            continue;
        };
        if !first_use(rui)? && repeat_overrides(outcome) {
            *outcome = Err(EventError::DuplicateRequest {
                value: rui.to_owned(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::domain::codes::EventCode;
    use serde_json::json;

    /// The error codes of `outcomes` once [`mark_repeats`] ran over them as one batch.
    fn marked(ruis: &[Value], mut outcomes: Vec<Result<Judged, EventError>>) -> Vec<EventCode> {
        let mut used = HashSet::new();
        mark_repeats(ruis, &mut outcomes, |rui| {
            Ok::<_, ()>(used.insert(rui.to_owned()))
        })
        .unwrap();
        outcomes
            .into_iter()
            .filter_map(|v| v.err().map(|e| e.code()))
            .collect()
    }

    fn not_found() -> EventError {
        EventError::NotFound {
            entity: crate::domain::entity::Entity::Account,
            value: "A1".into(),
        }
    }

    fn invalid() -> EventError {
        EventError::InvalidValue {
            value: "x".into(),
            path: "performed_on".into(),
            allowed: "a date".into(),
        }
    }

    #[test]
    fn the_second_use_of_an_identifier_is_the_duplicate_before_resolution() {
        let ruis = [json!("1"), json!("1"), json!("2")];
        let codes = marked(
            &ruis,
            vec![Err(not_found()), Err(not_found()), Err(not_found())],
        );
        assert_eq!(
            codes,
            [
                EventCode::NotFoundApiValue,
                EventCode::DuplicateRequestUniqueIdentifier,
                EventCode::NotFoundApiValue
            ]
        );
    }

    #[test]
    fn an_invalid_event_keeps_its_error_and_still_uses_its_identifier() {
        let ruis = [json!("1"), json!("1"), json!(null), json!(null)];
        let outcomes = vec![
            Err(invalid()),
            Err(invalid()),
            Err(not_found()),
            Err(not_found()),
        ];
        let codes = marked(&ruis, outcomes);
        assert_eq!(
            codes,
            [
                EventCode::InvalidParameterValue,
                EventCode::InvalidParameterValue,
                EventCode::NotFoundApiValue,
                EventCode::NotFoundApiValue
            ]
        );
    }
}
