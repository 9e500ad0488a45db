//! Secret values as arguments: [`IntoSecret`] lets a function take a password, code or key as `&str`, `&String`,
//! `String` or a [`SecretString`] alike, and hold it as a [`SecretString`] from the first moment (zeroed on drop,
//! never printed).

use std::borrow::Cow;

pub use secrecy::{ExposeSecret, SecretString};

/// A value that can become a [`SecretString`]: `&str`, `&String`, `String`, `Box<str>`, `Cow<str>`,
/// `SecretString` and `&SecretString`.
///
/// ```
/// use cardsdk_runtime::secret::{ExposeSecret as _, IntoSecret, SecretString};
///
/// fn takes(password: impl IntoSecret) -> SecretString {
///     password.into_secret()
/// }
/// let owned = String::from("hunter2");
/// assert_eq!(takes(&owned).expose_secret(), "hunter2");
/// assert_eq!(takes("hunter2").expose_secret(), "hunter2");
/// assert_eq!(takes(owned).expose_secret(), "hunter2");
/// let secret = SecretString::from("hunter2");
/// assert_eq!(takes(&secret).expose_secret(), "hunter2");
/// assert!(!format!("{:?}", takes(secret)).contains("hunter2"));
/// ```
pub trait IntoSecret {
    /// This value as a [`SecretString`].
    fn into_secret(self) -> SecretString;
}

impl IntoSecret for SecretString {
    fn into_secret(self) -> SecretString {
        self
    }
}

impl IntoSecret for &SecretString {
    fn into_secret(self) -> SecretString {
        self.clone()
    }
}

impl IntoSecret for String {
    fn into_secret(self) -> SecretString {
        self.into()
    }
}

impl IntoSecret for &String {
    fn into_secret(self) -> SecretString {
        self.as_str().into()
    }
}

impl IntoSecret for &str {
    fn into_secret(self) -> SecretString {
        self.into()
    }
}

impl IntoSecret for Box<str> {
    fn into_secret(self) -> SecretString {
        SecretString::new(self)
    }
}

impl IntoSecret for Cow<'_, str> {
    fn into_secret(self) -> SecretString {
        self.into_owned().into()
    }
}
