//! Seeded data: a deterministic generator (the same seed always gives the same data), and fresh random ids.

use base64::Engine as _;

/// A small deterministic generator (SplitMix64): the same seed always gives the same data, whatever version of
/// any random-number crate is in use.
///
/// ```
/// use cardsdk_sandbox_kit::Det;
/// let mut a = Det::new(42, 7);
/// let mut b = Det::new(42, 7);
/// assert_eq!(a.digits(16), b.digits(16));
/// ```
#[derive(Debug, Clone)]
pub struct Det(u64);

impl Det {
    /// A generator for `seed`, mixed with a `stream` so that independent parts of the data do not correlate.
    pub fn new(seed: u64, stream: u64) -> Self {
        // Both inputs go through the finalizer, so that neighbouring streams do not give shifted copies of one
        // sequence (SplitMix64 states that differ by a multiple of its increment would).
        Det(mix(seed ^ mix(stream.wrapping_add(0xD1B5_4A32_D192_ED03))))
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A number in `lo..hi` (`lo` when the range is empty).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo { lo } else { lo + self.next_u64() % (hi - lo) }
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.range(0, items.len() as u64) as usize;
        &items[i.min(items.len().saturating_sub(1))]
    }

    /// `true` with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.range(0, 100) < percent
    }

    /// A version-4 UUID string.
    pub fn uuid(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        format_uuid((u128::from(hi) << 64) | u128::from(lo))
    }

    /// `len` lowercase hex characters.
    pub fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len + 16);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(len);
        s
    }

    /// `len` decimal digits (leading zeros possible).
    pub fn digits(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from(b'0' + self.range(0, 10) as u8)).collect()
    }

    /// `len` ASCII letters and digits.
    pub fn alnum(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len).map(|_| char::from(*self.pick(ALPHABET))).collect()
    }

    /// `len` Base58 (Bitcoin alphabet) characters.
    pub fn base58(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from(*self.pick(BASE58))).collect()
    }
}

/// The SplitMix64 finalizer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The Base58 (Bitcoin) alphabet.
pub const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Formats 128 bits as a version-4 UUID string.
fn format_uuid(v: u128) -> String {
    let mut b = v.to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// A fresh random UUID (v4).
pub fn random_uuid() -> String {
    format_uuid(rand::random::<u128>())
}

/// `len` random lowercase hex characters.
pub fn random_hex(len: usize) -> String {
    let mut s = String::with_capacity(len + 32);
    while s.len() < len {
        s.push_str(&format!("{:032x}", rand::random::<u128>()));
    }
    s.truncate(len);
    s
}

/// `len` random ASCII letters and digits.
pub fn random_alnum(len: usize) -> String {
    let mut d = Det::new(rand::random::<u64>(), rand::random::<u64>());
    d.alnum(len)
}

/// A random base64url string (no padding) from `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let raw: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_unrelated() {
        let mut d = Det::new(1, 2);
        assert_eq!(d.uuid().len(), 36);
        assert_eq!(Det::new(9, 9).hex(40), Det::new(9, 9).hex(40));
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
        assert_eq!(random_hex(50).len(), 50);
        assert_eq!(random_alnum(7).len(), 7);
        assert_eq!(random_token(32).len(), 43);
        assert_ne!(random_uuid(), random_uuid());
    }
}
