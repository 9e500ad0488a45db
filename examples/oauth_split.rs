//! OAuth with the secret key on a backend only: `cargo run --example oauth_split`.
//!
//! The app (a mobile or desktop client) must never hold `x-secret-key`. It runs every step that does not need it:
//! PKCE, initiate (API mode), the user's login with OTP, authorize. It hands the resulting authorization code
//! (with its PKCE verifier and redirect URI: an `AuthorizationCode`, serialisable) to its backend over TLS. The
//! backend, configured with the secret key, exchanges it and returns the tokens, which the app adopts with
//! `Session::from_tokens`; the app then calls the API and renews its tokens itself (the refresh grant takes no
//! secret). Operations that require the secret (consent writes) fail in the app with `MissingSecretKey` before
//! anything is sent.
//!
//! Both halves run here against the in-process sandbox; the "network" between them is a JSON string.

use baanx::api::types::CreateOnboardingConsentRequest;
use baanx::auth::{AuthorizationCode, LoginOutcome, Session, TokenSet};
use baanx::{Call, Client, Environment, Error};

/// The backend: holds the secret key, exchanges codes, returns tokens.
struct Backend {
    client: Client,
}

impl Backend {
    /// `POST /oauth/exchange` on your backend: the app's code in, tokens out.
    async fn exchange(&self, request_body: &str) -> anyhow::Result<String> {
        let code: AuthorizationCode = serde_json::from_str(request_body)?;
        // One session per user: a detached client, so that users never share tokens.
        let tokens = self.client.detached().oauth().exchange_for_tokens(code).await?;
        Ok(serde_json::to_string(&tokens)?)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sandbox = baanx_sandbox::Sandbox::builder().start().await?;
    let environment = Environment::Custom(sandbox.base_url().to_string());
    let backend = Backend {
        client: Client::builder()
            .environment(environment.clone())
            .client_key(sandbox.client_key())
            .secret_key(sandbox.secret_key().to_string())
            .build()?,
    };
    // The app: the client key only.
    let app = Client::builder().environment(environment).client_key(sandbox.client_key()).build()?;
    assert!(!app.has_secret_key());

    // App: initiate, log in (with the OTP step), authorize.
    let user = sandbox.otp_user();
    let flow = app.oauth().start_api_mode("myapp://oauth/callback").await?;
    let outcome = match app.login(user.email.clone(), user.password.clone()).await? {
        LoginOutcome::OtpRequired { user_id, phone_hint } => {
            println!("app: OTP required (sent to {})", phone_hint.as_deref().unwrap_or("the user's phone"));
            app.send_otp(&user_id).await?;
            app.login_with_otp(user.email.clone(), user.password.clone(), sandbox.otp_code().to_string()).await?
        }
        other => other,
    };
    let LoginOutcome::Authenticated(_) = outcome else { anyhow::bail!("login did not finish: {outcome:?}") };
    let code = flow.authorize(&app).await?;
    println!("app: authorization code obtained, handing it to the backend");

    // "Network": app → backend → app.
    let tokens_json = backend.exchange(&serde_json::to_string(&code)?).await?;
    let tokens: TokenSet = serde_json::from_str(&tokens_json)?;
    println!("backend: code exchanged with the secret key; tokens returned");

    // App: adopt the tokens and use the API.
    let app = app.with_session(Session::from_tokens(tokens)?);
    let card = app.api().get_card_status().call().await;
    println!(
        "app: card status call → {}",
        match card {
            Ok(card) => format!("{:?}", card.status),
            Err(Error::NotFound { .. }) => "no card yet".into(),
            Err(e) => return Err(e.into()),
        }
    );

    // App: an operation that needs the secret key is refused locally, before any request.
    let consent: CreateOnboardingConsentRequest = serde_json::from_value(serde_json::json!({
        "onboardingId": "onboarding_1", "tenantId": "tenant_1", "policyType": "global", "consents": []
    }))?;
    match app.api().create_onboarding_consent().body(consent).call().await {
        Err(Error::MissingSecretKey { .. }) => {
            println!("app: consent creation refused locally (it needs the secret key: a backend job)")
        }
        other => anyhow::bail!("expected MissingSecretKey, got {other:?}"),
    }
    Ok(())
}
