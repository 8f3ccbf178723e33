//! The JSON reference document of docs/spec.md §2: one key per entity, each an array of
//! records. Reading checks shape and types only; `merge` checks keys and references.

use serde_json::{Map, Value};

use super::record::Attr;
use crate::domain::entity::{ColumnType, Entity};

/// A reference record as the document gives it.
#[derive(Debug, Clone)]
pub struct RawRecord {
    /// Where it stands (`units[2]`), for error messages.
    pub at: String,
    /// The id, when given.
    pub id: Option<String>,
    /// One value per column of the entity.
    pub values: Vec<Option<Attr>>,
}

/// What is wrong with a reference document, and where (`units[2].currency`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceProblem {
    /// Entity, record and field.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl ReferenceProblem {
    pub(crate) fn new(at: impl Into<String>, message: impl Into<String>) -> ReferenceProblem {
        ReferenceProblem {
            at: at.into(),
            message: message.into(),
        }
    }
}

/// Reads a parsed reference document into records, entity by entity in the order of
/// [`Entity::ALL`].
pub fn read(document: &Value) -> Result<Vec<(Entity, Vec<RawRecord>)>, ReferenceProblem> {
    let Value::Object(top) = document else {
        return Err(ReferenceProblem::new(
            "(document)",
            "a reference document is a JSON object with one key per entity",
        ));
    };
    for key in top.keys() {
        if Entity::from_key(key).is_none() {
            let known: Vec<&str> = Entity::ALL.iter().map(|e| e.key()).collect();
            return Err(ReferenceProblem::new(
                key.as_str(),
                format!("unknown entity; expected one of {}", known.join(", ")),
            ));
        }
    }
    let mut out = Vec::new();
    for entity in Entity::ALL {
        let Some(value) = top.get(entity.key()) else {
            continue;
        };
        let Value::Array(items) = value else {
            return Err(ReferenceProblem::new(
                entity.key(),
                "must be an array of records",
            ));
        };
        let records = items
            .iter()
            .enumerate()
            .map(|(i, item)| read_record(entity, &format!("{}[{i}]", entity.key()), item))
            .collect::<Result<Vec<_>, _>>()?;
        out.push((entity, records));
    }
    Ok(out)
}

fn read_record(entity: Entity, at: &str, item: &Value) -> Result<RawRecord, ReferenceProblem> {
    let Value::Object(object) = item else {
        return Err(ReferenceProblem::new(at, "a record must be a JSON object"));
    };
    check_keys(entity, at, object)?;
    let id = match object.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => {
            return Err(ReferenceProblem::new(
                format!("{at}.id"),
                "must be a non-empty string",
            ));
        }
    };
    let values = entity
        .columns()
        .iter()
        .map(|column| {
            let here = format!("{at}.{}", column.name);
            match (object.get(column.name), column.ty) {
                (None | Some(Value::Null), _) => Ok(None),
                (Some(Value::String(s)), ColumnType::Text | ColumnType::Ref(_)) => {
                    Ok((!s.is_empty()).then(|| Attr::Text(s.clone())))
                }
                (Some(Value::Array(items)), ColumnType::List) => items
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .map(|list| Some(Attr::List(list)))
                    .ok_or_else(|| ReferenceProblem::new(here, "must be an array of strings")),
                (Some(_), ColumnType::List) => {
                    Err(ReferenceProblem::new(here, "must be an array of strings"))
                }
                (Some(_), _) => Err(ReferenceProblem::new(here, "must be a string")),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RawRecord {
        at: at.to_owned(),
        id,
        values,
    })
}

fn check_keys(
    entity: Entity,
    at: &str,
    object: &Map<String, Value>,
) -> Result<(), ReferenceProblem> {
    for key in object.keys() {
        if key != "id" && entity.column_index(key).is_none() {
            let mut allowed = vec!["id"];
            allowed.extend(entity.columns().iter().map(|c| c.name));
            return Err(ReferenceProblem::new(
                format!("{at}.{key}"),
                format!(
                    "unknown field; {} records have {}",
                    entity.key(),
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_entity_record_and_field() {
        let doc = json!({"units": [{"name": "A"}, {"name": "B", "colour": "red"}]});
        let problem = read(&doc).err();
        assert_eq!(problem.map(|p| p.at), Some("units[1].colour".into()));
        let doc = json!({"accounts_receivable": [{"number": "A", "payment_medium_types": "Cash"}]});
        let problem = read(&doc).err();
        assert_eq!(
            problem.map(|p| p.at),
            Some("accounts_receivable[0].payment_medium_types".into())
        );
        let problem = read(&json!({"unit": []})).err();
        assert_eq!(problem.map(|p| p.at), Some("unit".into()));
    }
}
