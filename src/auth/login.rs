//! Password login, with the OTP step and unfinished onboarding, and logout.
//!
//! `POST /v1/auth/login` answers HTTP 200 even when the login is not finished: `isOtpRequired: true` (the server
//! sends no code by itself: call [`Client::send_otp`], then log in again with the code), or a non-null `phase`
//! (registration not finished). [`LoginOutcome`] names the three cases.

use std::time::SystemTime;

use cardsdk_runtime::secret::IntoSecret;
use secrecy::{ExposeSecret, SecretString};

use super::{Session, TokenSet};
use crate::api::types::{LoginPhase, LoginRequest, SendLoginOtpRequest};
use crate::call::Call;
use crate::client::Client;
use crate::error::{Error, ErrorContext};

/// What a password login led to.
///
/// ```no_run
/// use baanx::auth::LoginOutcome;
/// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
///
/// match client.login("user@example.com", "secret").await? {
///     LoginOutcome::Authenticated(session) => println!("signed in: {session:?}"),
///     LoginOutcome::OtpRequired { user_id, .. } => client.send_otp(&user_id).await?,
///     LoginOutcome::OnboardingIncomplete { phase, .. } => println!("finish registration: {phase:?}"),
///     other => println!("an outcome this version does not know: {other:?}"),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use]
#[non_exhaustive]
pub enum LoginOutcome {
    /// Signed in: the client's session now holds the access token (6 hours, no refresh token).
    Authenticated(Session),
    /// The user has a second factor: call [`Client::send_otp`] with `user_id` (SMS users; authenticator users
    /// already have a code), then [`Client::login_with_otp`].
    OtpRequired {
        /// The id to send the OTP for.
        user_id: String,
        /// The masked phone number the code goes to (`+445*****225`), when the server said.
        phone_hint: Option<String>,
    },
    /// Registration is not finished: the user must complete the `phase` step. Some of these logins still carry a
    /// working token (`session`).
    OnboardingIncomplete {
        /// The registration step still open.
        phase: LoginPhase,
        /// The user's id, when the server said.
        user_id: Option<String>,
        /// The session, when the server issued a token anyway.
        session: Option<Session>,
    },
}

impl Client {
    /// Logs in with email and password. Both take `&str`, `&String` or `String` (the password also a
    /// [`SecretString`]); the password is held as a `SecretString` from here on.
    ///
    /// ```no_run
    /// # async fn forms(client: baanx::Client, email: String, password: String) -> Result<(), baanx::Error> {
    /// client.login(&email, &password).await?;
    /// client.login(email.as_str(), password.as_str()).await?;
    /// client.login(email, password).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// ```no_run
    /// use baanx::auth::LoginOutcome;
    ///
    /// # async fn demo(client: baanx::Client, read_code: impl Fn() -> String) -> Result<(), baanx::Error> {
    /// let outcome = match client.login("user@example.com", "secret").await? {
    ///     LoginOutcome::OtpRequired { user_id, .. } => {
    ///         client.send_otp(&user_id).await?;
    ///         client.login_with_otp("user@example.com", "secret", read_code()).await?
    ///     }
    ///     other => other,
    /// };
    /// if let LoginOutcome::Authenticated(_) = outcome {
    ///     // client.api() now acts for the user
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn login(&self, email: impl Into<String>, password: impl IntoSecret) -> Result<LoginOutcome, Error> {
        self.password_login(email.into(), password.into_secret(), None).await
    }

    /// Logs in with email, password and the OTP code the user received.
    ///
    /// ```no_run
    /// use baanx::auth::LoginOutcome;
    /// # async fn demo(client: baanx::Client, code_from_sms: String) -> Result<(), baanx::Error> {
    ///
    /// if let LoginOutcome::OtpRequired { user_id, .. } = client.login("user@example.com", "secret").await? {
    ///     client.send_otp(&user_id).await?;
    ///     let outcome = client.login_with_otp("user@example.com", "secret", code_from_sms).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn login_with_otp(
        &self,
        email: impl Into<String>,
        password: impl IntoSecret,
        otp_code: impl IntoSecret,
    ) -> Result<LoginOutcome, Error> {
        self.password_login(email.into(), password.into_secret(), Some(otp_code.into_secret())).await
    }

    async fn password_login(
        &self,
        email: String,
        password: SecretString,
        otp: Option<SecretString>,
    ) -> Result<LoginOutcome, Error> {
        const OPERATION: &str = "login";
        let body = LoginRequest {
            email,
            password: password.expose_secret().to_string(),
            otp_code: otp.map(|c| c.expose_secret().to_string()),
            extra: Default::default(),
        };
        let answer = self.api().login().body(body).call().await?;
        let received = SystemTime::now();
        let token = answer.access_token.clone().filter(|t| !is_placeholder(t));
        if answer.is_otp_required == Some(true) {
            // A token sent alongside is a placeholder until the OTP step is done.
            let user_id = answer.user_id.clone().ok_or_else(|| Error::Decode {
                path: None,
                message: "login asked for an OTP but sent no userId".into(),
                body_snippet: String::new(),
                context: ErrorContext::operation(OPERATION),
            })?;
            return Ok(LoginOutcome::OtpRequired { user_id, phone_hint: answer.phone_number.clone() });
        }
        let session = match token {
            Some(token) => {
                self.session().install(TokenSet::password(token, self.region(), received)).await?;
                Some(self.session().clone())
            }
            None => None,
        };
        match (answer.phase, session) {
            (Some(phase), session) => {
                Ok(LoginOutcome::OnboardingIncomplete { phase, user_id: answer.user_id, session })
            }
            (None, Some(session)) => Ok(LoginOutcome::Authenticated(session)),
            (None, None) => Err(Error::Decode {
                path: None,
                message: "login answered without a token, an OTP request or an onboarding phase".into(),
                body_snippet: String::new(),
                context: ErrorContext::operation(OPERATION),
            }),
        }
    }

    /// Asks the server to send the login OTP to the user (rate limited: [`Error::RateLimited`] carries the wait).
    /// An answer of `success: false` (the code was not sent) is [`Error::Refused`].
    ///
    /// ```no_run
    /// use baanx::Error;
    /// # async fn demo(client: baanx::Client, user_id: &str) -> Result<(), Error> {
    ///
    /// match client.send_otp(user_id).await {
    ///     Ok(()) => println!("code sent"),
    ///     Err(Error::RateLimited { retry_after, .. }) => println!("too many codes, wait {retry_after:?}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn send_otp(&self, user_id: &str) -> Result<(), Error> {
        let body = SendLoginOtpRequest { user_id: user_id.to_string(), extra: Default::default() };
        self.api().send_login_otp().body(body).call().await?;
        Ok(())
    }

    /// Ends the session on the server (`POST /v1/auth/logout`), then forgets it here and in the store. A session
    /// the server already ended counts as logged out.
    ///
    /// ```no_run
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// client.logout().await?;
    /// assert!(!client.session().is_signed_in()); // and the token store is empty
    /// # Ok(()) }
    /// ```
    pub async fn logout(&self) -> Result<(), Error> {
        if self.session().load().await?.is_some() {
            match self.api().logout().call().await {
                Ok(_) | Err(Error::Unauthorized { .. } | Error::SessionExpired { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        self.session().clear().await
    }
}

/// While a login is unfinished the API sends placeholders where the token goes: empty, `"null"`, `"undefined"`.
fn is_placeholder(token: &str) -> bool {
    let token = token.trim();
    token.is_empty() || ["null", "undefined", "none", "nil"].iter().any(|p| token.eq_ignore_ascii_case(p))
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_not_tokens() {
        for placeholder in ["", " ", "null", "NULL", "undefined", "None"] {
            assert!(super::is_placeholder(placeholder), "{placeholder:?}");
        }
        assert!(!super::is_placeholder("US_b6b9168a-bb56-4c6a-9c0d-4650ea74f5f9"));
    }
}
