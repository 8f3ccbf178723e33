//! Reference data an import is sure to miss: none at all in the store, or none of an entity
//! that every event of a kind names (a mandatory identifier). Then every event would come
//! back `NotFoundAPIValueException`, so the import says so first, naming the fix.

use crate::domain::entity::Entity;
use crate::domain::kind::Kind;
use crate::domain::schema;
use crate::domain::schema::field::{FieldType, Presence};
use crate::reference::maps::ReferenceMaps;

/// The warning for events of `kind` against `maps`, if there is one.
pub fn warning(maps: &ReferenceMaps, kind: Kind) -> Option<String> {
    let fix = "load it with `cebulk reference load PATH`, or give `--reference PATH` to import";
    if maps.counts().iter().all(|(_, count)| *count == 0) {
        return Some(format!(
            "cebulk: warning: the store holds no reference data (accounts, units, products, …), \
             so every event naming one will be unprocessed (NotFoundAPIValueException); {fix}"
        ));
    }
    let empty = |entity: &Entity| maps.records(*entity).is_empty();
    let (mandatory, either) = needed(kind);
    let mut missing: Vec<&str> = mandatory
        .iter()
        .filter(|e| empty(e))
        .map(|e| e.key())
        .collect();
    // One of the semi-optional identifiers (an account or a participant) is given: with
    // none of either, every event misses one.
    if !either.is_empty() && either.iter().all(empty) {
        missing.extend(either.iter().map(|e| e.key()));
    }
    (!missing.is_empty()).then(|| {
        format!(
            "cebulk: warning: the store holds no {}, which every {kind} event names, so every \
             one will be unprocessed (NotFoundAPIValueException); {fix}",
            missing.join(" and no ")
        )
    })
}

/// The entities that every event of `kind` names: its mandatory identifiers; and those of
/// which every event names one (its semi-optional identifiers).
fn needed(kind: Kind) -> (Vec<Entity>, Vec<Entity>) {
    let (mut mandatory, mut either) = (Vec::new(), Vec::new());
    for field in schema::fields(kind) {
        let list = match (field.ty, field.presence) {
            (FieldType::Identifier(_), Presence::Mandatory) => &mut mandatory,
            (FieldType::Identifier(_), Presence::SemiOptional) => &mut either,
            _ => continue,
        };
        if let FieldType::Identifier(entity) = field.ty
            && !list.contains(&entity)
        {
            list.push(entity);
        }
    }
    (mandatory, either)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purchase_needs_a_unit_and_an_account_or_a_participant() {
        let (mandatory, either) = needed(Kind::Purchases);
        assert_eq!(mandatory, [Entity::Unit]);
        assert_eq!(either, [Entity::Account, Entity::Participant]);
    }

    #[test]
    fn an_empty_store_is_warned_of() {
        let maps = ReferenceMaps::from_records(Vec::new());
        let warning = warning(&maps, Kind::Purchases).unwrap_or_default();
        assert!(warning.contains("no reference data"), "{warning}");
        assert!(warning.contains("--reference"), "{warning}");
    }
}
