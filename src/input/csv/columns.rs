//! The CSV columns a kind accepts, as `cebulk columns` lists them and as an unknown
//! column's "did you mean" draws from: every parameter's path, line items in their
//! one-per-row form (`products_set.net_amount`), each identifier's fields as alternatives.

use crate::domain::kind::Kind;
use crate::domain::schema;
use crate::domain::schema::field::{Field, FieldType, Presence};

/// One column a kind accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// Its path (`accounts_receivable_identifier.number`).
    pub name: String,
    /// Whether an event must give it (for a line item's field: each line item must).
    pub presence: Presence,
    /// For an identifier's field: the identifier (`accounts_receivable_identifier`), whose
    /// fields are alternatives, one of which is enough.
    pub one_of: Option<String>,
}

/// Every column `kind` accepts, in the API page's order of its parameters.
pub fn accepted(kind: Kind) -> Vec<Accepted> {
    let mut out = Vec::new();
    add(&mut out, "", schema::fields(kind), Presence::Mandatory);
    out
}

fn add(out: &mut Vec<Accepted>, prefix: &str, fields: &[Field], parent: Presence) {
    for field in fields {
        let name = format!("{prefix}{}", field.name);
        // A line item's mandatory field is mandatory only as far as its set is.
        let presence = match (parent, field.presence) {
            (Presence::Mandatory, presence) => presence,
            (_, _) => Presence::Optional,
        };
        match field.ty {
            FieldType::Identifier(entity) => {
                out.extend(entity.identifier_fields().iter().map(|key| Accepted {
                    name: format!("{name}.{key}"),
                    presence,
                    one_of: Some(name.clone()),
                }));
            }
            FieldType::Set(element) => add(out, &format!("{name}."), element, presence),
            _ => out.push(Accepted {
                name,
                presence,
                one_of: None,
            }),
        }
    }
}

/// The accepted columns closest to `unknown` (at most three, closest first), as written
/// by the header: an indexed line-item column (`products_set.0.net_amont`) is compared and
/// suggested with its index.
pub fn closest(kind: Kind, unknown: &str) -> Vec<String> {
    let unknown = unknown.trim().to_ascii_lowercase();
    // `products_set.0.net_amont` is compared as `products_set.net_amont`, and suggestions
    // get the index back.
    let parts: Vec<&str> = unknown.split('.').collect();
    let index = parts
        .iter()
        .position(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let bare = match index {
        Some(i) => [&parts[..i], &parts[i + 1..]].concat().join("."),
        None => unknown.clone(),
    };
    let mut scored: Vec<(f64, String)> = accepted(kind)
        .into_iter()
        .map(|column| {
            let score = strsim::normalized_damerau_levenshtein(&bare, &column.name);
            (score, column.name)
        })
        .filter(|(score, _)| *score >= 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    // Only the names about as close as the closest: a clear winner comes alone.
    let best = scored.first().map_or(0.0, |(score, _)| *score);
    scored
        .into_iter()
        .take_while(|(score, _)| *score >= best - 0.05)
        .take(3)
        .map(|(_, name)| match index {
            Some(i) => {
                let mut parts: Vec<&str> = name.split('.').collect();
                if i <= parts.len() {
                    parts.insert(i, unknown.split('.').nth(i).unwrap_or("0"));
                }
                parts.join(".")
            }
            None => name,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_grouped_and_line_items_listed_per_row() {
        let columns = accepted(Kind::Purchases);
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names[0], "request_unique_identifier");
        assert!(names.contains(&"products_set.product_identifier.code"));
        assert!(names.contains(&"accounts_receivable_identifier.number"));
        let net = columns
            .iter()
            .find(|c| c.name == "products_set.net_amount")
            .map(|c| c.presence);
        assert_eq!(net, Some(Presence::Mandatory));
        let account: Vec<_> = columns
            .iter()
            .filter(|c| c.one_of.as_deref() == Some("accounts_receivable_identifier"))
            .collect();
        assert!(account.len() > 1);
    }

    #[test]
    fn near_misses_are_suggested_with_their_index() {
        assert_eq!(closest(Kind::Web, "webiste"), ["website"]);
        assert_eq!(
            closest(Kind::Purchases, "products_set.1.net_amont"),
            ["products_set.1.net_amount"]
        );
        assert!(closest(Kind::Web, "zzzzzzzz").is_empty());
    }
}
