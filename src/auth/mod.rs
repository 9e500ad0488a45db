//! Authentication: password login with OTP, OAuth 2.0 with PKCE, and the session's token lifecycle.
//!
//! - [`Client::login`](crate::Client::login) → [`LoginOutcome`]; [`Client::send_otp`](crate::Client::send_otp).
//! - [`Client::oauth`](crate::Client::oauth) → [`OAuth`]: API mode, hosted modes, exchange, revoke (see
//!   [`oauth`] for the app/backend split).
//! - [`Session`]: the tokens a client acts with, renewed ahead of expiry and after a 401 with a single refresh
//!   request however many calls — and however many instances sharing a store — need it; [`TokenStore`] (one key
//!   of a [`crate::store`] session store: memory, files, PostgreSQL) keeps them across runs and instances.
//! - [`Pkce`], [`State`]: the PKCE verifier/challenge and the CSRF state.
//!
//! Secrets (tokens, the secret key, the PKCE verifier, OTP codes) are [`secrecy::SecretString`]s: no `Debug`,
//! `Display`, error or tracing event of this crate shows them.

mod login;
pub mod oauth;
mod pkce;
mod session;
mod store;
mod tokens;

pub use cardsdk_runtime::secret::IntoSecret;
pub use login::LoginOutcome;
pub use oauth::{ApiModeAuthorization, AuthorizationCode, Callback, HostedAuthorization, OAuth, TokenEndpoint};
pub use pkce::{Pkce, PkceError, State};
pub use secrecy::{ExposeSecret, SecretString};
pub use session::Session;
pub use store::{DEFAULT_LEASE_TTL, StoredTokens, TokenStore};
pub use tokens::{PASSWORD_SESSION_LIFETIME, TokenKind, TokenSet};
