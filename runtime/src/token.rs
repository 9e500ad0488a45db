//! On-chain amounts: [`TokenAmount`], exact over the whole uint256 range.
//!
//! ERC-20 allowances, balances, wei and gas values are unsigned 256-bit integers on chain. Wallet apps grant the
//! maximum approval (2^256−1 base units), which an API reports divided by the token's decimals — 78 significant
//! digits, far beyond what `rust_decimal::Decimal` (96 bits, 28 digits) holds. A `TokenAmount` is the integer of
//! base units ([`U256`], from the `ruint` crate) plus the number of fractional digits it was written with, so every
//! value is kept exactly and written back as sent.
//!
//! ```
//! use cardsdk_runtime::TokenAmount;
//!
//! let unlimited = TokenAmount::parse("115792089237316195423570985008687907853269984665640564039457.584007913129639935")?;
//! assert!(unlimited.is_unlimited());
//! assert!(unlimited.to_decimal().is_err()); // too large for a Decimal: an error, never a rounded number
//! assert_eq!(unlimited.to_string(), "115792089237316195423570985008687907853269984665640564039457.584007913129639935");
//!
//! let limit = TokenAmount::parse("5000.50")?;
//! assert_eq!(limit.to_base_units(6)?.to_string(), "5000500000"); // USDC has 6 decimals
//! assert_eq!(TokenAmount::from_base_units("5000500000".parse().unwrap(), 6).to_string(), "5000.500000");
//! # Ok::<(), cardsdk_runtime::money::AmountError>(())
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::money::AmountError;

/// An unsigned 256-bit integer (re-exported from `ruint`).
pub type U256 = ruint::aliases::U256;

/// A non-negative on-chain amount: `units / 10^scale`, with `units` any uint256.
///
/// Equality, ordering and hashing are by value (`1.50` equals `1.5`); [`Display`](fmt::Display) and serialization
/// write the digits as they were read (`1.50` stays `1.50`).
///
/// ```
/// use cardsdk_runtime::TokenAmount;
///
/// let a: TokenAmount = "1.50".parse()?;
/// let b: TokenAmount = "1.5".parse()?;
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "1.50");
/// assert!(TokenAmount::parse("2")? > a);
/// # Ok::<(), cardsdk_runtime::money::AmountError>(())
/// ```
#[derive(Clone, Copy)]
pub struct TokenAmount {
    units: U256,
    scale: u8,
}

/// The most fractional digits an amount may be written with.
const MAX_SCALE: usize = 77;

impl TokenAmount {
    /// Zero.
    pub const ZERO: TokenAmount = TokenAmount { units: U256::ZERO, scale: 0 };

    /// Parses a non-negative decimal number: plain (`"5000.50"`) or with an exponent (`"1.5e3"`), as JSON writes
    /// numbers. Negative values, and values whose digits do not fit 256 bits, are errors.
    ///
    /// ```
    /// use cardsdk_runtime::TokenAmount;
    /// use cardsdk_runtime::money::AmountError;
    ///
    /// assert_eq!(TokenAmount::parse("1.5e3")?.to_string(), "1500");
    /// assert!(matches!(TokenAmount::parse("-1"), Err(AmountError::Invalid { .. })));
    /// assert!(matches!(TokenAmount::parse("1e78"), Err(AmountError::Overflow { .. })));
    /// # Ok::<(), AmountError>(())
    /// ```
    pub fn parse(text: &str) -> Result<TokenAmount, AmountError> {
        let invalid = || AmountError::Invalid { text: shorten(text) };
        let overflow = || AmountError::Overflow { text: shorten(text) };
        let unsigned = text.strip_prefix('+').unwrap_or(text);
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(at) => (&unsigned[..at], unsigned[at + 1..].parse::<i64>().map_err(|_| invalid())?),
            None => (unsigned, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty()) || !digits_only(int_part) || !digits_only(frac_part) {
            return Err(invalid());
        }
        let mut digits = format!("{int_part}{frac_part}");
        let mut scale = frac_part.len() as i64 - exponent;
        if scale < 0 {
            if -scale > 78 {
                return if digits.bytes().all(|b| b == b'0') { Ok(TokenAmount::ZERO) } else { Err(overflow()) };
            }
            digits.extend(std::iter::repeat_n('0', (-scale) as usize));
            scale = 0;
        }
        if scale as usize > MAX_SCALE {
            // Only zeros may be dropped from the end.
            let excess = scale as usize - MAX_SCALE;
            let keep = digits.len().saturating_sub(excess);
            if !digits[keep..].bytes().all(|b| b == b'0') {
                return Err(AmountError::PrecisionLoss { text: shorten(text) });
            }
            digits.truncate(keep);
            scale = MAX_SCALE as i64;
        }
        let trimmed = digits.trim_start_matches('0');
        let units =
            if trimmed.is_empty() { U256::ZERO } else { U256::from_str_radix(trimmed, 10).map_err(|_| overflow())? };
        Ok(TokenAmount { units, scale: scale as u8 })
    }

    /// `units` base units of a token with `decimals` decimals, in whole tokens.
    ///
    /// ```
    /// use cardsdk_runtime::{TokenAmount, U256};
    ///
    /// let amount = TokenAmount::from_base_units(U256::from(6219123007416u64), 18);
    /// assert_eq!(amount.to_string(), "0.000006219123007416");
    /// ```
    pub fn from_base_units(units: U256, decimals: u8) -> TokenAmount {
        TokenAmount { units, scale: decimals.min(MAX_SCALE as u8) }
    }

    /// The amount in base units of a token with `decimals` decimals (`5000` USDC, 6 decimals → `5000000000`).
    /// More fractional digits than the token has is an error, not a truncation; so is a result beyond uint256.
    ///
    /// ```
    /// use cardsdk_runtime::TokenAmount;
    ///
    /// assert_eq!(TokenAmount::parse("0.000001")?.to_base_units(6)?.to_string(), "1");
    /// assert!(TokenAmount::parse("0.0000001")?.to_base_units(6).is_err());
    /// assert_eq!(TokenAmount::parse("1.000000000")?.to_base_units(6)?.to_string(), "1000000"); // zeros are not precision
    /// # Ok::<(), cardsdk_runtime::money::AmountError>(())
    /// ```
    pub fn to_base_units(&self, decimals: u8) -> Result<U256, AmountError> {
        let described = || format!("{self} with {decimals} decimals");
        match self.scale.cmp(&decimals) {
            Ordering::Equal => Ok(self.units),
            Ordering::Less => {
                let factor = pow10(u32::from(decimals - self.scale))
                    .ok_or_else(|| AmountError::Overflow { text: described() })?;
                self.units.checked_mul(factor).ok_or_else(|| AmountError::Overflow { text: described() })
            }
            Ordering::Greater => {
                let factor = pow10(u32::from(self.scale - decimals))
                    .ok_or_else(|| AmountError::PrecisionLoss { text: described() })?;
                let (quotient, remainder) = self.units.div_rem(factor);
                if remainder.is_zero() { Ok(quotient) } else { Err(AmountError::PrecisionLoss { text: described() }) }
            }
        }
    }

    /// The integer of base units as written (`"1.50"` → 150) and the number of fractional digits (2).
    ///
    /// ```
    /// let a = cardsdk_runtime::TokenAmount::parse("1.50")?;
    /// assert_eq!((a.units().to_string(), a.scale()), ("150".to_string(), 2));
    /// # Ok::<(), cardsdk_runtime::money::AmountError>(())
    /// ```
    pub fn units(&self) -> U256 {
        self.units
    }

    /// The number of fractional digits the amount was written with.
    ///
    /// ```
    /// assert_eq!(cardsdk_runtime::TokenAmount::parse("10")?.scale(), 0);
    /// # Ok::<(), cardsdk_runtime::money::AmountError>(())
    /// ```
    pub fn scale(&self) -> u8 {
        self.scale
    }

    /// `true` for the maximum ERC-20 approval: the digits are 2^256−1, whatever the token's decimals (the API reports
    /// the allowance divided by them).
    ///
    /// ```
    /// use cardsdk_runtime::{TokenAmount, U256};
    ///
    /// assert!(TokenAmount::from_base_units(U256::MAX, 6).is_unlimited());
    /// assert!(!TokenAmount::parse("5000")?.is_unlimited());
    /// # Ok::<(), cardsdk_runtime::money::AmountError>(())
    /// ```
    pub fn is_unlimited(&self) -> bool {
        self.units == U256::MAX
    }

    /// `true` for zero.
    ///
    /// ```
    /// assert!(cardsdk_runtime::TokenAmount::parse("0.000")?.is_zero());
    /// # Ok::<(), cardsdk_runtime::money::AmountError>(())
    /// ```
    pub fn is_zero(&self) -> bool {
        self.units.is_zero()
    }

    /// The amount as a `Decimal`, if it fits exactly (at most 28 fractional digits that are not zeros, and within
    /// `Decimal`'s range).
    ///
    /// ```
    /// use cardsdk_runtime::TokenAmount;
    ///
    /// assert_eq!(TokenAmount::parse("500.25")?.to_decimal()?.to_string(), "500.25");
    /// assert!(TokenAmount::parse("1e40")?.to_decimal().is_err());
    /// # Ok::<(), cardsdk_runtime::money::AmountError>(())
    /// ```
    pub fn to_decimal(&self) -> Result<Decimal, AmountError> {
        crate::money::parse_amount(&self.to_string())
    }

    /// A non-negative `Decimal` as a token amount (same digits and scale).
    ///
    /// ```
    /// use cardsdk_runtime::TokenAmount;
    ///
    /// let amount = TokenAmount::from_decimal("5000.50".parse().unwrap())?;
    /// assert_eq!(amount.to_string(), "5000.50");
    /// assert!(TokenAmount::from_decimal("-1".parse().unwrap()).is_err());
    /// # Ok::<(), cardsdk_runtime::money::AmountError>(())
    /// ```
    pub fn from_decimal(value: Decimal) -> Result<TokenAmount, AmountError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(AmountError::Invalid { text: value.to_string() });
        }
        TokenAmount::parse(&value.to_string())
    }

    /// `(units, scale)` with trailing fractional zeros removed: the value's canonical form.
    fn normalized(&self) -> (U256, u8) {
        let ten = U256::from(10u8);
        let (mut units, mut scale) = (self.units, self.scale);
        while scale > 0 && !units.is_zero() {
            let (q, r) = units.div_rem(ten);
            if !r.is_zero() {
                break;
            }
            units = q;
            scale -= 1;
        }
        if units.is_zero() {
            scale = 0;
        }
        (units, scale)
    }
}

fn pow10(exponent: u32) -> Option<U256> {
    U256::from(10u8).checked_pow(U256::from(exponent))
}

fn shorten(text: &str) -> String {
    text.chars().take(100).collect()
}

impl fmt::Display for TokenAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.units.to_string();
        let scale = usize::from(self.scale);
        if scale == 0 {
            return f.write_str(&digits);
        }
        if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            write!(f, "{int}.{frac}")
        } else {
            write!(f, "0.{}{digits}", "0".repeat(scale - digits.len()))
        }
    }
}

impl fmt::Debug for TokenAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenAmount({self})")
    }
}

impl FromStr for TokenAmount {
    type Err = AmountError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TokenAmount::parse(text)
    }
}

impl PartialEq for TokenAmount {
    fn eq(&self, other: &Self) -> bool {
        self.normalized() == other.normalized()
    }
}

impl Eq for TokenAmount {}

impl Hash for TokenAmount {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.normalized().hash(state);
    }
}

impl Ord for TokenAmount {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, sa) = self.normalized();
        let (b, sb) = other.normalized();
        match sa.cmp(&sb) {
            Ordering::Equal => a.cmp(&b),
            // Bring the one with fewer fractional digits to the other's scale; if that overflows, it is the larger.
            Ordering::Less => match pow10(u32::from(sb - sa)).and_then(|f| a.checked_mul(f)) {
                Some(scaled) => scaled.cmp(&b),
                None => Ordering::Greater,
            },
            Ordering::Greater => match pow10(u32::from(sa - sb)).and_then(|f| b.checked_mul(f)) {
                Some(scaled) => a.cmp(&scaled),
                None => Ordering::Less,
            },
        }
    }
}

impl PartialOrd for TokenAmount {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Default for TokenAmount {
    fn default() -> Self {
        TokenAmount::ZERO
    }
}

impl Serialize for TokenAmount {
    /// As a decimal string (JSON numbers this long would not survive most parsers).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TokenAmount {
    /// From a decimal string or a JSON number, read from its text.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::wire::Wire::from_wire(deserializer, crate::wire::Mode::Exact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: &str = "115792089237316195423570985008687907853269984665640564039457584007913129639935";

    #[test]
    fn the_whole_uint256_range() {
        let max = TokenAmount::parse(MAX).unwrap();
        assert!(max.is_unlimited());
        assert_eq!(max.to_string(), MAX);
        assert!(
            TokenAmount::parse("115792089237316195423570985008687907853269984665640564039457584007913129639936")
                .is_err()
        );
        for scale in [0, 6, 18, 77] {
            let a = TokenAmount::from_base_units(U256::MAX, scale);
            assert_eq!(TokenAmount::parse(&a.to_string()).unwrap().units(), U256::MAX, "scale {scale}");
        }
    }

    #[test]
    fn exponents_and_zeros() {
        assert_eq!(TokenAmount::parse("1.5E-3").unwrap().to_string(), "0.0015");
        assert_eq!(TokenAmount::parse("0").unwrap(), TokenAmount::ZERO);
        assert_eq!(TokenAmount::parse("0e999").unwrap(), TokenAmount::ZERO);
        assert_eq!(TokenAmount::parse(".5").unwrap().to_string(), "0.5");
        for bad in ["", ".", "abc", "1,5", "--1", "1e", "0x10", " 1"] {
            assert!(TokenAmount::parse(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(TokenAmount::parse("1e-80"), Err(AmountError::PrecisionLoss { .. })));
        assert_eq!(TokenAmount::parse("1.0e-77").unwrap().scale(), 77);
    }

    #[test]
    fn ordering_by_value() {
        let small = TokenAmount::parse("0.000001").unwrap();
        let big = TokenAmount::from_base_units(U256::MAX, 0);
        assert!(small < big);
        assert!(TokenAmount::parse("10").unwrap() > TokenAmount::parse("9.999999999999999999999").unwrap());
        assert_eq!(TokenAmount::parse("100").unwrap(), TokenAmount::parse("1e2").unwrap());
        assert_eq!(TokenAmount::parse("0.00").unwrap(), TokenAmount::ZERO);
    }

    #[test]
    fn serde_round_trip() {
        assert!(
            serde_json::from_str::<TokenAmount>(&format!("{MAX}.5")).is_err(),
            "the digits 2^256-1 then 5 do not fit"
        );
        let b: TokenAmount = serde_json::from_str("\"500.25\"").unwrap();
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"500.25\"");
        let c: TokenAmount = serde_json::from_str("6219123007416").unwrap();
        assert_eq!(c.units(), U256::from(6219123007416u64));
    }
}
