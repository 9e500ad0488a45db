//! The auth lifecycle: login, short-lived access tokens, refresh without a new refresh token, the documented
//! errors, throttling through the fault plan.

mod common;

use std::time::Duration;

use common::{Api, builder, control};
use reqwest::Method;
use serde_json::json;
use vaultspay_sandbox::{Fault, FaultRule};

/// `2024-09-23T18:33:10.049+00:00`.
fn is_iso_with_offset(s: &str) -> bool {
    s.len() == 29 && &s[10..11] == "T" && &s[19..20] == "." && s.ends_with("+00:00")
}

#[tokio::test]
async fn login_refresh_and_expiry() {
    let sb = builder().access_token_ttl(Duration::from_millis(400)).start().await.unwrap();
    let api = Api::new(&sb);
    // Wrong credentials: 401 / 1002 (encrypted like any answer).
    let wrong = api.post("/as/api/v1/saas-login", json!({ "clientId": sb.client_id(), "clientSecret": "nope" })).await;
    wrong.error(401, 1002);
    api.post("/as/api/v1/saas-login", json!({ "clientId": sb.client_id() })).await.error(422, 1000);
    // The session is a bare object with ISO 8601 expiries.
    let session = api
        .post("/as/api/v1/saas-login", json!({ "clientId": sb.client_id(), "clientSecret": sb.client_secret() }))
        .await
        .json();
    assert!(session.get("data").is_none());
    for k in ["accessTokenExpiry", "refreshTokenExpiry"] {
        assert!(is_iso_with_offset(session[k].as_str().unwrap()), "{session}");
    }
    let mut authed = api.clone();
    authed.token = Some(session["accessToken"].as_str().unwrap().to_string());
    assert_eq!(authed.get("/pcs/api/v1/card-tiers").await.data().as_array().unwrap().len(), 2);
    // No token, a made-up token, then the expired one.
    api.get("/pcs/api/v1/card-tiers").await.error(401, 1002);
    let mut forged = api.clone();
    forged.token = Some("vp_at_forged".into());
    forged.get("/pcs/api/v1/card-tiers").await.error(400, 1036);
    tokio::time::sleep(Duration::from_millis(450)).await;
    authed.get("/pcs/api/v1/card-tiers").await.error(401, 1003);
    // Refresh: a new access token, no new refresh token.
    let refreshed = api.post("/as/api/v1/saas-refresh-token", json!({ "refreshToken": session["refreshToken"] })).await;
    let data = refreshed.data();
    assert_eq!(data.as_object().unwrap().keys().collect::<Vec<_>>(), ["accessToken", "accessTokenExpiry"]);
    assert!(is_iso_with_offset(data["accessTokenExpiry"].as_str().unwrap()));
    authed.token = Some(data["accessToken"].as_str().unwrap().to_string());
    authed.get("/pcs/api/v1/card-tiers").await.data();
    // An unknown refresh token, then an expired one (control call): 401 / 1004.
    api.post("/as/api/v1/saas-refresh-token", json!({ "refreshToken": "nope" })).await.error(401, 1004);
    control(&sb, Method::POST, "/tokens/expire", json!({ "refresh": true })).await.data();
    api.post("/as/api/v1/saas-refresh-token", json!({ "refreshToken": session["refreshToken"] }))
        .await
        .error(401, 1004);
    authed.get("/pcs/api/v1/card-tiers").await.error(401, 1003);
    sb.shutdown().await;
}

#[tokio::test]
async fn throttling_answers_429_1005_with_retry_after() {
    let sb = builder()
        .fault(FaultRule::on("GET", "/pcs/api/v1/card-tiers").calls(1..=1).fault(Fault::Status(429)))
        .fault(
            FaultRule::on("POST", "/as/api/v1/saas-login")
                .calls(2..=2)
                .fault(Fault::StatusWithRetryAfter(429, "7".into())),
        )
        .start()
        .await
        .unwrap();
    let api = Api::login(&sb).await;
    let throttled = api.get("/pcs/api/v1/card-tiers").await;
    assert_eq!(throttled.header("retry-after"), Some("1"));
    assert!(throttled.header("x-session-nonce").is_some(), "the throttle answer is encrypted too");
    assert_eq!(throttled.error(429, 1005)["type"], "THROTTLE");
    api.get("/pcs/api/v1/card-tiers").await.data();
    let login = json!({ "clientId": sb.client_id(), "clientSecret": sb.client_secret() });
    let again = api.post("/as/api/v1/saas-login", login.clone()).await;
    assert_eq!(again.header("retry-after"), Some("7"));
    again.error(429, 1005);
    assert!(api.post("/as/api/v1/saas-login", login).await.json()["accessToken"].is_string());
    sb.shutdown().await;
}
