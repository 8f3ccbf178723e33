//! The JSON request document: exactly the API request body (`token`, one event set,
//! `fields_set`, and for purchases `intended_currency_identifier`).

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::position::line_column;
use super::request::{Body, Origin, RawEvent, Read, Request, RequestError, Shape, Verbatim};
use crate::domain::codes::quote_text;
use crate::domain::codes::{EventError, RequestCode};
use crate::domain::entity::Entity;
use crate::domain::entity::GivenIdentifier;
use crate::domain::kind::Kind;
use crate::domain::values::Numbers;
use crate::input::position::json_error_what;
use crate::json::parse;
use crate::report::envelope::FieldsSet;

/// The API's limit on events in one request.
pub const MAX_EVENTS: usize = 1000;

const SET_SUFFIX: &str = "_customer_events_set";

/// Reads a request document. `kind` is `--kind`, which also settles the seed's financial
/// statements quirk (its page names the set `financial_achievement_customer_events_set`).
/// `keep`: each event keeps its text as written ([`RawEvent::verbatim`]).
pub fn read(
    file: &str,
    bytes: &[u8],
    kind: Option<Kind>,
    keep: bool,
) -> Result<Request, RequestError> {
    let invalid = |message: &str, detail: String| {
        RequestError::new(file, RequestCode::InvalidRequestDocument, message, detail)
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(bytes, e.valid_up_to());
        invalid(
            "the document is not UTF-8",
            format!("line {line}, column {column}: invalid UTF-8 byte sequence"),
        )
    })?;
    // Checked as JSON whole (a malformed document is rejected before anything is
    // imported), then taken apart without building a `Value` per event, so that numbers
    // reach validation exactly as written (`1e400` stays `1e400`).
    let document: &RawValue = serde_json::from_str(text).map_err(|e| {
        invalid(
            "the document is not valid JSON",
            super::position::json_error(&e),
        )
    })?;
    let Some(top) = parse::object_pairs(document) else {
        return Err(invalid(
            "the document is not a request",
            "$: a request document is a JSON object".into(),
        ));
    };

    let set_keys: Vec<&str> = top
        .iter()
        .map(|(k, _)| k.as_ref())
        .filter(|k| k.ends_with(SET_SUFFIX))
        .collect();
    let unknown_set = |detail: String| {
        RequestError::new(
            file,
            RequestCode::UnknownCustomerEventsSet,
            "the document has no single known customer events set",
            detail,
        )
    };
    let set_key = match set_keys.as_slice() {
        [one] => (*one).to_owned(),
        [] => return Err(unknown_set(format!("$: no *{SET_SUFFIX} key"))),
        many => {
            return Err(unknown_set(format!(
                "$: more than one set: {}",
                many.join(", ")
            )));
        }
    };
    let set_kind = match (Kind::from_set_key(&set_key), kind) {
        (Some(Kind::FinancialAchievements), Some(Kind::FinancialStatements)) => {
            Kind::FinancialStatements
        }
        (Some(found), Some(wanted)) if found != wanted => {
            return Err(unknown_set(format!(
                "$.{set_key}: the set is of {found} but --kind is {wanted}"
            )));
        }
        (Some(found), _) => found,
        (None, _) => return Err(unknown_set(format!("$.{set_key}: not a known set"))),
    };

    let mut fields_set = None;
    let mut intended_currency = None;
    let mut events = None;
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for (key, value) in &top {
        if key.as_ref() != set_key {
            let member = format!("{}:{}", Value::String(key.to_string()), value.get());
            match events {
                None => before.push(member),
                Some(_) => after.push(member),
            }
        }
        match key.as_ref() {
            "token" => {}
            "fields_set" => {
                let value: Value = serde_json::from_str(value.get()).unwrap_or(Value::Null);
                if !value.is_null() {
                    fields_set = Some(self::fields_set(file, &value)?);
                }
            }
            "intended_currency_identifier" if set_kind == Kind::Purchases => {
                let value: Value = serde_json::from_str(value.get()).unwrap_or(Value::Null);
                if !value.is_null() {
                    intended_currency = Some(currency(&value).map_err(|detail| {
                        invalid(
                            "intended_currency_identifier is not a currency identifier",
                            detail,
                        )
                    })?);
                }
            }
            key if key == set_key => {
                events = serde_json::from_str::<Vec<&RawValue>>(value.get()).ok();
                if events.is_none() {
                    return Err(invalid(
                        "the customer events set is not an array",
                        format!("$.{set_key}: must be an array of events"),
                    ));
                }
            }
            key => {
                return Err(invalid(
                    "the document has a parameter the method does not have",
                    format!("$.{key}: not a parameter of {}", set_kind.name()),
                ));
            }
        }
    }
    let events = events.unwrap_or_default();
    if events.len() > MAX_EVENTS {
        return Err(RequestError::new(
            file,
            RequestCode::TooManyCustomerEvents,
            format!("the request holds more than {MAX_EVENTS} events"),
            format!(
                "$.{set_key}: {} events; split the document or use NDJSON or CSV, which are streamed",
                events.len()
            ),
        ));
    }
    // Lines are counted on from one event to the next, so the document is read once.
    let mut counted = (0, 1);
    let mut line_of = |event: &RawValue| {
        let offset = (event.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let (from, line) = counted;
        let between = text.as_bytes().get(from..offset).unwrap_or_default();
        counted = (offset, line + memchr::memchr_iter(b'\n', between).count());
        counted.1
    };
    let events: Vec<RawEvent> = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| {
            let verbatim = match keep {
                true => {
                    Verbatim::boxed(line_of(event), Read::Json(event.get().as_bytes().to_vec()))
                }
                false => None,
            };
            let body = match parse::parse_raw(event) {
                Ok(tree) => Body::Tree(tree.into_owned()),
                Err(e) => Body::Broken {
                    rui: Value::Null,
                    error: EventError::InvalidValue {
                        value: quote_text(event.get()),
                        path: format!("{set_key}.{i}"),
                        allowed: format!(
                            "Each event must be a JSON object ({})",
                            json_error_what(&e)
                        ),
                    },
                },
            };
            RawEvent {
                body,
                numbers: Numbers::Json,
                origin: Origin::Index(i),
                verbatim,
            }
        })
        .collect();
    Ok(Request {
        kind: set_kind,
        fields_set,
        intended_currency,
        events: Box::new(events.into_iter().map(Ok)),
        shape: Shape::Document {
            before,
            set_key,
            after,
        },
    })
}

/// `fields_set`: "List of Strings, comma separated" in the seed; a JSON array of strings
/// is accepted too.
pub fn fields_set(file: &str, value: &Value) -> Result<FieldsSet, RequestError> {
    let names: Option<Vec<&str>> = match value {
        Value::String(s) => Some(s.split(',').collect()),
        Value::Array(items) => items.iter().map(Value::as_str).collect(),
        _ => None,
    };
    let bad = |detail: String| {
        RequestError::new(
            file,
            RequestCode::InvalidFieldsSet,
            "fields_set names a field the response does not have",
            detail,
        )
    };
    let names =
        names.ok_or_else(|| bad("$.fields_set: must be a comma-separated string".into()))?;
    FieldsSet::parse(names).map_err(|name| {
        bad(format!(
            "$.fields_set: {name:?} is not one of {}",
            crate::report::envelope::FIELDS.join(", ")
        ))
    })
}

fn currency(value: &Value) -> Result<GivenIdentifier, String> {
    let path = "$.intended_currency_identifier";
    let object: &Map<String, Value> = value
        .as_object()
        .ok_or_else(|| format!("{path}: must be an object with id or code"))?;
    let allowed = Entity::Currency.identifier_fields();
    let mut given = Vec::new();
    for (key, inner) in object {
        let Some(field) = allowed.iter().find(|f| **f == key) else {
            return Err(format!(
                "{path}.{key}: not a currency identifier field (id, code)"
            ));
        };
        match inner {
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            Value::String(s) => given.push(GivenIdentifier {
                field,
                value: s.clone(),
            }),
            _ => return Err(format!("{path}.{key}: must be a string")),
        }
    }
    match given.len() {
        1 => Ok(given.remove(0)),
        _ => Err(format!("{path}: exactly one of id, code must be given")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str, kind: Option<Kind>) -> Option<RequestCode> {
        read("f.json", text.as_bytes(), kind, false)
            .err()
            .map(|e| e.code)
    }

    #[test]
    fn the_kind_comes_from_the_set_key() {
        let request = read(
            "f.json",
            br#"{"token":"t","web_customer_events_set":[]}"#,
            None,
            false,
        );
        assert_eq!(request.map(|r| r.kind).ok(), Some(Kind::Web));
    }

    #[test]
    fn the_financial_statements_quirk_needs_kind() {
        let doc = r#"{"financial_achievement_customer_events_set":[]}"#;
        let request = read(
            "f.json",
            doc.as_bytes(),
            Some(Kind::FinancialStatements),
            false,
        );
        assert_eq!(
            request.map(|r| r.kind).ok(),
            Some(Kind::FinancialStatements)
        );
        let request = read("f.json", doc.as_bytes(), None, false);
        assert_eq!(
            request.map(|r| r.kind).ok(),
            Some(Kind::FinancialAchievements)
        );
    }

    #[test]
    fn request_level_problems_have_their_codes() {
        assert_eq!(code("{", None), Some(RequestCode::InvalidRequestDocument));
        assert_eq!(code("[]", None), Some(RequestCode::InvalidRequestDocument));
        assert_eq!(
            code(r#"{"x_customer_events_set":[]}"#, None),
            Some(RequestCode::UnknownCustomerEventsSet)
        );
        assert_eq!(
            code(r#"{"token":"t"}"#, None),
            Some(RequestCode::UnknownCustomerEventsSet)
        );
        assert_eq!(
            code(
                r#"{"web_customer_events_set":[],"fields_set":"id,colour"}"#,
                None
            ),
            Some(RequestCode::InvalidFieldsSet)
        );
        assert_eq!(
            code(
                r#"{"web_customer_events_set":[],"intended_currency_identifier":{"code":"EUR"}}"#,
                None
            ),
            Some(RequestCode::InvalidRequestDocument)
        );
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let error = read(
            "f.json",
            b"{\n  \"web_customer_events_set\": [,]\n}",
            None,
            false,
        )
        .err();
        let detail = error.map(|e| e.detail).unwrap_or_default();
        assert!(detail.starts_with("line 2, column"), "{detail}");
    }
}
