//! The crate's files the tests read: `fixtures/` (the reference document, the requests of
//! each kind) and the data directories under `tests/`, with the names they use.

use serde_json::Value;

/// The reference entities, which are also the reference tables' names.
pub const ENTITIES: [&str; 10] = [
    "currencies",
    "units",
    "accounts_receivable",
    "rewards_participants",
    "classifications",
    "products",
    "payment_medium_brands",
    "payment_medium_types",
    "invoices",
    "key_performance_indicators",
];

/// The seven event kinds, in the seed's order.
pub const KINDS: [&str; 7] = [
    "achievements",
    "purchases",
    "referrals",
    "social_media",
    "web",
    "financial_achievements",
    "financial_statements",
];

/// The path of `relative` (e.g. `tests/store_v1/store.sql`) in the crate's directory.
pub fn crate_path(relative: &str) -> String {
    format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"))
}

/// The path of `relative` under `fixtures/`.
pub fn fixture(relative: &str) -> String {
    crate_path(&format!("fixtures/{relative}"))
}

/// The path of `fixtures/reference.json`.
pub fn reference() -> String {
    fixture("reference.json")
}

/// `fixtures/reference.json`, parsed.
pub fn reference_json() -> Value {
    serde_json::from_str(&std::fs::read_to_string(reference()).unwrap()).unwrap()
}

/// The id of the reference record of `entity` whose `field` is `value`, from
/// fixtures/reference.json.
pub fn reference_id(entity: &str, field: &str, value: &str) -> String {
    reference_json()[entity]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[field] == value)
        .unwrap_or_else(|| panic!("no {entity} with {field} {value} in reference.json"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Account numbers and product codes of fixtures/reference.json.
pub fn reference_names() -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(reference()).expect("fixtures/reference.json");
    let doc: Value = serde_json::from_str(&text).expect("reference.json is JSON");
    let names = |entity: &str, field: &str| -> Vec<String> {
        doc[entity]
            .as_array()
            .unwrap_or_else(|| panic!("no {entity} in reference.json"))
            .iter()
            .map(|r| r[field].as_str().unwrap().to_owned())
            .collect()
    };
    (
        names("accounts_receivable", "number"),
        names("products", "code"),
    )
}
