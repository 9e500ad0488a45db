//! The local IBAN check (the structure and the ISO 7064 mod-97 check digits, by the kept `iban_validate` crate),
//! run by the hooks on `validate_iban` and `create_payment_contact` before anything is sent: an IBAN that cannot be
//! valid is refused as [`Error::InvalidRequest`](crate::Error::InvalidRequest) at no cost of a round trip (the
//! server would answer 500/1010 "Invalid IBAN"). The check never quotes the IBAN (it is personal data).
//!
//! ```
//! use vaultspay::iban::check;
//!
//! assert!(check("AE07 0331 2345 6789 0123 456").is_ok()); // spaces allowed, as printed
//! assert_eq!(check("AE08 0331 2345 6789 0123 456").unwrap_err(), "the IBAN has an invalid checksum");
//! assert_eq!(check("not an iban").unwrap_err(), "the string doesn't conform to the IBAN format");
//! ```

use iban::BaseIban;

/// Checks the format and the mod-97 check digits of `iban` (the electronic form, or the printed one with
/// spaces).
///
/// # Errors
///
/// Why it cannot be an IBAN (never the IBAN itself).
pub fn check(iban: &str) -> Result<(), String> {
    iban.trim().parse::<BaseIban>().map(|_| ()).map_err(|e| e.to_string())
}

/// The operations whose body's `iban` is checked.
pub(crate) const CHECKED: [&str; 2] = ["create_payment_contact", "validate_iban"];

/// The refusal for a request body whose `iban` fails the check (`None`: no `iban`, or a valid one).
pub(crate) fn refusal(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let iban = value.get("iban")?.as_str()?;
    check(iban).err().map(|why| format!("the IBAN fails the local check ({why}); nothing was sent"))
}
