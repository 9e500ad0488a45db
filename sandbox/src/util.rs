//! Small helpers. The generic ones (the seeded generator, random ids, dates and time forms, HMAC, escaping) live in
//! the shared kit and are re-exported here; the Baanx-specific ones (PKCE, JWT-shaped tokens, amount and address
//! formats, phone masking) are below.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
pub(crate) use cardsdk_sandbox_kit::{
    BASE58, Det, TimeForm, append_query, ceil_secs, civil_from_days, constant_time_eq, deadline, format_time,
    hmac_sha256, html_escape, is_decimal_string, iso_ms, now_iso, now_ms, now_secs, parse_date, random_alnum,
    random_hex, random_token, random_uuid, url_encode,
};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// `BASE64URL(SHA256(verifier))` without padding: the PKCE S256 challenge.
pub(crate) fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A JWT (HS256) over `claims`, signed with `secret`.
pub(crate) fn jwt_sign(secret: &str, claims: &serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let sig = URL_SAFE_NO_PAD.encode(hmac_sha256(secret.as_bytes(), signing_input.as_bytes()));
    format!("{signing_input}.{sig}")
}

/// The claims of a JWT signed by [`jwt_sign`] with `secret`; `None` when malformed or the signature is wrong.
pub(crate) fn jwt_verify(secret: &str, token: &str) -> Option<serde_json::Value> {
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let expected = hmac_sha256(secret.as_bytes(), format!("{h}.{p}").as_bytes());
    let got = URL_SAFE_NO_PAD.decode(s).ok()?;
    if !constant_time_eq(&expected, &got) {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()
}

/// A positive decimal amount string (`^\d+(\.\d+)?$`, greater than zero).
pub(crate) fn parse_amount(s: &str) -> Option<Decimal> {
    if !is_decimal_string(s) {
        return None;
    }
    let d: Decimal = s.parse().ok()?;
    (d > Decimal::ZERO).then_some(d)
}

/// `0x` followed by exactly `n` hex digits.
pub(crate) fn is_0x_hex(s: &str, n: usize) -> bool {
    s.strip_prefix("0x").is_some_and(|h| h.len() == n && h.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// Base58 (Bitcoin alphabet) of a length in `min..=max`.
pub(crate) fn is_base58(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|c| BASE58.contains(&c))
}

/// A 6-digit-style hex colour `#RRGGBB` (also `#RGB`).
pub(crate) fn is_hex_color(s: &str) -> bool {
    s.strip_prefix('#').is_some_and(|h| (h.len() == 6 || h.len() == 3) && h.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// Masks a phone number as the login response does: `+445*****225`.
pub(crate) fn mask_phone(country: &str, number: &str) -> String {
    let full: Vec<char> = format!("{country}{number}").chars().collect();
    if full.len() <= 7 {
        return full.iter().collect();
    }
    let head: String = full[..4].iter().collect();
    let tail: String = full[full.len() - 3..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(full.len() - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_rfc7636_example() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn jwt_round_trip() {
        let t = jwt_sign("s", &serde_json::json!({"sub": "u"}));
        assert_eq!(jwt_verify("s", &t).unwrap()["sub"], "u");
        assert!(jwt_verify("other", &t).is_none());
        assert!(jwt_verify("s", "a.b").is_none());
    }

    #[test]
    fn formats() {
        assert!(parse_amount("0").is_none() && parse_amount("0.01").is_some());
        assert_eq!(mask_phone("+44", "7400846225"), "+447******225");
        assert!(is_0x_hex("0xabcdef", 6) && !is_0x_hex("abcdef", 6));
        assert!(is_base58("abc", 1, 3) && !is_base58("0OIl", 1, 4));
        assert!(is_hex_color("#fff") && !is_hex_color("#ffff"));
    }
}
