//! Applies incoming reference records to the ones already held: the upsert of
//! docs/spec.md §2 (by `id`, else by natural key with a generated id), with every
//! reference between records checked. All or nothing: a problem anywhere rejects the
//! whole load.

use std::collections::{BTreeMap, HashMap};

use super::document::{RawRecord, ReferenceProblem};
use super::maps::ReferenceMaps;
use super::record::{Attr, Record};
use crate::domain::entity::{ColumnType, Entity};
use crate::domain::kind::Kind;

/// The outcome of a merge.
#[derive(Debug)]
pub struct Merged {
    /// Every record after the load.
    pub maps: ReferenceMaps,
    /// The records that are new or changed, to be written to the store.
    pub changed: Vec<(Entity, Record)>,
}

/// The id of a record loaded without one: derived from its natural key so that loading the
/// same document into two fresh stores gives the same ids.
pub fn generated_id(entity: Entity, key: &str) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(entity.key().as_bytes());
    hasher.update(&[0]);
    hasher.update(key.as_bytes());
    hasher.finalize().as_bytes()[..16]
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

struct Working {
    by_id: BTreeMap<String, Record>,
    by_key: HashMap<String, String>,
}

/// Merges `incoming` into `existing`.
pub fn merge(
    existing: &ReferenceMaps,
    incoming: Vec<(Entity, Vec<RawRecord>)>,
) -> Result<Merged, ReferenceProblem> {
    let mut working: BTreeMap<Entity, Working> = BTreeMap::new();
    for entity in Entity::ALL {
        let records = existing.records(entity);
        working.insert(
            entity,
            Working {
                by_id: records.iter().map(|r| (r.id.clone(), r.clone())).collect(),
                by_key: records
                    .iter()
                    .filter_map(|r| Some((r.natural_key(entity)?.to_owned(), r.id.clone())))
                    .collect(),
            },
        );
    }
    let mut changed = Vec::new();
    for (entity, raws) in incoming {
        let mut loaded = Vec::with_capacity(raws.len());
        for raw in raws {
            let record = upsert_one(entity, &raw, &mut working, &mut changed)?;
            loaded.push((raw.at, record));
        }
        for (at, record) in loaded {
            check_references(entity, &at, &record, &working)?;
        }
    }
    let maps = ReferenceMaps::from_records(
        working
            .into_iter()
            .flat_map(|(entity, w)| w.by_id.into_values().map(move |r| (entity, r))),
    );
    Ok(Merged { maps, changed })
}

fn upsert_one(
    entity: Entity,
    raw: &RawRecord,
    working: &mut BTreeMap<Entity, Working>,
    changed: &mut Vec<(Entity, Record)>,
) -> Result<Record, ReferenceProblem> {
    let natural = entity.natural_key();
    let key_at = format!("{}.{natural}", raw.at);
    let key = entity
        .column_index(natural)
        .and_then(|i| match &raw.values[i] {
            Some(Attr::Text(s)) => Some(s.clone()),
            _ => None,
        })
        .ok_or_else(|| ReferenceProblem::new(key_at.as_str(), "is missing (the natural key)"))?;
    if entity == Entity::Classification {
        check_classification_type(entity, raw)?;
    }
    let Some(table) = working.get_mut(&entity) else {
        return Err(ReferenceProblem::new(raw.at.as_str(), "unknown entity"));
    };
    let owner = table.by_key.get(&key).cloned();
    let id = match (&raw.id, owner) {
        (Some(id), Some(owner)) if *id != owner => {
            return Err(ReferenceProblem::new(
                key_at,
                format!("{natural} {key:?} already belongs to the record with id {owner}"),
            ));
        }
        (Some(id), _) => id.clone(),
        (None, Some(owner)) => owner,
        (None, None) => generated_id(entity, &key),
    };
    let record = Record {
        id: id.clone(),
        // A stored record keeps its row: events already name it by it.
        rid: table.by_id.get(&id).and_then(|previous| previous.rid),
        values: raw.values.clone(),
    };
    if let Some(previous) = table.by_id.get(&id) {
        if *previous == record {
            return Ok(record);
        }
        if let Some(old_key) = previous.natural_key(entity) {
            table.by_key.remove(old_key);
        }
    }
    table.by_key.insert(key, id.clone());
    table.by_id.insert(id, record.clone());
    changed.push((entity, record.clone()));
    Ok(record)
}

fn check_classification_type(entity: Entity, raw: &RawRecord) -> Result<(), ReferenceProblem> {
    let value = entity
        .column_index("type")
        .and_then(|i| raw.values[i].as_ref());
    match value {
        Some(Attr::Text(t)) if Kind::from_name(t).is_some() => Ok(()),
        other => {
            let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
            let given = match other {
                Some(Attr::Text(t)) => format!("{t:?} is not a kind"),
                _ => "is missing".into(),
            };
            Err(ReferenceProblem::new(
                format!("{}.type", raw.at),
                format!("{given}; expected one of {}", kinds.join(", ")),
            ))
        }
    }
}

fn check_references(
    entity: Entity,
    at: &str,
    record: &Record,
    working: &BTreeMap<Entity, Working>,
) -> Result<(), ReferenceProblem> {
    for (column, value) in entity.columns().iter().zip(&record.values) {
        let (ColumnType::Ref(target), Some(Attr::Text(key))) = (column.ty, value) else {
            continue;
        };
        let known = working
            .get(&target)
            .is_some_and(|w| w.by_key.contains_key(key));
        if !known {
            return Err(ReferenceProblem::new(
                format!("{at}.{}", column.name),
                format!(
                    "no {} record has {} {key:?}",
                    target.key(),
                    target.natural_key()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::document::read;
    use serde_json::json;

    fn load(existing: &ReferenceMaps, doc: serde_json::Value) -> Result<Merged, ReferenceProblem> {
        merge(existing, read(&doc)?)
    }

    #[test]
    fn loading_twice_changes_nothing() {
        let doc = json!({
            "currencies": [{"code": "EUR"}],
            "units": [{"name": "Admin Unit", "currency": "EUR"}]
        });
        let first = load(&ReferenceMaps::default(), doc.clone());
        let first = first.ok();
        assert_eq!(first.as_ref().map(|m| m.changed.len()), Some(2));
        let maps = first.map(|m| m.maps).unwrap_or_default();
        let second = load(&maps, doc).ok();
        assert_eq!(second.map(|m| m.changed.len()), Some(0));
    }

    #[test]
    fn a_dangling_reference_names_the_field() {
        let doc = json!({"units": [{"name": "Admin Unit", "currency": "GBP"}]});
        let problem = load(&ReferenceMaps::default(), doc).err();
        assert_eq!(problem.map(|p| p.at), Some("units[0].currency".into()));
    }

    #[test]
    fn a_natural_key_cannot_move_to_another_id() {
        let doc = json!({"currencies": [{"id": "A", "code": "EUR"}, {"id": "B", "code": "EUR"}]});
        let problem = load(&ReferenceMaps::default(), doc).err();
        assert_eq!(problem.map(|p| p.at), Some("currencies[1].code".into()));
    }

    #[test]
    fn classification_types_are_kinds() {
        let doc = json!({"classifications": [{"name": "C", "type": "purchase"}]});
        let problem = load(&ReferenceMaps::default(), doc).err();
        assert_eq!(
            problem.map(|p| p.at),
            Some("classifications[0].type".into())
        );
    }

    #[test]
    fn generated_ids_are_32_upper_hex() {
        let id = generated_id(Entity::Unit, "Admin Unit");
        assert_eq!(id.len(), 32);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
    }
}
