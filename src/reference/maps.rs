//! Reference records held in memory with a hash index per identifier field, so that
//! resolution never queries SQLite per event
//! (docs/performance.md, "reference/maps: reference data in memory").

use std::collections::HashMap;

use foldhash::fast::RandomState;

use super::record::{Attr, Record};
use crate::domain::entity::Entity;

/// The records of one entity and their indexes.
#[derive(Debug, Default, Clone)]
pub struct Table {
    records: Vec<Record>,
    /// One index per identifier field of the entity, in `identifier_fields()` order.
    /// foldhash rather than SipHash: six lookups an event, on every worker, and SipHash
    /// costs several times as much a lookup (docs/performance.md, "reference/maps: hash");
    /// foldhash's per-process seed still spreads crafted keys.
    indexes: Vec<HashMap<String, u32, RandomState>>,
}

impl Table {
    fn new(entity: Entity) -> Table {
        Table {
            records: Vec::new(),
            indexes: vec![HashMap::default(); entity.identifier_fields().len()],
        }
    }

    fn reindex(&mut self, entity: Entity) {
        for index in &mut self.indexes {
            index.clear();
        }
        for (i, record) in self.records.iter().enumerate() {
            let position = u32::try_from(i).unwrap_or(u32::MAX);
            for (field, index) in entity.identifier_fields().iter().zip(&mut self.indexes) {
                if let Some(value) = record.identifier(entity, field) {
                    // First record wins where a non-key field repeats (two accounts with one
                    // name); records are kept in id order, so the choice is stable.
                    index.entry(value.to_owned()).or_insert(position);
                }
            }
        }
    }
}

/// All reference records.
#[derive(Debug, Clone)]
pub struct ReferenceMaps {
    tables: Vec<Table>,
}

impl Default for ReferenceMaps {
    fn default() -> Self {
        ReferenceMaps {
            tables: Entity::ALL.iter().map(|e| Table::new(*e)).collect(),
        }
    }
}

fn slot(entity: Entity) -> usize {
    Entity::ALL.iter().position(|e| *e == entity).unwrap_or(0)
}

impl ReferenceMaps {
    /// Maps over these records (each entity's records in any order).
    pub fn from_records(records: impl IntoIterator<Item = (Entity, Record)>) -> ReferenceMaps {
        let mut maps = ReferenceMaps::default();
        for (entity, record) in records {
            maps.tables[slot(entity)].records.push(record);
        }
        for entity in Entity::ALL {
            let table = &mut maps.tables[slot(entity)];
            table.records.sort_by(|a, b| a.id.cmp(&b.id));
            table.reindex(entity);
        }
        maps
    }

    /// The record an identifier names, matched exactly.
    pub fn find(&self, entity: Entity, field: &str, value: &str) -> Option<&Record> {
        let table = &self.tables[slot(entity)];
        let which = entity
            .identifier_fields()
            .iter()
            .position(|f| crate::json::keys::same(f, field));
        match which {
            Some(which) => {
                let position = *table.indexes[which].get(value)?;
                table.records.get(position as usize)
            }
            // Natural keys that are not identifier fields do not exist; `find_by_key` covers
            // columns other entities refer to.
            None => None,
        }
    }

    /// The record whose natural key is `key`.
    pub fn find_by_key(&self, entity: Entity, key: &str) -> Option<&Record> {
        let natural = entity.natural_key();
        if entity.identifier_fields().contains(&natural) {
            return self.find(entity, natural, key);
        }
        self.records(entity)
            .iter()
            .find(|r| r.natural_key(entity) == Some(key))
    }

    /// All records of an entity, in id order.
    pub fn records(&self, entity: Entity) -> &[Record] {
        &self.tables[slot(entity)].records
    }

    /// A digest of every record, for what depends on the reference data as a whole
    /// (a batch's digest, `crate::import::digests`).
    pub fn digest(&self) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        let mut text = |bytes: &[u8]| {
            hasher.update(&(bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        for table in &self.tables {
            text(b"table");
            for record in &table.records {
                text(record.id.as_bytes());
                text(&record.rid.unwrap_or(-1).to_le_bytes());
                for value in &record.values {
                    match value {
                        None => text(b"none"),
                        Some(Attr::Text(value)) => {
                            text(b"text");
                            text(value.as_bytes());
                        }
                        Some(Attr::List(items)) => {
                            text(b"list");
                            text(&(items.len() as u64).to_le_bytes());
                            for item in items {
                                text(item.as_bytes());
                            }
                        }
                    }
                }
            }
        }
        *hasher.finalize().as_bytes()
    }

    /// How many records of each entity.
    pub fn counts(&self) -> Vec<(Entity, usize)> {
        Entity::ALL
            .iter()
            .map(|e| (*e, self.records(*e).len()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::record::Attr;

    fn unit(id: &str, name: &str, code: &str) -> Record {
        Record {
            id: id.into(),
            rid: None,
            values: vec![
                Some(Attr::Text(name.into())),
                Some(Attr::Text(code.into())),
                Some(Attr::Text("EUR".into())),
            ],
        }
    }

    #[test]
    fn finds_by_every_identifier_field_exactly() {
        let maps = ReferenceMaps::from_records([(Entity::Unit, unit("U1", "Admin Unit", "ADM"))]);
        assert!(maps.find(Entity::Unit, "id", "U1").is_some());
        assert!(maps.find(Entity::Unit, "name", "Admin Unit").is_some());
        assert!(maps.find(Entity::Unit, "alternative_code", "ADM").is_some());
        assert!(maps.find(Entity::Unit, "name", "admin unit").is_none());
        assert!(maps.find(Entity::Unit, "currency", "EUR").is_none());
    }
}
