//! The per-event rules of docs/ERRORS.md through the real `cebulk` binary. For every code
//! (but the CSV-only `InconsistentEventRowsException`) the tests check the exact
//! `error_code` and the exact `error_description` (the template filled in), and that a valid
//! sibling event in the same document is processed, so each rule is shown to pick out only
//! the events that break it. Then ERRORS.md's precedence between the rules.
//!
//! Every test uses fresh stores in temporary directories and the reference document built
//! below (never the shared spec files). Where the spec leaves a text open (the
//! `{what is allowed}` sentence of `InvalidParameterValueException`), the tests pin the text
//! cebulk writes, since scripts and operators read it too.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::support::{KINDS, PROCESSED, Run, Store, UNPROCESSED};

// ---------------------------------------------------------------------------------------------
// Codes and description texts (docs/ERRORS.md)

const NOT_FOUND: &str = "NotFoundAPIValueException";
const REFERRED: &str = "ReferredByAnotherParticipantException";
const MISSING: &str = "MissingMandatoryParameterException";
const SEMI_OPTIONAL: &str = "SemiOptionalParameterException";
const UNKNOWN: &str = "UnknownParameterException";
const INVALID: &str = "InvalidParameterValueException";
const DUPLICATE_RUI: &str = "DuplicateRequestUniqueIdentifierException";
const CURRENCY_MISMATCH: &str = "IntendedCurrencyMismatchException";
const SELF_REFERRAL: &str = "SelfReferralException";
const CLASSIFICATION_TYPE: &str = "InvalidClassificationTypeException";
const MEDIUM_NOT_ALLOWED: &str = "PaymentMediumNotAllowedException";
const DUPLICATE_EXTERNAL: &str = "DuplicateExternalReferenceException";

fn not_found(word: &str, value: &str) -> String {
    format!(
        "Error:{word} ({value}) Not Found. - Description:The specified API value was not found."
    )
}

fn referred(number: &str) -> String {
    format!(
        "Error:Participant {number} Was Already Referred by Another Participant. - Description:The participant was already referred by another participant."
    )
}

fn missing(path: &str) -> String {
    format!(
        "Error:Mandatory Parameter ({path}) Is Missing. - Description:A mandatory parameter was not specified."
    )
}

fn semi_optional(paths: &[&str]) -> String {
    format!(
        "Error:Exactly One of ({}) Must Be Specified. - Description:It is mandatory to specify one of the semi-optional parameters; only one of them is allowed.",
        paths.join(", ")
    )
}

/// The account/participant group of every kind but referrals.
fn account_or_participant() -> String {
    semi_optional(&[
        "accounts_receivable_identifier",
        "rewards_participant_identifier",
    ])
}

fn unknown(path: &str) -> String {
    format!(
        "Error:Parameter ({path}) Is Not Supported. - Description:The method does not accept this parameter."
    )
}

fn invalid(value: &str, path: &str, allowed: &str) -> String {
    format!("Error:Invalid Value ({value}) for Parameter ({path}). - Description:{allowed}.")
}

// The `{what is allowed}` sentences cebulk writes (ERRORS.md leaves them open).
const MUST_BE_STRING: &str = "The value must be a string";
const MUST_BE_NUMBER: &str = "The value must be a decimal number of at most 28 significant digits";
const MUST_BE_DATE: &str = "The value must be a date YYYY-MM-DDTHH:MM:SS (optionally with fractional seconds and a Z or ±HH:MM offset) or YYYY-MM-DD";
const MUST_BE_POSITIVE: &str = "The quantity must be greater than zero";
const MUST_BE_ARRAY: &str = "The value must be an array of objects";
const MUST_BE_OBJECT: &str = "The value must be an object";

fn must_be_identifier(entity: Entity) -> String {
    format!(
        "The value must be an identifier object with one of: {}",
        entity.fields().join(", ")
    )
}

fn duplicate_rui(value: &str) -> String {
    format!(
        "Error:Request Unique Identifier ({value}) Is Not Unique. - Description:The request unique identifier must be unique within the request."
    )
}

fn currency_mismatch(intended: &str, unit: &str, unit_currency: &str) -> String {
    format!(
        "Error:Intended Currency ({intended}) Does Not Match Unit ({unit}) Currency ({unit_currency}). - Description:The intended currency must be the currency of the performing unit."
    )
}

fn self_referral(number: &str) -> String {
    format!(
        "Error:Participant {number} Cannot Refer Itself. - Description:The referred and the referring participant must be different."
    )
}

fn classification_type(name: &str, kind: &str) -> String {
    let (title, lower) = kind_words(kind);
    format!(
        "Error:Classification ({name}) Is Not a {title} Classification. - Description:Only {lower} classifications are allowed."
    )
}

fn medium_not_allowed(part: &str, name: &str, account: &str) -> String {
    format!(
        "Error:Payment Medium {part} ({name}) Is Not Allowed for Account ({account}). - Description:Only payment mediums allowed in the related accounts receivable can be specified."
    )
}

fn duplicate_external(value: &str, system: &str) -> String {
    format!(
        "Error:External System Reference Number ({value}) of System ({system}) Already Exists. - Description:The external reference must identify one customer event."
    )
}

// ---------------------------------------------------------------------------------------------
// Kinds, entities and identifier parameters (the seed's fields, src/model and src/entity.rs)

/// The kinds with the account/participant semi-optional group.
const GROUP_KINDS: [&str; 6] = [
    "achievements",
    "purchases",
    "social_media",
    "web",
    "financial_achievements",
    "financial_statements",
];

fn set_key(kind: &str) -> &'static str {
    match kind {
        "achievements" => "achievement_customer_events_set",
        "purchases" => "purchase_customer_events_set",
        "referrals" => "referral_customer_events_set",
        "social_media" => "social_media_customer_events_set",
        "web" => "web_customer_events_set",
        "financial_achievements" => "financial_achievement_customer_events_set",
        "financial_statements" => "financial_statement_customer_events_set",
        other => panic!("no kind {other}"),
    }
}

/// The title-case and lower-case words of `InvalidClassificationTypeException`.
fn kind_words(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "achievements" => ("Achievement", "achievement"),
        "purchases" => ("Purchase", "purchase"),
        "referrals" => ("Referral", "referral"),
        "social_media" => ("Social Media", "social media"),
        "web" => ("Web", "web"),
        "financial_achievements" => ("Financial Achievement", "financial achievement"),
        "financial_statements" => ("Financial Statement", "financial statement"),
        other => panic!("no kind {other}"),
    }
}

/// A reference entity, as the identifier objects and the not-found texts see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entity {
    Currency,
    Unit,
    Account,
    Participant,
    Classification,
    Product,
    Brand,
    MediumType,
    Invoice,
    Kpi,
}

impl Entity {
    /// The key of the reference document.
    fn key(self) -> &'static str {
        match self {
            Entity::Currency => "currencies",
            Entity::Unit => "units",
            Entity::Account => "accounts_receivable",
            Entity::Participant => "rewards_participants",
            Entity::Classification => "classifications",
            Entity::Product => "products",
            Entity::Brand => "payment_medium_brands",
            Entity::MediumType => "payment_medium_types",
            Entity::Invoice => "invoices",
            Entity::Kpi => "key_performance_indicators",
        }
    }

    /// The word of `NotFoundAPIValueException` (docs/spec.md §3).
    fn word(self) -> &'static str {
        match self {
            Entity::Currency => "Currency",
            Entity::Unit => "Unit",
            Entity::Account => "Account",
            Entity::Participant => "Rewards Participant",
            Entity::Classification => "Customer Event Classification",
            Entity::Product => "Product",
            Entity::Brand => "Payment Medium Brand",
            Entity::MediumType => "Payment Medium Type",
            Entity::Invoice => "Invoice",
            Entity::Kpi => "Key Performance Indicator",
        }
    }

    /// The fields an identifier object of the entity may name, in the seed's order.
    fn fields(self) -> &'static [&'static str] {
        match self {
            Entity::Currency => &["id", "code"],
            Entity::Unit
            | Entity::Classification
            | Entity::Brand
            | Entity::MediumType
            | Entity::Kpi => &["id", "name", "alternative_code"],
            Entity::Account => &["id", "number", "name"],
            Entity::Participant => &["id", "number"],
            Entity::Product => &["id", "code", "alternative_code"],
            Entity::Invoice => &["id", "number", "reference_number", "back_office_code"],
        }
    }

    /// A field the seed does not list for the entity's identifier objects.
    fn foreign_field(self) -> &'static str {
        match self {
            Entity::Account => "code",
            Entity::Participant => "name",
            Entity::Product => "name",
            Entity::Invoice => "name",
            Entity::Currency => "name",
            _ => "number",
        }
    }

    /// The field that names a record in this file's reference document.
    fn natural_key(self) -> &'static str {
        match self {
            Entity::Currency | Entity::Product => "code",
            Entity::Account | Entity::Participant | Entity::Invoice => "number",
            _ => "name",
        }
    }
}

const ACCOUNT: &str = "accounts_receivable_identifier";
const PARTICIPANT: &str = "rewards_participant_identifier";
const CLASSIFICATION: &str = "classification_identifier";
const UNIT: &str = "performed_by_unit_identifier";
const REFERRED_PARTICIPANT: &str = "referred_rewards_participant_identifier";
const REFERRING_PARTICIPANT: &str = "referred_by_rewards_participant_identifier";
const LINE_PRODUCT: &str = "products_set.0.product_identifier";
const KPI_LINE_KPI: &str =
    "measured_key_performance_indicators_set.0.key_performance_indicator_identifier";
const KPI_LINE_PRODUCT: &str = "measured_key_performance_indicators_set.0.product_identifier";

/// Every identifier parameter of `kind` (JSON path, entity), in the seed's field order.
fn identifier_parameters(kind: &str) -> Vec<(&'static str, Entity)> {
    let group = [
        (ACCOUNT, Entity::Account),
        (PARTICIPANT, Entity::Participant),
    ];
    let mut out: Vec<(&'static str, Entity)> = Vec::new();
    match kind {
        "achievements" | "social_media" | "web" => {
            out.extend(group);
            out.push((CLASSIFICATION, Entity::Classification));
            out.push((UNIT, Entity::Unit));
        }
        "purchases" => {
            out.extend(group);
            out.push((CLASSIFICATION, Entity::Classification));
            out.push((UNIT, Entity::Unit));
            out.push(("payment_medium_brand_identifier", Entity::Brand));
            out.push(("payment_medium_type_identifier", Entity::MediumType));
            out.push(("invoice_identifier", Entity::Invoice));
            out.push((LINE_PRODUCT, Entity::Product));
        }
        "referrals" => {
            out.push((CLASSIFICATION, Entity::Classification));
            out.push((UNIT, Entity::Unit));
            out.push((REFERRED_PARTICIPANT, Entity::Participant));
            out.push((REFERRING_PARTICIPANT, Entity::Participant));
        }
        "financial_achievements" => {
            out.extend(group);
            out.push((CLASSIFICATION, Entity::Classification));
            out.push(("product_identifier", Entity::Product));
            out.push(("payment_medium_type_identifier", Entity::MediumType));
            out.push(("payment_medium_brand_identifier", Entity::Brand));
            out.push((UNIT, Entity::Unit));
        }
        "financial_statements" => {
            out.extend(group);
            out.push((CLASSIFICATION, Entity::Classification));
            out.push((UNIT, Entity::Unit));
            out.push((KPI_LINE_KPI, Entity::Kpi));
            out.push((KPI_LINE_PRODUCT, Entity::Product));
        }
        other => panic!("no kind {other}"),
    }
    out
}

/// The mandatory top-level parameters of `kind` besides `request_unique_identifier`, in the
/// seed's order, with the entity of the identifier ones.
fn mandatory_parameters(kind: &str) -> Vec<(&'static str, Option<Entity>)> {
    let classification = (CLASSIFICATION, Some(Entity::Classification));
    let unit = (UNIT, Some(Entity::Unit));
    let on = ("performed_on", None);
    match kind {
        "achievements" | "financial_achievements" | "financial_statements" => {
            vec![classification, unit, on]
        }
        "purchases" => vec![unit, on, ("reference_number", None), ("products_set", None)],
        "referrals" => vec![
            unit,
            on,
            (REFERRED_PARTICIPANT, Some(Entity::Participant)),
            (REFERRING_PARTICIPANT, Some(Entity::Participant)),
        ],
        "social_media" => vec![
            unit,
            on,
            ("social_media", None),
            ("profile", None),
            ("action", None),
        ],
        "web" => vec![unit, on, ("website", None)],
        other => panic!("no kind {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Reference data

/// A 32-character id: `prefix`, then `n` padded with zeros.
fn id(prefix: &str, n: u32) -> String {
    format!("{prefix}{n:0>width$}", width = 32 - prefix.len())
}

/// The reference document every test loads, but the pool of [`pool_participant`]s.
fn reference_document() -> Value {
    json!({
        "currencies": [
            {"id": id("C", 1), "code": "EUR"},
            {"id": id("C", 2), "code": "USD"}
        ],
        "units": [
            {"id": id("B", 1), "name": "Admin Unit", "alternative_code": "ADM", "currency": "EUR"},
            {"id": id("B", 2), "name": "Shop Unit", "alternative_code": "SHP", "currency": "USD"}
        ],
        "accounts_receivable": [
            {"id": id("A", 20), "number": "ACR0000000020", "name": "Andreas Georgiou"},
            {"id": id("A", 50), "number": "ACR0000000050", "name": "Katerina Ioannou"},
            {"id": id("A", 77), "number": "ACR0000000077", "name": "Polina Demetriou",
             "payment_medium_types": ["Credit Card", "Cash"], "payment_medium_brands": ["VISA"]},
            {"id": id("A", 164), "number": "ACR0000000164", "name": "Maria Christodoulou"},
            {"id": id("A", 218), "number": "ACR0000000218", "name": "Nikos Constantinou",
             "payment_medium_types": ["Credit Card"], "payment_medium_brands": ["VISA"]},
            {"id": id("A", 226), "number": "ACR0000000226", "name": "Eleni Panayiotou"},
            {"id": id("A", 228), "number": "ACR0000000228", "name": "Costas Charalambous"},
            {"id": id("A", 300), "number": "ACR0000000300", "name": "Theodora Savva",
             "payment_medium_types": ["Cash"]}
        ],
        "rewards_participants": [
            {"id": id("D", 1), "number": "RP0000000001", "accounts_receivable": "ACR0000000020"},
            {"id": id("D", 4), "number": "RP0000000004", "accounts_receivable": "ACR0000000050",
             "referred_by": "RP0000000001"},
            {"id": id("D", 10), "number": "RP0000000010", "accounts_receivable": "ACR0000000164"},
            {"id": id("D", 12), "number": "RP0000000012", "accounts_receivable": "ACR0000000218"},
            {"id": id("D", 14), "number": "RP0000000014", "accounts_receivable": "ACR0000000226"},
            {"id": id("D", 17), "number": "RP0000000017", "accounts_receivable": "ACR0000000077"},
            {"id": id("D", 30), "number": "RP0000000030", "accounts_receivable": "ACR0000000300"}
        ],
        "classifications": [
            {"id": id("E", 1), "name": "Customer Feedback 3", "alternative_code": "CF3", "type": "achievements"},
            {"id": id("E", 2), "name": "Purchase 1", "alternative_code": "PUR1", "type": "purchases"},
            {"id": id("E", 3), "name": "Referral 1", "alternative_code": "REF1", "type": "referrals"},
            {"id": id("E", 4), "name": "Like 1", "alternative_code": "LIKE1", "type": "social_media"},
            {"id": id("E", 5), "name": "Website Visit 1", "alternative_code": "WEB1", "type": "web"},
            {"id": id("E", 6), "name": "Financial Achievement 1", "alternative_code": "FA1",
             "type": "financial_achievements"},
            {"id": id("E", 7), "name": "Financial Statement 1", "alternative_code": "FS1",
             "type": "financial_statements"}
        ],
        "products": [
            {"id": id("F", 1), "code": "Serendipity", "alternative_code": "SER"},
            {"id": id("F", 2), "code": "Bronze", "alternative_code": "BRZ"},
            {"id": id("F", 3), "code": "Silver", "alternative_code": "SLV"}
        ],
        "payment_medium_brands": [
            {"id": id("BB", 1), "name": "VISA", "alternative_code": "VS"},
            {"id": id("BB", 2), "name": "Mastercard", "alternative_code": "MC"}
        ],
        "payment_medium_types": [
            {"id": id("CC", 1), "name": "Credit Card", "alternative_code": "CC"},
            {"id": id("CC", 2), "name": "Cash", "alternative_code": "CSH"}
        ],
        "invoices": [
            {"id": id("DD", 1), "number": "INV0000001", "reference_number": "R-0001",
             "back_office_code": "BO-0001", "accounts_receivable": "ACR0000000077"},
            {"id": id("DD", 2), "number": "INV0000002", "reference_number": "R-0002",
             "back_office_code": "BO-0002", "accounts_receivable": "ACR0000000228"}
        ],
        "key_performance_indicators": [
            {"id": id("EE", 1), "name": "Monthly Spend", "alternative_code": "MSP"},
            {"id": id("EE", 2), "name": "Visits", "alternative_code": "VIS"}
        ]
    })
}

/// The participants that table-driven referral documents refer, one per event (none of them
/// referred in the reference data).
fn pool_participant(n: usize) -> String {
    format!("RP{:0>10}", 100 + n)
}

const POOL_SIZE: usize = 60;

/// [`reference_document`] with the pool of participants added.
fn reference() -> Value {
    let mut document = reference_document();
    let participants = document["rewards_participants"]
        .as_array_mut()
        .expect("participants");
    for n in 0..POOL_SIZE {
        let number = u32::try_from(100 + n).expect("small");
        participants.push(json!({
            "id": id("D", number),
            "number": pool_participant(n),
            "accounts_receivable": "ACR0000000020"
        }));
    }
    document
}

/// The reference record of `entity` whose natural key is `key`.
fn record(entity: Entity, key: &str) -> Map<String, Value> {
    reference()[entity.key()]
        .as_array()
        .expect("an entity array")
        .iter()
        .find(|r| r[entity.natural_key()] == key)
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("no {} {key} in the test reference", entity.key()))
        .clone()
}

/// The natural key of a known record that `parameter` of `kind` may name in a valid event.
fn known_key(kind: &str, parameter: &str, entity: Entity) -> &'static str {
    match (entity, parameter) {
        (Entity::Account, _) => "ACR0000000020",
        (Entity::Participant, REFERRED_PARTICIPANT) => "RP0000000017",
        (Entity::Participant, REFERRING_PARTICIPANT) => "RP0000000010",
        (Entity::Participant, _) => "RP0000000001",
        (Entity::Classification, _) => classification_of(kind),
        (Entity::Unit, _) => "Admin Unit",
        (Entity::Product, _) => "Bronze",
        (Entity::Brand, _) => "VISA",
        (Entity::MediumType, _) => "Credit Card",
        (Entity::Invoice, _) => "INV0000002",
        (Entity::Kpi, _) => "Visits",
        (Entity::Currency, _) => "EUR",
    }
}

/// The name of the classification whose type is `kind`.
fn classification_of(kind: &str) -> &'static str {
    match kind {
        "achievements" => "Customer Feedback 3",
        "purchases" => "Purchase 1",
        "referrals" => "Referral 1",
        "social_media" => "Like 1",
        "web" => "Website Visit 1",
        "financial_achievements" => "Financial Achievement 1",
        "financial_statements" => "Financial Statement 1",
        other => panic!("no kind {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Events and documents

/// A valid event of `kind` that resolves against [`reference`], with `rui` first.
fn valid(kind: &str, rui: &str) -> Value {
    let body = match kind {
        "achievements" => json!({
            "accounts_receivable_identifier": {"number": "ACR0000000020"},
            "classification_identifier": {"name": "Customer Feedback 3"},
            "performed_by_unit_identifier": {"name": "Admin Unit"},
            "performed_on": "2016-06-22T15:00:00"
        }),
        "purchases" => json!({
            "accounts_receivable_identifier": {"number": "ACR0000000228"},
            "performed_by_unit_identifier": {"name": "Admin Unit"},
            "performed_on": "2016-06-22T15:00:00",
            "reference_number": "RF01",
            "products_set": [
                {"product_identifier": {"code": "Serendipity"},
                 "net_amount": 50, "vat_amount": 10, "total_amount": 60},
                {"product_identifier": {"code": "Bronze"},
                 "net_amount": 160, "vat_amount": 20, "total_amount": 180}
            ]
        }),
        "referrals" => json!({
            "performed_by_unit_identifier": {"name": "Admin Unit"},
            "performed_on": "2016-06-22T15:00:00",
            "referred_rewards_participant_identifier": {"number": "RP0000000017"},
            "referred_by_rewards_participant_identifier": {"number": "RP0000000010"}
        }),
        "social_media" => json!({
            "accounts_receivable_identifier": {"number": "ACR0000000020"},
            "performed_by_unit_identifier": {"name": "Admin Unit"},
            "performed_on": "2016-06-22T15:00:00",
            "social_media": "FACEBOOK",
            "profile": "facebook.com/andreas",
            "action": "LIKE"
        }),
        "web" => json!({
            "accounts_receivable_identifier": {"number": "ACR0000000020"},
            "performed_by_unit_identifier": {"name": "Admin Unit"},
            "performed_on": "2016-06-22T15:00:00",
            "website": "www.crm.com"
        }),
        "financial_achievements" => json!({
            "accounts_receivable_identifier": {"number": "ACR0000000020"},
            "classification_identifier": {"name": "Financial Achievement 1"},
            "amount": 10.5,
            "performed_by_unit_identifier": {"name": "Admin Unit"},
            "performed_on": "2016-06-22T15:00:00"
        }),
        "financial_statements" => json!({
            "accounts_receivable_identifier": {"number": "ACR0000000020"},
            "classification_identifier": {"name": "Financial Statement 1"},
            "performed_by_unit_identifier": {"name": "Admin Unit"},
            "performed_on": "2016-06-22T15:00:00",
            "measured_key_performance_indicators_set": [
                {"key_performance_indicator_identifier": {"name": "Monthly Spend"}, "value": 120.5},
                {"key_performance_indicator_identifier": {"name": "Visits"}, "value": 3,
                 "product_identifier": {"code": "Bronze"}}
            ]
        }),
        other => panic!("no kind {other}"),
    };
    let mut event = Map::new();
    event.insert("request_unique_identifier".into(), json!(rui));
    event.extend(body.as_object().expect("an object").clone());
    Value::Object(event)
}

/// `event` with `path` (dotted, numeric parts index arrays) set to `value`.
fn with(mut event: Value, path: &str, value: Value) -> Value {
    let (parent, last) = split(path);
    let here = parent
        .into_iter()
        .fold(&mut event, |here, part| match part.parse::<usize>() {
            Ok(i) => &mut here[i],
            Err(_) => &mut here[part],
        });
    match last.parse::<usize>() {
        Ok(i) => here[i] = value,
        Err(_) => here[last] = value,
    }
    event
}

/// `event` without `path`, the other keys keeping their order.
fn without(mut event: Value, path: &str) -> Value {
    let (parent, last) = split(path);
    let here = parent
        .into_iter()
        .fold(&mut event, |here, part| match part.parse::<usize>() {
            Ok(i) => &mut here[i],
            Err(_) => &mut here[part],
        });
    here.as_object_mut()
        .unwrap_or_else(|| panic!("{path}: the parent is not an object"))
        .shift_remove(last);
    event
}

/// The value at `path` (Null when absent).
fn get<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(value, |here, part| {
        match part.parse::<usize>() {
            Ok(i) => here.get(i),
            Err(_) => here.get(part),
        }
        .unwrap_or(&Value::Null)
    })
}

fn split(path: &str) -> (Vec<&str>, &str) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().expect("a non-empty path");
    (parts, last)
}

/// `event` naming `parameter` by `{field: value}`; naming the participant drops the account.
fn naming(event: Value, parameter: &str, field: &str, value: &str) -> Value {
    let event = if parameter == PARTICIPANT {
        without(event, ACCOUNT)
    } else {
        event
    };
    with(event, parameter, json!({ field: value }))
}

fn document(kind: &str, events: Vec<Value>) -> Value {
    let mut doc = Map::new();
    doc.insert("token".into(), json!("t"));
    doc.insert(set_key(kind).into(), Value::Array(events));
    Value::Object(doc)
}

/// A JSON number from its text (`0.0`). serde_json writes exponents with a sign (`1e+400`).
fn number(text: &str) -> Value {
    serde_json::from_str(text).expect("a JSON number")
}

// ---------------------------------------------------------------------------------------------
// Running cebulk

/// A fresh store in a temporary directory, with the reference document beside it.
fn fresh_store() -> Store {
    let store = Store::new();
    store.file(
        "reference.json",
        serde_json::to_string_pretty(&reference()).expect("JSON"),
    );
    store
}

/// Imports of request documents with the reference document beside the store.
trait Requests {
    /// Imports `document` (written to a new file) with the reference document.
    fn import_document(&self, document: &Value) -> Run;

    /// Imports a request document given as text (written to a new file).
    fn import_text(&self, text: String) -> Run;
}

impl Requests for Store {
    fn import_document(&self, document: &Value) -> Run {
        self.import_text(serde_json::to_string_pretty(document).expect("JSON"))
    }

    fn import_text(&self, text: String) -> Run {
        let name = (1..)
            .map(|n| format!("request{n}.json"))
            .find(|name| !Path::new(&self.path(name)).exists())
            .expect("a free file name");
        let file = self.file(&name, &text);
        let reference = self.path("reference.json");
        let mut run = self.import(&["--quiet", "--reference", &reference, &file]);
        run.request = text;
        run
    }
}

/// What the report says of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Processed { id: String, number: String },
    Unprocessed { code: String, description: String },
}

/// What a test expects of one event.
#[derive(Debug, Clone)]
enum Expect {
    Processed,
    Error(&'static str, String),
}

fn error(code: &'static str, description: impl Into<String>) -> Expect {
    Expect::Error(code, description.into())
}

/// What a test reads of a report: the outcome of each event.
trait Outcomes {
    /// The report, which must hold both event sets.
    fn report(&self) -> Value;
    /// The entries of one event set.
    fn entries(&self, set: &str) -> Vec<Value>;
    /// Every outcome reported for the event whose request unique identifier is `rui`.
    fn outcomes(&self, rui: &Value) -> Vec<Outcome>;
    /// `None` when the one outcome of `rui` is `expect`, else what is wrong.
    fn mismatch(&self, rui: &str, expect: &Expect) -> Option<String>;
    /// Asserts the one outcome of `rui`.
    fn expect(&self, rui: &str, expect: &Expect);
    /// Asserts that `rui` is processed, and gives its id and number.
    fn processed(&self, rui: &str) -> (String, String);
    /// Asserts that `rui` is unprocessed with this code and description.
    fn unprocessed(&self, rui: &str, code: &'static str, description: &str);
}

impl Outcomes for Run {
    fn report(&self) -> Value {
        let report = self.json();
        assert!(
            report["data"][PROCESSED].is_array() && report["data"][UNPROCESSED].is_array(),
            "the report has no event sets\n{}",
            self.context()
        );
        report
    }

    fn entries(&self, set: &str) -> Vec<Value> {
        self.report()["data"][set]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn outcomes(&self, rui: &Value) -> Vec<Outcome> {
        let mut out = Vec::new();
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        for entry in self.entries(PROCESSED) {
            if entry["request_unique_identifier"] == *rui {
                out.push(Outcome::Processed {
                    id: text(&entry["id"]),
                    number: text(&entry["number"]),
                });
            }
        }
        for entry in self.entries(UNPROCESSED) {
            if entry["request_unique_identifier"] == *rui {
                out.push(Outcome::Unprocessed {
                    code: text(&entry["error_code"]),
                    description: text(&entry["error_description"]),
                });
            }
        }
        out
    }

    fn mismatch(&self, rui: &str, expect: &Expect) -> Option<String> {
        let outcomes = self.outcomes(&json!(rui));
        let ok = match (outcomes.as_slice(), expect) {
            ([Outcome::Processed { .. }], Expect::Processed) => true,
            ([Outcome::Unprocessed { code, description }], Expect::Error(c, d)) => {
                code == c && description == d
            }
            _ => false,
        };
        (!ok).then(|| format!("event {rui:?}: expected {expect:?}\n    got {outcomes:?}"))
    }

    fn expect(&self, rui: &str, expect: &Expect) {
        if let Some(problem) = self.mismatch(rui, expect) {
            panic!("{problem}\n{}", self.context());
        }
    }

    fn processed(&self, rui: &str) -> (String, String) {
        self.expect(rui, &Expect::Processed);
        match self.outcomes(&json!(rui)).as_slice() {
            [Outcome::Processed { id, number }] => (id.clone(), number.clone()),
            _ => unreachable!(),
        }
    }

    fn unprocessed(&self, rui: &str, code: &'static str, description: &str) {
        self.expect(rui, &error(code, description));
    }
}

/// One event of a table-driven test: its label (also its request unique identifier), the
/// event and what the report must say of it.
struct Case {
    label: String,
    event: Value,
    expect: Expect,
}

fn case(label: impl Into<String>, event: Value, expect: Expect) -> Case {
    let label = label.into();
    let event = with(event, "request_unique_identifier", json!(label));
    Case {
        label,
        event,
        expect,
    }
}

/// Imports `cases` of `kind` as one document, followed by a valid sibling event, into a fresh
/// store; returns the problems found (each case's outcome, the sibling, the exit status).
fn run_cases(kind: &str, cases: Vec<Case>) -> (Store, Run, Vec<String>) {
    run_cases_as(kind, cases, |text| text)
}

/// [`run_cases`] with the document's text passed through `rewrite` before the import.
fn run_cases_as(
    kind: &str,
    cases: Vec<Case>,
    rewrite: impl Fn(String) -> String,
) -> (Store, Run, Vec<String>) {
    let store = fresh_store();
    let mut events: Vec<Value> = cases.iter().map(|c| c.event.clone()).collect();
    events.push(valid(kind, "sibling"));
    if kind == "referrals" {
        // A participant is referred once: each event that refers the default participant
        // refers one of its own instead.
        let default = valid(kind, "")[REFERRED_PARTICIPANT].clone();
        let mut pool = (0..POOL_SIZE).map(pool_participant);
        for event in &mut events {
            if event[REFERRED_PARTICIPANT] == default {
                let number = pool.next().expect("a large enough pool");
                event[REFERRED_PARTICIPANT] = json!({ "number": number });
            }
        }
    }
    let text = serde_json::to_string_pretty(&document(kind, events)).expect("JSON");
    let run = store.import_text(rewrite(text));
    let mut problems: Vec<String> = cases
        .iter()
        .filter_map(|c| run.mismatch(&c.label, &c.expect))
        .map(|p| format!("[{kind}] {p}"))
        .collect();
    if let Some(p) = run.mismatch("sibling", &Expect::Processed) {
        problems.push(format!("[{kind}] the valid sibling: {p}"));
    }
    let any_unprocessed = cases.iter().any(|c| matches!(c.expect, Expect::Error(..)));
    let code = if any_unprocessed { 1 } else { 0 };
    if run.code != Some(code) {
        problems.push(format!(
            "[{kind}] exit status {:?}, expected {code}",
            run.code
        ));
    }
    (store, run, problems)
}

/// Runs [`run_cases`] for each kind's cases and fails with every problem at once.
fn check_all(tables: Vec<(&str, Vec<Case>)>) {
    let mut problems = Vec::new();
    let mut context = String::new();
    for (kind, cases) in tables {
        let (_store, run, found) = run_cases(kind, cases);
        if !found.is_empty() && context.is_empty() {
            context = run.context();
        }
        problems.extend(found);
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}\n\nfirst failing run:\n{context}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// NotFoundAPIValueException

#[test]
fn an_unknown_value_of_every_identifier_field_of_every_parameter_is_not_found() {
    let tables = KINDS
        .iter()
        .map(|kind| {
            let mut cases = Vec::new();
            for (parameter, entity) in identifier_parameters(kind) {
                for field in entity.fields() {
                    let value = format!("NOPE-{}", field.to_uppercase());
                    let event = naming(valid(kind, ""), parameter, field, &value);
                    cases.push(case(
                        format!("{parameter}.{field}"),
                        event,
                        error(NOT_FOUND, not_found(entity.word(), &value)),
                    ));
                }
            }
            (*kind, cases)
        })
        .collect();
    check_all(tables);
}

#[test]
fn a_known_value_of_every_identifier_field_of_every_parameter_resolves_to_its_record() {
    let mut problems = Vec::new();
    for kind in KINDS {
        // (label, parameter, event, the id it must resolve to)
        let mut cases: Vec<(String, &str, Value, Value)> = Vec::new();
        for (parameter, entity) in identifier_parameters(kind) {
            let record = record(entity, known_key(kind, parameter, entity));
            for field in entity.fields() {
                let value = record[*field].as_str().expect("a text field");
                let label = format!("{parameter}.{field}");
                let event = naming(valid(kind, &label), parameter, field, value);
                cases.push((label, parameter, event, record["id"].clone()));
            }
        }
        // Referrals name each participant once per store: one document (and store) per
        // case; the other kinds one document for all.
        let documents: Vec<Vec<(String, &str, Value, Value)>> = if kind == "referrals" {
            cases.into_iter().map(|c| vec![c]).collect()
        } else {
            vec![cases]
        };
        for cases in documents {
            let store = fresh_store();
            let events = cases.iter().map(|(_, _, e, _)| e.clone()).collect();
            let run = store.import_document(&document(kind, events));
            let listing = store.events(Some(kind));
            for (label, parameter, _, id) in cases {
                if let Some(p) = run.mismatch(&label, &Expect::Processed) {
                    problems.push(format!("[{kind}] {p}"));
                    continue;
                }
                let stored = listing
                    .iter()
                    .find(|e| e["request_unique_identifier"] == label.as_str());
                let resolved = stored.map(|e| get(e, parameter)["id"].clone());
                if resolved.as_ref() != Some(&id) {
                    problems.push(format!(
                        "[{kind}] event {label:?}: {parameter} resolved to {resolved:?}, expected {id}"
                    ));
                }
            }
            if run.code != Some(0) {
                problems.push(format!("[{kind}] exit status {:?}, expected 0", run.code));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn identifier_matching_is_exact() {
    let kind = "web";
    let base = || valid(kind, "");
    check_all(vec![(
        kind,
        vec![
            case(
                "lower-case unit name",
                with(base(), UNIT, json!({"name": "admin unit"})),
                error(NOT_FOUND, not_found("Unit", "admin unit")),
            ),
            case(
                "unit name with a trailing space",
                with(base(), UNIT, json!({"name": "Admin Unit "})),
                error(NOT_FOUND, not_found("Unit", "Admin Unit ")),
            ),
            case(
                "lower-case account id",
                with(base(), ACCOUNT, json!({"id": id("a", 20)})),
                error(NOT_FOUND, not_found("Account", &id("a", 20))),
            ),
            case(
                "account number prefix",
                with(base(), ACCOUNT, json!({"number": "ACR000000002"})),
                error(NOT_FOUND, not_found("Account", "ACR000000002")),
            ),
            // A value of another field of the same entity does not match.
            case(
                "account name given as number",
                with(base(), ACCOUNT, json!({"number": "Andreas Georgiou"})),
                error(NOT_FOUND, not_found("Account", "Andreas Georgiou")),
            ),
        ],
    )]);
}

#[test]
fn the_intended_currency_resolves_by_code_and_by_id() {
    let eur = record(Entity::Currency, "EUR");
    for identifier in [json!({"code": "EUR"}), json!({"id": eur["id"]})] {
        let store = fresh_store();
        let mut doc = document("purchases", vec![valid("purchases", "1")]);
        doc["intended_currency_identifier"] = identifier.clone();
        let run = store.import_document(&doc);
        run.processed("1");
        run.code(0);
    }
}

#[test]
fn an_unknown_intended_currency_makes_each_event_not_found() {
    for (identifier, value) in [
        (json!({"code": "GBP"}), "GBP".to_owned()),
        (json!({"id": id("C", 99)}), id("C", 99)),
        (json!({"code": "eur"}), "eur".to_owned()),
    ] {
        let store = fresh_store();
        let mut doc = document(
            "purchases",
            vec![valid("purchases", "1"), valid("purchases", "2")],
        );
        doc["intended_currency_identifier"] = identifier.clone();
        let run = store.import_document(&doc);
        for rui in ["1", "2"] {
            run.unprocessed(rui, NOT_FOUND, &not_found(Entity::Currency.word(), &value));
        }
        run.code(1);
        // The same events without the intended currency are processed.
        let run = store.import_document(&document(
            "purchases",
            vec![valid("purchases", "1"), valid("purchases", "2")],
        ));
        run.processed("1");
        run.processed("2");
    }
}

// ---------------------------------------------------------------------------------------------
// ReferredByAnotherParticipantException and SelfReferralException

fn referral(rui: &str, referred: Value, referring: Value) -> Value {
    with(
        with(valid("referrals", rui), REFERRED_PARTICIPANT, referred),
        REFERRING_PARTICIPANT,
        referring,
    )
}

fn rp(number: &str) -> Value {
    json!({ "number": number })
}

#[test]
fn a_participant_referred_in_the_reference_data_cannot_be_referred_again() {
    let store = fresh_store();
    let run = store.import_document(&document(
        "referrals",
        vec![
            referral("by number", rp("RP0000000004"), rp("RP0000000010")),
            // Named by id, the text still names the participant by number.
            referral("by id", json!({"id": id("D", 4)}), rp("RP0000000012")),
            // Referred again by the one who referred it: still already referred.
            referral("same referrer", rp("RP0000000004"), rp("RP0000000001")),
            referral("sibling", rp("RP0000000017"), rp("RP0000000010")),
        ],
    ));
    for rui in ["by number", "by id", "same referrer"] {
        run.unprocessed(rui, REFERRED, &referred("RP0000000004"));
    }
    run.processed("sibling");
    run.code(1);
}

#[test]
fn a_participant_referred_earlier_in_the_same_document_cannot_be_referred_again() {
    let store = fresh_store();
    let run = store.import_document(&document(
        "referrals",
        vec![
            referral("first", rp("RP0000000014"), rp("RP0000000012")),
            referral("second", rp("RP0000000014"), rp("RP0000000010")),
            referral("by id", json!({"id": id("D", 14)}), rp("RP0000000001")),
            referral("sibling", rp("RP0000000017"), rp("RP0000000014")),
        ],
    ));
    run.processed("first");
    run.unprocessed("second", REFERRED, &referred("RP0000000014"));
    run.unprocessed("by id", REFERRED, &referred("RP0000000014"));
    // The participant referred may itself refer another.
    run.processed("sibling");
    run.code(1);
}

#[test]
fn a_participant_referred_in_a_small_batch_earlier_in_the_run_cannot_be_referred_again() {
    let store = fresh_store();
    let doc = document(
        "referrals",
        vec![
            referral("first", rp("RP0000000014"), rp("RP0000000012")),
            referral("sibling", rp("RP0000000017"), rp("RP0000000010")),
            referral("second", rp("RP0000000014"), rp("RP0000000010")),
        ],
    );
    let file = store.path("batched.json");
    std::fs::write(&file, doc.to_string()).expect("writing");
    let reference = store.path("reference.json");
    let run = store.run(&[
        "import",
        "--quiet",
        "--batch-size",
        "1",
        "--reference",
        &reference,
        &file,
    ]);
    run.processed("first");
    run.processed("sibling");
    run.unprocessed("second", REFERRED, &referred("RP0000000014"));
}

#[test]
fn a_participant_referred_in_an_earlier_run_cannot_be_referred_again() {
    let store = fresh_store();
    let first = store.import_document(&document(
        "referrals",
        vec![referral("first", rp("RP0000000014"), rp("RP0000000012"))],
    ));
    let (id, number) = first.processed("first");
    first.code(0);

    let run = store.import_document(&document(
        "referrals",
        vec![
            referral("second", rp("RP0000000014"), rp("RP0000000010")),
            // Another event reusing the first one's identifier is a new event (README).
            referral("first", rp("RP0000000014"), rp("RP0000000001")),
            referral("sibling", rp("RP0000000017"), rp("RP0000000010")),
        ],
    ));
    run.unprocessed("second", REFERRED, &referred("RP0000000014"));
    run.unprocessed("first", REFERRED, &referred("RP0000000014"));
    run.processed("sibling");
    run.code(1);

    // Re-running the first document reports the referral as it was created.
    let again = store.import_document(&document(
        "referrals",
        vec![referral("first", rp("RP0000000014"), rp("RP0000000012"))],
    ));
    assert_eq!(
        again.processed("first"),
        (id, number),
        "{}",
        again.context()
    );
}

#[test]
fn a_participant_cannot_refer_itself() {
    let store = fresh_store();
    let run = store.import_document(&document(
        "referrals",
        vec![
            referral("by number", rp("RP0000000010"), rp("RP0000000010")),
            // The same participant named two ways.
            referral(
                "by id and number",
                json!({"id": id("D", 12)}),
                rp("RP0000000012"),
            ),
            // Already referred and referring itself: the participant is the same first.
            referral("already referred", rp("RP0000000004"), rp("RP0000000004")),
            referral("sibling", rp("RP0000000017"), rp("RP0000000010")),
        ],
    ));
    run.unprocessed("by number", SELF_REFERRAL, &self_referral("RP0000000010"));
    run.unprocessed(
        "by id and number",
        SELF_REFERRAL,
        &self_referral("RP0000000012"),
    );
    run.unprocessed(
        "already referred",
        SELF_REFERRAL,
        &self_referral("RP0000000004"),
    );
    run.processed("sibling");
    run.code(1);
}

// ---------------------------------------------------------------------------------------------
// MissingMandatoryParameterException

/// The ways of not giving `parameter` that count as absent, other than `""`.
fn absent_forms(event: &Value, parameter: &str, entity: Option<Entity>) -> Vec<(String, Value)> {
    let mut forms = vec![
        ("absent".to_owned(), without(event.clone(), parameter)),
        (
            "null".to_owned(),
            with(event.clone(), parameter, Value::Null),
        ),
    ];
    if let Some(entity) = entity {
        forms.push(("{}".to_owned(), with(event.clone(), parameter, json!({}))));
        let field = entity.fields()[1];
        forms.push((
            format!("{{{field}: null}}"),
            with(event.clone(), parameter, json!({ field: null })),
        ));
        forms.push((
            format!("{{{field}: \"\"}}"),
            with(event.clone(), parameter, json!({ field: "" })),
        ));
    }
    forms
}

#[test]
fn each_mandatory_parameter_of_each_kind_absent_or_null_is_missing() {
    let tables = KINDS
        .iter()
        .map(|kind| {
            let mut cases = Vec::new();
            for (parameter, entity) in mandatory_parameters(kind) {
                for (form, event) in absent_forms(&valid(kind, ""), parameter, entity) {
                    cases.push(case(
                        format!("{parameter} {form}"),
                        event,
                        error(MISSING, missing(parameter)),
                    ));
                }
            }
            (*kind, cases)
        })
        .collect();
    check_all(tables);
}

/// ERRORS.md: "a mandatory parameter is absent, null or empty"; README: "`null`, `""`, `[]`
/// count as not given".
#[test]
fn each_mandatory_parameter_of_each_kind_given_as_an_empty_string_is_missing() {
    let tables = KINDS
        .iter()
        .map(|kind| {
            let cases = mandatory_parameters(kind)
                .into_iter()
                .map(|(parameter, _)| {
                    case(
                        format!("{parameter} \"\""),
                        with(valid(kind, ""), parameter, json!("")),
                        error(MISSING, missing(parameter)),
                    )
                })
                .collect();
            (*kind, cases)
        })
        .collect();
    check_all(tables);
}

#[test]
fn a_missing_request_unique_identifier_is_missing() {
    for kind in KINDS {
        for form in [None, Some(Value::Null), Some(json!(""))] {
            let store = fresh_store();
            let event = match &form {
                None => without(valid(kind, ""), "request_unique_identifier"),
                Some(value) => with(valid(kind, ""), "request_unique_identifier", value.clone()),
            };
            let run = store.import_document(&document(kind, vec![event, valid(kind, "sibling")]));
            let unprocessed = run.entries("unprocessed_customer_events_set");
            let got: Vec<(&Value, &Value)> = unprocessed
                .iter()
                .map(|e| (&e["error_code"], &e["error_description"]))
                .collect();
            assert_eq!(
                got,
                [(
                    &json!(MISSING),
                    &json!(missing("request_unique_identifier"))
                )],
                "{kind}, request_unique_identifier {form:?}\n{}",
                run.context()
            );
            run.processed("sibling");
            run.code(1);
        }
    }
}

#[test]
fn purchases_need_a_non_empty_products_set() {
    let kind = "purchases";
    let base = || valid(kind, "");
    check_all(vec![(
        kind,
        vec![
            case(
                "absent",
                without(base(), "products_set"),
                error(MISSING, missing("products_set")),
            ),
            case(
                "null",
                with(base(), "products_set", Value::Null),
                error(MISSING, missing("products_set")),
            ),
            case(
                "empty array",
                with(base(), "products_set", json!([])),
                error(MISSING, missing("products_set")),
            ),
            case(
                "empty string",
                with(base(), "products_set", json!("")),
                error(MISSING, missing("products_set")),
            ),
        ],
    )]);
}

#[test]
fn each_mandatory_product_field_is_missing_when_absent_null_or_empty() {
    let kind = "purchases";
    let mut cases = Vec::new();
    for line in [0, 1] {
        for field in [
            "product_identifier",
            "net_amount",
            "vat_amount",
            "total_amount",
        ] {
            let path = format!("products_set.{line}.{field}");
            let entity = (field == "product_identifier").then_some(Entity::Product);
            for (form, event) in absent_forms(&valid(kind, ""), &path, entity) {
                cases.push(case(
                    format!("{path} {form}"),
                    event,
                    error(MISSING, missing(&path)),
                ));
            }
            cases.push(case(
                format!("{path} \"\""),
                with(valid(kind, ""), &path, json!("")),
                error(MISSING, missing(&path)),
            ));
        }
    }
    check_all(vec![(kind, cases)]);
}

#[test]
fn each_measured_kpi_field_of_a_financial_statement_is_mandatory() {
    let kind = "financial_statements";
    let mut cases = Vec::new();
    for line in [0, 1] {
        for field in ["key_performance_indicator_identifier", "value"] {
            let path = format!("measured_key_performance_indicators_set.{line}.{field}");
            let entity = (field != "value").then_some(Entity::Kpi);
            for (form, event) in absent_forms(&valid(kind, ""), &path, entity) {
                cases.push(case(
                    format!("{path} {form}"),
                    event,
                    error(MISSING, missing(&path)),
                ));
            }
            cases.push(case(
                format!("{path} \"\""),
                with(valid(kind, ""), &path, json!("")),
                error(MISSING, missing(&path)),
            ));
        }
    }
    // The set itself is optional (the seed does not mark it mandatory), and so is a line's
    // product.
    cases.push(case(
        "no measured KPIs",
        without(valid(kind, ""), "measured_key_performance_indicators_set"),
        Expect::Processed,
    ));
    cases.push(case(
        "no product on a line",
        without(valid(kind, ""), KPI_LINE_PRODUCT),
        Expect::Processed,
    ));
    check_all(vec![(kind, cases)]);
}

#[test]
fn optional_parameters_may_be_left_out() {
    let tables = KINDS
        .iter()
        .map(|kind| {
            let mut cases = vec![];
            if ["purchases", "referrals", "social_media", "web"].contains(kind) {
                cases.push(case(
                    "classification with null",
                    with(valid(kind, ""), CLASSIFICATION, Value::Null),
                    Expect::Processed,
                ));
            }
            if *kind == "purchases" {
                cases.push(case(
                    "no quantity",
                    without(valid(kind, ""), "products_set.0.quantity"),
                    Expect::Processed,
                ));
            }
            cases.push(case(
                "description null",
                with(valid(kind, ""), "description", Value::Null),
                Expect::Processed,
            ));
            (*kind, cases)
        })
        .collect();
    check_all(tables);
}

// ---------------------------------------------------------------------------------------------
// SemiOptionalParameterException

#[test]
fn exactly_one_of_the_account_and_the_participant_is_given() {
    let tables = GROUP_KINDS
        .iter()
        .map(|kind| {
            let base = || valid(kind, "");
            let participant = json!({"number": "RP0000000001"});
            let cases = vec![
                case(
                    "neither",
                    without(base(), ACCOUNT),
                    error(SEMI_OPTIONAL, account_or_participant()),
                ),
                case(
                    "both",
                    with(base(), PARTICIPANT, participant.clone()),
                    error(SEMI_OPTIONAL, account_or_participant()),
                ),
                case(
                    "both null",
                    with(with(base(), ACCOUNT, Value::Null), PARTICIPANT, Value::Null),
                    error(SEMI_OPTIONAL, account_or_participant()),
                ),
                case(
                    "participant only",
                    with(without(base(), ACCOUNT), PARTICIPANT, participant.clone()),
                    Expect::Processed,
                ),
                case(
                    "null account and a participant",
                    with(with(base(), ACCOUNT, Value::Null), PARTICIPANT, participant),
                    Expect::Processed,
                ),
                case(
                    "an account and a null participant",
                    with(base(), PARTICIPANT, Value::Null),
                    Expect::Processed,
                ),
            ];
            (*kind, cases)
        })
        .collect();
    check_all(tables);
}

/// README: "`null`, `""`, `[]` count as not given", so an account given as `""` beside a
/// participant is the participant alone.
#[test]
fn an_empty_string_account_beside_a_participant_counts_as_not_given() {
    let kind = "web";
    check_all(vec![(
        kind,
        vec![
            case(
                "empty account and a participant",
                with(
                    with(valid(kind, ""), ACCOUNT, json!("")),
                    PARTICIPANT,
                    json!({"number": "RP0000000001"}),
                ),
                Expect::Processed,
            ),
            case(
                "an account and an empty participant",
                with(valid(kind, ""), PARTICIPANT, json!("")),
                Expect::Processed,
            ),
            case(
                "both empty",
                with(
                    with(valid(kind, ""), ACCOUNT, json!("")),
                    PARTICIPANT,
                    json!(""),
                ),
                error(SEMI_OPTIONAL, account_or_participant()),
            ),
        ],
    )]);
}

#[test]
fn an_identifier_object_naming_two_fields_is_semi_optional() {
    let tables = KINDS
        .iter()
        .map(|kind| {
            let mut cases = Vec::new();
            for (parameter, entity) in identifier_parameters(kind) {
                let record = record(entity, known_key(kind, parameter, entity));
                let fields = entity.fields();
                let paths: Vec<String> =
                    fields.iter().map(|f| format!("{parameter}.{f}")).collect();
                let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
                // Two fields naming the same record, and all the fields.
                let two = json!({ fields[0]: record[fields[0]], fields[1]: record[fields[1]] });
                let all: Map<String, Value> = fields
                    .iter()
                    .map(|f| ((*f).to_owned(), record[*f].clone()))
                    .collect();
                for (form, object) in [("two fields", two), ("all fields", Value::Object(all))] {
                    let event = if parameter == PARTICIPANT {
                        without(valid(kind, ""), ACCOUNT)
                    } else {
                        valid(kind, "")
                    };
                    cases.push(case(
                        format!("{parameter} {form}"),
                        with(event, parameter, object),
                        error(SEMI_OPTIONAL, semi_optional(&paths)),
                    ));
                }
            }
            (*kind, cases)
        })
        .collect();
    check_all(tables);
}

#[test]
fn an_identifier_object_with_one_field_given_and_the_others_empty_names_one_record() {
    let kind = "web";
    check_all(vec![(
        kind,
        vec![
            case(
                "unit name with null id",
                with(
                    valid(kind, ""),
                    UNIT,
                    json!({"id": null, "name": "Admin Unit"}),
                ),
                Expect::Processed,
            ),
            case(
                "account number with empty name",
                with(
                    valid(kind, ""),
                    ACCOUNT,
                    json!({"number": "ACR0000000020", "name": ""}),
                ),
                Expect::Processed,
            ),
        ],
    )]);
}

/// README: "an identifier object with no field given is `MissingMandatoryParameterException`
/// when the parameter is mandatory, else `SemiOptionalParameterException`". The group named
/// is the identifier's own fields.
#[test]
fn an_optional_identifier_object_with_no_field_is_semi_optional() {
    let kind = "web";
    let paths = [
        "classification_identifier.id",
        "classification_identifier.name",
        "classification_identifier.alternative_code",
    ];
    check_all(vec![(
        kind,
        vec![
            case(
                "empty classification",
                with(valid(kind, ""), CLASSIFICATION, json!({})),
                error(SEMI_OPTIONAL, semi_optional(&paths)),
            ),
            case(
                "classification with only an empty name",
                with(valid(kind, ""), CLASSIFICATION, json!({"name": ""})),
                error(SEMI_OPTIONAL, semi_optional(&paths)),
            ),
        ],
    )]);
}

// ---------------------------------------------------------------------------------------------
// UnknownParameterException

#[test]
fn user_defined_fields_are_limited_to_the_numbers_of_the_seed() {
    let tables = KINDS
        .iter()
        .map(|kind| {
            let strings = if *kind == "purchases" { 16 } else { 8 };
            let base = || valid(kind, "");
            let last_string = format!("udf_string_{strings}");
            let next_string = format!("udf_string_{}", strings + 1);
            let cases = vec![
                case(
                    &last_string,
                    with(base(), &last_string, json!("x")),
                    Expect::Processed,
                ),
                case(
                    "udf_float_4",
                    with(base(), "udf_float_4", json!(1.25)),
                    Expect::Processed,
                ),
                case(
                    "udf_date_4",
                    with(base(), "udf_date_4", json!("2016-06-22")),
                    Expect::Processed,
                ),
                case(
                    &next_string,
                    with(base(), &next_string, json!("x")),
                    error(UNKNOWN, unknown(&next_string)),
                ),
                case(
                    "udf_float_5",
                    with(base(), "udf_float_5", json!(1)),
                    error(UNKNOWN, unknown("udf_float_5")),
                ),
                case(
                    "udf_date_5",
                    with(base(), "udf_date_5", json!("2016-06-22")),
                    error(UNKNOWN, unknown("udf_date_5")),
                ),
                case(
                    "udf_string_0",
                    with(base(), "udf_string_0", json!("x")),
                    error(UNKNOWN, unknown("udf_string_0")),
                ),
            ];
            (*kind, cases)
        })
        .collect();
    check_all(tables);
}

#[test]
fn udf_string_9_is_unknown_on_achievements_but_udf_string_16_is_accepted_on_purchases() {
    let store = fresh_store();
    let run = store.import_document(&document(
        "achievements",
        vec![
            with(valid("achievements", "9"), "udf_string_9", json!("x")),
            with(valid("achievements", "8"), "udf_string_8", json!("x")),
        ],
    ));
    run.unprocessed("9", UNKNOWN, &unknown("udf_string_9"));
    run.processed("8");
    run.code(1);

    let run = store.import_document(&document(
        "purchases",
        vec![with(valid("purchases", "16"), "udf_string_16", json!("x"))],
    ));
    run.processed("16");
    run.code(0);
}

#[test]
fn parameters_the_method_does_not_have_are_unknown() {
    let mut tables = Vec::new();
    for kind in KINDS {
        let mut cases = vec![
            case(
                "top-level colour",
                with(valid(kind, ""), "colour", json!("red")),
                error(UNKNOWN, unknown("colour")),
            ),
            case(
                "top-level null",
                with(valid(kind, ""), "colour", Value::Null),
                error(UNKNOWN, unknown("colour")),
            ),
            case(
                "token inside an event",
                with(valid(kind, ""), "token", json!("t")),
                error(UNKNOWN, unknown("token")),
            ),
        ];
        // A field the entity's identifier does not have, on every identifier parameter.
        for (parameter, entity) in identifier_parameters(kind) {
            let foreign = entity.foreign_field();
            let path = format!("{parameter}.{foreign}");
            let event = if parameter == PARTICIPANT {
                with(
                    without(valid(kind, ""), ACCOUNT),
                    parameter,
                    json!({ foreign: "X" }),
                )
            } else {
                with(valid(kind, ""), parameter, json!({ foreign: "X" }))
            };
            cases.push(case(path.clone(), event, error(UNKNOWN, unknown(&path))));
        }
        if kind == "purchases" {
            cases.push(case(
                "product line colour",
                with(valid(kind, ""), "products_set.1.colour", json!("red")),
                error(UNKNOWN, unknown("products_set.1.colour")),
            ));
        }
        if kind == "financial_statements" {
            cases.push(case(
                "kpi line colour",
                with(
                    valid(kind, ""),
                    "measured_key_performance_indicators_set.0.colour",
                    json!("red"),
                ),
                error(
                    UNKNOWN,
                    unknown("measured_key_performance_indicators_set.0.colour"),
                ),
            ));
        }
        if kind != "purchases" {
            cases.push(case(
                "products_set on another kind",
                with(
                    valid(kind, ""),
                    "products_set",
                    valid("purchases", "")["products_set"].clone(),
                ),
                error(UNKNOWN, unknown("products_set")),
            ));
        }
        tables.push((kind, cases));
    }
    check_all(tables);
}

#[test]
fn a_code_field_in_an_account_identifier_is_unknown() {
    let store = fresh_store();
    let run = store.import_document(&document(
        "achievements",
        vec![
            with(
                valid("achievements", "code"),
                ACCOUNT,
                json!({"code": "ACR0000000020"}),
            ),
            // Even beside a field the identifier does have.
            with(
                valid("achievements", "number and code"),
                ACCOUNT,
                json!({"number": "ACR0000000020", "code": "ACR0000000020"}),
            ),
            valid("achievements", "sibling"),
        ],
    ));
    for rui in ["code", "number and code"] {
        run.unprocessed(
            rui,
            UNKNOWN,
            &unknown("accounts_receivable_identifier.code"),
        );
    }
    run.processed("sibling");
}

// ---------------------------------------------------------------------------------------------
// InvalidParameterValueException

#[test]
fn values_of_the_wrong_type_are_invalid() {
    let achievement = "achievements";
    let purchase = "purchases";
    let a = || valid(achievement, "");
    let p = || valid(purchase, "");
    check_all(vec![
        (
            achievement,
            vec![
                case(
                    "number for a string",
                    with(a(), "description", json!(5)),
                    error(INVALID, invalid("5", "description", MUST_BE_STRING)),
                ),
                case(
                    "boolean for a string",
                    with(a(), "udf_string_1", json!(true)),
                    error(INVALID, invalid("true", "udf_string_1", MUST_BE_STRING)),
                ),
                case(
                    "array for a string",
                    with(a(), "external_system", json!(["a", "b"])),
                    error(
                        INVALID,
                        invalid(r#"["a","b"]"#, "external_system", MUST_BE_STRING),
                    ),
                ),
                case(
                    "string for a float",
                    with(a(), "udf_float_1", json!("1.5")),
                    error(INVALID, invalid("1.5", "udf_float_1", MUST_BE_NUMBER)),
                ),
                case(
                    "object for a date",
                    with(a(), "performed_on", json!({"date": "2016-06-22"})),
                    error(
                        INVALID,
                        invalid(r#"{"date":"2016-06-22"}"#, "performed_on", MUST_BE_DATE),
                    ),
                ),
                case(
                    "number for a date",
                    with(a(), "udf_date_1", json!(20160622)),
                    error(INVALID, invalid("20160622", "udf_date_1", MUST_BE_DATE)),
                ),
                case(
                    "string for an identifier",
                    with(a(), UNIT, json!("Admin Unit")),
                    error(
                        INVALID,
                        invalid("Admin Unit", UNIT, &must_be_identifier(Entity::Unit)),
                    ),
                ),
                case(
                    "number in an identifier",
                    with(a(), ACCOUNT, json!({"number": 20})),
                    error(
                        INVALID,
                        invalid(
                            "20",
                            "accounts_receivable_identifier.number",
                            MUST_BE_STRING,
                        ),
                    ),
                ),
            ],
        ),
        (
            purchase,
            vec![
                case(
                    "string for an amount",
                    with(p(), "products_set.0.net_amount", json!("50")),
                    error(
                        INVALID,
                        invalid("50", "products_set.0.net_amount", MUST_BE_NUMBER),
                    ),
                ),
                case(
                    "words for an amount",
                    with(p(), "products_set.1.total_amount", json!("ten")),
                    error(
                        INVALID,
                        invalid("ten", "products_set.1.total_amount", MUST_BE_NUMBER),
                    ),
                ),
                case(
                    "object for the products",
                    with(p(), "products_set", json!({"net_amount": 1})),
                    error(
                        INVALID,
                        invalid(r#"{"net_amount":1}"#, "products_set", MUST_BE_ARRAY),
                    ),
                ),
                case(
                    "string for a product line",
                    with(p(), "products_set.1", json!("Bronze")),
                    error(INVALID, invalid("Bronze", "products_set.1", MUST_BE_OBJECT)),
                ),
                case(
                    "string for a quantity",
                    with(p(), "products_set.0.quantity", json!("2")),
                    error(
                        INVALID,
                        invalid("2", "products_set.0.quantity", MUST_BE_NUMBER),
                    ),
                ),
            ],
        ),
        (
            "financial_achievements",
            vec![case(
                "string for the amount",
                with(valid("financial_achievements", ""), "amount", json!("10.5")),
                error(INVALID, invalid("10.5", "amount", MUST_BE_NUMBER)),
            )],
        ),
        (
            "financial_statements",
            vec![case(
                "string for a KPI value",
                with(
                    valid("financial_statements", ""),
                    "measured_key_performance_indicators_set.1.value",
                    json!("3"),
                ),
                error(
                    INVALID,
                    invalid(
                        "3",
                        "measured_key_performance_indicators_set.1.value",
                        MUST_BE_NUMBER,
                    ),
                ),
            )],
        ),
    ]);
}

/// README: "A string parameter given as a JSON number (`"request_unique_identifier": 221`)
/// is `InvalidParameterValueException`".
#[test]
fn a_request_unique_identifier_given_as_a_number_is_invalid() {
    let store = fresh_store();
    let event = with(valid("web", ""), "request_unique_identifier", json!(221));
    let run = store.import_document(&document("web", vec![event, valid("web", "sibling")]));
    let unprocessed = run.entries("unprocessed_customer_events_set");
    assert_eq!(unprocessed.len(), 1, "{}", run.context());
    assert_eq!(unprocessed[0]["error_code"], INVALID, "{}", run.context());
    assert_eq!(
        unprocessed[0]["error_description"],
        invalid("221", "request_unique_identifier", MUST_BE_STRING),
        "{}",
        run.context()
    );
    run.processed("sibling");
}

#[test]
fn every_documented_date_form_is_accepted_and_others_are_invalid() {
    let kind = "web";
    let mut cases = Vec::new();
    for date in [
        "2016-06-22T15:00:00",
        "2016-06-22T15:00:00.250",
        "2016-06-22T15:00:00Z",
        "2016-06-22T15:00:00+02:00",
        "2016-06-22T15:00:00.250-05:30",
        "2016-06-22",
    ] {
        cases.push(case(
            format!("performed_on {date}"),
            with(valid(kind, ""), "performed_on", json!(date)),
            Expect::Processed,
        ));
        cases.push(case(
            format!("udf_date_1 {date}"),
            with(valid(kind, ""), "udf_date_1", json!(date)),
            Expect::Processed,
        ));
    }
    for date in [
        "22/06/2016",
        "2016-13-22",
        "2016-02-30",
        "2016-06-22 15:00:00",
        "2016-06-22T25:00:00",
        "yesterday",
    ] {
        cases.push(case(
            format!("performed_on {date}"),
            with(valid(kind, ""), "performed_on", json!(date)),
            error(INVALID, invalid(date, "performed_on", MUST_BE_DATE)),
        ));
        cases.push(case(
            format!("udf_date_2 {date}"),
            with(valid(kind, ""), "udf_date_2", json!(date)),
            error(INVALID, invalid(date, "udf_date_2", MUST_BE_DATE)),
        ));
    }
    check_all(vec![(kind, cases)]);
}

#[test]
fn social_media_must_be_facebook_and_action_like() {
    let kind = "social_media";
    let base = || valid(kind, "");
    let facebook = "The value must be one of: FACEBOOK";
    let like = "The value must be one of: LIKE";
    check_all(vec![(
        kind,
        vec![
            case(
                "TWITTER",
                with(base(), "social_media", json!("TWITTER")),
                error(INVALID, invalid("TWITTER", "social_media", facebook)),
            ),
            case(
                "facebook in lower case",
                with(base(), "social_media", json!("facebook")),
                error(INVALID, invalid("facebook", "social_media", facebook)),
            ),
            case(
                "social_media as a number",
                with(base(), "social_media", json!(1)),
                error(INVALID, invalid("1", "social_media", facebook)),
            ),
            case(
                "SHARE",
                with(base(), "action", json!("SHARE")),
                error(INVALID, invalid("SHARE", "action", like)),
            ),
            case(
                "like in lower case",
                with(base(), "action", json!("like")),
                error(INVALID, invalid("like", "action", like)),
            ),
        ],
    )]);
}

#[test]
fn quantity_must_be_positive() {
    let kind = "purchases";
    let base = || valid(kind, "");
    check_all(vec![(
        kind,
        vec![
            case(
                "quantity 0",
                with(base(), "products_set.0.quantity", json!(0)),
                error(
                    INVALID,
                    invalid("0", "products_set.0.quantity", MUST_BE_POSITIVE),
                ),
            ),
            case(
                "quantity -1",
                with(base(), "products_set.1.quantity", json!(-1)),
                error(
                    INVALID,
                    invalid("-1", "products_set.1.quantity", MUST_BE_POSITIVE),
                ),
            ),
            case(
                "quantity 0.0",
                with(base(), "products_set.0.quantity", number("0.0")),
                error(
                    INVALID,
                    invalid("0.0", "products_set.0.quantity", MUST_BE_POSITIVE),
                ),
            ),
            case(
                "quantity 2",
                with(base(), "products_set.0.quantity", json!(2)),
                Expect::Processed,
            ),
            case(
                "quantity 0.5",
                with(base(), "products_set.0.quantity", json!(0.5)),
                Expect::Processed,
            ),
        ],
    )]);
}

#[test]
fn numbers_beyond_a_decimal_are_invalid() {
    let kind = "purchases";
    let base = || valid(kind, "");
    // The documents hold `1e400` as the caller wrote it (serde_json would write `1e+400`).
    let as_written = |text: String| text.replace("e+400", "e400");
    let tables = vec![
        (
            kind,
            vec![
                case(
                    "net_amount 1e400",
                    with(base(), "products_set.0.net_amount", number("1e400")),
                    error(
                        INVALID,
                        invalid("1e400", "products_set.0.net_amount", MUST_BE_NUMBER),
                    ),
                ),
                case(
                    "total_amount -1e400",
                    with(base(), "products_set.1.total_amount", number("-1e400")),
                    error(
                        INVALID,
                        invalid("-1e400", "products_set.1.total_amount", MUST_BE_NUMBER),
                    ),
                ),
                case(
                    "udf_float_1 1e400",
                    with(base(), "udf_float_1", number("1e400")),
                    error(INVALID, invalid("1e400", "udf_float_1", MUST_BE_NUMBER)),
                ),
                case(
                    "net_amount 1e2 is 100",
                    with(base(), "products_set.0.net_amount", number("1e2")),
                    Expect::Processed,
                ),
                case(
                    "negative amount",
                    with(base(), "products_set.0.vat_amount", json!(-10)),
                    Expect::Processed,
                ),
            ],
        ),
        (
            "financial_achievements",
            vec![case(
                "amount 1e400",
                with(
                    valid("financial_achievements", ""),
                    "amount",
                    number("1e400"),
                ),
                error(INVALID, invalid("1e400", "amount", MUST_BE_NUMBER)),
            )],
        ),
    ];
    let mut problems = Vec::new();
    for (kind, cases) in tables {
        let (_store, run, found) = run_cases_as(kind, cases, as_written);
        assert!(
            run.request.contains("1e400") && !run.request.contains("e+400"),
            "the request does not hold 1e400 as written\n{}",
            run.context()
        );
        problems.extend(found);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// DuplicateRequestUniqueIdentifierException

#[test]
fn a_request_unique_identifier_repeated_in_one_document_is_not_unique() {
    for kind in KINDS {
        let store = fresh_store();
        // A referral that differs from the first only in its referrer.
        let second = if kind == "referrals" {
            with(valid(kind, "1"), REFERRING_PARTICIPANT, rp("RP0000000012"))
        } else {
            with(valid(kind, "1"), "description", json!("another event"))
        };
        let other = if kind == "referrals" {
            referral("2", rp("RP0000000014"), rp("RP0000000010"))
        } else {
            valid(kind, "2")
        };
        let run = store.import_document(&document(
            kind,
            vec![valid(kind, "1"), valid(kind, "1"), second, other],
        ));
        let outcomes = run.outcomes(&json!("1"));
        let (id, number) = run.processed("2");
        let description = duplicate_rui("1");
        assert!(
            matches!(outcomes.as_slice(), [Outcome::Processed { .. }, dup1, dup2]
            if [dup1, dup2].iter().all(|d| **d == Outcome::Unprocessed {
                code: DUPLICATE_RUI.into(),
                description: description.clone(),
            })),
            "{kind}: the first event \"1\" processed, the two repeats not unique; got {outcomes:?}\n{}",
            run.context()
        );
        assert!(!id.is_empty() && number == "2", "{}", run.context());
        run.code(1);
        assert_eq!(store.events(Some(kind)).len(), 2, "{}", run.context());
    }
}

// ---------------------------------------------------------------------------------------------
// IntendedCurrencyMismatchException

#[test]
fn an_intended_currency_other_than_the_units_is_a_mismatch() {
    let store = fresh_store();
    let mut doc = document(
        "purchases",
        vec![
            with(
                valid("purchases", "shop"),
                UNIT,
                json!({"name": "Shop Unit"}),
            ),
            // The unit's name is in the text whichever field names the unit.
            with(
                valid("purchases", "shop by code"),
                UNIT,
                json!({"alternative_code": "SHP"}),
            ),
            valid("purchases", "admin"),
        ],
    );
    doc["intended_currency_identifier"] = json!({"code": "EUR"});
    let run = store.import_document(&doc);
    let text = currency_mismatch("EUR", "Shop Unit", "USD");
    run.unprocessed("shop", CURRENCY_MISMATCH, &text);
    run.unprocessed("shop by code", CURRENCY_MISMATCH, &text);
    run.processed("admin");
    run.code(1);

    // Named by id, the intended currency is still written by its code.
    let mut doc = document(
        "purchases",
        vec![
            valid("purchases", "admin"),
            with(valid("purchases", "shop"), UNIT, json!({"id": id("B", 2)})),
        ],
    );
    doc["intended_currency_identifier"] = json!({"id": id("C", 2)});
    let run = store.import_document(&doc);
    run.unprocessed(
        "admin",
        CURRENCY_MISMATCH,
        &currency_mismatch("USD", "Admin Unit", "EUR"),
    );
    run.processed("shop");

    // Without an intended currency any unit is fine.
    let run = store.import_document(&document(
        "purchases",
        vec![with(
            valid("purchases", "no intended"),
            UNIT,
            json!({"name": "Shop Unit"}),
        )],
    ));
    run.processed("no intended");
}

// ---------------------------------------------------------------------------------------------
// InvalidClassificationTypeException

#[test]
fn a_classification_of_another_kind_is_rejected_on_every_kind() {
    let tables = KINDS
        .iter()
        .map(|kind| {
            let mut cases = Vec::new();
            for other in KINDS.iter().filter(|o| *o != kind) {
                let name = classification_of(other);
                let alternative = record(Entity::Classification, name)["alternative_code"]
                    .as_str()
                    .expect("a code")
                    .to_owned();
                cases.push(case(
                    format!("{other} by name"),
                    with(valid(kind, ""), CLASSIFICATION, json!({ "name": name })),
                    error(CLASSIFICATION_TYPE, classification_type(name, kind)),
                ));
                // The text names the classification by name however it was identified.
                cases.push(case(
                    format!("{other} by alternative_code"),
                    with(
                        valid(kind, ""),
                        CLASSIFICATION,
                        json!({ "alternative_code": alternative }),
                    ),
                    error(CLASSIFICATION_TYPE, classification_type(name, kind)),
                ));
            }
            cases.push(case(
                "own kind",
                with(
                    valid(kind, ""),
                    CLASSIFICATION,
                    json!({ "name": classification_of(kind) }),
                ),
                Expect::Processed,
            ));
            (*kind, cases)
        })
        .collect();
    check_all(tables);
}

#[test]
fn an_achievements_classification_on_a_financial_achievement_is_the_seeds_text() {
    let store = fresh_store();
    let run = store.import_document(&document(
        "financial_achievements",
        vec![
            with(
                valid("financial_achievements", "1"),
                CLASSIFICATION,
                json!({"name": "Customer Feedback 3"}),
            ),
            valid("financial_achievements", "2"),
        ],
    ));
    run.unprocessed(
        "1",
        CLASSIFICATION_TYPE,
        "Error:Classification (Customer Feedback 3) Is Not a Financial Achievement Classification. - Description:Only financial achievement classifications are allowed.",
    );
    run.processed("2");
}

// ---------------------------------------------------------------------------------------------
// PaymentMediumNotAllowedException

fn financial_achievement(rui: &str, payer: (&str, Value), medium: &[(&str, Value)]) -> Value {
    let mut event = without(valid("financial_achievements", rui), ACCOUNT);
    event = with(event, payer.0, payer.1);
    for (parameter, value) in medium {
        event = with(event, parameter, value.clone());
    }
    event
}

const TYPE: &str = "payment_medium_type_identifier";
const BRAND: &str = "payment_medium_brand_identifier";

fn account(number: &str) -> (&'static str, Value) {
    (ACCOUNT, json!({ "number": number }))
}

fn participant(number: &str) -> (&'static str, Value) {
    (PARTICIPANT, json!({ "number": number }))
}

fn named(name: &str) -> Value {
    json!({ "name": name })
}

#[test]
fn a_payment_medium_not_allowed_on_the_account_is_rejected() {
    let kind = "financial_achievements";
    let restricted = "ACR0000000218"; // types: Credit Card; brands: VISA
    let cases = vec![
        case(
            "type Cash",
            financial_achievement("", account(restricted), &[(TYPE, named("Cash"))]),
            error(
                MEDIUM_NOT_ALLOWED,
                medium_not_allowed("Type", "Cash", restricted),
            ),
        ),
        case(
            "type by alternative code",
            financial_achievement(
                "",
                account(restricted),
                &[(TYPE, json!({"alternative_code": "CSH"}))],
            ),
            error(
                MEDIUM_NOT_ALLOWED,
                medium_not_allowed("Type", "Cash", restricted),
            ),
        ),
        case(
            "brand Mastercard",
            financial_achievement("", account(restricted), &[(BRAND, named("Mastercard"))]),
            error(
                MEDIUM_NOT_ALLOWED,
                medium_not_allowed("Brand", "Mastercard", restricted),
            ),
        ),
        case(
            "brand by id, account by name",
            financial_achievement(
                "",
                (ACCOUNT, json!({"name": "Nikos Constantinou"})),
                &[(BRAND, json!({"id": id("BB", 2)}))],
            ),
            error(
                MEDIUM_NOT_ALLOWED,
                medium_not_allowed("Brand", "Mastercard", restricted),
            ),
        ),
        // Type before brand, as the seed lists them for financial achievements.
        case(
            "type and brand",
            financial_achievement(
                "",
                account(restricted),
                &[(BRAND, named("Mastercard")), (TYPE, named("Cash"))],
            ),
            error(
                MEDIUM_NOT_ALLOWED,
                medium_not_allowed("Type", "Cash", restricted),
            ),
        ),
        case(
            "allowed type and brand",
            financial_achievement(
                "",
                account(restricted),
                &[(TYPE, named("Credit Card")), (BRAND, named("VISA"))],
            ),
            Expect::Processed,
        ),
        // An account restricting types only allows any brand.
        case(
            "types-only account, any brand",
            financial_achievement(
                "",
                account("ACR0000000300"),
                &[(TYPE, named("Cash")), (BRAND, named("Mastercard"))],
            ),
            Expect::Processed,
        ),
        case(
            "types-only account, other type",
            financial_achievement(
                "",
                account("ACR0000000300"),
                &[(TYPE, named("Credit Card"))],
            ),
            error(
                MEDIUM_NOT_ALLOWED,
                medium_not_allowed("Type", "Credit Card", "ACR0000000300"),
            ),
        ),
    ];
    check_all(vec![(kind, cases)]);
}

#[test]
fn any_payment_medium_is_allowed_on_an_account_without_restriction() {
    let kind = "financial_achievements";
    let free = "ACR0000000020";
    check_all(vec![(
        kind,
        vec![
            case(
                "Cash and Mastercard",
                financial_achievement(
                    "",
                    account(free),
                    &[(TYPE, named("Cash")), (BRAND, named("Mastercard"))],
                ),
                Expect::Processed,
            ),
            case(
                "Credit Card and VISA",
                financial_achievement(
                    "",
                    account(free),
                    &[(TYPE, named("Credit Card")), (BRAND, named("VISA"))],
                ),
                Expect::Processed,
            ),
            case(
                "via its participant",
                financial_achievement(
                    "",
                    participant("RP0000000001"),
                    &[(TYPE, named("Cash")), (BRAND, named("Mastercard"))],
                ),
                Expect::Processed,
            ),
            case(
                "restricted account, no medium",
                financial_achievement("", account("ACR0000000218"), &[]),
                Expect::Processed,
            ),
        ],
    )]);
}

#[test]
fn purchases_do_not_check_payment_mediums_against_the_account() {
    let kind = "purchases";
    check_all(vec![(
        kind,
        vec![case(
            "Cash and Mastercard on a restricted account",
            with(
                with(
                    with(valid(kind, ""), ACCOUNT, json!({"number": "ACR0000000218"})),
                    TYPE,
                    named("Cash"),
                ),
                BRAND,
                named("Mastercard"),
            ),
            Expect::Processed,
        )],
    )]);
}

/// docs/spec.md §3: "When the participant is given, the event's account is the participant's."
#[test]
fn the_participants_account_is_the_events_account() {
    let kind = "financial_achievements";
    check_all(vec![(
        kind,
        vec![
            case(
                "RP0000000012 (ACR0000000218) with Cash",
                financial_achievement("", participant("RP0000000012"), &[(TYPE, named("Cash"))]),
                error(
                    MEDIUM_NOT_ALLOWED,
                    medium_not_allowed("Type", "Cash", "ACR0000000218"),
                ),
            ),
            case(
                "RP0000000017 (ACR0000000077) with Mastercard, participant by id",
                financial_achievement(
                    "",
                    (PARTICIPANT, json!({"id": id("D", 17)})),
                    &[(BRAND, named("Mastercard"))],
                ),
                error(
                    MEDIUM_NOT_ALLOWED,
                    medium_not_allowed("Brand", "Mastercard", "ACR0000000077"),
                ),
            ),
            case(
                "RP0000000017 (ACR0000000077) with Cash and VISA",
                financial_achievement(
                    "",
                    participant("RP0000000017"),
                    &[(TYPE, named("Cash")), (BRAND, named("VISA"))],
                ),
                Expect::Processed,
            ),
        ],
    )]);
}

// ---------------------------------------------------------------------------------------------
// DuplicateExternalReferenceException

fn external(event: Value, system: Option<&str>, reference: &str) -> Value {
    let event = match system {
        Some(system) => with(event, "external_system", json!(system)),
        None => event,
    };
    with(event, "external_system_reference_number", json!(reference))
}

#[test]
fn an_external_reference_repeated_in_one_document_is_a_duplicate() {
    for kind in KINDS {
        let store = fresh_store();
        let event = |rui: &str| {
            if kind == "referrals" {
                // Each referral names participants not referred before.
                let (referred, referring) = match rui {
                    "1" => ("RP0000000017", "RP0000000010"),
                    "2" => ("RP0000000014", "RP0000000010"),
                    "3" => ("RP0000000012", "RP0000000010"),
                    "4" => ("RP0000000030", "RP0000000010"),
                    "5" => ("RP0000000001", "RP0000000010"),
                    _ => ("RP0000000010", "RP0000000001"),
                };
                referral(rui, rp(referred), rp(referring))
            } else {
                valid(kind, rui)
            }
        };
        let run = store.import_document(&document(
            kind,
            vec![
                external(event("1"), Some("SAP"), "EXT-1"),
                external(event("2"), Some("SAP"), "EXT-1"),
                // Another system, or another number: unique.
                external(event("3"), Some("CRM"), "EXT-1"),
                external(event("4"), Some("SAP"), "EXT-2"),
                // No system counts as the empty system.
                external(event("5"), None, "EXT-1"),
                external(event("6"), Some(""), "EXT-1"),
            ],
        ));
        run.processed("1");
        run.unprocessed("2", DUPLICATE_EXTERNAL, &duplicate_external("EXT-1", "SAP"));
        run.processed("3");
        run.processed("4");
        run.processed("5");
        run.unprocessed("6", DUPLICATE_EXTERNAL, &duplicate_external("EXT-1", ""));
        run.code(1);
    }
}

#[test]
fn an_external_reference_of_an_earlier_run_or_of_another_kind() {
    let store = fresh_store();
    let run = store.import_document(&document(
        "web",
        vec![external(valid("web", "1"), Some("SAP"), "EXT-9")],
    ));
    run.processed("1");
    // The same pair on another kind is another event's business.
    let run = store.import_document(&document(
        "achievements",
        vec![external(valid("achievements", "1"), Some("SAP"), "EXT-9")],
    ));
    run.processed("1");
    let run = store.import_document(&document(
        "web",
        vec![
            external(valid("web", "2"), Some("SAP"), "EXT-9"),
            external(valid("web", "3"), Some("SAP"), "EXT-10"),
            // A system without a reference number identifies nothing.
            with(valid("web", "4"), "external_system", json!("SAP")),
            with(valid("web", "5"), "external_system", json!("SAP")),
        ],
    ));
    run.unprocessed("2", DUPLICATE_EXTERNAL, &duplicate_external("EXT-9", "SAP"));
    run.processed("3");
    run.processed("4");
    run.processed("5");
}

// ---------------------------------------------------------------------------------------------
// Precedence (ERRORS.md: structure and types, mandatory and semi-optional parameters,
// duplicates in the batch, identifier resolution in document order, business rules)

#[test]
fn an_unknown_parameter_comes_before_a_missing_one() {
    let kind = "web";
    check_all(vec![(
        kind,
        vec![
            case(
                "unknown after the gap",
                with(without(valid(kind, ""), "website"), "colour", json!("red")),
                error(UNKNOWN, unknown("colour")),
            ),
            case(
                "unknown, missing unit and no account",
                with(
                    without(without(valid(kind, ""), UNIT), ACCOUNT),
                    "udf_string_9",
                    json!("x"),
                ),
                error(UNKNOWN, unknown("udf_string_9")),
            ),
            case(
                "unknown identifier field, missing website",
                with(
                    without(valid(kind, ""), "website"),
                    UNIT,
                    json!({"number": "1"}),
                ),
                error(UNKNOWN, unknown("performed_by_unit_identifier.number")),
            ),
        ],
    )]);
}

#[test]
fn a_wrong_type_comes_before_a_missing_parameter() {
    let kind = "web";
    check_all(vec![(
        kind,
        vec![case(
            "udf_float_1 as a string, no website",
            with(
                without(valid(kind, ""), "website"),
                "udf_float_1",
                json!("x"),
            ),
            error(INVALID, invalid("x", "udf_float_1", MUST_BE_NUMBER)),
        )],
    )]);
}

/// README: "Structure and types are checked in the caller's key order".
#[test]
fn structure_and_types_follow_the_callers_key_order() {
    let kind = "web";
    let mut unknown_first = Map::new();
    unknown_first.insert("colour".into(), json!("red"));
    unknown_first.extend(
        with(valid(kind, ""), "udf_float_1", json!("x"))
            .as_object()
            .expect("an object")
            .clone(),
    );
    check_all(vec![(
        kind,
        vec![
            case(
                "unknown key first",
                Value::Object(unknown_first),
                error(UNKNOWN, unknown("colour")),
            ),
            case(
                "wrong type first",
                with(
                    with(valid(kind, ""), "udf_float_1", json!("x")),
                    "colour",
                    json!("red"),
                ),
                error(INVALID, invalid("x", "udf_float_1", MUST_BE_NUMBER)),
            ),
        ],
    )]);
}

/// README: mandatory and semi-optional parameters are checked in the seed's field order.
#[test]
fn mandatory_and_semi_optional_parameters_follow_the_seeds_order() {
    let kind = "achievements";
    check_all(vec![(
        kind,
        vec![
            // The account group comes before the classification.
            case(
                "no account, no classification",
                without(without(valid(kind, ""), ACCOUNT), CLASSIFICATION),
                error(SEMI_OPTIONAL, account_or_participant()),
            ),
            // The classification comes before the unit, whatever the key order.
            case(
                "no unit, no classification",
                without(without(valid(kind, ""), UNIT), CLASSIFICATION),
                error(MISSING, missing(CLASSIFICATION)),
            ),
            case(
                "no performed_on, unit null",
                with(without(valid(kind, ""), "performed_on"), UNIT, Value::Null),
                error(MISSING, missing(UNIT)),
            ),
        ],
    )]);
    let kind = "purchases";
    check_all(vec![(
        kind,
        vec![case(
            "no reference_number, no product amount",
            without(
                without(valid(kind, ""), "reference_number"),
                "products_set.0.net_amount",
            ),
            error(MISSING, missing("reference_number")),
        )],
    )]);
}

/// Imports `events` of `kind` into a fresh store: of the two events "1", the first must be
/// processed and the second unprocessed with `code` and `description`; "sibling" must be
/// processed.
fn assert_first_processed_and_second_unprocessed(
    kind: &str,
    events: Vec<Value>,
    code: &str,
    description: String,
) {
    let store = fresh_store();
    let run = store.import_document(&document(kind, events));
    let outcomes = run.outcomes(&json!("1"));
    assert!(
        matches!(outcomes.as_slice(), [Outcome::Processed { .. }, second]
        if *second == Outcome::Unprocessed {
            code: code.into(),
            description: description.clone(),
        }),
        "got {outcomes:?}\n{}",
        run.context()
    );
    run.processed("sibling");
}

#[test]
fn a_missing_parameter_comes_before_a_repeated_request_unique_identifier() {
    assert_first_processed_and_second_unprocessed(
        "web",
        vec![
            valid("web", "1"),
            without(valid("web", "1"), "website"),
            valid("web", "sibling"),
        ],
        MISSING,
        missing("website"),
    );
}

#[test]
fn an_invalid_first_use_still_makes_a_later_event_with_its_identifier_a_duplicate() {
    let store = fresh_store();
    let run = store.import_document(&document(
        "web",
        vec![
            without(valid("web", "1"), "website"),
            valid("web", "1"),
            valid("web", "sibling"),
        ],
    ));
    let outcomes = run.outcomes(&json!("1"));
    assert_eq!(
        outcomes,
        [
            Outcome::Unprocessed {
                code: MISSING.into(),
                description: missing("website"),
            },
            Outcome::Unprocessed {
                code: DUPLICATE_RUI.into(),
                description: duplicate_rui("1"),
            },
        ],
        "{}",
        run.context()
    );
    run.processed("sibling");
}

#[test]
fn a_repeated_request_unique_identifier_comes_before_not_found() {
    assert_first_processed_and_second_unprocessed(
        "web",
        vec![
            valid("web", "1"),
            with(valid("web", "1"), ACCOUNT, json!({"number": "NOPE"})),
            valid("web", "sibling"),
        ],
        DUPLICATE_RUI,
        duplicate_rui("1"),
    );
}

#[test]
fn a_repeated_request_unique_identifier_comes_before_the_store_rules() {
    assert_first_processed_and_second_unprocessed(
        "referrals",
        vec![
            valid("referrals", "1"),
            // The same referral again: not unique, rather than already referred.
            valid("referrals", "1"),
            referral("sibling", rp("RP0000000014"), rp("RP0000000010")),
        ],
        DUPLICATE_RUI,
        duplicate_rui("1"),
    );
}

#[test]
fn the_first_unknown_identifier_in_the_seeds_order_is_reported() {
    // Unit before account in the caller's keys: the account still comes first.
    let mut unit_first = Map::new();
    unit_first.insert("request_unique_identifier".into(), json!(""));
    unit_first.insert(UNIT.into(), json!({"name": "NOPE-UNIT"}));
    unit_first.extend(
        with(valid("web", ""), ACCOUNT, json!({"number": "NOPE-ACCOUNT"}))
            .as_object()
            .expect("an object")
            .clone()
            .into_iter()
            .filter(|(k, _)| k != UNIT && k != "request_unique_identifier"),
    );
    check_all(vec![
        (
            "web",
            vec![
                case(
                    "account and unit, unit written first",
                    Value::Object(unit_first),
                    error(NOT_FOUND, not_found("Account", "NOPE-ACCOUNT")),
                ),
                case(
                    "participant and unit",
                    with(
                        with(without(valid("web", ""), ACCOUNT), UNIT, named("NOPE-UNIT")),
                        PARTICIPANT,
                        rp("NOPE-RP"),
                    ),
                    error(NOT_FOUND, not_found("Rewards Participant", "NOPE-RP")),
                ),
                case(
                    "classification and unit",
                    with(
                        with(valid("web", ""), UNIT, named("NOPE-UNIT")),
                        CLASSIFICATION,
                        named("NOPE-CLASS"),
                    ),
                    error(
                        NOT_FOUND,
                        not_found("Customer Event Classification", "NOPE-CLASS"),
                    ),
                ),
            ],
        ),
        (
            "purchases",
            vec![
                case(
                    "brand before type",
                    with(
                        with(valid("purchases", ""), TYPE, named("NOPE-TYPE")),
                        BRAND,
                        named("NOPE-BRAND"),
                    ),
                    error(NOT_FOUND, not_found("Payment Medium Brand", "NOPE-BRAND")),
                ),
                case(
                    "unit before a product",
                    with(
                        with(
                            valid("purchases", ""),
                            LINE_PRODUCT,
                            json!({"code": "NOPE-P"}),
                        ),
                        UNIT,
                        named("NOPE-UNIT"),
                    ),
                    error(NOT_FOUND, not_found("Unit", "NOPE-UNIT")),
                ),
                case(
                    "invoice before a product",
                    with(
                        with(
                            valid("purchases", ""),
                            LINE_PRODUCT,
                            json!({"code": "NOPE-P"}),
                        ),
                        "invoice_identifier",
                        json!({"number": "NOPE-INV"}),
                    ),
                    error(NOT_FOUND, not_found("Invoice", "NOPE-INV")),
                ),
                case(
                    "first product line before the second",
                    with(
                        with(
                            valid("purchases", ""),
                            "products_set.1.product_identifier",
                            json!({"code": "NOPE-P2"}),
                        ),
                        LINE_PRODUCT,
                        json!({"code": "NOPE-P1"}),
                    ),
                    error(NOT_FOUND, not_found("Product", "NOPE-P1")),
                ),
            ],
        ),
        (
            "financial_achievements",
            vec![
                case(
                    "product before type before brand before unit",
                    with(
                        with(
                            with(
                                with(
                                    valid("financial_achievements", ""),
                                    UNIT,
                                    named("NOPE-UNIT"),
                                ),
                                BRAND,
                                named("NOPE-BRAND"),
                            ),
                            TYPE,
                            named("NOPE-TYPE"),
                        ),
                        "product_identifier",
                        json!({"code": "NOPE-P"}),
                    ),
                    error(NOT_FOUND, not_found("Product", "NOPE-P")),
                ),
                case(
                    "type before brand",
                    with(
                        with(
                            valid("financial_achievements", ""),
                            BRAND,
                            named("NOPE-BRAND"),
                        ),
                        TYPE,
                        named("NOPE-TYPE"),
                    ),
                    error(NOT_FOUND, not_found("Payment Medium Type", "NOPE-TYPE")),
                ),
            ],
        ),
        (
            "financial_statements",
            vec![case(
                "a line's KPI before its product",
                with(
                    with(
                        valid("financial_statements", ""),
                        KPI_LINE_PRODUCT,
                        json!({"code": "NOPE-P"}),
                    ),
                    KPI_LINE_KPI,
                    named("NOPE-KPI"),
                ),
                error(
                    NOT_FOUND,
                    not_found("Key Performance Indicator", "NOPE-KPI"),
                ),
            )],
        ),
        (
            "referrals",
            vec![case(
                "referred before referrer",
                referral("", rp("NOPE-1"), rp("NOPE-2")),
                error(NOT_FOUND, not_found("Rewards Participant", "NOPE-1")),
            )],
        ),
    ]);
}

#[test]
fn not_found_comes_before_the_business_rules() {
    check_all(vec![
        (
            "financial_achievements",
            vec![
                // The classification resolves but has the wrong type; the unit is unknown.
                case(
                    "wrong classification, unknown unit",
                    with(
                        with(
                            valid("financial_achievements", ""),
                            CLASSIFICATION,
                            named("Customer Feedback 3"),
                        ),
                        UNIT,
                        named("NOPE-UNIT"),
                    ),
                    error(NOT_FOUND, not_found("Unit", "NOPE-UNIT")),
                ),
                case(
                    "medium not allowed, unknown unit",
                    with(
                        financial_achievement(
                            "",
                            account("ACR0000000218"),
                            &[(TYPE, named("Cash"))],
                        ),
                        UNIT,
                        named("NOPE-UNIT"),
                    ),
                    error(NOT_FOUND, not_found("Unit", "NOPE-UNIT")),
                ),
            ],
        ),
        (
            "referrals",
            vec![
                case(
                    "self-referral, unknown unit",
                    with(
                        referral("", rp("RP0000000010"), rp("RP0000000010")),
                        UNIT,
                        named("NOPE-UNIT"),
                    ),
                    error(NOT_FOUND, not_found("Unit", "NOPE-UNIT")),
                ),
                case(
                    "already referred, unknown classification",
                    with(
                        referral("", rp("RP0000000004"), rp("RP0000000010")),
                        CLASSIFICATION,
                        named("NOPE-CLASS"),
                    ),
                    error(
                        NOT_FOUND,
                        not_found("Customer Event Classification", "NOPE-CLASS"),
                    ),
                ),
            ],
        ),
    ]);

    // Purchases: a unit of another currency and an unknown product.
    let store = fresh_store();
    let mut doc = document(
        "purchases",
        vec![
            with(
                with(valid("purchases", "1"), UNIT, named("Shop Unit")),
                LINE_PRODUCT,
                json!({"code": "NOPE-P"}),
            ),
            valid("purchases", "sibling"),
        ],
    );
    doc["intended_currency_identifier"] = json!({"code": "EUR"});
    let run = store.import_document(&doc);
    run.unprocessed("1", NOT_FOUND, &not_found("Product", "NOPE-P"));
    run.processed("sibling");
}

#[test]
fn the_classification_type_comes_before_the_kinds_own_rules() {
    check_all(vec![(
        "financial_achievements",
        vec![case(
            "wrong classification, medium not allowed",
            with(
                financial_achievement("", account("ACR0000000218"), &[(TYPE, named("Cash"))]),
                CLASSIFICATION,
                named("Customer Feedback 3"),
            ),
            error(
                CLASSIFICATION_TYPE,
                classification_type("Customer Feedback 3", "financial_achievements"),
            ),
        )],
    )]);
}
