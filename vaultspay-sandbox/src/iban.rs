//! IBANs: structure, per-country length and the real ISO 13616 mod-97 check; making valid ones for the sandbox's
//! accounts; and the bank behind one.

use crate::catalog::{OWN_BANK_CODE, UAE_BANKS};

/// Lengths of the IBANs of the countries the sandbox knows; others must be 15 to 34 characters.
const LENGTHS: [(&str, usize); 20] = [
    ("AE", 23),
    ("AT", 20),
    ("BE", 16),
    ("BH", 22),
    ("CH", 21),
    ("DE", 22),
    ("EG", 29),
    ("ES", 24),
    ("FR", 27),
    ("GB", 22),
    ("IE", 22),
    ("IT", 27),
    ("KW", 30),
    ("LU", 20),
    ("NL", 18),
    ("OM", 23),
    ("PK", 24),
    ("QA", 29),
    ("SA", 24),
    ("TR", 26),
];

/// A checked IBAN, without spaces, upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Iban(String);

impl Iban {
    /// The IBAN text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The ISO country code.
    pub(crate) fn country(&self) -> &str {
        &self.0[..2]
    }

    /// The country-specific part after the check digits.
    pub(crate) fn bban(&self) -> &str {
        &self.0[4..]
    }
}

/// The remainder mod 97 of the IBAN's digits (letters as 10..35), computed piecewise (no big integers).
fn mod97(chars: impl Iterator<Item = char>) -> Option<u32> {
    let mut rem: u32 = 0;
    for c in chars {
        let v = c.to_digit(36)?;
        rem = if v < 10 { (rem * 10 + v) % 97 } else { (rem * 100 + v) % 97 };
    }
    Some(rem)
}

/// Checks an IBAN (spaces ignored, any case): two letters, two check digits, an alphanumeric BBAN of the
/// country's length, and the mod-97 remainder 1.
pub(crate) fn validate(text: &str) -> Result<Iban, ()> {
    let s: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    let b = s.as_bytes();
    if b.len() < 5 || !b[..2].iter().all(u8::is_ascii_uppercase) || !b[2..4].iter().all(u8::is_ascii_digit) {
        return Err(());
    }
    if !b[4..].iter().all(u8::is_ascii_alphanumeric) {
        return Err(());
    }
    let length_ok = match LENGTHS.iter().find(|(c, _)| c.as_bytes() == &b[..2]) {
        Some((_, n)) => s.len() == *n,
        None => (15..=34).contains(&s.len()),
    };
    if !length_ok {
        return Err(());
    }
    let rearranged = s[4..].chars().chain(s[..4].chars());
    match mod97(rearranged) {
        Some(1) => Ok(Iban(s)),
        _ => Err(()),
    }
}

/// The valid IBAN of `country` (two letters) and `bban` (check digits computed).
pub(crate) fn make(country: &str, bban: &str) -> String {
    let rem = mod97(bban.chars().chain(country.chars()).chain("00".chars())).unwrap_or(0);
    format!("{country}{:02}{bban}", 98 - rem)
}

/// The IBAN of a sandbox account: a UAE IBAN at the sandbox's bank with the 14-digit account number.
pub(crate) fn for_account(account_number: &str) -> String {
    make("AE", &format!("{OWN_BANK_CODE}{account_number:0>16}"))
}

/// The bank of an IBAN: `(bankCode, bankName, swiftCode)`. UAE IBANs are looked up by their 3-digit bank code;
/// others get a generic bank named after the country and the first four BBAN characters.
pub(crate) fn bank(iban: &Iban) -> (String, String, String) {
    if iban.country() == "AE" {
        let code = &iban.bban()[..3];
        if let Some((c, name, swift)) = UAE_BANKS.iter().find(|(c, _, _)| *c == code) {
            return (c.to_string(), name.to_string(), swift.to_string());
        }
        return (code.to_string(), format!("UAE Bank {code}"), format!("XXX{code}AEAXXX"));
    }
    let code: String = iban.bban().chars().take(4).collect();
    (code.clone(), format!("{} Bank {code}", iban.country()), format!("SBOX{}XXXXX", iban.country()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mod97_and_lengths() {
        for ok in ["GB82 WEST 1234 5698 7654 32", "de89370400440532013000", "AE580300000002000007377"] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        assert_eq!(validate("gb82 west 1234 5698 7654 32").unwrap().as_str(), "GB82WEST12345698765432");
        assert!(validate("AE000000000000000000000").is_err(), "the docs' placeholder");
        assert!(validate("GB83WEST12345698765432").is_err(), "one check digit off");
        assert!(validate("GB82WEST1234569876543").is_err(), "too short for GB");
        assert!(validate("GB82WEST12345698765-32").is_err());
        let own = for_account("30132278593204");
        assert_eq!(own.len(), 23);
        assert!(validate(&own).is_ok(), "{own}");
        assert_eq!(bank(&validate(&own).unwrap()).1, "Zand Bank PJSC");
        assert_eq!(make("AE", "0330000012345678901"), "AE290330000012345678901");
    }
}
