//! No secret in `Debug`, `Display`, errors or tracing output, through a whole session: OAuth API-mode sign-in
//! with OTP, calls, a refresh, a refused refresh, and decode errors on bodies that carry tokens.
//!
//! Alone in its binary: it installs a global TRACE subscriber (every crate's events, hyper and reqwest included).

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use baanx::auth::{Callback, LoginOutcome, Pkce, Session, TokenSet};
use baanx::{Call, Error, Region};
use common::*;
use secrecy::ExposeSecret;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const PASSWORD: &str = "pw-Hunter2-correct-horse";
const OTP: &str = "918273";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_debug_display_errors_or_logs() {
    let capture = common::Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let server = MockServer::start().await;
    let fake = mount_fake(&server).await;
    let client = builder(&server).secret_key(SECRET_KEY).build().unwrap();
    let mut formatted = vec![format!("{client:?}"), format!("{:?}", builder(&server).secret_key(SECRET_KEY))];

    // Sign in: API mode with an OTP step.
    let flow = client.oauth().start_api_mode("https://app.example/cb").await.unwrap();
    formatted.push(format!("{flow:?}"));
    let outcome = client.login("user@example.com", PASSWORD).await.unwrap();
    formatted.push(format!("{outcome:?}"));
    let LoginOutcome::OtpRequired { user_id, .. } = outcome else { panic!("{outcome:?}") };
    client.send_otp(&user_id).await.unwrap();
    let outcome = client.login_with_otp("user@example.com", PASSWORD, OTP).await.unwrap();
    formatted.push(format!("{outcome:?}"));
    let login_token = client.session().tokens().unwrap().access_token().expose_secret().to_string();
    let code = flow.authorize(&client).await.unwrap();
    formatted.push(format!("{code:?}"));
    let session = client.oauth().exchange(code).await.unwrap();
    formatted.push(format!("{session:?}"));
    let tokens = session.tokens().unwrap();
    formatted.push(format!("{tokens:?}"));
    let mut secrets = vec![
        SECRET_KEY.to_string(),
        PASSWORD.to_string(),
        OTP.to_string(),
        login_token,
        tokens.access_token().expose_secret().to_string(),
        tokens.refresh_token().unwrap().expose_secret().to_string(),
    ];
    secrets.extend(fake.issued.lock().unwrap().iter().cloned());

    // Calls, a refresh (the access token is made to expire), then a refused refresh.
    client.api().get_card_status().call().await.unwrap();
    let expiring = TokenSet::new(tokens.access_token().clone(), SystemTime::now(), Region::International)
        .with_refresh_token(tokens.refresh_token().unwrap().clone(), None);
    let user = client.with_session(Session::from_tokens(expiring).unwrap());
    user.api().get_card_status().call().await.unwrap();
    let renewed = user.session().tokens().unwrap();
    secrets.push(renewed.access_token().expose_secret().to_string());
    secrets.push(renewed.refresh_token().unwrap().expose_secret().to_string());
    let stale =
        TokenSet::new("stale-access-7f3a9c", SystemTime::now() + Duration::from_secs(3600), Region::International)
            .with_refresh_token("refused-refresh-5b2e81", None);
    secrets.extend(["stale-access-7f3a9c".to_string(), "refused-refresh-5b2e81".to_string()]);
    let ended = client.with_session(Session::from_tokens(stale).unwrap());
    let err = ended.api().get_card_status().call().await.unwrap_err();
    assert!(matches!(err, Error::SessionExpired { .. }), "{err:?}");
    formatted.extend([format!("{err:?}"), err.to_string()]);

    // A token answer that does not decode: its body carries tokens.
    let leaky = client.with_session(user.session().clone());
    let err = leaky.api().get_delegation_token().call().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    formatted.extend([format!("{err:?}"), err.to_string()]);
    secrets.push("leaked-in-body-token-9d8c7b".to_string());

    // PKCE and callbacks.
    let pkce = Pkce::new();
    secrets.push(pkce.verifier().expose_secret().to_string());
    formatted.push(format!("{pkce:?}"));
    let callback = Callback::parse("https://app.example/cb?code=callback-code-4c3b2a&state=s").unwrap();
    secrets.push("callback-code-4c3b2a".to_string());
    formatted.push(format!("{callback:?}"));
    let hosted = client.oauth().hosted_page("myapp://cb", &[]);
    formatted.push(format!("{hosted:?}"));

    let log = capture.text();
    assert!(log.contains("baanx.request"), "the capture works");
    assert!(log.len() > 10_000, "TRACE output of every crate was captured ({} bytes)", log.len());
    for secret in &secrets {
        assert!(secret.len() >= 6, "{secret:?} is too short to search for");
        assert!(!log.contains(secret.as_str()), "a secret reached the logs: {secret:?}");
        for text in &formatted {
            assert!(!text.contains(secret.as_str()), "a secret reached Debug/Display: {secret:?} in {text}");
        }
    }
}

/// A stateful fake for this test, with long distinctive secrets: initiate (API mode), login with OTP, authorize,
/// a token endpoint that rotates, a card endpoint that takes only the current token, and a delegation token
/// endpoint whose body does not decode and carries a token.
struct Issued {
    issued: Mutex<Vec<String>>,
    state: Mutex<String>,
    generation: Mutex<u32>,
}

fn access(n: u32) -> String {
    format!("oauth-access-1a2b3c-{n}")
}

fn refresh(n: u32) -> String {
    format!("oauth-refresh-4d5e6f-{n}")
}

async fn mount_fake(server: &MockServer) -> Arc<Issued> {
    let fake = Arc::new(Issued {
        issued: Mutex::new(Vec::new()),
        state: Mutex::new(String::new()),
        generation: Mutex::new(0),
    });
    let f = fake.clone();
    Mock::given(method("GET"))
        .and(path("/v1/auth/oauth/authorize/initiate"))
        .respond_with(move |r: &Request| {
            let state =
                r.url.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()).unwrap_or_default();
            *f.state.lock().unwrap() = state;
            f.issued.lock().unwrap().push("initiate-jwt-secret-6a5b4c".into());
            ok(json!({"token": "eyJhbGciOiJIUzI1NiJ9.initiate-jwt-secret-6a5b4c.sig"}))
        })
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/login"))
        .respond_with(|r: &Request| {
            if body(r)["otpCode"] == OTP {
                ok(json!({"accessToken": "US_login-token-3e2d1c", "userId": "u1", "isOtpRequired": false}))
            } else {
                ok(json!({"accessToken": null, "userId": "u1", "isOtpRequired": true}))
            }
        })
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/login/otp"))
        .respond_with(ok(json!({"success": true})))
        .mount(server)
        .await;
    let f = fake.clone();
    Mock::given(method("POST"))
        .and(path("/v1/auth/oauth/authorize"))
        .respond_with(move |_: &Request| {
            f.issued.lock().unwrap().push("auth-code-8b7a6f".into());
            ok(json!({"code": "auth-code-8b7a6f", "state": *f.state.lock().unwrap()}))
        })
        .mount(server)
        .await;
    let f = fake.clone();
    Mock::given(method("POST"))
        .and(path("/v1/auth/oauth/token"))
        .respond_with(move |r: &Request| {
            let b = body(r);
            let mut generation = f.generation.lock().unwrap();
            let accepted = match b["grant_type"].as_str() {
                Some("authorization_code") => b["code"] == "auth-code-8b7a6f",
                Some("refresh_token") => {
                    b["refresh_token"] == refresh(*generation).as_str() && {
                        *generation += 1;
                        true
                    }
                }
                _ => false,
            };
            if !accepted {
                return ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant"}));
            }
            f.issued.lock().unwrap().extend([access(*generation), refresh(*generation)]);
            ok(json!({"access_token": access(*generation), "refresh_token": refresh(*generation), "expires_in": 3600}))
        })
        .mount(server)
        .await;
    let f = fake.clone();
    Mock::given(method("GET"))
        .and(path("/v1/card/status"))
        .respond_with(move |r: &Request| {
            let current = format!("Bearer {}", access(*f.generation.lock().unwrap()));
            if header(r, "authorization") == Some(current.as_str()) {
                ok(json!({"status": "ACTIVE", "panLast4": "1234"}))
            } else {
                ResponseTemplate::new(401).set_body_json(json!({"message": "Not authenticated"}))
            }
        })
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/delegation/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"token": "leaked-in-body-token-9d8c7b", "nonce": 5, "x": ["#)
                .insert_header("content-type", "application/json"),
        )
        .mount(server)
        .await;
    fake
}
