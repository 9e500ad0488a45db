//! The attack review, item by item, each over a real local server (wiremock or a raw TCP server on 127.0.0.1):
//! redirects, cancelled renewals, refresh storms, secrets in output, concurrent saves, and the smaller holes.
//! (Unbounded bodies are measured in `tests/body_limit.rs`, alone in their binary, for the heap figure.)

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use baanx::auth::{ExposeSecret, Session, TokenSet, TokenStore};
use baanx::retry::RetryPolicy;
use baanx::store::{FileStore, Lease, LeaseAttempt, MemoryStore, Record, SessionStore, StoreFuture, Version};
use baanx::{BuildError, Call, Client, Environment, Error, Region};
use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn expired_session(refresh: &str) -> Session {
    oauth_session("a0", refresh, Duration::ZERO, Region::International)
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::standard().base_delay(Duration::from_millis(20)).max_delay(Duration::from_millis(200))
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Redirects

#[test]
fn a_supplied_client_that_follows_redirects_is_refused() {
    let build = |http: reqwest::Client| Client::builder().client_key("pk").http_client(http).build();
    assert_eq!(
        build(reqwest::Client::new()).unwrap_err(),
        BuildError::HttpClientFollowsRedirects,
        "reqwest's default follows 10"
    );
    let limited = reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(2)).build().unwrap();
    assert_eq!(build(limited).unwrap_err(), BuildError::HttpClientFollowsRedirects);
    let custom = reqwest::Client::builder().redirect(reqwest::redirect::Policy::custom(|a| a.stop())).build().unwrap();
    assert_eq!(build(custom).unwrap_err(), BuildError::HttpClientFollowsRedirects, "a custom policy cannot be checked");
    let none = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    assert!(build(none).is_ok());
}

#[tokio::test]
async fn redirects_never_carry_credentials_or_bodies_to_another_origin() {
    let home = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ok(
            json!({"access_token": "FOREIGN", "refresh_token": "FOREIGN", "expires_in": 3600, "txHash": "0xforeign"}),
        ))
        .mount(&elsewhere)
        .await;
    for (m, p, status) in [
        ("POST", "/v1/wallet/credit/withdraw", 307),
        ("POST", "/v1/auth/oauth/token", 308),
        ("GET", "/v1/card/status", 302),
        ("GET", "/v1/user", 301),
    ] {
        Mock::given(method(m))
            .and(path(p))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("location", format!("{}{p}?code=secret-code", elsewhere.uri())),
            )
            .mount(&home)
            .await;
    }
    let client = builder(&home).secret_key(SECRET_KEY).build().unwrap().with_session(expired_session("r0"));
    // The renewal (308 on the token endpoint) is refused: no foreign token is installed.
    let err = client.api().get_card_status().call().await.unwrap_err();
    assert!(!format!("{err:?}").contains("secret-code"), "the Location's query is never shown: {err:?}");
    assert_ne!(client.session().tokens().unwrap().access_token().expose_secret(), "FOREIGN");
    // A fresh session: the withdrawal's 307 is an error, sent once, and the foreign answer is never taken.
    let fresh = client.with_session(oauth_session("a1", "r1", Duration::from_secs(3600), Region::International));
    let body = baanx::api::types::WithdrawCreditWalletRequest::builder().amount(baanx::Decimal::new(1000, 2));
    let err = fresh.api().withdraw_credit_wallet().body(body).call().await.unwrap_err();
    assert!(matches!(&err, Error::Redirected { origin, .. } if *origin == elsewhere.uri()), "{err:?}");
    let err = fresh.api().get_user().call().await.unwrap_err();
    assert!(matches!(&err, Error::Redirected { .. }), "{err:?}");
    assert_eq!(elsewhere.received_requests().await.unwrap().len(), 0, "nothing reached the other origin");
    assert_eq!(requests_to(&home, "/v1/wallet/credit/withdraw").await.len(), 1, "the withdrawal was sent once");
}

#[test]
fn an_answer_from_another_origin_is_a_typed_error() {
    // The second line of defence (a following client cannot be built): the refusal the hooks hand back.
    let ctx = baanx::ErrorContext::operation("get_card_status");
    let err = Error::Redirected { origin: "http://127.0.0.1:9".into(), context: ctx };
    assert!(err.to_string().contains("does not follow redirects"), "{err}");
}

// ---------------------------------------------------------------------------------------------------------------
// 2. A cancelled renewal never poisons the session

#[test]
fn a_renewal_cancelled_with_its_runtime_is_not_cached() {
    let first = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (server, client) = first.block_on(async {
        let server = MockServer::start().await;
        // Not rotating: any refresh token is good; slow enough to be interrupted.
        Mock::given(method("POST"))
            .and(path("/v1/auth/oauth/token"))
            .respond_with(
                ok(json!({"access_token": "a-new", "refresh_token": "r0", "expires_in": 3600}))
                    .set_delay(Duration::from_millis(600)),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v1/card/status"))
            .respond_with(ok(json!({"status": "ACTIVE"})))
            .mount(&server)
            .await;
        let client = client(&server).with_session(expired_session("r0"));
        (server, client)
    });
    let call = client.clone();
    first.spawn(async move { call.api().get_card_status().call().await });
    std::thread::sleep(Duration::from_millis(200));
    // The runtime running the renewal goes away mid-flight (the server stays: it runs in its own threads).
    first.shutdown_background();

    let second = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    second.block_on(async {
        let card = tokio::time::timeout(Duration::from_secs(10), client.api().get_card_status().call()).await.unwrap();
        assert!(card.is_ok(), "a later call renews afresh: {card:?}");
        assert!(client.api().get_card_status().call().await.is_ok());
        let _ = &server;
    });
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Refresh storms

#[tokio::test]
async fn a_failing_token_endpoint_is_not_hammered_and_a_valid_token_keeps_working() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/oauth/token"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/card/status"))
        .respond_with(ok(json!({"status": "ACTIVE"})))
        .mount(&server)
        .await;
    // Inside the 5-minute refresh margin but still valid.
    let policy = RetryPolicy::standard().base_delay(Duration::from_secs(2)).max_delay(Duration::from_secs(10));
    let client = builder(&server).retry(policy).build().unwrap().with_session(aging_session(
        "a0",
        "r0",
        Duration::from_secs(120),
    ));
    for _ in 0..20 {
        client.api().get_card_status().call().await.unwrap();
    }
    let refreshes = requests_to(&server, "/v1/auth/oauth/token").await.len();
    assert!(
        (1..=2).contains(&refreshes),
        "20 calls, {refreshes} renewals (the first failure backs off; the 503 itself may be retried once)"
    );
    assert_eq!(requests_to(&server, "/v1/card/status").await.len(), 20, "every call went on with the current token");
}

#[tokio::test]
async fn five_hundred_callers_on_an_expired_token_send_one_renewal_while_it_fails() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/oauth/token"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"message": "down"})).set_delay(Duration::from_millis(100)),
        )
        .mount(&server)
        .await;
    let store = TokenStore::memory();
    let expired = TokenSet::new("a0".to_string(), SystemTime::now(), Region::International)
        .with_refresh_token("r0".to_string(), None);
    put(&store, &expired).await;
    let policy = RetryPolicy::standard().base_delay(Duration::from_secs(5));
    let client = builder(&server).retry(policy).token_store(store.clone()).build().unwrap();
    let calls: Vec<_> = (0..500)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.api().get_card_status().call().await })
        })
        .collect();
    let mut failures = 0;
    for call in calls {
        failures += usize::from(call.await.unwrap().is_err());
    }
    assert_eq!(failures, 500);
    assert_eq!(
        requests_to(&server, "/v1/auth/oauth/token").await.len(),
        1,
        "one renewal for 500 callers, then back-off"
    );
    assert!(client.session().is_signed_in(), "a 500 does not end the session");
    assert!(store.load().await.unwrap().is_some(), "nor clear the store");
}

#[tokio::test]
async fn only_invalid_grant_ends_a_session() {
    for (status, body, ends) in [
        (400, json!({"error": "invalid_request", "error_description": "malformed"}), false),
        (401, json!({"error": "invalid_client"}), false),
        (400, json!({"error": "invalid_grant", "error_description": "revoked"}), true),
        (401, json!({"error": "invalid_grant"}), true),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/auth/oauth/token"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body.clone()))
            .mount(&server)
            .await;
        let store = TokenStore::memory();
        let expired = TokenSet::new("a0".to_string(), SystemTime::now(), Region::International)
            .with_refresh_token("r0".to_string(), None);
        put(&store, &expired).await;
        let client = builder(&server).retry(fast_retries()).token_store(store.clone()).build().unwrap();
        let err = client.api().get_card_status().call().await.unwrap_err();
        assert_eq!(matches!(err, Error::SessionExpired { .. }), ends, "{status} {body}: {err:?}");
        assert_eq!(
            store.load().await.unwrap().is_none(),
            ends,
            "{status} {body}: the store is cleared only when it ends"
        );
    }
}

/// A store shared by two instances: this one loads `r0` first; from its `rotate_at`-th load on, the other
/// instance has saved its rotation (`r1`). Clearing it fails the test.
#[derive(Debug)]
struct RotatedElsewhere {
    inner: MemoryStore,
    loads: AtomicUsize,
    rotate_at: usize,
}

impl RotatedElsewhere {
    async fn new(rotate_at: usize) -> Self {
        let inner = MemoryStore::new();
        let r0 = TokenSet::new("a0".to_string(), SystemTime::now(), Region::International)
            .with_refresh_token("r0".to_string(), None);
        inner.save("user", &serde_json::to_vec(&r0).unwrap(), Version::NONE).await.unwrap();
        RotatedElsewhere { inner, loads: AtomicUsize::new(0), rotate_at }
    }
}

impl SessionStore for RotatedElsewhere {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Record> {
        let n = self.loads.fetch_add(1, Ordering::SeqCst) + 1;
        Box::pin(async move {
            if n == self.rotate_at {
                let r1 = TokenSet::new(
                    "a1".to_string(),
                    SystemTime::now() + Duration::from_secs(3600),
                    Region::International,
                )
                .with_refresh_token("r1".to_string(), None);
                self.inner.save(key, &serde_json::to_vec(&r1).unwrap(), Version::new(1)).await?;
            }
            self.inner.load(key).await
        })
    }
    fn save<'a>(&'a self, key: &'a str, payload: &'a [u8], expected: Version) -> StoreFuture<'a, Version> {
        self.inner.save(key, payload, expected)
    }
    fn clear<'a>(&'a self, _key: &'a str, _expected: Version) -> StoreFuture<'a, Version> {
        Box::pin(async { panic!("the session must not be ended and the store cleared") })
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

#[tokio::test]
async fn a_refused_refresh_first_reloads_the_store() {
    let server = MockServer::start().await;
    let tokens = mount_rotation(&server, 3600).await;
    *tokens.generation.lock().unwrap() = 1; // the other instance rotated: r0 is dead, a1/r1 are current
    // Loads: 1 at first use, 2 under the lease (not rotated yet), 3 after the refusal (rotated by then).
    let store = RotatedElsewhere::new(3).await;
    let client = builder(&server).token_store(TokenStore::new(store, "user")).build().unwrap();
    client.api().get_card_status().call().await.expect("the newer tokens from the store are used");
    assert!(client.session().is_signed_in(), "no sign-out");
    assert_eq!(client.session().tokens().unwrap().refresh_token().unwrap().expose_secret(), "r1");
    assert_eq!(client.session().stored_version(), Some(Version::new(2)));
    assert_eq!(requests_to(&server, "/v1/auth/oauth/token").await.len(), 1, "one refused refresh, then the reload");
}

#[tokio::test]
async fn a_rotation_found_under_the_lease_is_used_without_a_refresh() {
    let server = MockServer::start().await;
    let tokens = mount_rotation(&server, 3600).await;
    *tokens.generation.lock().unwrap() = 1;
    // Loads: 1 at first use, 2 under the lease: rotated by then.
    let store = RotatedElsewhere::new(2).await;
    let client = builder(&server).token_store(TokenStore::new(store, "user")).build().unwrap();
    client.api().get_card_status().call().await.unwrap();
    assert_eq!(client.session().tokens().unwrap().refresh_token().unwrap().expose_secret(), "r1");
    assert_eq!((client.session().refresh_count(), client.session().adopted_count()), (0, 1));
    assert_eq!(requests_to(&server, "/v1/auth/oauth/token").await.len(), 0, "no refresh request");
}

#[tokio::test]
async fn a_renewal_that_timed_out_is_tried_again_before_anything_ends() {
    let server = MockServer::start().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let a = asked.clone();
    Mock::given(method("POST"))
        .and(path("/v1/auth/oauth/token"))
        .respond_with(move |_: &Request| {
            let n = a.fetch_add(1, Ordering::SeqCst);
            let answer = ok(json!({"access_token": "a1", "refresh_token": "r1", "expires_in": 3600}));
            if n == 0 { answer.set_delay(Duration::from_secs(3)) } else { answer }
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/card/status"))
        .respond_with(ok(json!({"status": "ACTIVE"})))
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(400))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
        .with_session(expired_session("r0"));
    client.api().get_card_status().call().await.expect("the second try renewed");
    assert_eq!(asked.load(Ordering::SeqCst), 2, "one timed out, one more with the stored refresh token");
    assert!(client.session().is_signed_in());
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Secrets and personal data in output

const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXZhbHVl";
const PAN: &str = "4111111111111111";

#[tokio::test]
async fn echoed_secrets_never_reach_display_debug_details_or_logs() {
    let server = MockServer::start().await;
    let echo = json!({
        "message": format!("token {JWT} rejected for card {PAN}"),
        "details": {"cvv": "123", "cardNumber": PAN, "card_number": PAN, "cvc": "999", "securityCode": "777",
            "panNumber": PAN, "pin_code": "4321", "session": {"idToken": JWT}, "note": format!("pan {PAN}")}
    });
    Mock::given(method("POST"))
        .and(path("/v1/card/freeze"))
        .respond_with(ResponseTemplate::new(400).set_body_json(echo.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/card/transactions"))
        .respond_with(ok(
            json!([{"mcc": {"x": 1}, "cardNumber": PAN, "securityCode": "777", "pin_code": "4321", "memo": JWT}]),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/auth/oauth/token"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"message": format!("bad {JWT}")})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/card/status"))
        .respond_with(ok(json!({"status": "ACTIVE"})))
        .mount(&server)
        .await;
    let (logs, _guard) = capture_logs();
    let client = client(&server).with_session(aging_session("a0", "r0", Duration::from_secs(60)));
    let freeze = client.api().freeze_card().call().await.unwrap_err();
    let decode = client.api().list_card_transactions().page(0).call().await.unwrap_err();
    // A renewal ahead of expiry fails and is logged at WARN; the call goes on.
    client.api().get_card_status().call().await.unwrap();
    let Error::Api { details, .. } = &freeze else { panic!("{freeze:?}") };
    let everything =
        format!("{freeze} {freeze:?} {decode} {decode:?} {} {}", serde_json::to_string(details).unwrap(), logs.text());
    // The short values quoted, as any leak would show them (JSON, Debug): bare, they turn up in the log lines'
    // timestamps and ports.
    for secret in [JWT, PAN, "\"123\"", "\"999\"", "\"777\"", "\"4321\""] {
        assert!(!everything.contains(secret), "{secret} leaked: {everything}");
    }
    assert!(logs.text().contains("WARN"), "the renewal failure was logged: {}", logs.text());
}

#[test]
fn generated_types_never_print_secrets_or_personal_data() {
    use baanx::api::types::*;
    let login: LoginResponse = serde_json::from_value(
        json!({"accessToken": "US_secret-token-1", "phoneNumber": "+447700900123", "userId": "u1"}),
    )
    .unwrap();
    let oauth: OAuthTokenResponse =
        serde_json::from_value(json!({"access_token": JWT, "refresh_token": "rt-secret-2", "expires_in": 60})).unwrap();
    let details: CardDetailsToken =
        serde_json::from_value(json!({"token": "tok-secret-3", "imageUrl": "https://img.example/secret-4.png"}))
            .unwrap();
    let webhook: Webhook = serde_json::from_value(json!({"id": "w1", "apiKey": "whk_secret_5"})).unwrap();
    let profile: UserProfile = serde_json::from_value(json!({"id": "u1", "ssn": "123-45-6789", "dateOfBirth": "1990-12-10",
        "phoneNumber": "7700900123", "addressLine1": "10 Downing Street", "email": "ada@example.com", "firstName": "Ada"})).unwrap();
    let tx: CardTransaction = serde_json::from_value(
        json!({"id": "t1", "merchantNameLocation": format!("PAN {PAN}"), "unknownSecretToken": JWT}),
    )
    .unwrap();
    let request = LoginRequest::builder().email("ada@example.com".to_string()).password("hunter2-secret".to_string());
    let printed = format!("{login:?} {oauth:?} {details:?} {webhook:?} {profile:?} {tx:?} {request:?}");
    for secret in [
        "US_secret-token-1",
        "+447700900123",
        JWT,
        "rt-secret-2",
        "tok-secret-3",
        "secret-4",
        "whk_secret_5",
        "123-45-6789",
        "1990-12-10",
        "7700900123",
        "Downing",
        "ada@example.com",
        "Ada",
        PAN,
        "hunter2-secret",
    ] {
        assert!(!printed.contains(secret), "{secret} printed: {printed}");
    }
    assert!(printed.contains("[redacted]") && printed.contains("\"u1\""), "{printed}");
}

// ---------------------------------------------------------------------------------------------------------------
// 6. Concurrent saves

#[tokio::test]
async fn one_save_per_rotation_in_unique_owner_only_files() {
    let server = MockServer::start().await;
    mount_rotation(&server, 3600).await;
    let dir = tempfile::tempdir().unwrap();
    let file = TokenStore::file(dir.path(), "session").unwrap();
    let expired = TokenSet::new("a0".to_string(), SystemTime::now(), Region::International)
        .with_refresh_token("r0".to_string(), None);
    put(&file, &expired).await;
    // A symlink planted where a fixed temporary name would be: it must not be written through.
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("victim"), dir.path().join(".session.session.tmp")).unwrap();
    let mut slow = Instrumented::new(FileStore::new(dir.path()).unwrap());
    slow.save_delay = Duration::from_millis(50);
    let store = slow.clone();
    let client = builder(&server).token_store(TokenStore::new(slow, "session")).build().unwrap();
    let calls: Vec<_> = (0..500)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.api().get_card_status().call().await })
        })
        .collect();
    let mut failures = 0;
    for call in calls {
        failures += usize::from(call.await.unwrap().is_err());
    }
    assert_eq!(failures, 0, "no call failed");
    assert_eq!(requests_to(&server, "/v1/auth/oauth/token").await.len(), 1);
    assert_eq!(store.saves.load(Ordering::SeqCst), 1, "one save for one rotation");
    assert_eq!(stored(&file).await.unwrap().refresh_token().unwrap().expose_secret(), "r1");
    assert!(!dir.path().join("victim").exists(), "nothing was written through the symlink");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 3, "the record, its lock file and the planted link, no temporary file: {leftovers:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let path = FileStore::new(dir.path()).unwrap().path_for("session").unwrap();
        assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 7. Smaller holes

#[test]
fn an_empty_webhook_key_never_verifies() {
    use baanx::webhooks::{Verifier, WebhookError, sign};
    let now = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let forged = sign("", 1_700_000_000, b"{}");
    for verifier in [Verifier::new(""), Verifier::new("   "), Verifier::with_keys(["", ""])] {
        assert_eq!(verifier.verify_parts_at(Some("1700000000"), Some(&forged), b"{}", now), Err(WebhookError::NoKey));
    }
    assert_eq!(WebhookError::NoKey.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn huge_durations_never_panic() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/card/status"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", u64::MAX.to_string()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/user"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", u64::MAX.to_string()))
        .mount(&server)
        .await;
    // Each bound at its maximum in turn (with both at the maximum a server's Retry-After of a day is waited for,
    // as configured): the arithmetic saturates instead of overflowing, and the call ends with the typed error.
    for policy in [
        RetryPolicy::standard().deadline(Duration::MAX).max_delay(Duration::from_secs(1)),
        RetryPolicy::standard().deadline(Duration::from_secs(1)).max_delay(Duration::MAX),
        RetryPolicy::standard().deadline(Duration::MAX).max_delay(Duration::MAX).max_attempts(1),
    ] {
        let client = builder(&server).retry(policy).build().unwrap().with_session(oauth_session(
            "a",
            "r",
            Duration::from_secs(3600),
            Region::International,
        ));
        let err = client.api().get_card_status().call().await.unwrap_err();
        assert!(matches!(&err, Error::RateLimited { retry_after: Some(_), .. }), "{err:?}");
        assert!(matches!(client.api().get_user().call().await.unwrap_err(), Error::Api { status: 503, .. }));
    }
}

/// A server whose first answer announces 100 bytes and sends 10 before closing; later answers are whole.
async fn cutting_server() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let n = c.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let body = r#"{"status":"ACTIVE","panLast4":"1234","id":"c1","type":"VIRTUAL","holderName":"X"}"#;
                let answer = if n == 0 {
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{}",
                        &body[..10]
                    )
                } else {
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                };
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), count)
}

#[tokio::test]
async fn a_get_whose_body_is_cut_is_retried() {
    let (base, count) = cutting_server().await;
    let client = Client::builder()
        .environment(Environment::Custom(base))
        .client_key("pk")
        .retry(fast_retries())
        .build()
        .unwrap()
        .with_session(oauth_session("a", "r", Duration::from_secs(3600), Region::International));
    let card = client.api().get_card_status().call().await.unwrap();
    assert_eq!(card.pan_last4.as_deref(), Some("1234"));
    assert_eq!(count.load(Ordering::SeqCst), 2, "the cut answer, then a whole one");
}

#[tokio::test]
async fn dot_segments_in_path_parameters_are_refused_before_sending() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(ok(json!({}))).mount(&server).await;
    let client = signed(&server);
    for id in ["..", ".", ""] {
        let err = client.api().get_webhook().id(id).call().await.unwrap_err();
        assert!(matches!(err, Error::InvalidRequest { .. }), "{id:?}: {err:?}");
    }
    assert!(client.api().get_webhook().id("a.b").call().await.is_ok(), "dots inside an id are fine");
    assert!(client.api().get_webhook().id("%2e%2e").call().await.is_ok(), "an encoded id is just text");
    let sent: Vec<String> =
        server.received_requests().await.unwrap().iter().map(|r| r.url.path().to_string()).collect();
    assert_eq!(sent, ["/v1/webhooks/a.b", "/v1/webhooks/%252e%252e"]);
}

fn signed(server: &MockServer) -> Client {
    client(server).with_session(oauth_session("a", "r", Duration::from_secs(3600), Region::International))
}

#[test]
fn credentials_in_the_base_url_and_blank_secrets_are_refused() {
    let err = Client::builder()
        .client_key("pk")
        .environment(Environment::Custom("https://user:hunter2@api.example.com".into()))
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::InvalidBaseUrl { .. }));
    assert!(!err.to_string().contains("hunter2") && !format!("{err:?}").contains("hunter2"), "{err:?}");
    for blank in ["", "   "] {
        assert_eq!(
            Client::builder().client_key("pk").secret_key(blank).build().unwrap_err(),
            BuildError::BlankSecretKey
        );
    }
}

#[tokio::test]
async fn retry_after_on_a_503_is_honoured() {
    let server = MockServer::start().await;
    let n = Arc::new(AtomicUsize::new(0));
    let c = n.clone();
    Mock::given(method("GET"))
        .and(path("/v1/card/status"))
        .respond_with(move |_: &Request| {
            if c.fetch_add(1, Ordering::SeqCst) == 0 {
                ResponseTemplate::new(503).insert_header("retry-after", "1")
            } else {
                ok(json!({"status": "ACTIVE"}))
            }
        })
        .mount(&server)
        .await;
    let client = builder(&server)
        .retry(fast_retries().max_delay(Duration::from_secs(5)))
        .build()
        .unwrap()
        .with_session(oauth_session("a", "r", Duration::from_secs(3600), Region::International));
    let started = std::time::Instant::now();
    client.api().get_card_status().call().await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "waited for the Retry-After, not the 20 ms backoff");
    assert_eq!(n.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_supplied_client_without_a_timeout_still_gets_the_sdk_deadline() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            held.push(socket); // accepts and never answers
        }
    });
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let client = Client::builder()
        .environment(Environment::Custom(format!("http://{addr}")))
        .client_key("pk")
        .http_client(http)
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
        .with_session(oauth_session("a", "r", Duration::from_secs(3600), Region::International));
    let result = tokio::time::timeout(Duration::from_secs(5), client.api().get_card_status().call()).await;
    assert!(matches!(result, Ok(Err(Error::Timeout { .. }))), "{result:?}");
}

#[tokio::test]
async fn a_server_error_on_a_money_moving_call_says_it_was_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/wallet/credit/withdraw"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"message": "oops"})))
        .mount(&server)
        .await;
    let client = signed(&server);
    let body = baanx::api::types::WithdrawCreditWalletRequest::builder().amount(baanx::Decimal::new(1000, 2));
    let err = client.api().withdraw_credit_wallet().body(body).call().await.unwrap_err();
    assert!(err.context().unwrap().not_retried.is_some(), "{err:?}");
    assert!(err.to_string().contains("check its effect"), "{err}");
    assert_eq!(requests_to(&server, "/v1/wallet/credit/withdraw").await.len(), 1);
}

#[tokio::test]
async fn duplicates_on_non_consecutive_pages_are_dropped() {
    // Pages [a b] [c a] [d b] []: a and b come back two and three pages later.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/card/transactions"))
        .respond_with(|r: &Request| {
            let page: u64 = r.url.query_pairs().find(|(k, _)| k == "page").map(|(_, v)| v.parse().unwrap()).unwrap();
            let ids: &[&str] = match page {
                0 => &["a", "b"],
                1 => &["c", "a"],
                2 => &["d", "b"],
                _ => &[],
            };
            ok(serde_json::Value::Array(ids.iter().map(|id| json!({"id": id})).collect()))
        })
        .mount(&server)
        .await;
    use futures_util::TryStreamExt as _;
    let txs: Vec<_> = signed(&server)
        .api()
        .list_card_transactions()
        .stream(baanx::pagination::PageOptions::default().prefetch(0))
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = txs.iter().map(|t| t.id.clone().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
}
