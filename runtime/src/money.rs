//! Exact money: amounts are [`Decimal`], parsed without ever passing through `f64`.
//!
//! Every amount, fee, balance and rate of the generated types is a `rust_decimal::Decimal`, read by its
//! [`Wire`](crate::wire::Wire) rule (and [`serde::decimal`] for your own types):
//!
//! - decimal strings (`"0.79"`) and JSON numbers (`0.79`, `1e-7`) are read from their text, digit for digit;
//! - the scale is kept (`"10.00"` stays `10.00`);
//! - a value Decimal cannot hold exactly (more than 28 fractional digits that are not zeros, or beyond
//!   ±79,228,162,514,264,337,593,543,950,335) is an [`AmountError`], never a silently rounded number.
//!
//! Beyond decoding: [`Money`] (an amount with its [`Currency`]), and conversions between whole-token amounts and
//! on-chain minor units ([`to_minor_units`], [`from_minor_units`]) given the token's `decimals` (delegation
//! amounts are whole tokens; the on-chain `approve` takes minor units).
//!
//! ```
//! use cardsdk_runtime::money::{parse_amount, AmountError};
//!
//! assert_eq!(parse_amount("0.9294117647058824").unwrap().to_string(), "0.9294117647058824");
//! assert_eq!(parse_amount("1.5e-3").unwrap().to_string(), "0.0015");
//! assert!(matches!(parse_amount("0.12345678901234567890123456789"), Err(AmountError::PrecisionLoss { .. })));
//! ```

use std::fmt;

pub use rust_decimal::Decimal;

/// Why a text is not an exact [`Decimal`] amount.
///
/// ```
/// use cardsdk_runtime::money::{parse_amount, AmountError};
///
/// assert!(matches!(parse_amount("1,5"), Err(AmountError::Invalid { .. })));
/// assert!(matches!(parse_amount("1e30"), Err(AmountError::Overflow { .. })));
/// assert!(matches!(parse_amount("1e-29"), Err(AmountError::PrecisionLoss { .. })));
/// assert_eq!(parse_amount("abc").unwrap_err().to_string(), r#"not a decimal amount: "abc""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// Not a decimal number at all.
    #[error("not a decimal amount: {text:?}")]
    Invalid {
        /// The offending text (shortened).
        text: String,
    },
    /// More significant fractional digits than `Decimal` holds (28); the value would have to be rounded.
    #[error("amount {text:?} has more digits than a Decimal holds exactly (28 fractional digits)")]
    PrecisionLoss {
        /// The offending text (shortened).
        text: String,
    },
    /// Larger than `Decimal::MAX` in magnitude.
    #[error("amount {text:?} is out of the Decimal range")]
    Overflow {
        /// The offending text (shortened).
        text: String,
    },
}

const MAX_SCALE: usize = 28;
/// Exponents beyond this can only be zero, overflow or precision loss; refuse before building huge strings.
const MAX_EXPONENT: i64 = 64;

fn shorten(text: &str) -> String {
    const MAX: usize = 64;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Parses a decimal amount exactly: plain (`-12.50`) or scientific (`1.5E-3`) notation, as JSON writes numbers.
///
/// Trailing fractional zeros beyond 28 digits are dropped (no value is lost); any other digit beyond what
/// `Decimal` holds is an error.
///
/// ```
/// use cardsdk_runtime::money::parse_amount;
///
/// assert_eq!(parse_amount("-12.50")?.to_string(), "-12.50"); // the scale is kept
/// assert_eq!(parse_amount("1.5E-3")?.to_string(), "0.0015");
/// assert!(parse_amount("0.12345678901234567890123456789").is_err()); // 29 fractional digits
/// # Ok::<(), cardsdk_runtime::money::AmountError>(())
/// ```
pub fn parse_amount(text: &str) -> Result<Decimal, AmountError> {
    parse_with(text, false)
}

/// Parses a decimal amount, rounding (to the nearest, ties away from zero) beyond 28 fractional digits instead of
/// failing. Only for values the contract marks as estimates (`x-amount-rounding`), never for money that moves.
///
/// ```
/// let fee = cardsdk_runtime::money::parse_amount_rounding("0.01644666445335518319452825472").unwrap();
/// assert_eq!(fee.to_string(), "0.0164466644533551831945282547");
/// ```
pub fn parse_amount_rounding(text: &str) -> Result<Decimal, AmountError> {
    parse_with(text, true)
}

pub(crate) fn parse_with(text: &str, round: bool) -> Result<Decimal, AmountError> {
    let invalid = || AmountError::Invalid { text: shorten(text) };
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => {
            let exp: i64 = unsigned[at + 1..].parse().map_err(|_| invalid())?;
            (&unsigned[..at], exp)
        }
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty()) || !digits_only(int_part) || !digits_only(frac_part) {
        return Err(invalid());
    }
    let all_zero = int_part.bytes().chain(frac_part.bytes()).all(|b| b == b'0');
    if exponent.abs() > MAX_EXPONENT {
        return if all_zero {
            Ok(Decimal::ZERO)
        } else if exponent > 0 {
            Err(AmountError::Overflow { text: shorten(text) })
        } else if round {
            Ok(Decimal::ZERO)
        } else {
            Err(AmountError::PrecisionLoss { text: shorten(text) })
        };
    }
    // Shift the decimal point by the exponent, on the digit strings.
    let mut int_digits = int_part.to_string();
    let mut frac_digits = frac_part.to_string();
    if exponent > 0 {
        let shift = exponent as usize;
        if frac_digits.len() < shift {
            frac_digits.extend(std::iter::repeat_n('0', shift - frac_digits.len()));
        }
        int_digits.push_str(&frac_digits[..shift]);
        frac_digits = frac_digits[shift..].to_string();
    } else if exponent < 0 {
        let shift = exponent.unsigned_abs() as usize;
        if int_digits.len() < shift {
            int_digits = format!("{}{}", "0".repeat(shift - int_digits.len()), int_digits);
        }
        let split = int_digits.len() - shift;
        frac_digits = format!("{}{}", &int_digits[split..], frac_digits);
        int_digits.truncate(split);
    }
    // Zeros beyond the 28th fractional digit carry no value.
    while frac_digits.len() > MAX_SCALE && frac_digits.ends_with('0') {
        frac_digits.pop();
    }
    let int_digits = int_digits.trim_start_matches('0');
    if int_digits.len() > MAX_SCALE + 1 {
        return Err(AmountError::Overflow { text: shorten(text) });
    }
    let plain = format!(
        "{}{}{}{}",
        if negative { "-" } else { "" },
        if int_digits.is_empty() { "0" } else { int_digits },
        if frac_digits.is_empty() { "" } else { "." },
        frac_digits
    );
    let exact = Decimal::from_str_exact(&plain);
    match exact {
        Ok(value) => Ok(value),
        Err(_) if round => {
            // rust_decimal rounds the digits it cannot hold; it fails only on a too large integer part.
            plain.parse::<Decimal>().map_err(|_| AmountError::Overflow { text: shorten(text) })
        }
        Err(_) if frac_digits.is_empty() => Err(AmountError::Overflow { text: shorten(text) }),
        Err(_) => Err(AmountError::PrecisionLoss { text: shorten(text) }),
    }
}

/// A currency code: the ones the API uses, lower case on the wire (`usdc`, `eur`), plus any other.
///
/// Parsing ignores case (`"EUR"` on card transactions, `"usdc"` on wallets) and keeps an unknown code as
/// [`Currency::Other`].
///
/// ```
/// use cardsdk_runtime::money::Currency;
///
/// assert_eq!(Currency::parse("USDC"), Currency::Usdc);
/// assert_eq!("eur".parse::<Currency>().unwrap(), Currency::Eur);
/// assert_eq!(Currency::parse("PYUSD"), Currency::Other("PYUSD".into()));
/// assert_eq!(serde_json::to_string(&Currency::Gbp).unwrap(), r#""gbp""#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Currency {
    /// USD Coin.
    Usdc,
    /// Tether.
    Usdt,
    /// Ether.
    Eth,
    /// Solana.
    Sol,
    /// XRP.
    Xrp,
    /// Bitcoin.
    Btc,
    /// Euro.
    Eur,
    /// US dollar.
    Usd,
    /// Pound sterling.
    Gbp,
    /// Any other code, as sent.
    Other(String),
}

impl Currency {
    const KNOWN: [(&'static str, Currency); 9] = [
        ("usdc", Currency::Usdc),
        ("usdt", Currency::Usdt),
        ("eth", Currency::Eth),
        ("sol", Currency::Sol),
        ("xrp", Currency::Xrp),
        ("btc", Currency::Btc),
        ("eur", Currency::Eur),
        ("usd", Currency::Usd),
        ("gbp", Currency::Gbp),
    ];

    /// The code: lower case for the known ones, as sent for others.
    ///
    /// ```
    /// use cardsdk_runtime::money::Currency;
    ///
    /// assert_eq!(Currency::parse("USDT").code(), "usdt"); // known codes in lower case
    /// assert_eq!(Currency::parse("PYUSD").code(), "PYUSD"); // others as sent
    /// ```
    pub fn code(&self) -> &str {
        match self {
            Currency::Other(code) => code,
            known => Currency::KNOWN.iter().find(|(_, c)| c == known).map(|(code, _)| *code).unwrap_or_default(),
        }
    }

    /// Reads a code, ignoring case.
    ///
    /// ```
    /// use cardsdk_runtime::money::Currency;
    ///
    /// assert_eq!(Currency::parse("EUR"), Currency::Eur);
    /// assert_eq!(Currency::parse("eUr"), Currency::Eur);
    /// assert!(matches!(Currency::parse("pyusd"), Currency::Other(code) if code == "pyusd"));
    /// ```
    pub fn parse(code: &str) -> Currency {
        Currency::KNOWN
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(code))
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| Currency::Other(code.to_string()))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Currency {
    type Err = std::convert::Infallible;
    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Ok(Currency::parse(code))
    }
}

impl ::serde::Serialize for Currency {
    fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> ::serde::Deserialize<'de> for Currency {
    fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
        Ok(Currency::parse(&code))
    }
}

/// An exact amount in a currency.
///
/// ```
/// use cardsdk_runtime::money::{Currency, Money};
///
/// let price = Money::new("12.50".parse().unwrap(), Currency::parse("EUR"));
/// assert_eq!(price.to_string(), "12.50 eur");
/// let tiny = Money::new(cardsdk_runtime::money::parse_amount("1e-18").unwrap(), Currency::Eth);
/// assert_eq!(tiny.to_string(), "0.000000000000000001 eth"); // never exponent notation
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
#[non_exhaustive]
pub struct Money {
    /// The amount, exact.
    #[serde(deserialize_with = "serde::decimal")]
    pub amount: Decimal,
    /// Its currency.
    pub currency: Currency,
}

impl Money {
    /// `amount` of `currency`.
    ///
    /// ```
    /// use cardsdk_runtime::money::{Currency, Money};
    ///
    /// let fee = Money::new(rust_decimal::Decimal::new(79, 2), Currency::Usd); // 79 × 10⁻²
    /// assert_eq!(fee.to_string(), "0.79 usd");
    /// ```
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// An amount and currency code as the API sends them (`"0.79"`, `"EUR"`), if the amount is present.
    ///
    /// ```
    /// use cardsdk_runtime::money::{parse_amount, Currency, Money};
    ///
    /// let price = Money::from_parts(Some(parse_amount("0.79")?), Some("EUR")).unwrap();
    /// assert_eq!(price.currency, Currency::Eur);
    /// assert_eq!(Money::from_parts(None, Some("EUR")), None);
    /// assert_eq!(Money::from_parts(Some(price.amount), None), None);
    /// # Ok::<(), cardsdk_runtime::money::AmountError>(())
    /// ```
    pub fn from_parts(amount: Option<Decimal>, currency: Option<&str>) -> Option<Money> {
        Some(Money { amount: amount?, currency: Currency::parse(currency?) })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Whole-token `amount` in on-chain minor units of a token with `decimals` decimals (`5000` USDC, 6 decimals →
/// `5000000000`). An amount with more fractional digits than the token has is an error, not a truncation.
///
/// ```
/// use cardsdk_runtime::money::{from_minor_units, to_minor_units};
///
/// assert_eq!(to_minor_units("5000".parse().unwrap(), 6).unwrap(), 5_000_000_000);
/// assert_eq!(to_minor_units("0.000001".parse().unwrap(), 6).unwrap(), 1);
/// assert!(to_minor_units("0.0000001".parse().unwrap(), 6).is_err());
/// assert_eq!(from_minor_units("6219123007416", 18).unwrap().to_string(), "0.000006219123007416");
/// ```
pub fn to_minor_units(amount: Decimal, decimals: u32) -> Result<i128, AmountError> {
    let text = amount.to_string();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    let frac = frac_part.trim_end_matches('0');
    if frac.len() > decimals as usize {
        return Err(AmountError::PrecisionLoss { text: format!("{text} with {decimals} decimals") });
    }
    let padded = format!("{int_part}{frac}{}", "0".repeat(decimals as usize - frac.len()));
    let units: i128 =
        padded.parse().map_err(|_| AmountError::Overflow { text: format!("{text} with {decimals} decimals") })?;
    Ok(if negative { -units } else { units })
}

/// Minor `units` (a decimal integer string, as on-chain values are too large for machine integers) of a token with
/// `decimals` decimals, in whole tokens.
///
/// ```
/// use cardsdk_runtime::money::{from_minor_units, AmountError};
///
/// assert_eq!(from_minor_units("5000000000", 6)?.to_string(), "5000.000000");
/// assert_eq!(from_minor_units("-15", 1)?.to_string(), "-1.5");
/// assert!(matches!(from_minor_units("12a", 6), Err(AmountError::Invalid { .. })));
/// # Ok::<(), AmountError>(())
/// ```
pub fn from_minor_units(units: &str, decimals: u32) -> Result<Decimal, AmountError> {
    let digits = units.strip_prefix('-').unwrap_or(units);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AmountError::Invalid { text: shorten(units) });
    }
    parse_amount(&format!("{units}e-{decimals}"))
}

/// Serde helpers for exact amounts, for your own types: `#[serde(deserialize_with = "cardsdk_runtime::money::serde::decimal")]`.
///
/// The generated types do not need them: their decoders read every amount by its [`Wire`](crate::wire::Wire) rule.
pub mod serde {
    use ::serde::Deserializer;

    use super::Decimal;
    use crate::wire::{Mode, Wire};

    /// Decodes a required amount from a decimal string or a JSON number, exactly.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Quote {
    ///     #[serde(deserialize_with = "cardsdk_runtime::money::serde::decimal")]
    ///     price: rust_decimal::Decimal,
    /// }
    /// let quote: Quote = serde_json::from_str(r#"{"price": 0.1}"#).unwrap();
    /// assert_eq!(quote.price.to_string(), "0.1"); // read from the text, never through f64
    /// assert!(serde_json::from_str::<Quote>(r#"{"price": "1e-29"}"#).is_err()); // would need rounding
    /// ```
    pub fn decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        Decimal::from_wire(deserializer, Mode::Exact)
    }

    /// Decodes an optional amount: `null` or a missing field (with `#[serde(default)]`) is `None`.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Fee {
    ///     #[serde(default, deserialize_with = "cardsdk_runtime::money::serde::option_decimal")]
    ///     amount: Option<rust_decimal::Decimal>,
    /// }
    /// let fee: Fee = serde_json::from_str(r#"{"amount": "0.79"}"#).unwrap();
    /// assert_eq!(fee.amount, Some(rust_decimal::Decimal::new(79, 2)));
    /// assert!(serde_json::from_str::<Fee>(r#"{"amount": null}"#).unwrap().amount.is_none());
    /// ```
    pub fn option_decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
        Option::<Decimal>::from_wire(deserializer, Mode::Exact)
    }

    /// Like [`decimal`], rounding beyond 28 fractional digits (see [`parse_amount_rounding`](super::parse_amount_rounding)).
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Estimate {
    ///     #[serde(deserialize_with = "cardsdk_runtime::money::serde::decimal_rounding")]
    ///     rate: rust_decimal::Decimal,
    /// }
    /// let estimate: Estimate = serde_json::from_str(r#"{"rate": 0.01644666445335518319452825472}"#).unwrap();
    /// assert_eq!(estimate.rate.to_string(), "0.0164466644533551831945282547");
    /// ```
    pub fn decimal_rounding<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        Decimal::from_wire(deserializer, Mode::Rounding)
    }

    /// Like [`option_decimal`], rounding beyond 28 fractional digits.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Estimate {
    ///     #[serde(default, deserialize_with = "cardsdk_runtime::money::serde::option_decimal_rounding")]
    ///     fee: Option<rust_decimal::Decimal>,
    /// }
    /// let estimate: Estimate = serde_json::from_str(r#"{"fee": "0.01644666445335518319452825472"}"#).unwrap();
    /// assert_eq!(estimate.fee.unwrap().to_string(), "0.0164466644533551831945282547");
    /// assert!(serde_json::from_str::<Estimate>("{}").unwrap().fee.is_none());
    /// ```
    pub fn option_decimal_rounding<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
        Option::<Decimal>::from_wire(deserializer, Mode::Rounding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> String {
        parse_amount(text).unwrap_or_else(|e| panic!("{text}: {e}")).to_string()
    }

    #[test]
    fn plain_and_scientific() {
        assert_eq!(ok("0.79"), "0.79");
        assert_eq!(ok("10.00"), "10.00");
        assert_eq!(ok("-5.5"), "-5.5");
        assert_eq!(ok("+5"), "5");
        assert_eq!(ok("0"), "0");
        assert_eq!(ok(".5"), "0.5");
        assert_eq!(ok("5."), "5");
        assert_eq!(ok("1e-7"), "0.0000001");
        assert_eq!(ok("1.5E3"), "1500");
        assert_eq!(ok("12.345e1"), "123.45");
        assert_eq!(ok("0e999"), "0");
        assert_eq!(ok("0.12345678901234567890"), "0.12345678901234567890");
        assert_eq!(ok("79228162514264337593543950335"), "79228162514264337593543950335");
        assert_eq!(ok("1.0000000000000000000000000001"), "1.0000000000000000000000000001");
        // Zeros beyond the 28th fractional digit are not value.
        assert_eq!(ok("0.100000000000000000000000000000000"), "0.1000000000000000000000000000");
    }

    #[test]
    fn minor_units_both_ways() {
        assert_eq!(to_minor_units(Decimal::ZERO, 6).unwrap(), 0);
        assert_eq!(to_minor_units("-1.5".parse().unwrap(), 6).unwrap(), -1_500_000);
        assert_eq!(to_minor_units("1.500000".parse().unwrap(), 2).unwrap(), 150, "trailing zeros are not precision");
        assert!(matches!(to_minor_units("0.123".parse().unwrap(), 2), Err(AmountError::PrecisionLoss { .. })));
        assert_eq!(to_minor_units("100000000000000000000".parse().unwrap(), 18).unwrap(), 10i128.pow(38));
        assert!(matches!(to_minor_units(Decimal::MAX, 18), Err(AmountError::Overflow { .. })), "beyond i128");
        assert_eq!(from_minor_units("5000000000", 6).unwrap().to_string(), "5000.000000");
        assert_eq!(from_minor_units("1", 0).unwrap().to_string(), "1");
        assert_eq!(from_minor_units("-15", 1).unwrap().to_string(), "-1.5");
        assert!(matches!(from_minor_units("12a", 6), Err(AmountError::Invalid { .. })));
        // uint256::MAX approvals do not fit a Decimal: a typed error.
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert!(matches!(from_minor_units(max, 6), Err(AmountError::Overflow { .. })));
        for units in ["1", "999999", "123456789012345678"] {
            let whole = from_minor_units(units, 6).unwrap();
            assert_eq!(to_minor_units(whole, 6).unwrap().to_string(), units);
        }
    }

    #[test]
    fn currencies_and_money() {
        assert_eq!(Currency::parse("USDC"), Currency::Usdc);
        assert_eq!(Currency::parse("eur").to_string(), "eur");
        assert_eq!(Currency::parse("PYUSD"), Currency::Other("PYUSD".into()));
        let m: Money = serde_json::from_str(r#"{"amount": 0.1, "currency": "EUR"}"#).unwrap();
        assert_eq!(m.to_string(), "0.1 eur");
        assert_eq!(serde_json::to_value(&m).unwrap(), serde_json::json!({"amount": "0.1", "currency": "eur"}));
        assert_eq!(Money::from_parts(Some(Decimal::ONE), Some("usd")).unwrap().currency, Currency::Usd);
        assert!(Money::from_parts(None, Some("usd")).is_none());
    }

    #[test]
    fn refuses_rather_than_rounds() {
        for text in ["0.01644666445335518319452825472", "1e-29", "123456789012345678901.123456789"] {
            assert!(matches!(parse_amount(text), Err(AmountError::PrecisionLoss { .. })), "{text}");
        }
        for text in ["79228162514264337593543950336", "1e30", "1e99"] {
            assert!(matches!(parse_amount(text), Err(AmountError::Overflow { .. })), "{text}");
        }
        for text in ["", "-", ".", "abc", "1,5", "1e", "0x10", "1.2.3", " 1", "NaN", "--1"] {
            assert!(matches!(parse_amount(text), Err(AmountError::Invalid { .. })), "{text:?}");
        }
    }
}
