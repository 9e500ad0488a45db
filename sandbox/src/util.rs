//! Small helpers: a deterministic generator, random ids, dates, JWT-shaped tokens, decimal parsing.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// A small deterministic generator (SplitMix64): the same seed always gives the same data, whatever version of
/// any random-number crate is in use.
#[derive(Debug, Clone)]
pub(crate) struct Det(u64);

impl Det {
    /// A generator for `seed`, mixed with a `stream` so that independent parts of the data do not correlate.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        // Both inputs go through the finalizer, so that neighbouring streams do not give shifted copies of one
        // sequence (SplitMix64 states that differ by a multiple of its increment would).
        Det(mix(seed ^ mix(stream.wrapping_add(0xD1B5_4A32_D192_ED03))))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A number in `lo..hi` (`lo` when the range is empty).
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo { lo } else { lo + self.next_u64() % (hi - lo) }
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.range(0, items.len() as u64) as usize;
        &items[i.min(items.len().saturating_sub(1))]
    }

    /// `true` with probability `percent`/100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.range(0, 100) < percent
    }

    pub(crate) fn uuid(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        format_uuid((u128::from(hi) << 64) | u128::from(lo))
    }

    pub(crate) fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len + 16);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(len);
        s
    }

    pub(crate) fn digits(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from(b'0' + self.range(0, 10) as u8)).collect()
    }

    pub(crate) fn alnum(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len).map(|_| char::from(*self.pick(ALPHABET))).collect()
    }

    pub(crate) fn base58(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from(*self.pick(BASE58))).collect()
    }
}

/// The SplitMix64 finalizer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Formats 128 bits as a version-4 UUID string.
fn format_uuid(v: u128) -> String {
    let mut b = v.to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// A fresh random UUID (v4).
pub(crate) fn random_uuid() -> String {
    format_uuid(rand::random::<u128>())
}

/// `len` random lowercase hex characters.
pub(crate) fn random_hex(len: usize) -> String {
    let mut s = String::with_capacity(len + 32);
    while s.len() < len {
        s.push_str(&format!("{:032x}", rand::random::<u128>()));
    }
    s.truncate(len);
    s
}

/// `len` random ASCII letters and digits.
pub(crate) fn random_alnum(len: usize) -> String {
    let mut d = Det::new(rand::random::<u64>(), rand::random::<u64>());
    d.alnum(len)
}

/// A random base64url string from `bytes` random bytes.
pub(crate) fn random_token(bytes: usize) -> String {
    let raw: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    URL_SAFE_NO_PAD.encode(raw)
}

// ---------------------------------------------------------------------------------------------------------------
// Time

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> i64 {
    now_ms() / 1000
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `now + ttl`, capped (a huge TTL means "never" rather than an overflow).
pub(crate) fn deadline(ttl: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(ttl).or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400))).unwrap_or(now)
}

/// ISO 8601 UTC with milliseconds: `2024-10-14T10:44:36.276Z`.
pub(crate) fn iso_ms(ms: i64) -> String {
    format_time(ms, TimeForm::Millis)
}

/// The timestamp forms the live API writes (field notes), all for an exact instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeForm {
    /// `2026-05-01T12:00:00.000Z`.
    Millis,
    /// `2026-05-01T12:00:00+00:00`.
    ZeroOffset,
    /// `2026-05-01T12:00:00Z` (no milliseconds).
    Seconds,
    /// `2026-05-01T14:00:00+02:00`: the same instant at UTC+2.
    PlusTwo,
    /// `2026-05-01T07:00:00.000-05:00`: the same instant at UTC−5, with milliseconds.
    MinusFiveMillis,
}

/// `ms` (since the epoch) in `form`. The forms without milliseconds drop them: give them whole seconds.
pub(crate) fn format_time(ms: i64, form: TimeForm) -> String {
    let (offset_min, millis, zulu) = match form {
        TimeForm::Millis => (0, true, true),
        TimeForm::ZeroOffset => (0, false, false),
        TimeForm::Seconds => (0, false, true),
        TimeForm::PlusTwo => (120, false, false),
        TimeForm::MinusFiveMillis => (-300, true, false),
    };
    let local = ms + offset_min * 60_000;
    let days = local.div_euclid(86_400_000);
    let rem = local.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    let mut out = format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}");
    if millis {
        out.push_str(&format!(".{milli:03}"));
    }
    if zulu {
        out.push('Z');
    } else {
        let sign = if offset_min < 0 { '-' } else { '+' };
        out.push_str(&format!("{sign}{:02}:{:02}", offset_min.abs() / 60, offset_min.abs() % 60));
    }
    out
}

/// The current time as ISO 8601.
pub(crate) fn now_iso() -> String {
    iso_ms(now_ms())
}

/// Parses `YYYY-MM-DD` into a day number; `None` when it is not a real date in that format.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let day = days_from_civil(i64::from(y), m, d);
    // Reject 2023-02-30 and the like: the round trip must give the same date.
    (civil_from_days(day) == (i64::from(y), m, d)).then_some(day)
}

/// A `Duration` as whole seconds, rounded up (at least 1 when non-zero).
pub(crate) fn ceil_secs(d: Duration) -> u64 {
    let s = d.as_secs();
    if d.subsec_nanos() > 0 { s + 1 } else { s }
}

// ---------------------------------------------------------------------------------------------------------------
// Crypto

/// `BASE64URL(SHA256(verifier))` without padding: the PKCE S256 challenge.
pub(crate) fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// HMAC-SHA256 of `msg` keyed with `key`.
pub(crate) fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
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

/// Compares two byte strings in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---------------------------------------------------------------------------------------------------------------
// Text formats

/// A positive decimal amount string (`^\d+(\.\d+)?$`, greater than zero).
pub(crate) fn parse_amount(s: &str) -> Option<Decimal> {
    if !is_decimal_string(s) {
        return None;
    }
    let d: Decimal = s.parse().ok()?;
    (d > Decimal::ZERO).then_some(d)
}

/// `^\d+(\.\d+)?$`.
pub(crate) fn is_decimal_string(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    !int.is_empty()
        && int.bytes().all(|c| c.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()))
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

/// Minimal HTML escaping for text placed in the sandbox's pages.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query component (RFC 3986 unreserved characters are kept).
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `url` with `params` appended to its query string (keeps a fragment at the end).
pub(crate) fn append_query(url: &str, params: &[(&str, &str)]) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let mut out = base.to_string();
    for (k, v) in params {
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(&url_encode(k));
        out.push('=');
        out.push_str(&url_encode(v));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
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
    fn dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(iso_ms(1_728_902_676_276), "2024-10-14T10:44:36.276Z");
        assert_eq!(parse_date("2024-10-14"), Some(days_from_civil(2024, 10, 14)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2023-2-01"), None);
        assert_eq!(parse_date("２０２３-02-01"), None);
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.mmm](Z|±HH:MM)` back into ms since the epoch.
    fn parse_instant(s: &str) -> i64 {
        let (date, rest) = s.split_once('T').unwrap();
        let day = parse_date(date).unwrap();
        let (clock, offset_min) = if let Some(c) = rest.strip_suffix('Z') {
            (c, 0)
        } else {
            let (c, off) = rest.split_at(rest.len() - 6);
            let sign = if off.starts_with('-') { -1 } else { 1 };
            (c, sign * (off[1..3].parse::<i64>().unwrap() * 60 + off[4..6].parse::<i64>().unwrap()))
        };
        let (hms, frac) = clock.split_once('.').unwrap_or((clock, "0"));
        let p: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
        day * 86_400_000 + p[0] * 3_600_000 + p[1] * 60_000 + p[2] * 1000 + frac.parse::<i64>().unwrap()
            - offset_min * 60_000
    }

    #[test]
    fn time_forms_write_the_same_instant() {
        let noon = days_from_civil(2026, 5, 1) * 86_400_000 + 12 * 3_600_000;
        let written: Vec<String> =
            [TimeForm::Millis, TimeForm::ZeroOffset, TimeForm::Seconds, TimeForm::PlusTwo, TimeForm::MinusFiveMillis]
                .into_iter()
                .map(|f| format_time(noon, f))
                .collect();
        assert_eq!(
            written,
            [
                "2026-05-01T12:00:00.000Z",
                "2026-05-01T12:00:00+00:00",
                "2026-05-01T12:00:00Z",
                "2026-05-01T14:00:00+02:00",
                "2026-05-01T07:00:00.000-05:00",
            ]
        );
        assert!(written.iter().all(|w| parse_instant(w) == noon));
        // Across midnight, the local date moves with the offset.
        let late = days_from_civil(2025, 12, 31) * 86_400_000 + 23 * 3_600_000 + 30 * 60_000;
        assert_eq!(format_time(late, TimeForm::PlusTwo), "2026-01-01T01:30:00+02:00");
        assert_eq!(format_time(late + 7, TimeForm::Millis), "2025-12-31T23:30:00.007Z");
    }

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
        assert!(
            is_decimal_string("10.00")
                && is_decimal_string("5000")
                && !is_decimal_string("1.")
                && !is_decimal_string("-1")
        );
        assert!(parse_amount("0").is_none() && parse_amount("0.01").is_some());
        assert_eq!(mask_phone("+44", "7400846225"), "+447******225");
        assert_eq!(append_query("https://a/cb?x=1#f", &[("code", "a b")]), "https://a/cb?x=1&code=a%20b#f");
        let mut d = Det::new(1, 2);
        assert_eq!(d.uuid().len(), 36);
        // Neighbouring streams are unrelated.
        let firsts: std::collections::HashSet<u64> = (0..10_000).map(|s| Det::new(42, s).next_u64()).collect();
        let seconds: std::collections::HashSet<u64> = (0..10_000)
            .map(|s| {
                let mut d = Det::new(42, s);
                d.next_u64();
                d.next_u64()
            })
            .collect();
        assert_eq!(firsts.len(), 10_000);
        assert!(firsts.is_disjoint(&seconds));
    }
}
