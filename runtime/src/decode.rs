//! Decoding a success body into its generated type, the same way in every SDK: an empty body reads as an empty
//! value, and a body that fits no lossless reading fails naming the JSON path of the offending value.
//!
//! ```
//! use cardsdk_runtime::decode::success;
//!
//! #[derive(serde::Deserialize, Debug, Default)]
//! struct Card { #[serde(default)] id: Option<u64> }
//!
//! let card: Card = success(b"").unwrap(); // empty body: `{}`
//! assert_eq!(card.id, None);
//! let err = success::<Vec<Card>>(br#"[{"id": 1}, {"id": "x"}]"#).unwrap_err();
//! assert_eq!(err.path.as_deref(), Some("[1].id"));
//! ```

use serde::de::DeserializeOwned;

/// Why a body did not decode, and where.
#[derive(Debug)]
#[non_exhaustive]
pub struct Failure {
    /// The JSON path of the offending value (`[3].mcc`), when it is inside the document.
    pub path: Option<String>,
    /// serde's error (its message names the expected type; it never quotes the value).
    pub error: serde_json::Error,
}

/// Decodes `body` as `T`: an empty (or all-whitespace) body reads as `{}`, `[]` or `null`, whichever `T` accepts;
/// trailing data is an error.
///
/// # Errors
///
/// [`Failure`] with the JSON path of the value that fits no reading of `T`.
pub fn success<T: DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        for empty in [&b"{}"[..], b"[]", b"null"] {
            if let Ok(value) = serde_json::from_slice::<T>(empty) {
                return Ok(value);
            }
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(value) => match deserializer.end() {
            Ok(()) => Ok(value),
            Err(trailing) => Err(Failure { path: None, error: trailing }),
        },
        Err(error) => {
            let path = error.path().to_string();
            Err(Failure { path: (path != ".").then_some(path), error: error.into_inner() })
        }
    }
}
