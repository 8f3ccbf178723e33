//! CSV headers: each column is a JSON path of the kind's schema joined by dots
//! (`products_set.0.product_identifier.code`), or, for line items one per row, a path into
//! the set without an index (`products_set.product_identifier.code`). A column that names
//! no parameter is an error: a typo must not drop data silently, except cebulk's own
//! `cebulk_*` columns (a rejects file's annotations), which are left out. Names match
//! ignoring ASCII case and surrounding spaces (`Request_Unique_Identifier `), and an unknown
//! one is told the closest known columns.

use crate::domain::codes::is_annotation;
use crate::domain::kind::Kind;
use crate::domain::schema;
use crate::domain::schema::field::{Field, FieldType};

/// One step of a column's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// An object key.
    Key(&'static str),
    /// An array index.
    Index(usize),
}

/// Where a column's cells go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The header's path in its canonical form (trimmed, lower case); for an ignored
    /// column, the header as written.
    pub name: String,
    /// The path inside the event, or inside the line item for line-item columns.
    pub steps: Vec<Step>,
    /// For a line-item column: the set it adds elements to.
    pub line_item_of: Option<&'static str>,
    /// Bit `d` is set when the key at `steps[d]` cannot be in its object yet when this
    /// column's cell is placed: no column before this one, filling the same object (the
    /// event, or a line item), has the path `steps[..=d]`. Such a key is added without
    /// looking for it among the keys already there.
    pub new_keys: u64,
}

/// The most elements an indexed set column may address (an index is not a length to
/// allocate blindly).
pub const MAX_INDEX: usize = 999;

/// Plans every column of a header; `Err` names the first bad column and why.
pub fn plan(kind: Kind, headers: &[String]) -> Result<Vec<Column>, String> {
    let headers: Vec<Option<String>> = headers.iter().cloned().map(Some).collect();
    plan_partial(kind, &headers, false).map(|(columns, _)| columns)
}

/// The columns skipped by [`plan_partial`]: each one's position (from 0) and why.
pub type Skipped = Vec<(usize, String)>;

/// Plans every column of a header whose `None` columns are ignored (their cells go
/// nowhere); with `skip_unknown`, a column that cannot be planned is ignored too, and
/// listed with why (its position from 0). `Err` names the first bad column and why.
pub fn plan_partial(
    kind: Kind,
    headers: &[Option<String>],
    skip_unknown: bool,
) -> Result<(Vec<Column>, Skipped), String> {
    let mut columns = Vec::with_capacity(headers.len());
    let mut skipped = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        let Some(header) = header else {
            columns.push(ignored(""));
            continue;
        };
        let name = header.trim();
        if name.is_empty() {
            return Err(format!("column {} has no header", i + 1));
        }
        if is_annotation(name) {
            columns.push(ignored(name));
            continue;
        }
        let planned = match column(kind, name) {
            Ok(planned) => planned,
            Err(why) if skip_unknown => {
                skipped.push((i, why));
                columns.push(ignored(name));
                continue;
            }
            Err(why) => {
                return Err(format!(
                    "{why} (`cebulk columns --kind {kind}` lists the columns; --skip-unknown-columns imports the others)"
                ));
            }
        };
        if columns
            .iter()
            .any(|c: &Column| !c.steps.is_empty() && c.name == planned.name)
        {
            return Err(format!("column {name:?} appears twice"));
        }
        columns.push(planned);
    }
    mark_new_keys(&mut columns);
    let indexed = columns
        .iter()
        .any(|c| c.line_item_of.is_none() && c.steps.iter().any(|s| matches!(s, Step::Index(_))));
    let per_row = columns.iter().any(|c| c.line_item_of.is_some());
    if indexed && per_row {
        return Err(
            "line items are given both with indexes (products_set.0.…) and one per row (products_set.…); use one form"
                .into(),
        );
    }
    if per_row
        && !columns
            .iter()
            .any(|c| !c.steps.is_empty() && c.name == "request_unique_identifier")
    {
        return Err("line items one per row need a request_unique_identifier column".into());
    }
    Ok((columns, skipped))
}

/// A column whose cells go nowhere: no steps.
fn ignored(name: &str) -> Column {
    Column {
        name: name.to_owned(),
        steps: Vec::new(),
        line_item_of: None,
        new_keys: 0,
    }
}

/// Sets each column's [`Column::new_keys`].
fn mark_new_keys(columns: &mut [Column]) {
    for i in 0..columns.len() {
        let (before, rest) = columns.split_at_mut(i);
        let column = &mut rest[0];
        let mut new_keys = 0;
        for depth in 0..column.steps.len().min(64) {
            let prefix = &column.steps[..=depth];
            let seen = before.iter().any(|earlier| {
                earlier.line_item_of.is_some() == column.line_item_of.is_some()
                    && earlier.steps.starts_with(prefix)
            });
            if !seen && matches!(prefix[depth], Step::Key(_)) {
                new_keys |= 1 << depth;
            }
        }
        column.new_keys = new_keys;
    }
}

/// Plans the column `written` (matched ignoring ASCII case and surrounding spaces).
pub fn column(kind: Kind, written: &str) -> Result<Column, String> {
    let written = written.trim();
    let unknown = || {
        let closest = super::columns::closest(kind, written);
        let mean = match closest.as_slice() {
            [] => String::new(),
            names => format!(
                "; did you mean {}?",
                names
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        };
        format!("column {written:?} is not a parameter of {kind}{mean}")
    };
    let lowered = written.to_ascii_lowercase();
    let name = lowered.as_str();
    let mut parts = name.split('.');
    let mut fields: &'static [Field] = schema::fields(kind);
    let mut steps = Vec::new();
    let mut line_item_of = None;
    let mut part = parts.next();
    while let Some(current) = part {
        let field = fields
            .iter()
            .find(|f| f.name == current)
            .ok_or_else(unknown)?;
        steps.push(Step::Key(field.name));
        match field.ty {
            FieldType::Identifier(entity) => {
                let key = parts.next().ok_or_else(|| {
                    format!(
                        "column {written:?} needs the identifier field: {name}.{}",
                        entity.identifier_fields().join(&format!(" or {name}."))
                    )
                })?;
                let key = entity
                    .identifier_fields()
                    .iter()
                    .find(|f| **f == key)
                    .ok_or_else(unknown)?;
                steps.push(Step::Key(key));
                part = parts.next();
                if part.is_some() {
                    return Err(unknown());
                }
            }
            FieldType::Set(element) => {
                let next = parts.next().ok_or_else(unknown)?;
                match next.parse::<usize>() {
                    Ok(index) if index <= MAX_INDEX => {
                        steps.push(Step::Index(index));
                        part = parts.next();
                    }
                    Ok(_) => return Err(format!("column {written:?}: index above {MAX_INDEX}")),
                    Err(_) => {
                        if line_item_of.is_some() {
                            return Err(unknown());
                        }
                        line_item_of = Some(field.name);
                        steps.clear();
                        part = Some(next);
                    }
                }
                if part.is_none() {
                    return Err(unknown());
                }
                fields = element;
            }
            _ => {
                part = parts.next();
                if part.is_some() {
                    return Err(unknown());
                }
            }
        }
    }
    Ok(Column {
        name: name.to_owned(),
        steps,
        line_item_of,
        new_keys: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(kind: Kind, name: &str) -> Result<Column, String> {
        plan(kind, &[name.to_owned()]).map(|mut c| c.remove(0))
    }

    #[test]
    fn dotted_paths_map_to_steps() {
        let column = one(Kind::Purchases, "products_set.1.product_identifier.code");
        assert_eq!(
            column.map(|c| c.steps),
            Ok(vec![
                Step::Key("products_set"),
                Step::Index(1),
                Step::Key("product_identifier"),
                Step::Key("code")
            ])
        );
        let headers = ["request_unique_identifier", "products_set.net_amount"].map(String::from);
        let columns = plan(Kind::Purchases, &headers);
        assert_eq!(columns.map(|c| c[1].line_item_of), Ok(Some("products_set")));
        let alone = one(Kind::Purchases, "products_set.net_amount");
        assert!(alone.is_err_and(|e| e.contains("request_unique_identifier")));
    }

    #[test]
    fn typos_and_foreign_fields_are_errors_naming_the_column() {
        for bad in [
            "accounts_receivable_identifier.code",
            "accounts_receivable_identifier",
            "perfomed_on",
            "udf_string_9",
            "performed_on.x",
            "products_set",
        ] {
            let error = one(Kind::Achievements, bad).err().unwrap_or_default();
            assert!(error.contains(bad), "{bad}: {error}");
        }
        assert!(one(Kind::Purchases, "udf_string_16").is_ok());
    }

    /// Each column's `new_keys` under these headers.
    fn new_keys(headers: &[&str]) -> Vec<u64> {
        let headers: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
        plan(Kind::Purchases, &headers)
            .unwrap()
            .iter()
            .map(|c| c.new_keys)
            .collect()
    }

    #[test]
    fn a_key_is_new_only_in_the_first_column_of_its_object_that_reaches_it() {
        let masks = new_keys(&[
            "request_unique_identifier",
            "accounts_receivable_identifier.number",
            "products_set.0.product_identifier.code",
            "products_set.0.net_amount",
            "products_set.1.product_identifier.code",
            "performed_on",
        ]);
        assert_eq!(masks, [0b1, 0b11, 0b1101, 0b100, 0b1100, 0b1]);
        // Line items are objects of their own: the event's keys do not count there.
        let masks = new_keys(&[
            "request_unique_identifier",
            "products_set.net_amount",
            "products_set.vat_amount",
        ]);
        assert_eq!(masks, [0b1, 0b1, 0b1]);
    }

    #[test]
    fn both_line_item_forms_at_once_are_refused() {
        let headers = [
            "request_unique_identifier".to_owned(),
            "products_set.0.net_amount".to_owned(),
            "products_set.vat_amount".to_owned(),
        ];
        assert!(plan(Kind::Purchases, &headers).is_err());
    }
}
