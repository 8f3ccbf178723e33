//! Validation of one raw event against its kind's schema: pure, no reference data.
//!
//! Two passes give ERRORS.md's precedence: first structure and types (in the caller's key
//! order), then mandatory and semi-optional parameters (in the seed's order). The second
//! pass also builds the normalized fields.

use std::borrow::Cow;

use crate::domain::codes::quote_text;
use crate::domain::codes::{EventError, is_annotation};
use crate::domain::entity::Entity;
use crate::domain::kind::Kind;
use crate::domain::schema;
use crate::domain::schema::field::{Field, FieldType, Presence};
use crate::domain::values::{Numbers, canonical_decimal, decimal_is_positive, is_date};
use crate::input::limits::{MAX_LINE_ITEMS, too_many_line_items};
use crate::json::keys::same;
use crate::json::tree::Tree;
use crate::judge::valid::{Fields, IdentRef, Norm, Path, ValidEvent};

/// Most fields of one schema level (`crate::domain::schema::by_kind`'s tests check every
/// level).
pub const MAX_FIELDS: usize = 64;

type Pairs<'r, 'a> = &'r [(Cow<'a, str>, Tree<'a>)];

/// Each field's value, by the field's index.
type Slots<'r, 'a> = [Option<&'r Tree<'a>>; MAX_FIELDS];

/// Validates one event of `kind`.
pub fn validate<'r>(
    kind: Kind,
    raw: &'r Tree<'_>,
    numbers: Numbers,
) -> Result<ValidEvent<'r>, EventError> {
    let fields = schema::fields(kind);
    let Tree::Object(pairs) = raw else {
        return Err(EventError::InvalidValue {
            value: quote(raw),
            path: kind.set_key().to_owned(),
            allowed: "Each event must be a JSON object".into(),
        });
    };
    let root = Path::default();
    let mut slots = [None; MAX_FIELDS];
    check_types(pairs, fields, &root, numbers, Some(&mut slots))?;
    // A purchase has six identifiers: one allocation, no regrowth.
    let mut idents = Vec::with_capacity(6);
    let level = Level {
        fields,
        slots: &slots,
        keys: pairs.len(),
    };
    let body = build(level, &root, None, numbers, &mut idents)?;
    let rui = body
        .iter()
        .find_map(|(name, value)| match value {
            Norm::Text(t) if *name == "request_unique_identifier" => Some(*t),
            _ => None,
        })
        .unwrap_or_default();
    Ok(ValidEvent { rui, body, idents })
}

/// The caller's value as an error text quotes it: strings bare, other values as JSON, long
/// values cut short so that a 10 MB string does not land in the report.
pub fn quote(value: &Tree<'_>) -> String {
    let text = match value {
        Tree::String(s) => s.to_string(),
        other => other.to_json(),
    };
    quote_text(&text)
}

fn invalid(value: &Tree<'_>, path: String, allowed: &str) -> EventError {
    EventError::InvalidValue {
        value: quote(value),
        path,
        allowed: allowed.to_owned(),
    }
}

/// The text of a number: a JSON number, or (CSV) a string.
fn number_text<'r>(value: &'r Tree<'_>, numbers: Numbers) -> Option<&'r str> {
    match (value, numbers) {
        (Tree::Number(n), _) => Some(n),
        (Tree::String(s), Numbers::Strings) => Some(s),
        _ => None,
    }
}

/// The number's canonical decimal form (`120.50` → `120.5`).
fn number<'r>(value: &'r Tree<'_>, numbers: Numbers) -> Option<Cow<'r, str>> {
    canonical_decimal(number_text(value, numbers)?)
}

/// The index of the field named `key`, looking first where the last one was found: callers
/// mostly write fields in the seed's order. Two plain scans rather than one that wraps
/// around with `%`, which costs a division a field compared
/// (docs/performance.md, "judge/validate: finding a field").
fn field_index(fields: &[Field], key: &str, hint: &mut usize) -> Option<usize> {
    let from = (*hint).min(fields.len());
    let named = |f: &Field| same(f.name, key);
    let found = match fields[from..].iter().position(named) {
        Some(at) => from + at,
        None => fields[..from].iter().position(named)?,
    };
    *hint = found + 1;
    Some(found)
}

/// Pass one: every key is a parameter of the method, given once, and every value has its
/// type. With `slots` (the event's own level), puts each key's value there by its field's
/// index for pass two: finding them again cost as much as this pass's own lookups. A set's
/// elements are many and find theirs in pass two ([`slots_of`]).
fn check_types<'r, 'a>(
    pairs: Pairs<'r, 'a>,
    fields: &[Field],
    path: &Path,
    numbers: Numbers,
    mut slots: Option<&mut Slots<'r, 'a>>,
) -> Result<(), EventError> {
    let mut hint = 0;
    // A bit a field: no schema level has more than 64 (domain::schema::by_kind's tests).
    let mut seen = 0u64;
    for (key, value) in pairs {
        let Some(index) = field_index(fields, key, &mut hint) else {
            // The event's own level leaves out cebulk's annotations (a rejects file's).
            if slots.is_some() && is_annotation(key) {
                continue;
            }
            return Err(EventError::Unknown {
                path: path.dotted_with(key),
            });
        };
        let field = &fields[index];
        // Built only when needed: most values are fine, and a path allocates.
        let here = || path.key(field.name);
        let bit = 1u64 << index;
        let repeated = seen & bit != 0;
        seen |= bit;
        if repeated {
            return Err(invalid(
                value,
                here().to_string(),
                "Each parameter may be given only once",
            ));
        }
        if let Some(slots) = slots.as_deref_mut() {
            slots[index] = Some(value);
        }
        if given(Some(value)).is_none() {
            // null, "" and [] are absent (ERRORS.md: "absent, null or empty"): pass two
            // reports them as missing where the parameter is mandatory.
            continue;
        }
        match field.ty {
            FieldType::Text => {
                if value.as_str().is_none() {
                    return Err(invalid(
                        value,
                        here().to_string(),
                        "The value must be a string",
                    ));
                }
            }
            FieldType::Number | FieldType::Quantity => {
                // Only checked here; pass two writes the canonical form.
                let Some(positive) = number_text(value, numbers).and_then(decimal_is_positive)
                else {
                    return Err(invalid(
                        value,
                        here().to_string(),
                        "The value must be a decimal number of at most 28 significant digits",
                    ));
                };
                if matches!(field.ty, FieldType::Quantity) && !positive {
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
                let Tree::Array(elements) = value else {
                    return Err(invalid(
                        value,
                        here.to_string(),
                        "The value must be an array of objects",
                    ));
                };
                if elements.len() > MAX_LINE_ITEMS {
                    return Err(too_many_line_items(&here.to_string(), elements.len()));
                }
                for (i, element) in elements.iter().enumerate() {
                    let at = here.index(i);
                    let Tree::Object(element) = element else {
                        return Err(invalid(
                            element,
                            at.to_string(),
                            "The value must be an object",
                        ));
                    };
                    check_types(element, element_fields, &at, numbers, None)?;
                }
            }
        }
    }
    Ok(())
}

fn check_identifier(value: &Tree<'_>, entity: Entity, path: &Path) -> Result<(), EventError> {
    let Tree::Object(pairs) = value else {
        return Err(invalid(
            value,
            path.to_string(),
            &format!(
                "The value must be an identifier object with one of: {}",
                entity.identifier_fields().join(", ")
            ),
        ));
    };
    for (i, (key, inner)) in pairs.iter().enumerate() {
        if !entity.identifier_fields().iter().any(|f| same(f, key)) {
            return Err(EventError::Unknown {
                path: path.dotted_with(key),
            });
        }
        if pairs[..i].iter().any(|(k, _)| k == key) {
            return Err(invalid(
                inner,
                path.dotted_with(key),
                "Each parameter may be given only once",
            ));
        }
        if !matches!(inner, Tree::Null | Tree::String(_)) {
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
fn given<'r, 'a>(value: Option<&'r Tree<'a>>) -> Option<&'r Tree<'a>> {
    value.filter(|v| match v {
        Tree::Null => false,
        Tree::String(s) => !s.is_empty(),
        Tree::Array(a) => !a.is_empty(),
        _ => true,
    })
}

/// Each field's value, by the field's index (pass one made sure every key is a field).
fn slots_of<'r, 'a>(pairs: Pairs<'r, 'a>, fields: &[Field]) -> Slots<'r, 'a> {
    let mut slots = [None; MAX_FIELDS];
    let mut hint = 0;
    for (key, value) in pairs {
        if let Some(index) = field_index(fields, key, &mut hint) {
            slots[index] = Some(value);
        }
    }
    slots
}

/// One level of an event for pass two: its fields, each one's value, and how many keys the
/// caller gave.
struct Level<'s, 'r, 'a> {
    fields: &'static [Field],
    slots: &'s Slots<'r, 'a>,
    keys: usize,
}

/// Pass two: mandatory and semi-optional parameters, in the seed's order; builds the
/// normalized fields and collects the identifiers.
fn build<'r>(
    level: Level<'_, 'r, '_>,
    path: &Path,
    element_of: Option<(&'static str, usize)>,
    numbers: Numbers,
    idents: &mut Vec<IdentRef<'r>>,
) -> Result<Fields<'r>, EventError> {
    let Level {
        fields,
        slots,
        keys,
    } = level;
    let mut body = Vec::with_capacity(keys + 1);
    let mut group_checked = false;
    for (field, slot) in fields.iter().zip(slots) {
        let here = || path.key(field.name);
        if field.presence == Presence::SemiOptional && !group_checked {
            group_checked = true;
            check_group(slots, fields, path)?;
        }
        let Some(value) = given(*slot) else {
            if field.presence == Presence::Mandatory {
                return Err(EventError::Missing {
                    path: here().to_string(),
                });
            }
            if matches!(field.ty, FieldType::Quantity) {
                body.push((field.name, Norm::Number(Cow::Borrowed("1"))));
            }
            continue;
        };
        let normalized = match field.ty {
            FieldType::Text | FieldType::Date | FieldType::Choice(_) => {
                Norm::Text(value.as_str().unwrap_or_default())
            }
            FieldType::Number | FieldType::Quantity => {
                Norm::Number(number(value, numbers).unwrap_or_default())
            }
            FieldType::Identifier(entity) => {
                let (key, given) = identifier(value, entity, field.presence, &here)?;
                idents.push(IdentRef {
                    parameter: element_of.map_or(field.name, |(set, _)| set),
                    line: element_of.map(|(_, i)| i),
                    entity,
                    field: key,
                    value: given,
                });
                Norm::Ident(idents.len() - 1)
            }
            FieldType::Set(element_fields) => {
                let Tree::Array(elements) = value else {
                    continue;
                };
                let here = here();
                let mut built = Vec::with_capacity(elements.len());
                for (i, element) in elements.iter().enumerate() {
                    let element: Pairs<'r, '_> = match element {
                        Tree::Object(pairs) => pairs,
                        _ => &[],
                    };
                    let level = Level {
                        fields: element_fields,
                        slots: &slots_of(element, element_fields),
                        keys: element.len(),
                    };
                    built.push(build(
                        level,
                        &here.index(i),
                        Some((field.name, i)),
                        numbers,
                        idents,
                    )?);
                }
                Norm::Set(built)
            }
        };
        body.push((field.name, normalized));
    }
    Ok(body)
}

fn check_group(
    slots: &[Option<&Tree<'_>>],
    fields: &[Field],
    path: &Path,
) -> Result<(), EventError> {
    let group = fields
        .iter()
        .zip(slots)
        .filter(|(f, _)| f.presence == Presence::SemiOptional);
    let present = group.clone().filter(|(_, v)| given(**v).is_some()).count();
    if present == 1 {
        return Ok(());
    }
    Err(EventError::SemiOptional {
        paths: group.map(|(f, _)| path.key(f.name).to_string()).collect(),
    })
}

fn identifier<'r, 'p>(
    value: &'r Tree<'_>,
    entity: Entity,
    presence: Presence,
    path: &dyn Fn() -> Path<'p>,
) -> Result<(&'static str, &'r str), EventError> {
    // Pass one left only identifier fields, each once: so one pass over the object's pairs
    // (mostly one) finds the same as a lookup for each of the entity's fields did.
    let pairs: Pairs<'r, '_> = match value {
        Tree::Object(pairs) => pairs,
        _ => &[],
    };
    let mut named = pairs.iter().filter_map(|(key, inner)| {
        let inner = given(Some(inner))?;
        let field = entity.identifier_fields().iter().find(|f| same(f, key))?;
        Some((*field, inner.as_str().unwrap_or_default()))
    });
    let first = named.next();
    let second = named.next();
    match (first, second) {
        (Some((field, given)), None) => Ok((field, given)),
        (None, _) if presence == Presence::Mandatory => Err(EventError::Missing {
            path: path().to_string(),
        }),
        _ => {
            let path = path();
            Err(EventError::SemiOptional {
                paths: entity
                    .identifier_fields()
                    .iter()
                    .map(|f| path.dotted_with(f))
                    .collect(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::EventCode;

    const WEB: &str = r#""request_unique_identifier": "1", "accounts_receivable_identifier": {"number": "A1"}, "performed_by_unit_identifier": {"name": "Admin Unit"}, "performed_on": "2016-06-22T15:00:00", "website": "www.crm.com""#;

    fn web(extra: &str) -> String {
        if extra.is_empty() {
            format!("{{{WEB}}}")
        } else {
            format!("{{{WEB}, {extra}}}")
        }
    }

    /// The validated event, its text and tree leaked: a validated event borrows its tree,
    /// and these tests look at it after the call.
    fn check(kind: Kind, text: &str, numbers: Numbers) -> Result<ValidEvent<'static>, EventError> {
        let text: &'static str = Box::leak(text.to_owned().into_boxed_str());
        let raw = crate::json::parse::parse(text).map_err(|e| EventError::Unknown {
            path: e.to_string(),
        })?;
        validate(kind, Box::leak(Box::new(raw)), numbers)
    }

    fn code(kind: Kind, text: &str) -> Option<EventCode> {
        check(kind, text, Numbers::Json).err().map(|e| e.code())
    }

    #[test]
    fn a_complete_event_is_valid_and_its_identifiers_are_listed() {
        let event = check(Kind::Web, &web(""), Numbers::Json);
        let idents: Vec<String> = event
            .iter()
            .flat_map(|e| {
                e.idents
                    .iter()
                    .map(|i| format!("{}={}", i.parameter, i.value))
            })
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
        let text = r#"{"request_unique_identifier": "1", "udf_float_1": "x"}"#;
        assert_eq!(
            code(Kind::Web, text),
            Some(EventCode::InvalidParameterValue)
        );
    }

    #[test]
    fn unknown_udf_numbers_are_rejected_per_kind() {
        let text = web(r#""udf_string_9": "x""#);
        assert_eq!(code(Kind::Web, &text), Some(EventCode::UnknownParameter));
    }

    #[test]
    fn a_repeated_parameter_is_an_invalid_value() {
        let text = web(r#""website": "again""#);
        assert_eq!(
            code(Kind::Web, &text),
            Some(EventCode::InvalidParameterValue)
        );
    }

    #[test]
    fn csv_numbers_arrive_as_strings() {
        let text = web(r#""udf_float_1": "1.50""#);
        let event = check(Kind::Web, &text, Numbers::Strings).ok();
        let value = event.and_then(|e| {
            e.body.into_iter().find_map(|(n, v)| match v {
                Norm::Number(d) if n == "udf_float_1" => Some(d),
                _ => None,
            })
        });
        assert_eq!(value, Some("1.5".into()));
        assert_eq!(
            code(Kind::Web, &text),
            Some(EventCode::InvalidParameterValue)
        );
    }

    #[test]
    fn normalized_fields_follow_the_seed_order() {
        let text = format!(
            r#"{{"website": "w", {}}}"#,
            &WEB[..WEB.rfind(", \"website\"").unwrap_or(0)]
        );
        let event = check(Kind::Web, &text, Numbers::Json).ok();
        let names: Vec<&str> = event
            .map(|e| e.body.iter().map(|(n, _)| *n).collect())
            .unwrap_or_default();
        assert_eq!(names.first(), Some(&"request_unique_identifier"));
        assert_eq!(names.last(), Some(&"website"));
    }

    #[test]
    fn product_identifiers_belong_to_their_set_line() {
        let text = r#"{"request_unique_identifier": "1", "accounts_receivable_identifier": {"number": "A1"},
            "performed_by_unit_identifier": {"name": "U"}, "performed_on": "2016-06-22", "reference_number": "R",
            "products_set": [{"product_identifier": {"code": "P"}, "net_amount": 1, "vat_amount": 0, "total_amount": 1}]}"#;
        let event = check(Kind::Purchases, text, Numbers::Json).ok();
        let product =
            event.and_then(|e| e.idents.into_iter().find(|i| i.entity == Entity::Product));
        assert_eq!(
            product.map(|p| (p.parameter, p.line)),
            Some(("products_set", Some(0)))
        );
    }

    #[test]
    fn long_values_are_quoted_short() {
        let long = Tree::String(Cow::Owned("x".repeat(10_000)));
        assert_eq!(
            quote(&long).chars().count(),
            crate::domain::codes::QUOTE_LIMIT + 1
        );
    }
}
