//! PKCE (RFC 7636, S256 only) and the OAuth `state`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A PKCE verifier and its S256 challenge.
///
/// The verifier is secret until the token exchange: keep it with the flow (it never appears in `Debug`).
///
/// ```
/// use baanx::auth::Pkce;
/// use secrecy::ExposeSecret;
///
/// // RFC 7636, Appendix B.
/// let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
/// assert_eq!(pkce.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
///
/// let fresh = Pkce::new();
/// assert_eq!(fresh.verifier().expose_secret().len(), 43);
/// assert!(!format!("{fresh:?}").contains(fresh.verifier().expose_secret()));
/// ```
#[derive(Clone)]
pub struct Pkce {
    verifier: SecretString,
    challenge: String,
}

/// Why a string is not a PKCE verifier.
///
/// ```
/// use baanx::auth::{Pkce, PkceError};
///
/// assert_eq!(Pkce::from_verifier("too-short").unwrap_err(), PkceError::Length { length: 9 });
/// let bad = format!("{}+", "a".repeat(43));
/// assert_eq!(Pkce::from_verifier(&bad).unwrap_err(), PkceError::Character { position: 43 });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PkceError {
    /// RFC 7636 allows 43 to 128 characters.
    #[error("a PKCE verifier has 43 to 128 characters, this one has {length}")]
    Length {
        /// The length found.
        length: usize,
    },
    /// Only `[A-Za-z0-9-._~]` is allowed.
    #[error("a PKCE verifier holds only A-Z a-z 0-9 - . _ ~; found another character at position {position}")]
    Character {
        /// Zero-based position of the first offending character.
        position: usize,
    },
}

impl Pkce {
    /// A new verifier: 32 bytes from the operating system's CSPRNG, base64url (43 characters).
    ///
    /// ```
    /// use baanx::auth::{ExposeSecret, Pkce};
    ///
    /// let pkce = Pkce::new();
    /// assert_eq!(pkce.verifier().expose_secret().len(), 43);
    /// assert_ne!(pkce.challenge(), Pkce::new().challenge()); // a fresh verifier each time
    /// ```
    pub fn new() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        let challenge = challenge_of(&verifier);
        Pkce { verifier: verifier.into(), challenge }
    }

    /// A verifier given by the caller (e.g. carried over from another process), validated.
    ///
    /// ```
    /// use baanx::auth::Pkce;
    ///
    /// // A verifier saved by the process that started the flow.
    /// let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    /// assert_eq!(pkce.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    /// assert!(Pkce::from_verifier("not a verifier").is_err());
    /// ```
    pub fn from_verifier(verifier: &str) -> Result<Self, PkceError> {
        let length = verifier.chars().count();
        if !(43..=128).contains(&length) {
            return Err(PkceError::Length { length });
        }
        if let Some(position) =
            verifier.chars().position(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')))
        {
            return Err(PkceError::Character { position });
        }
        Ok(Pkce { verifier: verifier.into(), challenge: challenge_of(verifier) })
    }

    /// The verifier, sent once with the token exchange.
    ///
    /// ```
    /// use baanx::auth::{ExposeSecret, Pkce};
    ///
    /// let pkce = Pkce::new();
    /// // Sent as `code_verifier` with the token exchange, and nowhere else.
    /// let code_verifier: &str = pkce.verifier().expose_secret();
    /// assert!(Pkce::from_verifier(code_verifier).is_ok());
    /// ```
    pub fn verifier(&self) -> &SecretString {
        &self.verifier
    }

    /// `BASE64URL(SHA256(verifier))`, sent with the authorization request.
    ///
    /// ```
    /// use baanx::auth::Pkce;
    ///
    /// // RFC 7636, Appendix B.
    /// let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    /// assert_eq!(pkce.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    /// ```
    pub fn challenge(&self) -> &str {
        &self.challenge
    }

    /// Always `S256`.
    ///
    /// ```
    /// let pkce = baanx::auth::Pkce::new();
    /// assert_eq!(pkce.method(), "S256"); // the `code_challenge_method` parameter
    /// ```
    pub fn method(&self) -> &'static str {
        "S256"
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Pkce::new()
    }
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce").field("challenge", &self.challenge).field("verifier", &"[redacted]").finish()
    }
}

fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The OAuth `state`: 128 random bits that tie a callback to the flow that started it, compared in constant time.
///
/// ```
/// use baanx::auth::State;
///
/// let state = State::new();
/// assert!(state.matches(state.as_str()));
/// assert!(!state.matches("forged"));
/// ```
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct State(String);

impl State {
    /// A new random state (16 bytes from the CSPRNG, base64url).
    ///
    /// ```
    /// use baanx::auth::State;
    ///
    /// let state = State::new();
    /// assert_eq!(state.as_str().len(), 22); // 16 bytes, base64url
    /// assert_ne!(state, State::new());
    /// ```
    pub fn new() -> Self {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        State(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A state kept elsewhere between the redirect and the callback.
    ///
    /// ```
    /// use baanx::auth::State;
    ///
    /// // The state kept in the user's web session while the browser was away.
    /// let state = State::from_string("kept-between-requests");
    /// assert!(state.matches("kept-between-requests"));
    /// ```
    pub fn from_string(state: impl Into<String>) -> Self {
        State(state.into())
    }

    /// The value sent in the authorization request.
    ///
    /// ```
    /// let state = baanx::auth::State::new();
    /// let query = format!("response_type=code&state={}", state.as_str());
    /// assert!(query.ends_with(state.as_str()));
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is this state; constant time in the content.
    ///
    /// ```
    /// use baanx::auth::State;
    ///
    /// let state = State::from_string("s1");
    /// assert!(state.matches("s1")); // the callback's `state` parameter
    /// assert!(!state.matches("s2"));
    /// ```
    pub fn matches(&self, other: &str) -> bool {
        self.0.len() == other.len() && bool::from(self.0.as_bytes().ct_eq(other.as_bytes()))
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not a credential, but a CSRF token: keep it out of logs too.
        f.write_str("State([redacted])")
    }
}

/// Serde for a PKCE pair kept across processes (the verifier, from which the challenge follows).
pub(crate) mod serde_pkce {
    use super::*;

    pub(crate) fn serialize<S: serde::Serializer>(pkce: &Pkce, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(pkce.verifier.expose_secret())
    }

    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Pkce, D::Error> {
        let verifier = <String as serde::Deserialize>::deserialize(d)?;
        Pkce::from_verifier(&verifier).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b() {
        // The octets of Appendix B encode to the verifier, and the verifier hashes to the challenge.
        let octets: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191,
            240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        assert_eq!(URL_SAFE_NO_PAD.encode(octets), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(pkce.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(pkce.method(), "S256");
    }

    #[test]
    fn verifiers_are_random_and_valid() {
        let a = Pkce::new();
        let b = Pkce::new();
        assert_ne!(a.verifier().expose_secret(), b.verifier().expose_secret());
        for p in [&a, &b] {
            Pkce::from_verifier(p.verifier().expose_secret()).unwrap();
        }
        assert_ne!(State::new().as_str(), State::new().as_str());
    }

    #[test]
    fn verifier_validation() {
        assert_eq!(Pkce::from_verifier(&"a".repeat(42)).unwrap_err(), PkceError::Length { length: 42 });
        assert!(Pkce::from_verifier(&"a".repeat(43)).is_ok());
        assert!(Pkce::from_verifier(&"~._-".repeat(32)).is_ok());
        assert_eq!(Pkce::from_verifier(&"a".repeat(129)).unwrap_err(), PkceError::Length { length: 129 });
        let bad = format!("{}+", "a".repeat(50));
        assert_eq!(Pkce::from_verifier(&bad).unwrap_err(), PkceError::Character { position: 50 });
        // The docs' own example verifier is 40 hex characters: too short.
        assert!(Pkce::from_verifier("bbdbb44b57e78fbdf7254757bc62de8ce2b5342c").is_err());
    }

    #[test]
    fn state_comparison() {
        let s = State::from_string("abc");
        assert!(s.matches("abc"));
        assert!(!s.matches("abd") && !s.matches("ab") && !s.matches("abcd") && !s.matches(""));
        assert_eq!(format!("{s:?}"), "State([redacted])");
    }
}
