//! Exact money: amounts are [`Decimal`], parsed without ever passing through `f64`; on-chain amounts are
//! [`TokenAmount`]s, exact over the whole uint256 range.
//!
//! **Fiat and card amounts** (balances, transaction amounts, fees, rates) are `rust_decimal::Decimal`:
//!
//! - decimal strings (`"0.79"`) and JSON numbers (`0.79`, `1e-7`) are read from their text, digit for digit;
//! - the scale is kept (`"10.00"` stays `10.00`);
//! - a value Decimal cannot hold exactly (more than 28 fractional digits that are not zeros, or beyond
//!   ±79,228,162,514,264,337,593,543,950,335) is an [`AmountError`], never a silently rounded number; only the
//!   withdrawal fee estimates (schemas marked `x-amount-rounding`) round beyond 28 fractional digits.
//!
//! **On-chain amounts** (`format: token-amount` in the contract) are [`TokenAmount`]s: the external wallets'
//! `allowance` and `balance` (an unlimited ERC-20 approval is 2^256−1 base units, far beyond a `Decimal`), the
//! withdrawal estimate's `wei` and `eth` gas values, and the delegation requests' `amount`.
//! [`TokenAmount::is_unlimited`] tells the maximum approval; [`TokenAmount::to_decimal`] converts when it fits;
//! [`TokenAmount::to_base_units`] / [`TokenAmount::from_base_units`] convert with a token's `decimals` (from the
//! delegation chain configuration, see [`crate::delegation`]).
//!
//! Beyond decoding: [`Money`] (an amount with its [`Currency`]), and conversions between whole-token `Decimal`
//! amounts and minor units ([`to_minor_units`], [`from_minor_units`]).
//!
//! ```
//! use baanx::money::{parse_amount, AmountError, TokenAmount};
//!
//! assert_eq!(parse_amount("0.9294117647058824").unwrap().to_string(), "0.9294117647058824");
//! assert_eq!(parse_amount("1.5e-3").unwrap().to_string(), "0.0015");
//! assert!(matches!(parse_amount("0.12345678901234567890123456789"), Err(AmountError::PrecisionLoss { .. })));
//! let allowance = TokenAmount::parse("115792089237316195423570985008687907853269984665640564039457.584007913129639935")?;
//! assert!(allowance.is_unlimited());
//! # Ok::<(), AmountError>(())
//! ```

pub use cardsdk_runtime::money::*;
pub use cardsdk_runtime::{TokenAmount, U256};
