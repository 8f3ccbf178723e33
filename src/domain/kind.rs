//! The seven kinds of customer event: their command-line names, request set keys and the
//! words the error texts use for them.

use std::fmt;

/// A kind of customer event, one per bulk API method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `customer_events/bulk/achievements/create`
    Achievements,
    /// `customer_events/bulk/purchases/create`
    Purchases,
    /// `customer_events/bulk/referrals/create`
    Referrals,
    /// `customer_events/bulk/social_media/create`
    SocialMedia,
    /// `customer_events/bulk/web/create`
    Web,
    /// `customer_events/bulk/financial_achievements/create`
    FinancialAchievements,
    /// `customer_events/bulk/financial_statements/create`
    FinancialStatements,
}

impl Kind {
    /// Every kind, in the seed's order.
    pub const ALL: [Kind; 7] = [
        Kind::Achievements,
        Kind::Purchases,
        Kind::Referrals,
        Kind::SocialMedia,
        Kind::Web,
        Kind::FinancialAchievements,
        Kind::FinancialStatements,
    ];

    /// The command-line and store name (`social_media`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Achievements => "achievements",
            Kind::Purchases => "purchases",
            Kind::Referrals => "referrals",
            Kind::SocialMedia => "social_media",
            Kind::Web => "web",
            Kind::FinancialAchievements => "financial_achievements",
            Kind::FinancialStatements => "financial_statements",
        }
    }

    /// The API method that creates events of this kind.
    pub fn method(self) -> &'static str {
        match self {
            Kind::Achievements => "customer_events/bulk/achievements/create",
            Kind::Purchases => "customer_events/bulk/purchases/create",
            Kind::Referrals => "customer_events/bulk/referrals/create",
            Kind::SocialMedia => "customer_events/bulk/social_media/create",
            Kind::Web => "customer_events/bulk/web/create",
            Kind::FinancialAchievements => "customer_events/bulk/financial_achievements/create",
            Kind::FinancialStatements => "customer_events/bulk/financial_statements/create",
        }
    }

    /// The key of the request document's event set.
    pub fn set_key(self) -> &'static str {
        match self {
            Kind::Achievements => "achievement_customer_events_set",
            Kind::Purchases => "purchase_customer_events_set",
            Kind::Referrals => "referral_customer_events_set",
            Kind::SocialMedia => "social_media_customer_events_set",
            Kind::Web => "web_customer_events_set",
            Kind::FinancialAchievements => "financial_achievement_customer_events_set",
            Kind::FinancialStatements => "financial_statement_customer_events_set",
        }
    }

    /// The kind whose set key this is, if any.
    pub fn from_set_key(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.set_key() == key)
    }

    /// The kind with this command-line name, if any.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// A small stable number for the kind, used inside deterministic ids.
    pub fn ordinal(self) -> u8 {
        match self {
            Kind::Achievements => 1,
            Kind::Purchases => 2,
            Kind::Referrals => 3,
            Kind::SocialMedia => 4,
            Kind::Web => 5,
            Kind::FinancialAchievements => 6,
            Kind::FinancialStatements => 7,
        }
    }

    /// The title-case word of the error texts ("Financial Achievement").
    pub fn title(self) -> &'static str {
        match self {
            Kind::Achievements => "Achievement",
            Kind::Purchases => "Purchase",
            Kind::Referrals => "Referral",
            Kind::SocialMedia => "Social Media",
            Kind::Web => "Web",
            Kind::FinancialAchievements => "Financial Achievement",
            Kind::FinancialStatements => "Financial Statement",
        }
    }

    /// The lower-case word of the error texts ("financial achievement"), as in the seed's
    /// "Only financial achievement classifications are allowed".
    pub fn lower(self) -> &'static str {
        match self {
            Kind::Achievements => "achievement",
            Kind::Purchases => "purchase",
            Kind::Referrals => "referral",
            Kind::SocialMedia => "social media",
            Kind::Web => "web",
            Kind::FinancialAchievements => "financial achievement",
            Kind::FinancialStatements => "financial statement",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_set_keys_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
            assert_eq!(Kind::from_set_key(kind.set_key()), Some(kind));
        }
        assert_eq!(Kind::from_set_key("customer_events_set"), None);
    }
}
