//! Authentication: password login with OTP, OAuth 2.0 with PKCE, and the session's token lifecycle.
//!
//! - [`Client::login`](crate::Client::login) → [`LoginOutcome`]; [`Client::send_otp`](crate::Client::send_otp).
//! - [`Client::oauth`](crate::Client::oauth) → [`OAuth`]: API mode, hosted modes, exchange, revoke (see
//!   [`oauth`] for the app/backend split).
//! - [`Session`]: the tokens a client acts with, renewed ahead of expiry and after a 401 with a single refresh
//!   request however many calls need it; [`TokenStore`] ([`MemoryTokenStore`], [`FileTokenStore`]) keeps them
//!   across runs.
//! - [`Pkce`], [`State`]: the PKCE verifier/challenge and the CSRF state.
//!
//! Secrets (tokens, the secret key, the PKCE verifier, OTP codes) are [`secrecy::SecretString`]s: no `Debug`,
//! `Display`, error or tracing event of this crate shows them.

#[cfg(feature = "file-store")]
#[cfg_attr(docsrs, doc(cfg(feature = "file-store")))]
mod file_store;
mod login;
pub mod oauth;
mod pkce;
mod session;
mod store;
mod tokens;

pub use cardsdk_runtime::secret::IntoSecret;
#[cfg(feature = "file-store")]
#[cfg_attr(docsrs, doc(cfg(feature = "file-store")))]
pub use file_store::FileTokenStore;
pub use login::LoginOutcome;
pub use oauth::{ApiModeAuthorization, AuthorizationCode, Callback, HostedAuthorization, OAuth, TokenEndpoint};
pub use pkce::{Pkce, PkceError, State};
pub use secrecy::{ExposeSecret, SecretString};
pub use session::Session;
pub use store::{MemoryTokenStore, StoreFuture, TokenStore, TokenStoreError};
pub use tokens::{PASSWORD_SESSION_LIFETIME, TokenKind, TokenSet};
