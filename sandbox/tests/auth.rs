//! Client keys, tenants, password login (OTP and onboarding answers) and the OTP rate limit.

mod common;

use std::time::Duration;

use baanx_sandbox::Sandbox;
use common::Api;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn client_key_is_checked_everywhere_but_hosted_pages() {
    let sb = Sandbox::builder().start().await.unwrap();
    let http = common::http();
    let missing = http.get(format!("{}/v1/card/status", sb.base_url())).send().await.unwrap();
    assert_eq!(missing.status(), 499);
    assert_eq!(missing.json::<serde_json::Value>().await.unwrap(), json!({ "message": "Missing client key" }));
    let wrong = http.get(format!("{}/v1/user", sb.base_url())).header("x-client-key", "nope").send().await.unwrap();
    assert_eq!(wrong.status(), 498);
    assert_eq!(wrong.json::<serde_json::Value>().await.unwrap(), json!({ "message": "Invalid client key" }));
    // Consent routes add the consent error shape.
    let consent = http.get(format!("{}/v2/consent/user/u1", sb.base_url())).send().await.unwrap();
    assert_eq!(consent.status(), 499);
    assert_eq!(consent.json::<serde_json::Value>().await.unwrap()["error"], "Missing client key");

    // The order routes also take the key as X-Client-ID.
    let api = Api::new(&sb).login(sb.user()).await;
    let token = api.token.clone().unwrap();
    let products = http
        .get(format!("{}/v1/order/products/available", sb.base_url()))
        .header("X-Client-ID", sb.client_key())
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(products.status(), 200);
    let not_on_card = http
        .get(format!("{}/v1/card/status", sb.base_url()))
        .header("X-Client-ID", sb.client_key())
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(not_on_card.status(), 499);

    // Unknown routes, wrong methods, malformed bodies.
    assert_eq!(api.get("/v1/nothing/here").await.json(), json!({ "message": "Not Found" }));
    assert_eq!(api.call(Method::DELETE, "/v1/card/status", None).await.status, 405);
    let malformed = Api::send(
        api.request(Method::POST, "/v1/wallet/credit/withdraw")
            .header("content-type", "application/json")
            .body("{\"amount\":"),
    )
    .await;
    assert_eq!(malformed.status, 400);
    let missing_field = api.post("/v1/wallet/credit/withdraw", json!({})).await;
    assert_eq!(missing_field.json(), json!({ "message": "amount is required" }));
}

#[tokio::test]
async fn tokens_belong_to_their_tenant() {
    let sb = Sandbox::builder().start().await.unwrap();
    let intl = Api::new(&sb);
    let us = Api::new(&sb).us();

    // A US user cannot log in on the international tenant, and vice versa.
    let wrong_tenant =
        intl.post("/v1/auth/login", json!({ "email": sb.us_user().email, "password": sb.us_user().password })).await;
    assert_eq!(wrong_tenant.status, 400);
    assert_eq!(wrong_tenant.json(), json!({ "message": "Invalid Credentials" }));

    let us_session = us.login(sb.us_user()).await;
    assert!(us_session.token.as_deref().unwrap().starts_with("US_"));
    assert_eq!(us_session.get("/v1/user").await.status, 200);
    // The same token without x-us-env (international tenant) is refused.
    let mut us_token_on_intl = us_session.clone();
    us_token_on_intl.us = false;
    let refused = us_token_on_intl.get("/v1/user").await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json(), json!({ "message": "Not authenticated" }));
    // region=us works like the header.
    let by_query = us_token_on_intl.get("/v1/user?region=us").await;
    assert_eq!(by_query.status, 200);

    let intl_session = intl.login(sb.user()).await;
    assert!(intl_session.token.as_deref().unwrap().starts_with("INTL_"));
    let mut intl_token_on_us = intl_session.clone();
    intl_token_on_us.us = true;
    assert_eq!(intl_token_on_us.get("/v1/card/transactions").await.status, 401);

    // An OAuth token carries its tenant in app_id and is refused on the other tenant too.
    let (code, verifier) = common::api_mode_code(&us, sb.us_user()).await;
    let t = us
        .post(
            "/v1/auth/oauth/token",
            json!({ "grant_type": "authorization_code", "code": code, "redirect_uri": "https://app.example/cb", "code_verifier": verifier }),
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.text);
    let access = t.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(us.with_token(&access).get("/v1/user").await.status, 200);
    assert_eq!(intl.with_token(&access).get("/v1/user").await.status, 401);
    // Missing and garbage bearer tokens.
    assert_eq!(intl.get("/v1/user").await.status, 401);
    assert_eq!(intl.with_token("garbage").get("/v1/user").await.status, 401);
}

#[tokio::test]
async fn login_answers_otp_and_onboarding_with_200() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb);
    let creds = |u: &baanx_sandbox::TestUser| json!({ "email": u.email, "password": u.password });

    let otp = api.post("/v1/auth/login", creds(sb.otp_user())).await;
    assert_eq!(otp.status, 200);
    let body = otp.json();
    assert_eq!(body["isOtpRequired"], true);
    // As the live API does: the placeholder string "null", not JSON null.
    assert_eq!(body["accessToken"], "null");
    assert_eq!(body["userId"], sb.otp_user().user_id.as_str());

    let sent = api.post("/v1/auth/login/otp", json!({ "userId": sb.otp_user().user_id })).await;
    assert_eq!(sent.json(), json!({ "success": true }));
    let mut bad = creds(sb.otp_user());
    bad["otpCode"] = "000000".into();
    assert_eq!(api.post("/v1/auth/login", bad).await.json(), json!({ "message": "Invalid OTP" }));
    let mut good = creds(sb.otp_user());
    good["otpCode"] = sb.otp_code().into();
    let done = api.post("/v1/auth/login", good).await.json();
    assert!(done["accessToken"].as_str().unwrap().starts_with("INTL_"));
    assert_eq!(done["isOtpRequired"], false);

    let onboarding = api.post("/v1/auth/login", creds(sb.onboarding_user())).await;
    assert_eq!(onboarding.status, 200);
    assert_eq!(onboarding.json()["phase"], "PHONE_NUMBER");
    assert!(onboarding.json()["accessToken"].is_null());

    let mut wrong = creds(sb.user());
    wrong["password"] = "nope".into();
    let refused = api.post("/v1/auth/login", wrong).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json(), json!({ "message": "Invalid Credentials" }));

    let unknown = api.post("/v1/auth/login/otp", json!({ "userId": "nobody" })).await;
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.json()["success"], false);
}

#[tokio::test]
async fn otp_sends_are_rate_limited() {
    let sb = Sandbox::builder().otp_rate_limit(2, Duration::from_millis(1500)).start().await.unwrap();
    let api = Api::new(&sb);
    let body = json!({ "userId": sb.otp_user().user_id });
    for _ in 0..2 {
        assert_eq!(api.post("/v1/auth/login/otp", body.clone()).await.status, 200);
    }
    let limited = api.post("/v1/auth/login/otp", body.clone()).await;
    assert_eq!(limited.status, 429);
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    // Another user has their own budget.
    assert_eq!(api.post("/v1/auth/login/otp", json!({ "userId": sb.user().user_id })).await.status, 200);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(api.post("/v1/auth/login/otp", body).await.status, 200);
}

#[tokio::test]
async fn requests_are_logged_and_debug_hides_the_secret() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb);
    api.post("/v1/auth/login", json!({ "email": "a@b.c", "password": "x" })).await;
    let log = sb.requests();
    let last = log.last().unwrap();
    assert_eq!((last.method.as_str(), last.path.as_str()), ("POST", "/v1/auth/login"));
    assert_eq!(last.header("X-Client-Key"), Some(sb.client_key()));
    assert_eq!(last.json().unwrap()["email"], "a@b.c");
    sb.clear_requests();
    assert!(sb.requests().is_empty());
    let debug = format!("{sb:?}");
    assert!(!debug.contains(sb.secret_key()), "{debug}");
    assert!(debug.contains(sb.client_key()));
}

#[tokio::test]
async fn password_reset_changes_the_password() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb);
    let user = sb.user();
    let request = "/v1/auth/password/reset/request";
    let (verify, confirm) = ("/v1/auth/password/reset/verify", "/v1/auth/password/reset/confirm");

    // Only the client key is needed, and it is checked.
    let http = common::http();
    let missing =
        http.post(format!("{}{request}", sb.base_url())).json(&json!({ "email": user.email })).send().await.unwrap();
    assert_eq!(missing.status(), 499);
    let wrong = http
        .post(format!("{}{confirm}", sb.base_url()))
        .header("x-client-key", "nope")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 498);

    // The request step always succeeds; an unknown e-mail gets no code.
    assert_eq!(
        api.post(request, json!({ "email": "nobody@sandbox.baanx.test" })).await.json(),
        json!({ "success": true })
    );
    let unknown = api.post(verify, json!({ "email": "nobody@sandbox.baanx.test", "code": "123456" })).await;
    assert_eq!((unknown.status.as_u16(), unknown.json()), (400, json!({ "message": "Invalid or expired code" })));
    assert_eq!(api.post(request, json!({})).await.json(), json!({ "message": "email is required" }));
    // Nothing is pending for the user yet.
    assert_eq!(api.post(verify, json!({ "email": user.email, "code": "123456" })).await.status, 400);

    assert_eq!(api.post(request, json!({ "email": user.email })).await.json(), json!({ "success": true }));
    let bad_code = api.post(verify, json!({ "email": user.email, "code": "000000" })).await;
    assert_eq!((bad_code.status.as_u16(), bad_code.json()), (400, json!({ "message": "Invalid or expired code" })));
    // The e-mail is optional at the verify step.
    let verified = api.post(verify, json!({ "code": sb.otp_code() })).await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    let token = verified.json()["token"].as_str().unwrap().to_string();
    // The code is spent.
    assert_eq!(api.post(verify, json!({ "email": user.email, "code": "123456" })).await.status, 400);

    let short = api.post(confirm, json!({ "token": token, "password": "short" })).await;
    assert_eq!(short.status, 400);
    let new_password = "N3w-Sandbox-Passw0rd!";
    let done = api.post(confirm, json!({ "token": token, "password": new_password })).await;
    assert_eq!(done.json(), json!({ "success": true }));
    let old = api.post("/v1/auth/login", json!({ "email": user.email, "password": user.password })).await;
    assert_eq!((old.status.as_u16(), old.json()), (400, json!({ "message": "Invalid Credentials" })));
    let new = api.post("/v1/auth/login", json!({ "email": user.email, "password": new_password })).await;
    assert!(new.json()["accessToken"].as_str().unwrap().starts_with("INTL_"));

    // A used or unknown token: a top-level error object.
    let expected =
        json!({ "error": { "status": 400, "message": "Invalid reset token", "errorCode": "RESET_TOKEN_INVALID" } });
    for t in [token.as_str(), "unknown"] {
        let again = api.post(confirm, json!({ "token": t, "password": "An0ther-Passw0rd" })).await;
        assert_eq!((again.status.as_u16(), again.json()), (400, expected.clone()));
    }
    // Tenants do not mix: a US user is unknown on the international tenant.
    api.post(request, json!({ "email": sb.us_user().email })).await;
    assert_eq!(api.post(verify, json!({ "email": sb.us_user().email, "code": "123456" })).await.status, 400);
    let us = Api::new(&sb).us();
    assert_eq!(us.post(verify, json!({ "email": sb.us_user().email, "code": "123456" })).await.status, 400);
    us.post(request, json!({ "email": sb.us_user().email })).await;
    assert_eq!(us.post(verify, json!({ "email": sb.us_user().email, "code": "123456" })).await.status, 200);
}

#[tokio::test]
async fn the_profile_carries_undocumented_members() {
    let sb = Sandbox::builder().start().await.unwrap();
    let me = Api::new(&sb).login(sb.user()).await.get("/v1/user").await.json();
    assert_eq!(me["preferences"]["language"], "en");
    assert!(me["isLinked"].is_boolean());
    assert_eq!(me["email"], sb.user().email.as_str());
}
