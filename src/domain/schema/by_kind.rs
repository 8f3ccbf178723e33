//! The schema of each kind, built once.

use std::sync::LazyLock;

use super::field::Field;
use super::{
    achievements, financial_achievements, financial_statements, purchases, referrals, social_media,
    web,
};
use crate::domain::kind::Kind;

static SCHEMAS: LazyLock<[Vec<Field>; 7]> = LazyLock::new(|| {
    [
        achievements::fields(),
        purchases::fields(),
        referrals::fields(),
        social_media::fields(),
        web::fields(),
        financial_achievements::fields(),
        financial_statements::fields(),
    ]
});

/// The fields of an event of `kind`, in the seed's order.
pub fn fields(kind: Kind) -> &'static [Field] {
    &SCHEMAS[usize::from(kind.ordinal() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schema::field::{FieldType, Presence};

    fn names(kind: Kind) -> Vec<&'static str> {
        fields(kind).iter().map(|f| f.name).collect()
    }

    #[test]
    fn udf_counts_follow_the_seed() {
        assert!(names(Kind::Purchases).contains(&"udf_string_16"));
        assert!(!names(Kind::Achievements).contains(&"udf_string_9"));
        for kind in Kind::ALL {
            assert!(names(kind).contains(&"udf_float_4"));
            assert!(names(kind).contains(&"udf_date_4"));
            assert!(!names(kind).contains(&"udf_float_5"));
        }
    }

    #[test]
    fn every_kind_but_referrals_has_the_account_group() {
        for kind in Kind::ALL {
            let group = fields(kind)
                .iter()
                .filter(|f| f.presence == Presence::SemiOptional)
                .count();
            assert_eq!(group, if kind == Kind::Referrals { 0 } else { 2 }, "{kind}");
        }
    }

    #[test]
    fn field_names_are_unique_per_kind() {
        for kind in Kind::ALL {
            let mut seen = names(kind);
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), fields(kind).len(), "{kind}");
        }
    }

    fn levels(fields: &'static [Field], out: &mut Vec<&'static [Field]>) {
        out.push(fields);
        for field in fields {
            if let FieldType::Set(inner) = field.ty {
                levels(inner, out);
            }
        }
    }

    #[test]
    fn every_level_fits_the_validators_bit_set_and_names_need_no_escaping() {
        for kind in Kind::ALL {
            let mut all = Vec::new();
            levels(fields(kind), &mut all);
            for level in all {
                assert!(level.len() <= crate::judge::validate::MAX_FIELDS, "{kind}");
                for field in level {
                    let plain = field
                        .name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_');
                    assert!(plain, "{}", field.name);
                }
            }
        }
    }

    #[test]
    fn purchases_require_products() {
        let products = fields(Kind::Purchases)
            .iter()
            .find(|f| f.name == "products_set")
            .map(|f| (f.presence, matches!(f.ty, FieldType::Set(_))));
        assert_eq!(products, Some((Presence::Mandatory, true)));
    }
}
