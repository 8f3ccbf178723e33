//! `GET /console/events`: the store's events with `cebulk events`' filters (request unique
//! identifier, account number, performed since and until), 50 a page, each reference
//! readable by the natural keys of its record, and how many events match.

use std::borrow::Cow;
use std::sync::Arc;

use axum::extract::{Query, State as Shared};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::layout;
use super::session::Session;
use crate::domain::values::Moment;
use crate::listing::decoded::for_each_cell;
use crate::serve::state::State;
use crate::store::error::StoreError;
use crate::store::listing::{self, Selection};
use crate::store::open::open_read_only;

/// Events a page.
const PAGE: u64 = 50;

/// The filters, as the form sends them.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct Filters {
    #[serde(default)]
    rid: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    page: String,
}

/// One event's cells.
#[derive(Debug, Default)]
struct Shown {
    number: String,
    kind: String,
    rid: String,
    account: String,
    unit: String,
    performed_on: String,
}

/// What the listing found.
struct Found {
    count: u64,
    events: Vec<Shown>,
    /// The account number filtered on is no account of the store's.
    unknown_account: bool,
}

/// The filters' query string for `page`.
fn query(filters: &Filters, page: u64) -> String {
    let pairs = [
        ("rid", filters.rid.as_str()),
        ("account", filters.account.as_str()),
        ("since", filters.since.as_str()),
        ("until", filters.until.as_str()),
    ];
    let mut text = String::from("/console/events?");
    for (name, value) in pairs {
        if !value.is_empty() {
            text.push_str(name);
            text.push('=');
            text.push_str(&percent(value));
            text.push('&');
        }
    }
    text.push_str(&format!("page={page}"));
    text
}

/// `text` percent-encoded for a query value: all but RFC 3986's unreserved characters.
fn percent(text: &str) -> String {
    const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, RESERVED).to_string()
}

/// A date filter, or what is wrong with it.
fn moment(name: &str, text: &str) -> Result<Option<Moment>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    Moment::parse(text.trim()).map(Some).ok_or_else(|| {
        format!(
            "{name} {text:?} is not a date: give YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, with an optional fraction (.250) and offset (Z, +02:00)"
        )
    })
}

/// Reads page `page` of the events `selection` picks.
fn find(
    store: &std::path::Path,
    selection: Selection,
    account: Option<String>,
    page: u64,
) -> Result<Found, String> {
    let opened = open_read_only(store).map_err(|e| e.to_string())?;
    read_page(&opened.conn, selection, account, page).map_err(|e| e.to_string())
}

/// [`find`] on an opened store.
fn read_page(
    conn: &rusqlite::Connection,
    mut selection: Selection,
    account: Option<String>,
    page: u64,
) -> Result<Found, StoreError> {
    let _snapshot = listing::snapshot(conn)?;
    let mut unknown_account = false;
    if let Some(number) = account {
        selection.account = listing::account(conn, &number)?;
        if selection.account.is_none() {
            unknown_account = true;
            selection.limit = Some(0);
        }
    }
    let count = listing::count(conn, &selection)?;
    let skip = (page - 1).saturating_mul(PAGE);
    selection.limit = Some(
        selection
            .limit
            .unwrap_or(u64::MAX)
            .min(skip.saturating_add(PAGE)),
    );
    let mut events = Vec::new();
    let mut passed = 0u64;
    listing::for_each_row(conn, &selection, |row, names| {
        if passed < skip {
            passed += 1;
            return Ok(Ok::<(), ()>(()));
        }
        let decoded = listing::decode(row, names)?;
        let mut shown = Shown {
            number: row.number.to_string(),
            kind: row.kind.name().to_owned(),
            ..Shown::default()
        };
        let mut account_name = String::new();
        for_each_cell(&decoded, |path, text: Cow<'_, str>| match path {
            "request_unique_identifier" => shown.rid = text.into_owned(),
            "performed_on" => shown.performed_on = text.into_owned(),
            "accounts_receivable_identifier.number" => shown.account = text.into_owned(),
            "accounts_receivable_identifier.name" => account_name = text.into_owned(),
            "performed_by_unit_identifier.name" => shown.unit = text.into_owned(),
            _ => {}
        });
        if !account_name.is_empty() {
            shown.account = if shown.account.is_empty() {
                account_name
            } else {
                format!("{} ({account_name})", shown.account)
            };
        }
        events.push(shown);
        Ok(Ok(()))
    })?
    .ok();
    Ok(Found {
        count,
        events,
        unknown_account,
    })
}

/// `GET /console/events`.
pub async fn show(
    Shared(state): Shared<Arc<State>>,
    session: Session,
    Query(filters): Query<Filters>,
) -> Response {
    let page = filters
        .page
        .parse::<u64>()
        .ok()
        .filter(|p| *p > 0)
        .unwrap_or(1);
    let dates = moment("since", &filters.since)
        .and_then(|since| moment("until", &filters.until).map(|until| (since, until)));
    let found = match dates {
        Err(message) => Err((StatusCode::BAD_REQUEST, message)),
        Ok((since, until)) => {
            let selection = Selection {
                kind: None,
                rid: Some(filters.rid.trim().to_owned()).filter(|r| !r.is_empty()),
                account: None,
                since,
                until,
                limit: None,
                seqs: None,
            };
            let account = Some(filters.account.trim().to_owned()).filter(|a| !a.is_empty());
            let store = state.config.store.clone();
            tokio::task::spawn_blocking(move || find(&store, selection, account, page))
                .await
                .map_err(|e| e.to_string())
                .and_then(|found| found)
                .map_err(|e| {
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("the store could not be read: {e}"),
                    )
                })
        }
    };
    let status = found
        .as_ref()
        .map_or_else(|(status, _)| *status, |_| StatusCode::OK);
    let body = html! {
        form #events-filter method="get" action="/console/events" {
            label for="rid" { "Request unique identifier" }
            input #rid type="text" name="rid" value=(filters.rid);
            label for="account" { "Account number" }
            input #account type="text" name="account" value=(filters.account);
            label for="since" { "Performed since" }
            input #since type="text" name="since" placeholder="2016-06-01" value=(filters.since);
            label for="until" { "Performed before" }
            input #until type="text" name="until" placeholder="2016-07-01" value=(filters.until);
            button #filter type="submit" { "Filter" }
        }
        @match &found {
            Err((_, message)) => p #error role="alert" { (message) },
            Ok(found) => {
                p { span #count { (found.count) } " matching events." }
                @if found.unknown_account {
                    p .hint { "The store's reference data has no account numbered " (filters.account) ", so no event is of it." }
                }
                table #events {
                    tr {
                        th { "Kind" } th { "Number" } th { "Request unique identifier" }
                        th { "Account" } th { "Unit" } th { "Performed on" }
                    }
                    @for event in &found.events {
                        tr .event {
                            td .kind { (event.kind) }
                            td .number { (event.number) }
                            td .rid { (event.rid) }
                            td .account { (event.account) }
                            td .unit { (event.unit) }
                            td .performed-on { (event.performed_on) }
                        }
                    }
                }
                p .pages {
                    @if page > 1 {
                        a #prev-page href=(query(&filters, page - 1)) { "Previous page" }
                        " "
                    }
                    @if page.saturating_mul(PAGE) < found.count {
                        a #next-page href=(query(&filters, page + 1)) { "Next page" }
                    }
                }
            }
        }
    };
    layout::respond(status, layout::page("Events", Some(&session), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_filters_encoded() {
        let filters = Filters {
            rid: "a b&c".into(),
            since: "2016-06-01".into(),
            ..Filters::default()
        };
        assert_eq!(
            query(&filters, 2),
            "/console/events?rid=a%20b%26c&since=2016-06-01&page=2"
        );
    }
}
