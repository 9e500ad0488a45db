//! Exact money on the wire. Balances, ledger rows and transaction amounts are JSON numbers in major units with up
//! to 8 decimals (`10000.00000000`); they are written as number text from a `Decimal`, never through `f64`. Transfer
//! and purchase amounts arrive as integers in minor units.

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// A JSON number written from its exact text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Num(String);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match RawValue::from_string(self.0.clone()) {
            Ok(raw) => raw.serialize(s),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }
}

/// An amount as the docs write it: `0` for zero, otherwise 8 decimals (`100.00000000`, `-25.75000000`).
pub(crate) fn amount(d: Decimal) -> Num {
    if d.is_zero() {
        return Num("0".to_string());
    }
    let mut d = d.round_dp(8);
    d.rescale(8);
    Num(d.to_string())
}

/// `minor` units in a currency with `exponent` decimals, as a major-unit decimal (`12345`, 2 → `123.45`).
pub(crate) fn from_minor(minor: i64, exponent: u32) -> Decimal {
    Decimal::new(minor, exponent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_exactly() {
        let big: Decimal = "10658503.12345678".parse().unwrap();
        assert_eq!(serde_json::to_string(&amount(big)).unwrap(), "10658503.12345678");
        assert_eq!(serde_json::to_string(&amount(Decimal::ZERO)).unwrap(), "0");
        assert_eq!(serde_json::to_string(&amount(from_minor(-2575, 2))).unwrap(), "-25.75000000");
        // 0.1 + 0.2 stays 0.3.
        let sum = from_minor(10, 2) + from_minor(20, 2);
        assert_eq!(serde_json::to_string(&amount(sum)).unwrap(), "0.30000000");
    }
}
