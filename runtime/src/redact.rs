//! Keeping secrets and personal data out of `Debug`, errors and logs.
//!
//! Two rules, applied together wherever server text can reach output (error messages, body snippets, `Debug` of
//! free-form JSON):
//!
//! - **by name**: the value of a member whose name says it is a credential or card data (`*token`, `*secret`,
//!   `password`, `otp`, `pin`, `cvv`/`cvc`/`securityCode`, `pan`/`cardNumber`, `apiKey`, `authorization`, …, in
//!   any casing, with or without `-`/`_`) is replaced by `"[redacted]"`;
//! - **by value**: a string that looks like a secret wherever it appears (a JWT, a `Bearer` credential, a key with a
//!   secret prefix such as `sk_`/`whk_`, or a 13–19-digit card number passing the Luhn check) is replaced too.
//!
//! ```
//! use cardsdk_runtime::redact::{redact_json, redact_text};
//!
//! let mut body = serde_json::json!({"cardNumber": "4111 1111 1111 1111", "note": "call 4111111111111111", "ok": "visible"});
//! redact_json(&mut body);
//! assert_eq!(body["cardNumber"], "[redacted]");
//! assert_eq!(body["note"], "call [redacted]");
//! assert_eq!(body["ok"], "visible");
//! assert_eq!(redact_text("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl here"), "token [redacted] here");
//! ```

use serde_json::Value;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Member names (lower case, without `-`/`_`) whose values are credentials, card data or personal data.
const SECRET_NAMES: [&str; 34] = [
    "secret",
    "clientsecret",
    "secretkey",
    "password",
    "newpassword",
    "otp",
    "otpcode",
    "apikey",
    "codeverifier",
    "verifier",
    "pin",
    "pincode",
    "newpin",
    "cvv",
    "cvv2",
    "cvc",
    "cvc2",
    "securitycode",
    "pan",
    "pannumber",
    "cardnumber",
    "cardpan",
    "fullpan",
    "expiry",
    "expirydate",
    "imageurl",
    "hostedpageurl",
    "authorization",
    "cookie",
    "ssn",
    "socialsecuritynumber",
    "privatekey",
    "mnemonic",
    "seedphrase",
];

/// Whether a member named `name` holds a secret (see the [module docs](self)).
///
/// ```
/// use cardsdk_runtime::redact::is_secret_key;
///
/// for name in ["access_token", "refreshToken", "x-secret-key", "card_number", "securityCode", "pin_code", "CVC"] {
///     assert!(is_secret_key(name), "{name}");
/// }
/// assert!(!is_secret_key("message"));
/// assert!(!is_secret_key("tokenType"));
/// ```
pub fn is_secret_key(name: &str) -> bool {
    let key: String = name.chars().filter(|c| *c != '-' && *c != '_').map(|c| c.to_ascii_lowercase()).collect();
    key.ends_with("token")
        || key.ends_with("secret")
        || key.ends_with("secretkey")
        || key.ends_with("password")
        || key.ends_with("apikey")
        || key.ends_with("privatekey")
        || key.contains("cardnumber")
        || SECRET_NAMES.contains(&key.as_str())
        // An OAuth authorization code, but not an error code (`"code": 1010`): see `redact_json`.
        || key == "authorizationcode"
}

/// Replaces secrets in a JSON value, in place: by member name and by value (see the [module docs](self)).
///
/// A member named `code` (an OAuth authorization code, or an error code) is redacted only when it holds a long
/// string, so that error codes stay readable.
///
/// ```
/// use cardsdk_runtime::redact::redact_json;
///
/// let mut v = serde_json::json!({"error": {"code": 1010, "message": "bad"}, "code": "S3cr3tAuthorizationCodeValue1234"});
/// redact_json(&mut v);
/// assert_eq!(v["error"]["code"], 1010);
/// assert_eq!(v["code"], "[redacted]");
/// ```
pub fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let long_code = key.eq_ignore_ascii_case("code") && v.as_str().is_some_and(|s| s.len() >= 16);
                if (is_secret_key(key) && !v.is_null()) || long_code {
                    *v = Value::String(REDACTED.into());
                } else {
                    redact_json(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::String(text) => {
            let redacted = redact_text(text);
            if redacted != *text {
                *text = redacted;
            }
        }
        _ => {}
    }
}

/// Replaces secret-looking words of free text (see the [module docs](self)); the rest is kept.
///
/// ```
/// use cardsdk_runtime::redact::redact_text;
///
/// assert_eq!(redact_text("Authorization: Bearer abc.def"), "Authorization: Bearer [redacted]");
/// assert_eq!(redact_text("card 5555-5555-5555-4444 declined"), "card [redacted] declined");
/// assert_eq!(redact_text("order 1234567890123 shipped"), "order 1234567890123 shipped"); // fails the Luhn check
/// ```
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut after_bearer = false;
    while !rest.is_empty() {
        // Words are separated by whitespace and a few punctuation marks; card numbers may contain spaces or
        // dashes, so digit groups are looked at as a run.
        if let Some(len) = card_number_run(rest) {
            out.push_str(REDACTED);
            rest = &rest[len..];
            after_bearer = false;
            continue;
        }
        let end = rest
            .find(|c: char| {
                c.is_whitespace() || matches!(c, ',' | ';' | '"' | '\'' | '(' | ')' | '<' | '>' | '=' | '&')
            })
            .unwrap_or(rest.len());
        if end == 0 {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let word = &rest[..end];
        if after_bearer || looks_like_secret(word) {
            out.push_str(REDACTED);
        } else {
            out.push_str(word);
        }
        after_bearer = word.eq_ignore_ascii_case("bearer") || word.eq_ignore_ascii_case("basic");
        rest = &rest[end..];
    }
    out
}

/// A JWT, or a key with a secret prefix.
fn looks_like_secret(word: &str) -> bool {
    let word = word.trim_matches(|c: char| matches!(c, '.' | ':' | '[' | ']' | '{' | '}'));
    let jwt = word.starts_with("eyJ") && word.split('.').count() == 3 && word.len() >= 20;
    const PREFIXES: [&str; 6] = ["sk_live_", "sk_test_", "whk_", "rk_live_", "rk_test_", "whsec_"];
    jwt || PREFIXES.iter().any(|p| word.starts_with(p) && word.len() > p.len() + 4)
}

/// The length of a card number at the start of `text`: 13–19 digits, optionally grouped by single spaces or dashes,
/// passing the Luhn check, not part of a longer number.
fn card_number_run(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    if !bytes.first()?.is_ascii_digit() {
        return None;
    }
    let mut digits = Vec::with_capacity(19);
    let mut end = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            digits.push(b - b'0');
            end = i + 1;
            if digits.len() > 19 {
                return None;
            }
        } else if (b == b' ' || b == b'-') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) && digits.len() < 19 {
            // a group separator
        } else {
            break;
        }
        i += 1;
    }
    if bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    ((13..=19).contains(&digits.len()) && luhn(&digits)).then_some(end)
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A value quoted for an error message: shortened, and withheld when it looks like a secret.
pub(crate) fn quoted_for_error(text: &str) -> String {
    const MAX: usize = 40;
    let redacted = redact_text(text);
    if redacted != text {
        return format!("\"{REDACTED}\"");
    }
    // Long unbroken strings are likely tokens or ids: show the start only.
    let shown: String = text.chars().take(MAX).collect();
    if shown.len() < text.len() { format!("{:?}…", shown) } else { format!("{text:?}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_by_value() {
        for pan in ["4111111111111111", "4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005"] {
            assert_eq!(redact_text(pan), REDACTED, "{pan}");
            assert_eq!(redact_text(&format!("x {pan} y")), format!("x {REDACTED} y"), "{pan}");
        }
        for not_pan in ["4111111111111112", "12345", "41111111111111111111111", "4111111111111111abc"] {
            assert_eq!(redact_text(not_pan), not_pan, "{not_pan}");
        }
    }

    #[test]
    fn tokens_by_value() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        assert_eq!(redact_text(&format!("\"{jwt}\"")), format!("\"{REDACTED}\""));
        assert_eq!(redact_text("key whk_abcdef123456"), format!("key {REDACTED}"));
        assert_eq!(redact_text("plain words stay"), "plain words stay");
    }

    #[test]
    fn by_name_in_nested_json() {
        let mut v =
            serde_json::json!({"a": [{"refresh_token": "r"}], "b": {"cvc": "123"}, "n": null, "pin_code": 1234});
        redact_json(&mut v);
        assert_eq!(v["a"][0]["refresh_token"], REDACTED);
        assert_eq!(v["b"]["cvc"], REDACTED);
        assert_eq!(v["pin_code"], REDACTED);
        assert!(v["n"].is_null());
    }
}

/// How a value prints in the `Debug` of a generated type: like `Debug`, with secret-looking text redacted by value
/// (see [`redact_text`]). Implemented for the field types of generated types; the generated types implement it
/// through their own (redacting) `Debug`.
///
/// ```
/// use cardsdk_runtime::redact::Redacted;
///
/// let note = String::from("card 4111 1111 1111 1111 declined");
/// assert_eq!(format!("{:?}", Redacted(&note)), r#""card [redacted] declined""#);
/// assert_eq!(format!("{:?}", Redacted(&Some(3u8))), "Some(3)");
/// ```
pub trait RedactDebug {
    /// Writes the value for `Debug`, redacted.
    fn redact_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result;
}

/// A value printed through [`RedactDebug`].
pub struct Redacted<'a, T: ?Sized>(pub &'a T);

impl<T: RedactDebug + ?Sized> std::fmt::Debug for Redacted<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.redact_fmt(f)
    }
}

/// A field marked secret or personal in the contract: prints `[redacted]` (or `None` for an absent optional one),
/// never its value.
///
/// ```
/// use cardsdk_runtime::redact::Hidden;
///
/// assert_eq!(format!("{:?}", Hidden::present(true)), "Some([redacted])");
/// assert_eq!(format!("{:?}", Hidden::present(false)), "None");
/// assert_eq!(format!("{:?}", Hidden::always()), "[redacted]");
/// ```
#[derive(Clone, Copy)]
pub struct Hidden(Option<bool>);

impl Hidden {
    /// For an optional field: `Some([redacted])` when it holds a value.
    pub fn present(present: bool) -> Self {
        Hidden(Some(present))
    }

    /// For a required field.
    pub fn always() -> Self {
        Hidden(None)
    }
}

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(true) => f.write_str("Some([redacted])"),
            Some(false) => f.write_str("None"),
            None => f.write_str(REDACTED),
        }
    }
}

impl RedactDebug for str {
    fn redact_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&redact_text(self), f)
    }
}

impl RedactDebug for String {
    fn redact_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().redact_fmt(f)
    }
}

macro_rules! redact_as_debug {
    ($($t:ty),*) => {$(
        impl RedactDebug for $t {
            fn redact_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self, f)
            }
        }
    )*};
}

redact_as_debug!(
    bool,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    f32,
    f64,
    rust_decimal::Decimal,
    crate::TokenAmount,
    crate::Timestamp,
    crate::Json,
    crate::JsonMap
);

impl RedactDebug for serde_json::Value {
    fn redact_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut value = self.clone();
        redact_json(&mut value);
        write!(f, "{value}")
    }
}

impl<T: RedactDebug + ?Sized> RedactDebug for Box<T> {
    fn redact_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).redact_fmt(f)
    }
}

impl<T: RedactDebug> RedactDebug for Option<T> {
    fn redact_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Some(v) => f.debug_tuple("Some").field(&Redacted(v)).finish(),
            None => f.write_str("None"),
        }
    }
}

impl<T: RedactDebug, E: std::fmt::Debug> RedactDebug for Result<T, E> {
    fn redact_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ok(v) => f.debug_tuple("Ok").field(&Redacted(v)).finish(),
            Err(e) => f.debug_tuple("Err").field(e).finish(),
        }
    }
}

impl<T: RedactDebug> RedactDebug for Vec<T> {
    fn redact_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter().map(Redacted)).finish()
    }
}

impl<T: RedactDebug> RedactDebug for std::collections::HashMap<String, T> {
    fn redact_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter().map(|(k, v)| (k, Redacted(v)))).finish()
    }
}

impl<T: RedactDebug> RedactDebug for std::collections::BTreeMap<String, T> {
    fn redact_fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter().map(|(k, v)| (k, Redacted(v)))).finish()
    }
}
