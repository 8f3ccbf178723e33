//! `cebulk columns --kind K`: the CSV columns a kind accepts, one a line, each with whether
//! an event must give it and, for an identifier's fields, the identifier they are
//! alternatives of; `--template` writes a CSV header and one example row instead.

use crate::cli::fatal::{EXIT_OK, Fatal};
use crate::domain::kind::Kind;
use crate::domain::schema::field::Presence;
use crate::input::csv::columns::accepted;
use crate::report::destination::print;

/// The first event of each kind's example CSV in `fixtures/requests/`: a template that
/// imports against the fixtures' reference data (`tests/it/partner.rs` imports each).
const EXAMPLES: [(Kind, &str); 7] = [
    (
        Kind::Achievements,
        include_str!("../../fixtures/requests/achievements.csv"),
    ),
    (
        Kind::Purchases,
        include_str!("../../fixtures/requests/purchases.csv"),
    ),
    (
        Kind::Referrals,
        include_str!("../../fixtures/requests/referrals.csv"),
    ),
    (
        Kind::SocialMedia,
        include_str!("../../fixtures/requests/social_media.csv"),
    ),
    (Kind::Web, include_str!("../../fixtures/requests/web.csv")),
    (
        Kind::FinancialAchievements,
        include_str!("../../fixtures/requests/financial_achievements.csv"),
    ),
    (
        Kind::FinancialStatements,
        include_str!("../../fixtures/requests/financial_statements.csv"),
    ),
];

/// Prints the columns of `kind`, or its template.
pub fn run(kind: Kind, template: bool) -> Result<u8, Fatal> {
    let text = if template {
        self::template(kind)
    } else {
        listing(kind)
    };
    print(text.as_bytes())?;
    Ok(EXIT_OK)
}

/// One line a column: its path, then `mandatory`, `semi-optional` or `optional`, then, for
/// an identifier's field, `one of IDENTIFIER.*` (the lines of one identifier are together).
fn listing(kind: Kind) -> String {
    let columns = accepted(kind);
    let width = columns.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for column in columns {
        let presence = match column.presence {
            Presence::Mandatory => "mandatory",
            Presence::SemiOptional => "semi-optional",
            Presence::Optional => "optional",
        };
        let line = match &column.one_of {
            Some(identifier) => format!("{presence}, one of {identifier}.*"),
            None => presence.to_owned(),
        };
        out.push_str(&format!("{:width$}  {line}\n", column.name));
    }
    out
}

/// The header and first row of the kind's example, its request unique identifier made
/// recognisable as the template's.
fn template(kind: Kind) -> String {
    let example = EXAMPLES
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("", |(_, text)| text);
    let mut lines = example.lines();
    let header = lines.next().unwrap_or_default();
    let row = lines.next().unwrap_or_default();
    // Each example's first column is request_unique_identifier.
    let row = match row.split_once(',') {
        Some((_, rest)) => format!("template-1,{rest}"),
        None => row.to_owned(),
    };
    format!("{header}\n{row}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_starts_with_the_request_unique_identifier() {
        for kind in Kind::ALL {
            let text = template(kind);
            assert!(text.starts_with("request_unique_identifier,"), "{kind}");
            assert!(text.contains("\ntemplate-1,"), "{kind}");
            assert_eq!(text.lines().count(), 2, "{kind}");
        }
    }
}
