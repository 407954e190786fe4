//! Exact amounts of leave: balances, allowances and usage, in a policy's
//! unit. Imports nothing of hrform's; everything that holds an amount uses
//! this type.
//!
//! An amount is a `rust_decimal::Decimal`, from the YAML text to the wire and
//! back. Both the manifests' YAML and the vendors' JSON carry numbers that
//! their parsers hand over as `f64`; an `f64` is turned into a decimal through
//! its shortest round-trip text (`15.1` stays `15.1`, never
//! `15.0999999999999996`), which is the number as written for every value of
//! up to 15 significant digits. On the wire an amount is written the same
//! way: a JSON number whose text is the decimal's.
//!
//! The comparison rule: every amount is held to at most 6 decimal places
//! (`PLACES`), rounded half to even when read. A server that computes in
//! binary floating point answers `15.199999999999999` for 15.1 + 0.1; at 6
//! places that is 15.2, the amount meant. Manifests may not declare more
//! places (validation says so rather than rounding what a user wrote). Two
//! amounts are then equal only when they are equal as decimals (`2.50`
//! equals `2.5`): there is no other tolerance.

use std::fmt;
use std::ops::{Add, Neg, Sub};
use std::str::FromStr as _;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An exact amount of leave (days or hours, by the policy).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(Decimal);

impl Amount {
    pub const ZERO: Amount = Amount(Decimal::ZERO);

    /// Decimal places an amount holds.
    pub const PLACES: u32 = 6;

    /// The largest `allowance` or `balance` a manifest may declare.
    pub const MAX_DECLARED: i32 = 10_000;

    /// The amount a parser's `f64` stands for: its shortest round-trip
    /// text, read as a decimal, at [`Amount::PLACES`]. `None` for NaN,
    /// infinities, and numbers a decimal cannot hold (beyond about 7.9e28).
    pub fn from_f64(v: f64) -> Option<Self> {
        Self::exact_from_f64(v).map(|a| {
            Amount(
                a.0.round_dp_with_strategy(
                    Self::PLACES,
                    rust_decimal::RoundingStrategy::MidpointNearestEven,
                )
                .normalize(),
            )
        })
    }

    /// [`Amount::from_f64`] without rounding: to tell whether a declared
    /// number has more places than an amount holds.
    pub fn exact_from_f64(v: f64) -> Option<Self> {
        if !v.is_finite() {
            return None;
        }
        // `{}` on f64 prints the shortest text that reads back as `v`,
        // without an exponent.
        Decimal::from_str(&format!("{v}"))
            .ok()
            .map(|d| Amount(d.normalize()))
    }

    /// The exact decimal, for arithmetic beyond `+` and `-` (proration).
    pub fn decimal(self) -> Decimal {
        self.0
    }

    /// From a decimal, at [`Amount::PLACES`] (half to even).
    pub fn from_decimal(d: Decimal) -> Self {
        Amount(
            d.round_dp_with_strategy(
                Self::PLACES,
                rust_decimal::RoundingStrategy::MidpointNearestEven,
            )
            .normalize(),
        )
    }

    /// From an integer.
    pub fn from_i64(v: i64) -> Self {
        Amount(Decimal::from(v))
    }

    /// Parse decimal text such as `25`, `2.5` or `-0.75`.
    pub fn parse(text: &str) -> Option<Self> {
        Decimal::from_str(text.trim())
            .ok()
            .map(|d| Amount(d.normalize()))
    }

    /// The number for a JSON body: an `f64` whose shortest text is this
    /// decimal's (exact for every amount of up to 15 significant digits).
    pub fn to_f64(self) -> f64 {
        self.0.to_f64().unwrap_or(0.0)
    }

    pub fn abs(self) -> Self {
        Amount(self.0.abs())
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn is_sign_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    pub fn max(self, other: Self) -> Self {
        if self >= other { self } else { other }
    }

    pub fn min(self, other: Self) -> Self {
        if self <= other { self } else { other }
    }

    /// Checked subtraction (amounts are bounded far below overflow by
    /// validation, but a server may say anything).
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(|d| Amount(d.normalize()))
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(|d| Amount(d.normalize()))
    }
}

impl Add for Amount {
    type Output = Amount;
    /// Saturates instead of panicking on overflow (~7.9e28).
    fn add(self, rhs: Self) -> Self {
        Amount(self.0.saturating_add(rhs.0).normalize())
    }
}

impl Sub for Amount {
    type Output = Amount;
    fn sub(self, rhs: Self) -> Self {
        Amount(self.0.saturating_sub(rhs.0).normalize())
    }
}

impl Neg for Amount {
    type Output = Amount;
    fn neg(self) -> Self {
        Amount(-self.0)
    }
}

impl std::iter::Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Self {
        iter.fold(Amount::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.normalize(), f)
    }
}

impl Serialize for Amount {
    /// A JSON number (plan files, the wire).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.to_f64())
    }
}

impl<'de> Deserialize<'de> for Amount {
    /// A number, or decimal text.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Amount, E> {
                Amount::from_f64(v).ok_or_else(|| E::custom(format!("{v} is not a usable amount")))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Amount, E> {
                Ok(Amount::from_i64(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Amount, E> {
                Ok(Amount(Decimal::from(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Amount, E> {
                Amount::parse(v).ok_or_else(|| E::custom(format!("`{v}` is not a number")))
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for Amount {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Amount".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "number",
            "description": "An exact amount in the policy's unit (days or hours)."
        })
    }
    fn inline_schema() -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_floats_become_the_decimal_written() {
        for (f, text) in [(15.1, "15.1"), (0.1, "0.1"), (20.2, "20.2"), (25.0, "25")] {
            assert_eq!(Amount::from_f64(f).unwrap().to_string(), text);
        }
        // The delta f64 arithmetic gets wrong is exact here.
        let d = Amount::from_f64(15.2).unwrap() - Amount::from_f64(15.1).unwrap();
        assert_eq!(d, Amount::parse("0.1").unwrap());
        assert_eq!(
            d,
            Amount::from_f64(20.2).unwrap() - Amount::from_f64(20.1).unwrap()
        );
        assert_eq!(serde_json::to_string(&d).unwrap(), "0.1");
        assert!(Amount::from_f64(f64::NAN).is_none());
        // Binary noise from a server that adds in f64 is gone at 6 places.
        assert_eq!(Amount::from_f64(15.1 + 0.1), Amount::parse("15.2"));
        assert_eq!(Amount::from_f64(0.1 + 0.2), Amount::parse("0.3"));
        assert!(Amount::from_f64(1e300).is_none());
    }

    #[test]
    fn equal_as_decimals() {
        assert_eq!(Amount::parse("2.50"), Amount::parse("2.5"));
        let a: Amount = serde_json::from_str("12.5").unwrap();
        assert_eq!(a.to_string(), "12.5");
    }
}
