//! The error codes of ERRORS.md and their texts: the single source of truth for what
//! `error_code`, `error_description` and a rejected request's `status.code` say.
//!
//! Scripts match on these strings; change one only together with docs/ERRORS.md (a test
//! checks that every code and template here appears there).

use std::fmt;

use crate::domain::entity::Entity;
use crate::domain::kind::Kind;

/// A per-event error code (`unprocessed_customer_events_set[].error_code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventCode {
    /// An identifier matches no record.
    NotFoundApiValue,
    /// The referred participant was already referred.
    ReferredByAnotherParticipant,
    /// A mandatory parameter is absent, null or empty.
    MissingMandatoryParameter,
    /// None, or more than one, of a semi-optional group is given.
    SemiOptionalParameter,
    /// A parameter the method does not have.
    UnknownParameter,
    /// A value of the wrong type or outside its allowed set.
    InvalidParameterValue,
    /// A request unique identifier used earlier in the same batch.
    DuplicateRequestUniqueIdentifier,
    /// Purchases: the intended currency is not the performing unit's.
    IntendedCurrencyMismatch,
    /// Referrals: a participant refers itself.
    SelfReferral,
    /// The classification's type is not the event's kind.
    InvalidClassificationType,
    /// Financial achievements: payment medium not allowed on the account.
    PaymentMediumNotAllowed,
    /// Another event of the kind has the same external reference.
    DuplicateExternalReference,
    /// CSV line-item rows of one event disagree.
    InconsistentEventRows,
}

impl EventCode {
    /// Every code, in ERRORS.md's order.
    pub const ALL: [EventCode; 13] = [
        EventCode::NotFoundApiValue,
        EventCode::ReferredByAnotherParticipant,
        EventCode::MissingMandatoryParameter,
        EventCode::SemiOptionalParameter,
        EventCode::UnknownParameter,
        EventCode::InvalidParameterValue,
        EventCode::DuplicateRequestUniqueIdentifier,
        EventCode::IntendedCurrencyMismatch,
        EventCode::SelfReferral,
        EventCode::InvalidClassificationType,
        EventCode::PaymentMediumNotAllowed,
        EventCode::DuplicateExternalReference,
        EventCode::InconsistentEventRows,
    ];

    /// The code as the report writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventCode::NotFoundApiValue => "NotFoundAPIValueException",
            EventCode::ReferredByAnotherParticipant => "ReferredByAnotherParticipantException",
            EventCode::MissingMandatoryParameter => "MissingMandatoryParameterException",
            EventCode::SemiOptionalParameter => "SemiOptionalParameterException",
            EventCode::UnknownParameter => "UnknownParameterException",
            EventCode::InvalidParameterValue => "InvalidParameterValueException",
            EventCode::DuplicateRequestUniqueIdentifier => {
                "DuplicateRequestUniqueIdentifierException"
            }
            EventCode::IntendedCurrencyMismatch => "IntendedCurrencyMismatchException",
            EventCode::SelfReferral => "SelfReferralException",
            EventCode::InvalidClassificationType => "InvalidClassificationTypeException",
            EventCode::PaymentMediumNotAllowed => "PaymentMediumNotAllowedException",
            EventCode::DuplicateExternalReference => "DuplicateExternalReferenceException",
            EventCode::InconsistentEventRows => "InconsistentEventRowsException",
        }
    }

    /// The description template of ERRORS.md, `{…}` marking what is filled in.
    pub fn template(self) -> &'static str {
        match self {
            EventCode::NotFoundApiValue => {
                "Error:{Entity} ({value}) Not Found. - Description:The specified API value was not found."
            }
            EventCode::ReferredByAnotherParticipant => {
                "Error:Participant {number} Was Already Referred by Another Participant. - Description:The participant was already referred by another participant."
            }
            EventCode::MissingMandatoryParameter => {
                "Error:Mandatory Parameter ({path}) Is Missing. - Description:A mandatory parameter was not specified."
            }
            EventCode::SemiOptionalParameter => {
                "Error:Exactly One of ({a}, {b}, …) Must Be Specified. - Description:It is mandatory to specify one of the semi-optional parameters; only one of them is allowed."
            }
            EventCode::UnknownParameter => {
                "Error:Parameter ({path}) Is Not Supported. - Description:The method does not accept this parameter."
            }
            EventCode::InvalidParameterValue => {
                "Error:Invalid Value ({value}) for Parameter ({path}). - Description:{what is allowed}."
            }
            EventCode::DuplicateRequestUniqueIdentifier => {
                "Error:Request Unique Identifier ({value}) Is Not Unique. - Description:The request unique identifier must be unique within the request."
            }
            EventCode::IntendedCurrencyMismatch => {
                "Error:Intended Currency ({code}) Does Not Match Unit ({unit}) Currency ({code}). - Description:The intended currency must be the currency of the performing unit."
            }
            EventCode::SelfReferral => {
                "Error:Participant {number} Cannot Refer Itself. - Description:The referred and the referring participant must be different."
            }
            EventCode::InvalidClassificationType => {
                "Error:Classification ({name}) Is Not a {Kind} Classification. - Description:Only {kind} classifications are allowed."
            }
            EventCode::PaymentMediumNotAllowed => {
                "Error:Payment Medium {Type or Brand} ({name}) Is Not Allowed for Account ({number}). - Description:Only payment mediums allowed in the related accounts receivable can be specified."
            }
            EventCode::DuplicateExternalReference => {
                "Error:External System Reference Number ({value}) of System ({system}) Already Exists. - Description:The external reference must identify one customer event."
            }
            EventCode::InconsistentEventRows => {
                "Error:Rows of Request ({value}) Disagree on ({path}). - Description:Line-item rows of one event must repeat the same event values."
            }
        }
    }
}

impl fmt::Display for EventCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a payment medium error is about the type or the brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediumPart {
    /// `payment_medium_type_identifier`
    Type,
    /// `payment_medium_brand_identifier`
    Brand,
}

/// Why one event was not created: a value, not a Rust error, because the run goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// `NotFoundAPIValueException`
    NotFound {
        /// The entity searched.
        entity: Entity,
        /// The value the caller gave.
        value: String,
    },
    /// `ReferredByAnotherParticipantException`
    ReferredByAnother {
        /// The referred participant's number.
        number: String,
    },
    /// `MissingMandatoryParameterException`
    Missing {
        /// JSON path of the parameter.
        path: String,
    },
    /// `SemiOptionalParameterException`
    SemiOptional {
        /// JSON paths of the group's parameters.
        paths: Vec<String>,
    },
    /// `UnknownParameterException`
    Unknown {
        /// JSON path of the parameter.
        path: String,
    },
    /// `InvalidParameterValueException`
    InvalidValue {
        /// The caller's value, shortened when long.
        value: String,
        /// JSON path of the parameter.
        path: String,
        /// What is allowed, as a sentence without its final full stop.
        allowed: String,
    },
    /// `DuplicateRequestUniqueIdentifierException`
    DuplicateRequest {
        /// The repeated identifier.
        value: String,
    },
    /// `IntendedCurrencyMismatchException`
    CurrencyMismatch {
        /// The intended currency's code.
        intended: String,
        /// The unit's name.
        unit: String,
        /// The unit's currency code.
        unit_currency: String,
    },
    /// `SelfReferralException`
    SelfReferral {
        /// The participant's number.
        number: String,
    },
    /// `InvalidClassificationTypeException`
    ClassificationType {
        /// The classification's name.
        name: String,
        /// The event's kind.
        kind: Kind,
    },
    /// `PaymentMediumNotAllowedException`
    MediumNotAllowed {
        /// Type or brand.
        part: MediumPart,
        /// The medium's name.
        name: String,
        /// The account's number.
        account: String,
    },
    /// `DuplicateExternalReferenceException`
    DuplicateExternal {
        /// `external_system_reference_number`
        value: String,
        /// `external_system`
        system: String,
    },
    /// `InconsistentEventRowsException`
    InconsistentRows {
        /// The event's request unique identifier.
        value: String,
        /// The cell's column.
        path: String,
    },
}

impl EventError {
    /// The code scripts match on.
    pub fn code(&self) -> EventCode {
        match self {
            EventError::NotFound { .. } => EventCode::NotFoundApiValue,
            EventError::ReferredByAnother { .. } => EventCode::ReferredByAnotherParticipant,
            EventError::Missing { .. } => EventCode::MissingMandatoryParameter,
            EventError::SemiOptional { .. } => EventCode::SemiOptionalParameter,
            EventError::Unknown { .. } => EventCode::UnknownParameter,
            EventError::InvalidValue { .. } => EventCode::InvalidParameterValue,
            EventError::DuplicateRequest { .. } => EventCode::DuplicateRequestUniqueIdentifier,
            EventError::CurrencyMismatch { .. } => EventCode::IntendedCurrencyMismatch,
            EventError::SelfReferral { .. } => EventCode::SelfReferral,
            EventError::ClassificationType { .. } => EventCode::InvalidClassificationType,
            EventError::MediumNotAllowed { .. } => EventCode::PaymentMediumNotAllowed,
            EventError::DuplicateExternal { .. } => EventCode::DuplicateExternalReference,
            EventError::InconsistentRows { .. } => EventCode::InconsistentEventRows,
        }
    }

    /// The description operators read, filled from the code's template.
    pub fn description(&self) -> String {
        let template = self.code().template();
        let medium = |part: &MediumPart| match part {
            MediumPart::Type => "Type",
            MediumPart::Brand => "Brand",
        };
        match self {
            EventError::NotFound { entity, value } => {
                fill(template, &[("{Entity}", entity.word()), ("{value}", value)])
            }
            EventError::ReferredByAnother { number } | EventError::SelfReferral { number } => {
                fill(template, &[("{number}", number)])
            }
            EventError::Missing { path } | EventError::Unknown { path } => {
                fill(template, &[("{path}", path)])
            }
            EventError::SemiOptional { paths } => {
                fill(template, &[("{a}, {b}, …", &paths.join(", "))])
            }
            EventError::InvalidValue {
                value,
                path,
                allowed,
            } => fill(
                template,
                &[
                    ("{value}", value),
                    ("{path}", path),
                    ("{what is allowed}", allowed),
                ],
            ),
            EventError::DuplicateRequest { value } => fill(template, &[("{value}", value)]),
            EventError::CurrencyMismatch {
                intended,
                unit,
                unit_currency,
            } => fill(
                // The template names {code} twice: the intended currency, then the unit's.
                "Error:Intended Currency ({intended}) Does Not Match Unit ({unit}) Currency ({unit_currency}). - Description:The intended currency must be the currency of the performing unit.",
                &[
                    ("{intended}", intended),
                    ("{unit}", unit),
                    ("{unit_currency}", unit_currency),
                ],
            ),
            EventError::ClassificationType { name, kind } => fill(
                template,
                &[
                    ("{name}", name),
                    ("{Kind}", kind.title()),
                    ("{kind}", kind.lower()),
                ],
            ),
            EventError::MediumNotAllowed {
                part,
                name,
                account,
            } => fill(
                template,
                &[
                    ("{Type or Brand}", medium(part)),
                    ("{name}", name),
                    ("{number}", account),
                ],
            ),
            EventError::DuplicateExternal { value, system } => {
                fill(template, &[("{value}", value), ("{system}", system)])
            }
            EventError::InconsistentRows { value, path } => {
                fill(template, &[("{value}", value), ("{path}", path)])
            }
        }
    }
}

/// Fills `template`'s placeholders in one pass, so that a caller's value that happens to
/// contain `{path}` or `{system}` is quoted as given, not filled in turn.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while !rest.is_empty() {
        let next = values
            .iter()
            .filter_map(|(placeholder, value)| {
                rest.find(placeholder).map(|at| (at, *placeholder, *value))
            })
            .min_by_key(|(at, _, _)| *at);
        match next {
            Some((at, placeholder, value)) => {
                out.push_str(&rest[..at]);
                out.push_str(value);
                rest = &rest[at + placeholder.len()..];
            }
            None => {
                out.push_str(rest);
                rest = "";
            }
        }
    }
    out
}

/// A request-level error code (`status.code` of a rejected request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestCode {
    /// Not valid JSON, CSV or NDJSON, or not UTF-8.
    InvalidRequestDocument,
    /// No known event set key, or more than one.
    UnknownCustomerEventsSet,
    /// More than 1000 events in a JSON request document.
    TooManyCustomerEvents,
    /// `fields_set` names a field the response does not have.
    InvalidFieldsSet,
    /// The store failed during the run (exit status 3); the report lists the events of the
    /// batches committed before.
    StoreFailure,
    /// SIGINT or SIGTERM stopped the import before the end of its input (exit status 130 or
    /// 143); the report lists the events of the batches committed before.
    Interrupted,
    /// More than `--max-errors` events were unprocessed, and the import stopped reading
    /// (exit status 4); the report lists the events of the batches committed before.
    TooManyUnprocessed,
    /// `cebulk serve`: the token is missing, unknown, released or expired (HTTP 401).
    InvalidToken,
    /// `cebulk serve`: a failed login, or an unknown web API key (HTTP 401).
    InvalidCredentials,
    /// `cebulk serve`: a login without `username`, `password` or `organisation` (HTTP 400).
    MissingMandatoryParameter,
    /// `cebulk serve`: no method at that path (HTTP 404).
    UnknownMethod,
    /// `cebulk serve`: the method is called with POST only (HTTP 405).
    MethodNotAllowed,
    /// `cebulk serve`: the body is larger than `--max-body` (HTTP 413).
    RequestTooLarge,
    /// `cebulk serve`: the body did not arrive within `--request-timeout` (HTTP 408).
    RequestTimeout,
}

impl RequestCode {
    /// Every code, in ERRORS.md's order.
    pub const ALL: [RequestCode; 14] = [
        RequestCode::InvalidRequestDocument,
        RequestCode::UnknownCustomerEventsSet,
        RequestCode::TooManyCustomerEvents,
        RequestCode::InvalidFieldsSet,
        RequestCode::StoreFailure,
        RequestCode::Interrupted,
        RequestCode::TooManyUnprocessed,
        RequestCode::InvalidToken,
        RequestCode::InvalidCredentials,
        RequestCode::MissingMandatoryParameter,
        RequestCode::UnknownMethod,
        RequestCode::MethodNotAllowed,
        RequestCode::RequestTooLarge,
        RequestCode::RequestTimeout,
    ];

    /// The code as the report's `status.code` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestCode::InvalidRequestDocument => "InvalidRequestDocumentException",
            RequestCode::UnknownCustomerEventsSet => "UnknownCustomerEventsSetException",
            RequestCode::TooManyCustomerEvents => "TooManyCustomerEventsException",
            RequestCode::InvalidFieldsSet => "InvalidFieldsSetException",
            RequestCode::StoreFailure => "StoreFailureException",
            RequestCode::Interrupted => "InterruptedException",
            RequestCode::TooManyUnprocessed => "TooManyUnprocessedEventsException",
            RequestCode::InvalidToken => "InvalidTokenException",
            RequestCode::InvalidCredentials => "InvalidCredentialsException",
            RequestCode::MissingMandatoryParameter => "MissingMandatoryParameterException",
            RequestCode::UnknownMethod => "UnknownMethodException",
            RequestCode::MethodNotAllowed => "MethodNotAllowedException",
            RequestCode::RequestTooLarge => "RequestTooLargeException",
            RequestCode::RequestTimeout => "RequestTimeoutException",
        }
    }
}

impl fmt::Display for RequestCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What cebulk's own columns and keys begin with: an import leaves out every column and
/// event key named so (docs/spec.md §1), so a rejects file imports as it is.
pub const ANNOTATION_PREFIX: &str = "cebulk_";

/// The annotations of a rejects file, in order: the error code, its description, and where
/// the event was read (`file:line`).
pub const ANNOTATIONS: [&str; 3] = [
    "cebulk_error_code",
    "cebulk_error_description",
    "cebulk_source",
];

/// Whether a column or event key is one of cebulk's own (`cebulk_*`).
pub fn is_annotation(name: &str) -> bool {
    name.starts_with(ANNOTATION_PREFIX)
}

/// Longest caller value quoted in an error text.
pub const QUOTE_LIMIT: usize = 64;

/// A caller's value as an error text quotes it: long values cut short, so that a 10 MB
/// string does not land in the report.
pub fn quote_text(text: &str) -> String {
    if text.chars().count() <= QUOTE_LIMIT {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(QUOTE_LIMIT).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ERRORS_MD: &str = include_str!("../../docs/ERRORS.md");

    #[test]
    fn every_code_and_text_is_documented_in_errors_md() {
        for code in EventCode::ALL {
            let row = format!("| `{}` |", code.as_str());
            assert!(
                ERRORS_MD.contains(&row),
                "{code} has no row in docs/ERRORS.md"
            );
            let text = format!("`{}` |", code.template());
            assert!(
                ERRORS_MD.contains(&text),
                "{code}: template differs from docs/ERRORS.md"
            );
        }
        for code in RequestCode::ALL {
            let row = format!("| `{}` |", code.as_str());
            assert!(
                ERRORS_MD.contains(&row),
                "{code} has no row in docs/ERRORS.md"
            );
        }
    }

    #[test]
    fn every_documented_code_exists_here() {
        let documented = ERRORS_MD
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .filter(|c| c.ends_with("Exception"));
        for code in documented {
            let known = EventCode::ALL.iter().any(|c| c.as_str() == code)
                || RequestCode::ALL.iter().any(|c| c.as_str() == code);
            assert!(known, "{code} is in docs/ERRORS.md but not in codes.rs");
        }
    }

    #[test]
    fn not_found_matches_the_seed_exactly() {
        let error = EventError::NotFound {
            entity: Entity::Account,
            value: "ACR000177".into(),
        };
        assert_eq!(error.code().as_str(), "NotFoundAPIValueException");
        assert_eq!(
            error.description(),
            "Error:Account (ACR000177) Not Found. - Description:The specified API value was not found."
        );
    }

    #[test]
    fn referred_matches_the_seed_exactly() {
        let error = EventError::ReferredByAnother {
            number: "RP0000000004".into(),
        };
        assert_eq!(
            error.description(),
            "Error:Participant RP0000000004 Was Already Referred by Another Participant. - Description:The participant was already referred by another participant."
        );
    }

    #[test]
    fn the_callers_value_is_quoted_as_given_even_with_braces() {
        let error = EventError::DuplicateExternal {
            value: "R-{system}".into(),
            system: "SAP".into(),
        };
        assert!(error.description().starts_with(
            "Error:External System Reference Number (R-{system}) of System (SAP) Already Exists."
        ));
    }

    #[test]
    fn every_placeholder_is_filled() {
        let errors = [
            EventError::SemiOptional {
                paths: vec!["a".into(), "b".into()],
            },
            EventError::CurrencyMismatch {
                intended: "EUR".into(),
                unit: "Shop".into(),
                unit_currency: "USD".into(),
            },
            EventError::ClassificationType {
                name: "X".into(),
                kind: Kind::FinancialAchievements,
            },
            EventError::MediumNotAllowed {
                part: MediumPart::Brand,
                name: "VISA".into(),
                account: "A1".into(),
            },
            EventError::InvalidValue {
                value: "x".into(),
                path: "p".into(),
                allowed: "The value must be a number".into(),
            },
        ];
        for error in errors {
            let text = error.description();
            assert!(!text.contains('{') && !text.contains('…'), "{text}");
        }
    }
}
