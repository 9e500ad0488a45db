//! Encryption at rest for the `postgres` store: AES-256-GCM under a [`Keyring`].

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::TryRng as _;
use rand::rngs::SysRng;
use secrecy::{ExposeSecret as _, SecretBox, SecretSlice};

use super::{CryptoError, StoreError, Version};

/// AES-GCM nonce length.
pub(crate) const NONCE_LEN: usize = 12;
/// Domain separation for the associated data.
const AAD_TAG: &[u8] = b"cardsdk-store/1";

/// A 256-bit AES key, kept in zeroized memory and never shown in `Debug` output.
///
/// ```
/// use cardsdk_runtime::store::EncryptionKey;
///
/// // 64 hex digits, e.g. from `openssl rand -hex 32` kept in a secret manager.
/// let key = EncryptionKey::from_hex(&"ab".repeat(32)).unwrap();
/// assert_eq!(format!("{key:?}"), "EncryptionKey([REDACTED])");
/// assert!(EncryptionKey::from_hex("abcd").is_err());
/// let _fresh = EncryptionKey::generate().unwrap();
/// ```
pub struct EncryptionKey(SecretBox<[u8; 32]>);

impl EncryptionKey {
    /// The key made of `bytes`.
    pub fn from_bytes(bytes: [u8; 32]) -> EncryptionKey {
        let mut bytes = bytes;
        let key = EncryptionKey(SecretBox::init_with_mut(|k: &mut [u8; 32]| *k = bytes));
        secrecy::zeroize::Zeroize::zeroize(&mut bytes);
        key
    }

    /// The key written as 64 hexadecimal digits.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidInput`] when it is not 64 hexadecimal digits.
    pub fn from_hex(hex: &str) -> Result<EncryptionKey, StoreError> {
        let invalid = StoreError::InvalidInput { what: "encryption key", reason: "must be 64 hexadecimal digits" };
        let hex = hex.trim().as_bytes();
        if hex.len() != 64 {
            return Err(invalid);
        }
        let mut failed = false;
        let key = SecretBox::init_with_mut(|k: &mut [u8; 32]| {
            for (i, pair) in hex.chunks(2).enumerate() {
                match (digit(pair[0]), digit(pair[1])) {
                    (Some(hi), Some(lo)) => k[i] = hi << 4 | lo,
                    _ => failed = true,
                }
            }
        });
        if failed { Err(invalid) } else { Ok(EncryptionKey(key)) }
    }

    /// A new random key from the operating system.
    ///
    /// # Errors
    ///
    /// [`CryptoError::Random`] when the random number generator fails.
    pub fn generate() -> Result<EncryptionKey, StoreError> {
        let mut failed = false;
        let key = SecretBox::init_with_mut(|k: &mut [u8; 32]| failed = SysRng.try_fill_bytes(k).is_err());
        if failed { Err(CryptoError::Random.into()) } else { Ok(EncryptionKey(key)) }
    }
}

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionKey([REDACTED])")
    }
}

/// The keys a store encrypts with: one **current** key (by id) for every write, and **retired** keys still
/// accepted for reading records written before a rotation. Each record names the id of the key it was
/// encrypted with.
///
/// Key ids are 1 to 64 characters of `A-Z a-z 0-9 . _ -`, for example the month a key was made (`2025-06`).
///
/// ```
/// use cardsdk_runtime::store::{EncryptionKey, Keyring};
///
/// let keyring = Keyring::new("2025-06", EncryptionKey::from_hex(&"11".repeat(32))?)?
///     .with_retired("2025-01", EncryptionKey::from_hex(&"22".repeat(32))?)?;
/// assert_eq!(keyring.current_id(), "2025-06");
/// assert_eq!(keyring.ids().collect::<Vec<_>>(), ["2025-06", "2025-01"]);
/// assert_eq!(format!("{keyring:?}"), r#"Keyring { current: "2025-06", retired: ["2025-01"] }"#);
/// # Ok::<(), cardsdk_runtime::store::StoreError>(())
/// ```
pub struct Keyring {
    /// The current key first, then the retired ones.
    keys: Vec<(String, Aes256Gcm)>,
}

impl Keyring {
    /// A keyring whose current key is `key`, under `id`.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidInput`] for a malformed id.
    pub fn new(id: impl Into<String>, key: EncryptionKey) -> Result<Keyring, StoreError> {
        let id = check_key_id(id.into())?;
        Ok(Keyring { keys: vec![(id, cipher(&key))] })
    }

    /// Adds a retired key, used only to read records written under `id`.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidInput`] for a malformed id or one already in the keyring.
    pub fn with_retired(mut self, id: impl Into<String>, key: EncryptionKey) -> Result<Keyring, StoreError> {
        let id = check_key_id(id.into())?;
        if self.keys.iter().any(|(known, _)| *known == id) {
            return Err(StoreError::InvalidInput { what: "key id", reason: "is already in the keyring" });
        }
        self.keys.push((id, cipher(&key)));
        Ok(self)
    }

    /// The id of the key every write uses.
    pub fn current_id(&self) -> &str {
        &self.keys[0].0
    }

    /// Every key id, the current one first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(id, _)| id.as_str())
    }

    /// Encrypts `plaintext` for `key` at `version` under the current key: (ciphertext with tag, nonce, key id).
    pub(crate) fn seal(
        &self,
        key: &str,
        version: Version,
        plaintext: &[u8],
    ) -> Result<(Vec<u8>, [u8; NONCE_LEN], &str), CryptoError> {
        let (id, cipher) = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        SysRng.try_fill_bytes(&mut nonce).map_err(|_| CryptoError::Random)?;
        let aad = aad(id, key, version);
        let sealed = cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad: &aad })
            .map_err(|_| CryptoError::Encrypt)?;
        Ok((sealed, nonce, id))
    }

    /// Decrypts a record of `key` at `version` written under `key_id`.
    pub(crate) fn open(
        &self,
        key_id: &str,
        key: &str,
        version: Version,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<SecretSlice<u8>, CryptoError> {
        let Some((_, cipher)) = self.keys.iter().find(|(id, _)| id == key_id) else {
            return Err(CryptoError::UnknownKeyId { key_id: key_id.to_owned() });
        };
        let nonce: [u8; NONCE_LEN] =
            nonce.try_into().map_err(|_| CryptoError::Decrypt { key_id: key_id.to_owned() })?;
        let aad = aad(key_id, key, version);
        cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: ciphertext, aad: &aad })
            .map(SecretSlice::from)
            .map_err(|_| CryptoError::Decrypt { key_id: key_id.to_owned() })
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let retired: Vec<&str> = self.ids().skip(1).collect();
        f.debug_struct("Keyring").field("current", &self.current_id()).field("retired", &retired).finish()
    }
}

fn cipher(key: &EncryptionKey) -> Aes256Gcm {
    Aes256Gcm::new(key.0.expose_secret().into())
}

/// The associated data: binds a ciphertext to its key id, its session key and its version, so that a row copied
/// to another key, or put back at another version, does not decrypt.
fn aad(key_id: &str, key: &str, version: Version) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_TAG.len() + key_id.len() + key.len() + 16);
    aad.extend_from_slice(AAD_TAG);
    aad.extend_from_slice(&(key_id.len() as u16).to_be_bytes());
    aad.extend_from_slice(key_id.as_bytes());
    aad.extend_from_slice(&(key.len() as u32).to_be_bytes());
    aad.extend_from_slice(key.as_bytes());
    aad.extend_from_slice(&version.get().to_be_bytes());
    aad
}

fn check_key_id(id: String) -> Result<String, StoreError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(id)
    } else {
        Err(StoreError::InvalidInput { what: "key id", reason: "must be 1 to 64 characters of A-Z a-z 0-9 . _ -" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Keyring {
        Keyring::new("k2", EncryptionKey::from_bytes([2; 32]))
            .unwrap()
            .with_retired("k1", EncryptionKey::from_bytes([1; 32]))
            .unwrap()
    }

    #[test]
    fn seals_and_opens_bound_to_key_and_version() {
        let ring = ring();
        let (sealed, nonce, id) = ring.seal("user-1", Version::new(3), b"secret tokens").unwrap();
        assert_eq!(id, "k2");
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        let opened = ring.open("k2", "user-1", Version::new(3), &nonce, &sealed).unwrap();
        assert_eq!(opened.expose_secret(), b"secret tokens");
        // Moved to another key or version, or relabelled: refused.
        assert_eq!(
            ring.open("k2", "user-2", Version::new(3), &nonce, &sealed).unwrap_err(),
            CryptoError::Decrypt { key_id: "k2".into() }
        );
        assert!(ring.open("k2", "user-1", Version::new(4), &nonce, &sealed).is_err());
        assert!(ring.open("k1", "user-1", Version::new(3), &nonce, &sealed).is_err());
        assert_eq!(
            ring.open("k0", "user-1", Version::new(3), &nonce, &sealed).unwrap_err(),
            CryptoError::UnknownKeyId { key_id: "k0".into() }
        );
        assert!(ring.open("k2", "user-1", Version::new(3), &nonce[..11], &sealed).is_err());
    }

    #[test]
    fn nonces_differ() {
        let ring = ring();
        let a = ring.seal("k", Version::new(1), b"x").unwrap();
        let b = ring.seal("k", Version::new(1), b"x").unwrap();
        assert_ne!(a.1, b.1);
        assert_ne!(a.0, b.0);
    }

    #[test]
    fn key_ids_and_hex_are_checked() {
        assert!(Keyring::new("", EncryptionKey::from_bytes([0; 32])).is_err());
        assert!(Keyring::new("a b", EncryptionKey::from_bytes([0; 32])).is_err());
        assert!(ring().with_retired("k1", EncryptionKey::from_bytes([0; 32])).is_err());
        assert!(EncryptionKey::from_hex(&"zz".repeat(32)).is_err());
        assert!(EncryptionKey::from_hex(&"0F".repeat(32)).is_ok());
    }
}
