//! Exact money. Balances, ledger and transaction amounts arrive as JSON numbers with up to 8 decimals and are
//! read as exact [`Decimal`]s (never through `f64`); rules-engine limits are decimal strings, read the same way.
//! Transfers are the exception: their `amount` is an **integer in minor units** (cents), so [`to_minor_units`]
//! and [`from_minor_units`] convert with the currency's `decimalPoint` (its exponent, from the account's or the
//! currency list's `Currency` record), refusing any amount that would lose a digit.
//!
//! ```
//! use vaultspay::money::{from_minor_units, to_minor_units};
//! use vaultspay::Decimal;
//!
//! let rent: Decimal = "1250.50".parse().unwrap();
//! assert_eq!(to_minor_units(rent, 2)?, 125_050); // AED has decimalPoint 2
//! assert!(to_minor_units("10.005".parse().unwrap(), 2).is_err(), "never rounded silently");
//! assert_eq!(from_minor_units(125_050, 2)?.to_string(), "1250.50");
//! # Ok::<(), vaultspay::money::AmountError>(())
//! ```

pub use cardsdk_runtime::money::{AmountError, Currency, Money};
pub use rust_decimal::Decimal;

/// `amount` in minor units of a currency with `decimal_point` decimals, for a transfer's `amount`.
///
/// # Errors
///
/// [`AmountError::PrecisionLoss`] when `amount` has more decimals than the currency, [`AmountError::Overflow`]
/// when it does not fit an `i64`.
pub fn to_minor_units(amount: Decimal, decimal_point: u32) -> Result<i64, AmountError> {
    let units = cardsdk_runtime::money::to_minor_units(amount, decimal_point)?;
    i64::try_from(units).map_err(|_| AmountError::Overflow { text: format!("{amount} in minor units") })
}

/// The amount `units` minor units of a currency with `decimal_point` decimals stand for.
///
/// # Errors
///
/// [`AmountError`] when `decimal_point` is beyond what a [`Decimal`] holds (28).
pub fn from_minor_units(units: i64, decimal_point: u32) -> Result<Decimal, AmountError> {
    cardsdk_runtime::money::from_minor_units(&units.to_string(), decimal_point)
}

/// The `decimalPoint` of a currency record, checked (present, 0..=18).
///
/// ```
/// let aed: vaultspay::api::types::Currency = serde_json::from_str(r#"{"code": "AED", "decimalPoint": 2}"#).unwrap();
/// assert_eq!(vaultspay::money::decimal_point(&aed), Some(2));
/// ```
pub fn decimal_point(currency: &crate::api::types::Currency) -> Option<u32> {
    currency.decimal_point.and_then(|d| u32::try_from(d).ok()).filter(|d| *d <= 18)
}
