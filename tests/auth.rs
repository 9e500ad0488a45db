//! Auth and sessions against a real HTTP server on 127.0.0.1 (wiremock), counting what arrives.

mod common;

use common::*;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use baanx::auth::{ExposeSecret, LoginOutcome, Session, TokenSet, TokenStore};
use baanx::store::{FileStore, Version};
use baanx::{Call, Error, Region};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

// ---------------------------------------------------------------------------------------------------------------
// Headers per operation

fn consent_request() -> baanx::api::types::CreateOnboardingConsentRequest {
    let docs_example = include_str!("fixtures/docs/create_onboarding_consent/request.json");
    serde_json::from_str(docs_example).unwrap()
}

#[tokio::test]
async fn headers_follow_each_operations_security() {
    let server = MockServer::start().await;
    for (m, p) in [
        ("GET", "/v1/card/status"),
        ("POST", "/v1/auth/oauth/token"),
        ("POST", "/v2/consent/onboarding"),
        ("GET", "/v1/order/products/available"),
        ("GET", "/v1/wallet/credit"),
        ("GET", "/v1/auth/settings"),
    ] {
        let answer = if p.ends_with("available") { json!([]) } else { json!({}) };
        Mock::given(method(m)).and(path(p)).respond_with(ok(answer)).mount(&server).await;
    }
    let backend = builder(&server).secret_key(SECRET_KEY).region(Region::Us).build().unwrap();
    let user = backend.with_session(oauth_session("a0", "r0", Duration::from_secs(3600), Region::Us));

    user.api().get_card_status().call().await.unwrap();
    let body = baanx::api::types::OAuthTokenRequest::builder()
        .grant_type(baanx::api::types::OAuthGrantType::AuthorizationCode)
        .code("c".to_string())
        .code_verifier("v".repeat(43))
        .redirect_uri("https://app/cb".to_string());
    user.api().exchange_oauth_token().body(body).call().await.unwrap();
    user.api().create_onboarding_consent().body(consent_request()).call().await.unwrap();
    user.api().list_available_products().call().await.unwrap();
    user.api().get_credit_wallet().call().await.unwrap();
    backend.api().get_registration_settings().call().await.unwrap();

    let all = server.received_requests().await.unwrap();
    assert_eq!(all.len(), 6);
    for r in &all {
        assert_eq!(header(r, "x-client-key"), Some(CLIENT_KEY), "{}: client key on every request", r.url);
        assert_eq!(header(r, "x-us-env"), Some("true"), "{}: US region", r.url);
        assert!(header(r, "api-version").is_none());
        assert!(header(r, "user-agent").unwrap().starts_with("baanx-rust/"));
    }
    let by_path = |p: &str| all.iter().find(|r| r.url.path() == p).unwrap();
    let card = by_path("/v1/card/status");
    assert_eq!(header(card, "authorization"), Some("Bearer a0"));
    assert!(header(card, "x-secret-key").is_none(), "no secret on user calls");
    let token = by_path("/v1/auth/oauth/token");
    assert_eq!(header(token, "x-secret-key"), Some(SECRET_KEY), "secret sent where the operation takes it");
    assert!(header(token, "authorization").is_none(), "no bearer on the token exchange");
    let consent = by_path("/v2/consent/onboarding");
    assert_eq!(header(consent, "x-secret-key"), Some(SECRET_KEY));
    assert!(header(consent, "authorization").is_none(), "consent calls take no bearer");
    let order = by_path("/v1/order/products/available");
    assert_eq!(header(order, "x-client-id"), Some(CLIENT_KEY), "order pages name the header X-Client-ID");
    let wallet = by_path("/v1/wallet/credit");
    assert_eq!(wallet.url.query(), Some("x-us-env=true"), "wallet pages put x-us-env in the query");
    let settings = by_path("/v1/auth/settings");
    assert!(header(settings, "authorization").is_none() && header(settings, "x-secret-key").is_none());
}

#[tokio::test]
async fn missing_credentials_are_typed_errors_before_any_request() {
    let server = MockServer::start().await;
    let app = client(&server); // no secret, no session
    let err = app.api().create_onboarding_consent().body(consent_request()).call().await.unwrap_err();
    assert!(matches!(err, Error::MissingSecretKey { .. }), "{err:?}");
    assert_eq!(err.operation(), Some("create_onboarding_consent"));
    let err = app.api().get_card_status().call().await.unwrap_err();
    assert!(matches!(err, Error::SessionRequired { .. }), "{err:?}");
    // The same errors through progenitor's send() and a plain conversion.
    let raw = app.api().get_card_status().send().await.unwrap_err();
    assert!(raw.to_string().contains("needs a signed-in user"), "{raw}");
    assert!(matches!(Error::from(raw), Error::SessionRequired { .. }));

    // A US session used by an international client: refused before sending (the server would answer 401).
    let intl = app.with_session(oauth_session("a0", "r0", Duration::from_secs(3600), Region::Us));
    let err = intl.api().get_card_status().call().await.unwrap_err();
    assert!(matches!(err, Error::RegionMismatch { session: Region::Us, client: Region::International, .. }), "{err:?}");

    // A password session past its end: SessionExpired, not a 401.
    let ended = TokenSet::new("US_old".to_string(), SystemTime::now() - Duration::from_secs(1), Region::International);
    let ended = app.with_session(Session::from_tokens(ended).unwrap());
    let err = ended.api().get_card_status().call().await.unwrap_err();
    assert!(matches!(err, Error::SessionExpired { .. }), "{err:?}");

    assert!(server.received_requests().await.unwrap().is_empty(), "nothing was sent");
}

// ---------------------------------------------------------------------------------------------------------------
// OAuth flows

#[tokio::test]
async fn api_mode_flow_end_to_end() {
    let server = MockServer::start().await;
    let fake = mount_fake_oauth(&server, false).await;
    Mock::given(method("GET"))
        .and(path("/v1/card/status"))
        .respond_with(ok(json!({"status": "ACTIVE"})))
        .mount(&server)
        .await;
    let client = client(&server);

    let flow = client.oauth().start_api_mode("https://app.example/cb").await.unwrap();
    let LoginOutcome::Authenticated(_) = client.login("user@example.com", "pw").await.unwrap() else { panic!("login") };
    let code = flow.authorize(&client).await.unwrap();
    let session = client.oauth().exchange(code).await.unwrap();
    let tokens = session.tokens().unwrap();
    assert_eq!(tokens.tenant(), Some("intl-tenant"), "tenant from the JWT app_id claim");
    assert!(tokens.refresh_token().is_some());
    client.api().get_card_status().call().await.unwrap();

    let initiate = requests_to(&server, "/v1/auth/oauth/authorize/initiate").await;
    let q: std::collections::HashMap<String, String> = initiate[0].url.query_pairs().into_owned().collect();
    assert_eq!(q["mode"], "api");
    assert_eq!(q["client_id"], CLIENT_KEY, "client_id defaults to the client key");
    assert_eq!(q["code_challenge"].len(), 43);
    let card = requests_to(&server, "/v1/card/status").await;
    assert!(
        header(&card[0], "authorization").unwrap().starts_with("Bearer eyJ"),
        "the OAuth token replaced the login token"
    );
    assert!(*fake.code_used.lock().unwrap());
}

#[tokio::test]
async fn hosted_flow_reads_the_redirect_checks_state_and_exchanges() {
    let server = MockServer::start().await;
    let fake = mount_fake_oauth(&server, true).await;
    let client = client(&server);

    let flow = client.oauth().start_hosted("https://app.example/cb").await.unwrap();
    assert_eq!(flow.url().as_str(), "https://hosted.example/login?session=s1", "the 302 is read, not followed");
    assert_eq!(requests_to(&server, "/v1/auth/oauth/authorize/initiate").await.len(), 1);

    // A callback with another state is refused.
    let err = flow.complete("https://app.example/cb?state=forged&code=code-1").unwrap_err();
    assert!(matches!(err, Error::StateMismatch));
    // An error callback.
    let state = fake.state.lock().unwrap().clone().unwrap();
    let err = flow
        .complete(&format!("https://app.example/cb?state={state}&error=access_denied&error_description=no"))
        .unwrap_err();
    assert!(matches!(&err, Error::Api { code: Some(c), .. } if c == "access_denied"), "{err:?}");

    // The flow can wait server-side between redirect and callback.
    let kept = serde_json::to_string(&flow).unwrap();
    let flow: baanx::auth::HostedAuthorization = serde_json::from_str(&kept).unwrap();
    let code = flow.complete(&format!("https://app.example/cb?state={state}&code=code-1&tenant=intl")).unwrap();
    assert_eq!(code.tenant_hint(), Some("intl"));
    client.oauth().exchange(code.clone()).await.unwrap();
    assert!(client.session().is_signed_in());
    // Codes are single use.
    let err = client.detached().oauth().exchange(code).await.unwrap_err();
    assert!(matches!(&err, Error::Api { status: 400, code: Some(c), .. } if c == "invalid_grant"), "{err:?}");
}

#[tokio::test]
async fn hosted_initiate_answering_json_is_read_too() {
    let server = MockServer::start().await;
    mount_fake_oauth(&server, false).await;
    let flow = client(&server).oauth().start_hosted("https://app.example/cb").await.unwrap();
    assert_eq!(flow.url().as_str(), "https://hosted.example/login?session=s1");
}

#[tokio::test]
async fn hosted_oauth2_page_and_its_token_endpoint() {
    let server = MockServer::start().await;
    let fake = mount_fake_oauth(&server, false).await;
    let client = client(&server);
    let flow = client.oauth().hosted_page("myapp://callback", &[]);
    assert!(server.received_requests().await.unwrap().is_empty(), "building the URL sends nothing");
    let url = flow.url().clone();
    assert_eq!(url.path(), "/v1/auth/oauth2/authorize");
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(q["scope"], "openid profile email offline_access");
    assert_eq!(q["redirect_uri"], "myapp://callback");
    // The browser part, played by the test: the page accepted the challenge and redirects with the state.
    *fake.challenge.lock().unwrap() = Some(q["code_challenge"].clone());
    let code = flow.complete(&format!("myapp://callback?code=code-1&state={}", q["state"])).unwrap();
    client.oauth().exchange(code).await.unwrap();
    let token = requests_to(&server, "/v1/auth/oauth2/token").await;
    let sent = body(&token[0]);
    let mut keys: Vec<&str> = sent.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["code", "code_verifier", "grant_type"], "the oauth2 exchange sends only these");
    assert_eq!(client.session().tokens().unwrap().kind(), baanx::auth::TokenKind::HostedOAuth);
}

// ---------------------------------------------------------------------------------------------------------------
// Password login and OTP

#[tokio::test]
async fn otp_and_onboarding_outcomes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/login"))
        .respond_with(|r: &Request| {
            let b = body(r);
            match (b["email"].as_str(), b["otpCode"].as_str()) {
                (Some("otp@example.com"), None) => ok(json!({"accessToken": null, "userId": "u-otp", "isOtpRequired": true, "phoneNumber": "+445*****225"})),
                (Some("otp@example.com"), Some("123456")) => ok(json!({"accessToken": "US_after-otp", "userId": "u-otp", "isOtpRequired": false})),
                (Some("otp@example.com"), Some(_)) => ResponseTemplate::new(400).set_body_json(json!({"message": "Invalid OTP"})),
                (Some("new@example.com"), _) => ok(json!({"accessToken": null, "userId": "u-new", "isOtpRequired": false, "phase": "PHONE_NUMBER"})),
                (Some("partial@example.com"), _) => ok(json!({"accessToken": "US_partial", "isOtpRequired": false, "phase": "MAILING_ADDRESS"})),
                _ => ResponseTemplate::new(400).set_body_json(json!({"message": "Invalid Credentials"})),
            }
        })
        .mount(&server)
        .await;
    let sent = Arc::new(AtomicUsize::new(0));
    let s = sent.clone();
    Mock::given(method("POST"))
        .and(path("/v1/auth/login/otp"))
        .respond_with(move |r: &Request| match (s.fetch_add(1, Ordering::SeqCst), body(r)["userId"].as_str()) {
            (0, Some("u-otp")) => ok(json!({"success": true})),
            (1, _) => ok(json!({"success": false})),
            _ => ResponseTemplate::new(429)
                .insert_header("retry-after", "30")
                .set_body_json(json!({"message": "Too many requests"})),
        })
        .mount(&server)
        .await;
    let client = client(&server);

    let outcome = client.login("otp@example.com", "pw").await.unwrap();
    let LoginOutcome::OtpRequired { user_id, phone_hint } = outcome else { panic!("{outcome:?}") };
    assert_eq!((user_id.as_str(), phone_hint.as_deref()), ("u-otp", Some("+445*****225")));
    assert!(!client.session().is_signed_in(), "no session before the OTP step");
    client.send_otp(&user_id).await.unwrap();
    assert!(
        matches!(client.send_otp(&user_id).await.unwrap_err(), Error::Refused { .. }),
        "success:false is a refusal"
    );
    let err = client.send_otp(&user_id).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(30)), "{err:?}");
    let err = client.login_with_otp("otp@example.com", "pw", "000000").await.unwrap_err();
    assert!(matches!(&err, Error::Api { status: 400, message: Some(m), .. } if m == "Invalid OTP"), "{err:?}");
    let LoginOutcome::Authenticated(session) = client.login_with_otp("otp@example.com", "pw", "123456").await.unwrap()
    else {
        panic!("otp login")
    };
    assert_eq!(session.tokens().unwrap().access_token().expose_secret(), "US_after-otp");
    assert!(session.tokens().unwrap().refresh_token().is_none(), "password sessions have no refresh token");

    let new = client.detached();
    let outcome = new.login("new@example.com", "pw").await.unwrap();
    assert!(
        matches!(&outcome, LoginOutcome::OnboardingIncomplete { phase, session: None, .. } if phase.as_str() == "PHONE_NUMBER"),
        "{outcome:?}"
    );
    let outcome = new.login("partial@example.com", "pw").await.unwrap();
    assert!(matches!(&outcome, LoginOutcome::OnboardingIncomplete { session: Some(_), .. }), "{outcome:?}");
    let err = new.login("bad@example.com", "pw").await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 400, .. }));
}

#[tokio::test]
async fn logout_and_revoke_end_the_session_here_and_there() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/logout"))
        .respond_with(ok(json!({"success": true})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/auth/oauth/revoke"))
        .respond_with(ok(json!({"success": true})))
        .mount(&server)
        .await;
    let store = TokenStore::memory();
    let now = SystemTime::now();
    put(&store, &TokenSet::new("a0".to_string(), now + Duration::from_secs(3600), Region::International)).await;
    let client = builder(&server).token_store(store.clone()).build().unwrap();
    client.logout().await.unwrap();
    let logout = requests_to(&server, "/v1/auth/logout").await;
    assert_eq!(header(&logout[0], "authorization"), Some("Bearer a0"), "the stored session was loaded and sent");
    assert!(store.load().await.unwrap().is_none() && !client.session().is_signed_in());

    let user = client.with_session(oauth_session("a1", "r1", Duration::from_secs(3600), Region::International));
    user.oauth().revoke().await.unwrap();
    assert!(!user.session().is_signed_in());
    assert_eq!(header(&requests_to(&server, "/v1/auth/oauth/revoke").await[0], "authorization"), Some("Bearer a1"));
}

// ---------------------------------------------------------------------------------------------------------------
// Token lifecycle

#[tokio::test]
async fn refreshes_ahead_of_expiry() {
    let server = MockServer::start().await;
    let tokens = mount_rotation(&server, 4).await;
    let now = SystemTime::now();
    // 4 s lifetime: renewed from half-life on (the 5-minute margin is capped at half the lifetime).
    let set = TokenSet::new("a0".to_string(), now + Duration::from_secs(4), Region::International)
        .with_refresh_token("r0".to_string(), None);
    let user = client(&server).with_session(Session::from_tokens(set).unwrap());
    user.api().get_card_status().call().await.unwrap();
    assert_eq!(requests_to(&server, "/v1/auth/oauth/token").await.len(), 0, "fresh: no refresh");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    user.api().get_card_status().call().await.unwrap();
    assert_eq!(requests_to(&server, "/v1/auth/oauth/token").await.len(), 1, "renewed before the call");
    let cards = requests_to(&server, "/v1/card/status").await;
    assert_eq!(cards.len(), 2, "no 401 round trip");
    assert_eq!(header(&cards[1], "authorization"), Some("Bearer a1"));
    assert_eq!(*tokens.generation.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_401_refreshes_once_and_replays_once() {
    let server = MockServer::start().await;
    mount_rotation(&server, 3600).await;
    // The server considers a0 revoked although it has not expired locally.
    let user =
        client(&server).with_session(oauth_session("stale", "r0", Duration::from_secs(3600), Region::International));
    let card = user.api().get_card_status().call().await.unwrap();
    assert_eq!(card.status, Some(baanx::api::types::CardStatus::Active));
    assert_eq!(requests_to(&server, "/v1/auth/oauth/token").await.len(), 1);
    let cards = requests_to(&server, "/v1/card/status").await;
    assert_eq!(cards.len(), 2, "one 401, one replay");
    assert_eq!(header(&cards[1], "authorization"), Some("Bearer a1"));
}

#[tokio::test]
async fn a_refused_refresh_ends_the_session_and_clears_the_store() {
    let server = MockServer::start().await;
    mount_rotation(&server, 3600).await;
    let store = TokenStore::memory();
    let expired = TokenSet::new("a0".to_string(), SystemTime::now() - Duration::from_secs(1), Region::International)
        .with_refresh_token("rotated-away".to_string(), None);
    put(&store, &expired).await;
    let user = builder(&server).token_store(store.clone()).build().unwrap();
    let err = user.api().get_card_status().call().await.unwrap_err();
    assert!(matches!(err, Error::SessionExpired { .. }), "{err:?}");
    assert!(store.load().await.unwrap().is_none(), "store cleared");
    // Later calls fail fast, without another refresh.
    let err = user.api().get_card_status().call().await.unwrap_err();
    assert!(matches!(err, Error::SessionExpired { .. }));
    assert_eq!(requests_to(&server, "/v1/auth/oauth/token").await.len(), 1);
    assert_eq!(requests_to(&server, "/v1/card/status").await.len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_with_an_expired_token_cause_one_refresh() {
    let server = MockServer::start().await;
    mount_rotation(&server, 3600).await;
    let user = client(&server).with_session(oauth_session("a0", "r0", Duration::ZERO, Region::International));
    let calls = (0..1000).map(|_| {
        let user = user.clone();
        tokio::spawn(async move { user.api().get_card_status().call().await })
    });
    let results = futures_util::future::join_all(calls).await;
    let failures = results.iter().filter(|r| !matches!(r, Ok(Ok(_)))).count();
    let refreshes = requests_to(&server, "/v1/auth/oauth/token").await.len();
    println!("single-flight: 1000 concurrent calls, {refreshes} refresh request(s), {failures} failure(s)");
    assert_eq!(refreshes, 1);
    assert_eq!(failures, 0);
    assert_eq!(user.session().refresh_count(), 1);
    assert_eq!(requests_to(&server, "/v1/card/status").await.len(), 1000, "no call needed a replay");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refresh_fails_every_waiting_call_with_the_same_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/oauth/token"))
        .respond_with(
            ResponseTemplate::new(503).set_body_string("<html>down</html>").set_delay(Duration::from_millis(200)),
        )
        .mount(&server)
        .await;
    let user = client(&server).with_session(oauth_session("a0", "r0", Duration::ZERO, Region::International));
    let calls = (0..50).map(|_| {
        let user = user.clone();
        tokio::spawn(async move { user.api().get_card_status().call().await })
    });
    let results = futures_util::future::join_all(calls).await;
    let messages: std::collections::BTreeSet<String> = results
        .into_iter()
        .map(|r| {
            let err = r.unwrap().unwrap_err();
            assert!(matches!(err, Error::RenewalFailed { .. }), "{err:?}");
            std::error::Error::source(&err).unwrap().to_string()
        })
        .collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages.iter().next().unwrap().contains("503"), "the token endpoint's error is the source: {messages:?}");
    assert_eq!(requests_to(&server, "/v1/auth/oauth/token").await.len(), 1);
    assert!(user.session().is_signed_in(), "a passing failure does not end the session");
}

#[tokio::test]
async fn rotated_tokens_are_persisted_and_a_failed_write_loses_nothing() {
    let server = MockServer::start().await;
    mount_rotation(&server, 3600).await;
    let dir = tempfile::tempdir().unwrap();
    let flaky = Instrumented::new(FileStore::new(dir.path()).unwrap());
    let store = TokenStore::new(flaky.clone(), "session");
    let expired = TokenSet::new("a0".to_string(), SystemTime::now() - Duration::from_secs(1), Region::International)
        .with_refresh_token("r0".to_string(), None);
    put(&store, &expired).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let file = FileStore::new(dir.path()).unwrap().path_for("session").unwrap();
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "token file readable by its owner only");
    }

    // The store fails its next saves (a full disk, a database down).
    flaky.failing.store(true, Ordering::SeqCst);
    let user = builder(&server).token_store(store.clone()).build().unwrap();
    let err = user.api().get_card_status().call().await.unwrap_err();
    assert!(matches!(err, Error::TokenStore { .. }), "the rotated tokens are not used before they are saved: {err:?}");
    assert!(err.store_error().is_some_and(|e| e.is_unavailable()), "typed: {err:?}");
    let on_disk = stored(&store).await.unwrap();
    assert_eq!(on_disk.refresh_token().unwrap().expose_secret(), "r0", "the old file is intact");
    assert_eq!(
        user.session().tokens().unwrap().refresh_token().unwrap().expose_secret(),
        "r1",
        "the rotated token is kept in memory"
    );

    // Once the store works again, the kept tokens are saved and used, without another refresh.
    flaky.failing.store(false, Ordering::SeqCst);
    user.api().get_card_status().call().await.unwrap();
    assert_eq!(requests_to(&server, "/v1/auth/oauth/token").await.len(), 1);
    let reopened = TokenStore::file(dir.path(), "session").unwrap();
    let saved = reopened.load().await.unwrap().unwrap();
    assert_eq!(saved.tokens.refresh_token().unwrap().expose_secret(), "r1", "the new refresh token is on disk");
    assert_eq!(saved.tokens.access_token().expose_secret(), "a1");
    assert_eq!(saved.version, Version::new(2), "one save for the rotation");
}
