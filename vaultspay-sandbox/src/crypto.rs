//! The sandbox's cryptography, with RustCrypto directly (not the client's code, so that a bug on one side does not
//! cancel out on the other): its RSA key pair, unwrapping a request's AES key with the configured padding, and
//! AES-256-GCM (12-byte IV, 16-byte tag appended, no AAD).

use std::io;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{Oaep, Pkcs1v15Encrypt, PrivateKey, PublicKey};
use sha1::Sha1;
use sha2::Sha256;

/// The published key of [`crate::SandboxBuilder::fixed_key`]: for reproducible tests only, never for anything real.
const FIXED_KEY_PEM: &str = include_str!("../keys/fixed-test-key.pem");

/// Size of the RSA keys the sandbox generates.
pub(crate) const KEY_BITS: usize = 2048;

/// How the client wraps the AES key with the sandbox's RSA public key (`x-auth-signature`).
///
/// The default is PKCS#1 v1.5, what Java's `Cipher.getInstance("RSA")` in the docs' sample would do; the others
/// are the JCA transformations a VaultsPay integration might use instead. None is confirmed against the real
/// service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RsaPadding {
    /// `RSA/ECB/PKCS1Padding` (the default).
    #[default]
    Pkcs1v15,
    /// `RSA/ECB/OAEPWithSHA-1AndMGF1Padding`: OAEP with SHA-1, MGF1-SHA-1.
    OaepSha1,
    /// `RSA/ECB/OAEPWithSHA-256AndMGF1Padding` on the JDK's default provider: OAEP with SHA-256, MGF1 with SHA-1.
    OaepSha256Mgf1Sha1,
    /// OAEP with SHA-256 and MGF1-SHA-256 (`OAEPParameterSpec` with `MGF1ParameterSpec.SHA256`).
    OaepSha256,
}

impl RsaPadding {
    /// The name used by the binary's `--padding` and the control route: `pkcs1`, `oaep-sha1`,
    /// `oaep-sha256-mgf1-sha1`, `oaep-sha256`.
    pub fn name(self) -> &'static str {
        match self {
            RsaPadding::Pkcs1v15 => "pkcs1",
            RsaPadding::OaepSha1 => "oaep-sha1",
            RsaPadding::OaepSha256Mgf1Sha1 => "oaep-sha256-mgf1-sha1",
            RsaPadding::OaepSha256 => "oaep-sha256",
        }
    }

    /// The padding of a [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        [RsaPadding::Pkcs1v15, RsaPadding::OaepSha1, RsaPadding::OaepSha256Mgf1Sha1, RsaPadding::OaepSha256]
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }
}

/// Where the sandbox's RSA key comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum KeySource {
    /// A fresh 2048-bit key at start.
    #[default]
    Generate,
    /// The published fixed key (reproducible tests).
    Fixed,
    /// A 2048-bit key generated from a seed (the same seed gives the same key with the same `rsa` crate version).
    Seed(u64),
    /// A PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM.
    Pem(String),
}

/// The sandbox's RSA key pair and the public key's encodings.
pub(crate) struct Keys {
    private: PrivateKey,
    /// Standard Base64 of the DER SubjectPublicKeyInfo: what a client configures.
    public_b64: String,
    /// The same key as a `BEGIN PUBLIC KEY` PEM.
    public_pem: String,
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

impl Keys {
    /// Loads or generates the key.
    pub(crate) fn load(source: &KeySource) -> io::Result<Keys> {
        let private = match source {
            KeySource::Generate => PrivateKey::new(&mut rand::rng(), KEY_BITS).map_err(io::Error::other)?,
            KeySource::Seed(seed) => {
                use rand::SeedableRng as _;
                let mut rng = rand::rngs::StdRng::seed_from_u64(*seed);
                PrivateKey::new(&mut rng, KEY_BITS).map_err(io::Error::other)?
            }
            KeySource::Fixed => from_pem(FIXED_KEY_PEM)?,
            KeySource::Pem(pem) => from_pem(pem)?,
        };
        let public = PublicKey::from(&private);
        let der = public.to_public_key_der().map_err(|e| invalid(format!("public key: {e}")))?;
        let public_pem = public.to_public_key_pem(LineEnding::LF).map_err(|e| invalid(format!("public key: {e}")))?;
        Ok(Keys { private, public_b64: STANDARD.encode(der.as_bytes()), public_pem })
    }

    /// Standard Base64 of the DER SubjectPublicKeyInfo.
    pub(crate) fn public_b64(&self) -> &str {
        &self.public_b64
    }

    /// The public key as PEM.
    pub(crate) fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// The 32-byte AES key wrapped in `wrapped`; `None` on any RSA failure or another length.
    pub(crate) fn unwrap_aes_key(&self, padding: RsaPadding, wrapped: &[u8]) -> Option<[u8; 32]> {
        let plain = match padding {
            RsaPadding::Pkcs1v15 => self.private.decrypt(Pkcs1v15Encrypt, wrapped),
            RsaPadding::OaepSha1 => self.private.decrypt(Oaep::<Sha1>::new(), wrapped),
            RsaPadding::OaepSha256Mgf1Sha1 => self.private.decrypt(Oaep::<Sha256, Sha1>::new_with_mgf_hash(), wrapped),
            RsaPadding::OaepSha256 => self.private.decrypt(Oaep::<Sha256>::new(), wrapped),
        }
        .ok()?;
        <[u8; 32]>::try_from(plain.as_slice()).ok()
    }
}

fn from_pem(pem: &str) -> io::Result<PrivateKey> {
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    if pem.contains("BEGIN RSA PRIVATE KEY") {
        PrivateKey::from_pkcs1_pem(pem).map_err(|e| invalid(format!("not an RSA private key (PKCS#1 PEM): {e}")))
    } else {
        PrivateKey::from_pkcs8_pem(pem).map_err(|e| invalid(format!("not an RSA private key (PKCS#8 PEM): {e}")))
    }
}

/// AES-256-GCM encryption: ciphertext ‖ 16-byte tag, no AAD.
pub(crate) fn seal(key: &[u8; 32], iv: &[u8; 12], plaintext: &[u8]) -> Vec<u8> {
    // A 32-byte key and a 12-byte nonce are always accepted, and encryption of an in-memory buffer cannot fail;
    // the empty fallback keeps the function total anyway.
    let Ok(cipher) = Aes256Gcm::new_from_slice(key) else {
        return Vec::new();
    };
    cipher.encrypt(&Nonce::from(*iv), plaintext).unwrap_or_default()
}

/// AES-256-GCM decryption of ciphertext ‖ tag; `None` when the tag does not verify.
pub(crate) fn open(key: &[u8; 32], iv: &[u8; 12], ciphertext: &[u8]) -> Option<Vec<u8>> {
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    cipher.decrypt(&Nonce::from(*iv), ciphertext).ok()
}

/// A fresh random 12-byte IV, never equal to `not` (the request's IV: reusing it under the same key would be GCM
/// nonce reuse).
pub(crate) fn fresh_iv(not: &[u8; 12]) -> [u8; 12] {
    loop {
        let iv: [u8; 12] = rand::random();
        if &iv != not {
            return iv;
        }
    }
}

/// Standard Base64 (with padding).
pub(crate) fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes standard Base64 (with padding); `None` when it is not.
pub(crate) fn unb64(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_padding_unwraps_what_it_wrapped_and_only_that() {
        let keys = Keys::load(&KeySource::Fixed).unwrap();
        let public = PublicKey::from(&keys.private);
        let aes = [7u8; 32];
        let mut rng = rand::rng();
        let wrapped = [
            (RsaPadding::Pkcs1v15, public.encrypt(&mut rng, Pkcs1v15Encrypt, &aes).unwrap()),
            (RsaPadding::OaepSha1, public.encrypt(&mut rng, Oaep::<Sha1>::new(), &aes).unwrap()),
            (
                RsaPadding::OaepSha256Mgf1Sha1,
                public.encrypt(&mut rng, Oaep::<Sha256, Sha1>::new_with_mgf_hash(), &aes).unwrap(),
            ),
            (RsaPadding::OaepSha256, public.encrypt(&mut rng, Oaep::<Sha256>::new(), &aes).unwrap()),
        ];
        for (padding, w) in &wrapped {
            assert_eq!(w.len(), 256);
            assert_eq!(keys.unwrap_aes_key(*padding, w), Some(aes), "{padding:?}");
            for (other, _) in &wrapped {
                if other != padding {
                    assert_eq!(keys.unwrap_aes_key(*other, w), None, "{padding:?} read as {other:?}");
                }
            }
        }
        let short = public.encrypt(&mut rng, Pkcs1v15Encrypt, &[1u8; 16]).unwrap();
        assert_eq!(keys.unwrap_aes_key(RsaPadding::Pkcs1v15, &short), None);
        assert_eq!(keys.public_b64().len(), 392);
        assert!(keys.public_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(RsaPadding::from_name("OAEP-SHA256"), Some(RsaPadding::OaepSha256));
    }

    #[test]
    fn gcm_round_trip_and_fresh_ivs() {
        let (key, iv) = ([3u8; 32], [9u8; 12]);
        let sealed = seal(&key, &iv, b"{\"a\":1}");
        assert_eq!(sealed.len(), 7 + 16);
        assert_eq!(open(&key, &iv, &sealed).as_deref(), Some(&b"{\"a\":1}"[..]));
        let mut tampered = sealed.clone();
        tampered[0] ^= 1;
        assert_eq!(open(&key, &iv, &tampered), None);
        assert_ne!(fresh_iv(&iv), iv);
        assert_eq!(unb64(&b64(b"xyz")).as_deref(), Some(&b"xyz"[..]));
        assert_eq!(unb64("not base64!"), None);
    }
}
