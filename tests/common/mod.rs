//! Fake Baanx endpoints shared by the integration tests (wiremock on 127.0.0.1).
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use baanx::auth::{Session, TokenSet, TokenStore};
use baanx::store::{Lease, LeaseAttempt, Record, SessionStore, StoreError, StoreFuture, Version};
use baanx::{Client, Environment, Region};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::Digest as _;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const CLIENT_KEY: &str = "pk_test_auth";
pub const SECRET_KEY: &str = "sk_test_very_secret";

pub fn builder(server: &MockServer) -> baanx::ClientBuilder {
    Client::builder().environment(Environment::Custom(server.uri())).client_key(CLIENT_KEY)
}

pub fn client(server: &MockServer) -> Client {
    builder(server).build().unwrap()
}

pub fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

pub fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

pub async fn requests_to(server: &MockServer, p: &str) -> Vec<Request> {
    server.received_requests().await.unwrap().into_iter().filter(|r| r.url.path() == p).collect()
}

pub fn ok(json: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json)
}

/// A session whose access token is `access` (expiring in `lifetime`) with refresh token `refresh`.
pub fn oauth_session(access: &str, refresh: &str, lifetime: Duration, region: Region) -> Session {
    let now = SystemTime::now();
    let tokens =
        TokenSet::new(access.to_string(), now + lifetime, region).with_refresh_token(refresh.to_string(), None);
    Session::from_tokens(tokens).unwrap()
}

/// A token endpoint that rotates: refresh token `rN` gives access `aN+1` and refresh `rN+1`; an old one is refused.
pub struct RotatingTokens {
    pub generation: Mutex<u32>,
    pub lifetime: i64,
}

impl RotatingTokens {
    fn new(lifetime: i64) -> Arc<Self> {
        Arc::new(RotatingTokens { generation: Mutex::new(0), lifetime })
    }

    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body = body(request);
        let mut generation = self.generation.lock().unwrap();
        if body["grant_type"] != "refresh_token" || body["refresh_token"] != format!("r{}", *generation) {
            return ResponseTemplate::new(400)
                .set_body_json(json!({"error": "invalid_grant", "error_description": "refresh token revoked"}));
        }
        *generation += 1;
        ok(json!({
            "access_token": format!("a{}", *generation),
            "refresh_token": format!("r{}", *generation),
            "expires_in": self.lifetime,
            "refresh_token_expires_in": 15897600
        }))
    }
}

/// A resource that accepts only the bearer of the current generation.
pub fn card_for(tokens: Arc<RotatingTokens>) -> impl Fn(&Request) -> ResponseTemplate {
    move |request: &Request| {
        let current = format!("Bearer a{}", *tokens.generation.lock().unwrap());
        if header(request, "authorization") == Some(current.as_str()) {
            ok(json!({"id": "000000000050277836", "status": "ACTIVE"}))
        } else {
            ResponseTemplate::new(401).set_body_json(json!({"message": "Not authenticated"}))
        }
    }
}

pub async fn mount_rotation(server: &MockServer, lifetime: i64) -> Arc<RotatingTokens> {
    let tokens = RotatingTokens::new(lifetime);
    let t = tokens.clone();
    Mock::given(method("POST"))
        .and(path("/v1/auth/oauth/token"))
        .respond_with(move |r: &Request| t.respond(r))
        .mount(server)
        .await;
    Mock::given(method("GET")).and(path("/v1/card/status")).respond_with(card_for(tokens.clone())).mount(server).await;
    tokens
}

/// A fake authorization server: initiate remembers the challenge and state, authorize checks both tokens, the
/// token exchange verifies the PKCE verifier (S256) and the redirect URI, codes are single use.
#[derive(Default)]
pub struct FakeOAuth {
    pub challenge: Mutex<Option<String>>,
    pub state: Mutex<Option<String>>,
    pub redirect_uri: Mutex<Option<String>>,
    pub code_used: Mutex<bool>,
}

pub fn jwt(claims: Value) -> String {
    format!("eyJhbGciOiJIUzI1NiJ9.{}.c2ln", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

pub async fn mount_fake_oauth(server: &MockServer, hosted_redirect: bool) -> Arc<FakeOAuth> {
    let fake = Arc::new(FakeOAuth::default());
    let f = fake.clone();
    Mock::given(method("GET"))
        .and(path("/v1/auth/oauth/authorize/initiate"))
        .respond_with(move |r: &Request| {
            let q: std::collections::HashMap<String, String> = r.url.query_pairs().into_owned().collect();
            if q.get("code_challenge_method").map(String::as_str) != Some("S256")
                || q.get("response_type").map(String::as_str) != Some("code")
            {
                return ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_request"}));
            }
            *f.challenge.lock().unwrap() = q.get("code_challenge").cloned();
            *f.state.lock().unwrap() = q.get("state").cloned();
            *f.redirect_uri.lock().unwrap() = q.get("redirect_uri").cloned();
            if q.get("mode").map(String::as_str) == Some("api") {
                ok(json!({"token": jwt(json!({"sid": "s1"})), "url": "https://hosted.example/login"}))
            } else if hosted_redirect {
                ResponseTemplate::new(302).insert_header("location", "https://hosted.example/login?session=s1")
            } else {
                ok(json!({"token": jwt(json!({"sid": "s1"})), "url": "https://hosted.example/login?session=s1"}))
            }
        })
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/login"))
        .respond_with(ok(
            json!({"accessToken": "US_login-token", "userId": "u1", "isOtpRequired": false, "phase": null}),
        ))
        .mount(server)
        .await;
    let f = fake.clone();
    Mock::given(method("POST"))
        .and(path("/v1/auth/oauth/authorize"))
        .respond_with(move |r: &Request| {
            if header(r, "authorization") != Some("Bearer US_login-token") || !body(r)["token"].as_str().unwrap_or("").starts_with("eyJ") {
                return ResponseTemplate::new(401).set_body_json(json!({"message": "Not authenticated"}));
            }
            let state = f.state.lock().unwrap().clone().unwrap();
            ok(json!({"url": format!("https://app.example/cb?state={state}&code=code-1"), "code": "code-1", "state": state}))
        })
        .mount(server)
        .await;
    for token_path in ["/v1/auth/oauth/token", "/v1/auth/oauth2/token"] {
        let f = fake.clone();
        Mock::given(method("POST"))
            .and(path(token_path))
            .respond_with(move |r: &Request| {
                let b = body(r);
                let verifier = b["code_verifier"].as_str().unwrap_or("");
                let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
                let mut used = f.code_used.lock().unwrap();
                let redirect_ok = r.url.path().ends_with("oauth2/token")
                    || b["redirect_uri"].as_str() == f.redirect_uri.lock().unwrap().as_deref();
                if *used || b["code"] != "code-1" || Some(challenge) != *f.challenge.lock().unwrap() || !redirect_ok {
                    return ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant"}));
                }
                *used = true;
                ok(json!({"access_token": jwt(json!({"app_id": "intl-tenant"})), "refresh_token": "r0", "expires_in": 21600}))
            })
            .mount(server)
            .await;
    }
    fake
}

/// Saves `tokens` over whatever `store` holds (as an earlier run, or another instance, would have).
pub async fn put(store: &TokenStore, tokens: &TokenSet) -> Version {
    let current = store.session_store().load(store.key()).await.unwrap().version;
    store.save(tokens, current).await.unwrap()
}

/// The tokens `store` holds.
pub async fn stored(store: &TokenStore) -> Option<TokenSet> {
    store.load().await.unwrap().map(|s| s.tokens)
}

/// A session store around another one: counts saves, can fail them (`failing`) or slow them (`save_delay`).
#[derive(Debug, Clone)]
pub struct Instrumented {
    pub inner: Arc<dyn SessionStore>,
    pub failing: Arc<AtomicBool>,
    pub saves: Arc<AtomicUsize>,
    pub save_delay: Duration,
}

impl Instrumented {
    pub fn new(inner: impl SessionStore + 'static) -> Self {
        Instrumented {
            inner: Arc::new(inner),
            failing: Arc::new(AtomicBool::new(false)),
            saves: Arc::new(AtomicUsize::new(0)),
            save_delay: Duration::ZERO,
        }
    }
}

impl SessionStore for Instrumented {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Record> {
        self.inner.load(key)
    }
    fn save<'a>(&'a self, key: &'a str, payload: &'a [u8], expected: Version) -> StoreFuture<'a, Version> {
        if self.failing.load(Ordering::SeqCst) {
            return Box::pin(async { Err(StoreError::unavailable("the disk is full", None)) });
        }
        self.saves.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            tokio::time::sleep(self.save_delay).await;
            self.inner.save(key, payload, expected).await
        })
    }
    fn clear<'a>(&'a self, key: &'a str, expected: Version) -> StoreFuture<'a, Version> {
        self.inner.clear(key, expected)
    }
    fn try_lease<'a>(&'a self, key: &'a str, holder: &'a str, ttl: Duration) -> StoreFuture<'a, LeaseAttempt> {
        self.inner.try_lease(key, holder, ttl)
    }
    fn renew<'a>(&'a self, key: &'a str, holder: &'a str, ttl: Duration) -> StoreFuture<'a, Lease> {
        self.inner.renew(key, holder, ttl)
    }
    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> StoreFuture<'a, bool> {
        self.inner.release(key, holder)
    }
}

/// Collects what a `fmt` subscriber writes.
#[derive(Clone, Default)]
pub struct Capture(pub Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Captures every tracing event (all levels, all crates) of the current thread until the guard is dropped.
pub fn capture_logs() -> (Capture, tracing::subscriber::DefaultGuard) {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    (capture, tracing::subscriber::set_default(subscriber))
}

/// A session issued 6 hours minus `remaining` ago, with `remaining` left: inside the renewal margin, still valid.
pub fn aging_session(access: &str, refresh: &str, remaining: Duration) -> Session {
    let now = SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let lifetime = 6 * 3600 * 1000;
    let expires = now + remaining.as_millis() as u64;
    let stored = json!({
        "version": 1, "access_token": access, "refresh_token": refresh, "issued_at_ms": expires - lifetime,
        "expires_at_ms": expires, "region": "International", "kind": "OAuth"
    });
    let tokens: TokenSet = serde_json::from_value(stored).unwrap();
    Session::from_tokens(tokens).unwrap()
}
