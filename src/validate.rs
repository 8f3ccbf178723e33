//! Validation of one raw event against its kind's schema: pure, no reference data.
//!
//! Two passes give ERRORS.md's precedence: first structure and types (in the caller's key
//! order), then mandatory and semi-optional parameters (in the seed's order). The second
//! pass also builds the normalized request object.

use serde_json::{Map, Value};

use crate::codes::EventError;
use crate::entity::Entity;
use crate::event::{IdentRef, Path, ValidEvent};
use crate::kind::Kind;
use crate::model::field::{Field, FieldType, Presence};
use crate::model::schema;
use crate::values::{decimal_to_json, is_date, parse_decimal};

/// How scalar values arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbers {
    /// JSON: numbers are JSON numbers.
    Json,
    /// CSV: every cell is a string; numbers are decimal strings.
    Strings,
}

/// Longest caller value quoted in an error text.
const QUOTE_LIMIT: usize = 64;

/// Validates one event of `kind`.
pub fn validate(kind: Kind, raw: &Value, numbers: Numbers) -> Result<ValidEvent, EventError> {
    let fields = schema::fields(kind);
    let Value::Object(object) = raw else {
        return Err(EventError::InvalidValue {
            value: quote(raw),
            path: kind.set_key().to_owned(),
            allowed: "Each event must be a JSON object".into(),
        });
    };
    let root = Path::default();
    check_types(object, fields, &root, numbers)?;
    let mut idents = Vec::new();
    let body = build(object, fields, &root, numbers, &mut idents)?;
    let rui = body
        .get("request_unique_identifier")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Ok(ValidEvent { rui, body, idents })
}

/// The caller's value as an error text quotes it: strings bare, other values as JSON, long
/// values cut short so that a 10 MB string does not land in the report.
pub fn quote(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() <= QUOTE_LIMIT {
        text
    } else {
        let mut cut: String = text.chars().take(QUOTE_LIMIT).collect();
        cut.push('…');
        cut
    }
}

fn invalid(value: &Value, path: String, allowed: &str) -> EventError {
    EventError::InvalidValue {
        value: quote(value),
        path,
        allowed: allowed.to_owned(),
    }
}

fn number_text(value: &Value, numbers: Numbers) -> Option<String> {
    match (value, numbers) {
        (Value::Number(n), _) => Some(n.to_string()),
        (Value::String(s), Numbers::Strings) => Some(s.clone()),
        _ => None,
    }
}

/// Pass one: every key is a parameter of the method and every value has its type.
fn check_types(
    object: &Map<String, Value>,
    fields: &[Field],
    path: &Path,
    numbers: Numbers,
) -> Result<(), EventError> {
    for (key, value) in object {
        let Some(field) = fields.iter().find(|f| f.name == key) else {
            return Err(EventError::Unknown {
                path: path.dotted_with(key),
            });
        };
        if value.is_null() {
            continue;
        }
        // Built only when needed: most values are fine, and a path allocates.
        let here = || path.key(field.name);
        match field.ty {
            FieldType::Text => {
                if !value.is_string() {
                    return Err(invalid(
                        value,
                        here().to_string(),
                        "The value must be a string",
                    ));
                }
            }
            FieldType::Number | FieldType::Quantity => {
                let parsed = number_text(value, numbers).and_then(|t| parse_decimal(&t));
                let Some(parsed) = parsed else {
                    return Err(invalid(
                        value,
                        here().to_string(),
                        "The value must be a decimal number of at most 28 significant digits",
                    ));
                };
                if matches!(field.ty, FieldType::Quantity) && parsed <= rust_decimal::Decimal::ZERO
                {
                    return Err(invalid(
                        value,
                        here().to_string(),
                        "The quantity must be greater than zero",
                    ));
                }
            }
            FieldType::Date => {
                if !value.as_str().is_some_and(is_date) {
                    return Err(invalid(
                        value,
                        here().to_string(),
                        "The value must be a date YYYY-MM-DDTHH:MM:SS (optionally with fractional seconds and a Z or ±HH:MM offset) or YYYY-MM-DD",
                    ));
                }
            }
            FieldType::Choice(allowed) => {
                if !value.as_str().is_some_and(|s| allowed.contains(&s)) {
                    let list = allowed.join(", ");
                    return Err(invalid(
                        value,
                        here().to_string(),
                        &format!("The value must be one of: {list}"),
                    ));
                }
            }
            FieldType::Identifier(entity) => check_identifier(value, entity, &here())?,
            FieldType::Set(element_fields) => {
                let here = here();
                let Value::Array(elements) = value else {
                    return Err(invalid(
                        value,
                        here.to_string(),
                        "The value must be an array of objects",
                    ));
                };
                for (i, element) in elements.iter().enumerate() {
                    let at = here.index(i);
                    let Value::Object(element) = element else {
                        return Err(invalid(
                            element,
                            at.to_string(),
                            "The value must be an object",
                        ));
                    };
                    check_types(element, element_fields, &at, numbers)?;
                }
            }
        }
    }
    Ok(())
}

fn check_identifier(value: &Value, entity: Entity, path: &Path) -> Result<(), EventError> {
    let Value::Object(object) = value else {
        return Err(invalid(
            value,
            path.to_string(),
            &format!(
                "The value must be an identifier object with one of: {}",
                entity.identifier_fields().join(", ")
            ),
        ));
    };
    for (key, inner) in object {
        if !entity.identifier_fields().contains(&key.as_str()) {
            return Err(EventError::Unknown {
                path: path.dotted_with(key),
            });
        }
        if !(inner.is_null() || inner.is_string()) {
            return Err(invalid(
                inner,
                path.dotted_with(key),
                "The value must be a string",
            ));
        }
    }
    Ok(())
}

/// A value that counts as given: not null, not an empty string, array or object.
fn given(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    })
}

/// Pass two: mandatory and semi-optional parameters, in the seed's order; builds the
/// normalized object and collects the identifiers.
fn build(
    object: &Map<String, Value>,
    fields: &[Field],
    path: &Path,
    numbers: Numbers,
    idents: &mut Vec<IdentRef>,
) -> Result<Map<String, Value>, EventError> {
    let mut body = Map::with_capacity(object.len() + 1);
    let mut group_checked = false;
    for field in fields {
        let here = || path.key(field.name);
        if field.presence == Presence::SemiOptional && !group_checked {
            group_checked = true;
            check_group(object, fields, path)?;
        }
        let value = given(object.get(field.name));
        let Some(value) = value else {
            if field.presence == Presence::Mandatory {
                return Err(EventError::Missing {
                    path: here().to_string(),
                });
            }
            if matches!(field.ty, FieldType::Quantity) {
                body.insert(field.name.to_owned(), Value::from(1));
            }
            continue;
        };
        let normalized = match field.ty {
            FieldType::Text | FieldType::Date | FieldType::Choice(_) => value.clone(),
            FieldType::Number | FieldType::Quantity => number_text(value, numbers)
                .and_then(|t| parse_decimal(&t))
                .map(decimal_to_json)
                .unwrap_or(Value::Null),
            FieldType::Identifier(entity) => {
                let ident = identifier(value, entity, field.presence, &here())?;
                let mut object = Map::new();
                object.insert(ident.field.to_owned(), Value::String(ident.value.clone()));
                idents.push(ident);
                Value::Object(object)
            }
            FieldType::Set(element_fields) => {
                let elements = value.as_array().map(Vec::as_slice).unwrap_or_default();
                let here = here();
                let empty = Map::new();
                let mut built = Vec::with_capacity(elements.len());
                for (i, element) in elements.iter().enumerate() {
                    let element = element.as_object().unwrap_or(&empty);
                    let at = here.index(i);
                    built.push(Value::Object(build(
                        element,
                        element_fields,
                        &at,
                        numbers,
                        idents,
                    )?));
                }
                Value::Array(built)
            }
        };
        body.insert(field.name.to_owned(), normalized);
    }
    Ok(body)
}

fn check_group(
    object: &Map<String, Value>,
    fields: &[Field],
    path: &Path,
) -> Result<(), EventError> {
    let group: Vec<&Field> = fields
        .iter()
        .filter(|f| f.presence == Presence::SemiOptional)
        .collect();
    let present = group
        .iter()
        .filter(|f| given(object.get(f.name)).is_some())
        .count();
    if present == 1 {
        return Ok(());
    }
    Err(EventError::SemiOptional {
        paths: group.iter().map(|f| path.key(f.name).to_string()).collect(),
    })
}

fn identifier(
    value: &Value,
    entity: Entity,
    presence: Presence,
    path: &Path,
) -> Result<IdentRef, EventError> {
    let object = value.as_object();
    let mut named = entity.identifier_fields().iter().filter_map(|field| {
        let inner = object.and_then(|o| given(o.get(*field)))?;
        Some((*field, inner.as_str().unwrap_or_default()))
    });
    let first = named.next();
    let second = named.next();
    match (first, second) {
        (Some((field, value)), None) => Ok(IdentRef {
            path: path.clone(),
            entity,
            field,
            value: value.to_owned(),
        }),
        (None, _) if presence == Presence::Mandatory => Err(EventError::Missing {
            path: path.to_string(),
        }),
        _ => Err(EventError::SemiOptional {
            paths: entity
                .identifier_fields()
                .iter()
                .map(|f| path.dotted_with(f))
                .collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::EventCode;
    use serde_json::json;

    fn web(extra: Value) -> Value {
        let mut event = json!({
            "request_unique_identifier": "1",
            "accounts_receivable_identifier": {"number": "A1"},
            "performed_by_unit_identifier": {"name": "Admin Unit"},
            "performed_on": "2016-06-22T15:00:00",
            "website": "www.crm.com"
        });
        if let (Some(target), Value::Object(extra)) = (event.as_object_mut(), extra) {
            target.extend(extra);
        }
        event
    }

    fn code(kind: Kind, raw: &Value) -> Option<EventCode> {
        validate(kind, raw, Numbers::Json).err().map(|e| e.code())
    }

    #[test]
    fn a_complete_event_is_valid_and_its_identifiers_are_listed() {
        let event = validate(Kind::Web, &web(json!({})), Numbers::Json);
        let event = event.ok();
        let idents: Vec<String> = event
            .iter()
            .flat_map(|e| e.idents.iter().map(|i| format!("{}={}", i.path, i.value)))
            .collect();
        assert_eq!(
            idents,
            [
                "accounts_receivable_identifier=A1",
                "performed_by_unit_identifier=Admin Unit"
            ]
        );
    }

    #[test]
    fn types_come_before_missing_parameters() {
        let raw = json!({"request_unique_identifier": "1", "udf_float_1": "x"});
        assert_eq!(
            code(Kind::Web, &raw),
            Some(EventCode::InvalidParameterValue)
        );
    }

    #[test]
    fn unknown_udf_numbers_are_rejected_per_kind() {
        let raw = web(json!({"udf_string_9": "x"}));
        assert_eq!(code(Kind::Web, &raw), Some(EventCode::UnknownParameter));
    }

    #[test]
    fn csv_numbers_arrive_as_strings() {
        let raw = web(json!({"udf_float_1": "1.50"}));
        let event = validate(Kind::Web, &raw, Numbers::Strings).ok();
        let value = event.and_then(|e| e.body.get("udf_float_1").cloned());
        assert_eq!(value.map(|v| v.to_string()), Some("1.5".into()));
        assert_eq!(
            code(Kind::Web, &raw),
            Some(EventCode::InvalidParameterValue)
        );
    }

    #[test]
    fn normalized_body_follows_the_seed_order() {
        let mut raw = json!({"website": "w", "performed_on": "2016-06-22"});
        if let (Some(target), Value::Object(rest)) = (raw.as_object_mut(), web(json!({}))) {
            for (k, v) in rest {
                target.entry(k).or_insert(v);
            }
        }
        let event = validate(Kind::Web, &raw, Numbers::Json).ok();
        let keys: Vec<String> = event
            .map(|e| e.body.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(
            keys.first().map(String::as_str),
            Some("request_unique_identifier")
        );
        assert_eq!(keys.last().map(String::as_str), Some("website"));
    }

    #[test]
    fn long_values_are_quoted_short() {
        let long = Value::String("x".repeat(10_000));
        assert_eq!(quote(&long).chars().count(), QUOTE_LIMIT + 1);
    }
}
