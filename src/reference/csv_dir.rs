//! Reference data as a directory of CSV files, one per entity named after it
//! (`units.csv`, `accounts_receivable.csv`, …), or as one such file; list cells are
//! separated by `|`.

use std::io::Read;
use std::path::Path;

use super::document::{RawRecord, ReferenceProblem};
use super::record::Attr;
use crate::domain::entity::{ColumnType, Entity};
use crate::input::csv::guard::Guard;
use crate::input::limits::{MAX_REFERENCE_FILE_BYTES, MAX_REFERENCE_ROW_BYTES, mib};

/// Reads every entity file of `dir`; a `.csv` file named after no entity is an error (a
/// misspelt file name must not silently load nothing).
pub fn read(dir: &Path) -> Result<Vec<(Entity, Vec<RawRecord>)>, ReferenceProblem> {
    let listing = std::fs::read_dir(dir)
        .map_err(|e| ReferenceProblem::new(dir.display().to_string(), e.to_string()))?;
    for entry in listing {
        let entry =
            entry.map_err(|e| ReferenceProblem::new(dir.display().to_string(), e.to_string()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".csv")
            && Entity::from_key(stem).is_none()
        {
            let known: Vec<String> = Entity::ALL
                .iter()
                .map(|e| format!("{}.csv", e.key()))
                .collect();
            return Err(ReferenceProblem::new(
                name,
                format!("not a reference entity; expected {}", known.join(", ")),
            ));
        }
    }
    let mut out = Vec::new();
    for entity in Entity::ALL {
        let path = dir.join(format!("{}.csv", entity.key()));
        if path.exists() {
            out.push((entity, read_file(entity, &path)?));
        }
    }
    Ok(out)
}

/// Whether `path` names a reference CSV file (`.csv`, in any case) rather than a JSON
/// document.
pub fn is_csv_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// Reads the one entity file `path`, whose name must be an entity's (`units.csv`).
pub fn read_one(path: &Path) -> Result<Vec<(Entity, Vec<RawRecord>)>, ReferenceProblem> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let Some(entity) = Entity::from_key(stem) else {
        let known: Vec<String> = Entity::ALL
            .iter()
            .map(|e| format!("{}.csv", e.key()))
            .collect();
        return Err(ReferenceProblem::new(
            "(file)",
            format!(
                "{name:?} is not an entity's name; a reference CSV file is named after its entity: {}",
                known.join(", ")
            ),
        ));
    };
    Ok(vec![(entity, read_file(entity, path)?)])
}

fn read_file(entity: Entity, path: &Path) -> Result<Vec<RawRecord>, ReferenceProblem> {
    let file = format!("{}.csv", entity.key());
    let problem = |at: String, message: String| ReferenceProblem::new(at, message);
    let opened = super::file::open_capped(path).map_err(|p| problem(file.clone(), p.message))?;
    // Capped again while reading: the file may grow after it was opened.
    let (guard, watch) = Guard::new(
        Box::new(opened.take(MAX_REFERENCE_FILE_BYTES + 1)),
        MAX_REFERENCE_ROW_BYTES,
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(guard);
    let too_long = |line: u64, bytes: u64| {
        problem(
            format!("{file} line {line}"),
            format!(
                "a row of {bytes} bytes; a reference CSV row holds at most {} ({MAX_REFERENCE_ROW_BYTES} bytes)",
                mib(MAX_REFERENCE_ROW_BYTES as u64)
            ),
        )
    };
    let headers = reader
        .headers()
        .map_err(|e| problem(format!("{file} line 1"), e.to_string()))?
        .clone();
    if let Some(cut) = watch.take_cut(reader.position().byte()) {
        return Err(too_long(1, cut.bytes));
    }
    // Position of each header among the entity's columns; None for `id`.
    let mut slots = Vec::with_capacity(headers.len());
    for header in &headers {
        let header = header.trim_start_matches('\u{feff}').trim();
        if header == "id" {
            slots.push(None);
            continue;
        }
        let index = entity.column_index(header).ok_or_else(|| {
            let mut allowed = vec!["id"];
            allowed.extend(entity.columns().iter().map(|c| c.name));
            problem(
                format!("{file} line 1, column {header:?}"),
                format!(
                    "unknown column; {} has {}",
                    entity.key(),
                    allowed.join(", ")
                ),
            )
        })?;
        slots.push(Some(index));
    }
    let mut records = Vec::new();
    let mut row = csv::StringRecord::new();
    while reader.read_record(&mut row).map_err(|e| {
        let line = e.position().map_or(0, csv::Position::line);
        problem(format!("{file} line {line}"), e.to_string())
    })? {
        let line = row.position().map_or(0, csv::Position::line);
        if let Some(cut) = watch.take_cut(reader.position().byte()) {
            return Err(too_long(line, cut.bytes));
        }
        let mut id = None;
        let mut values = vec![None; entity.columns().len()];
        for (slot, cell) in slots.iter().zip(row.iter()) {
            if cell.is_empty() {
                continue;
            }
            match slot {
                None => id = Some(cell.to_owned()),
                Some(index) => {
                    values[*index] = Some(match entity.columns()[*index].ty {
                        ColumnType::List => {
                            Attr::List(cell.split('|').map(str::to_owned).collect())
                        }
                        ColumnType::Text | ColumnType::Ref(_) => Attr::Text(cell.to_owned()),
                    });
                }
            }
        }
        records.push(RawRecord {
            at: format!("{file} line {line}"),
            id,
            values,
        });
    }
    if reader.position().byte() > MAX_REFERENCE_FILE_BYTES {
        return Err(problem(file, super::file::too_large().message));
    }
    Ok(records)
}
