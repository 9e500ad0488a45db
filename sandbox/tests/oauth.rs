//! OAuth: PKCE verification, single-use codes, refresh-token rotation, hosted flows, revoke and logout.

mod common;

use std::time::Duration;

use baanx_sandbox::Sandbox;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Api, api_mode_code, auth_query, pkce};
use reqwest::Method;
use serde_json::{Value, json};

fn claims(jwt: &str) -> Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "not JWT-shaped: {jwt}");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

fn exchange_body(code: &str, verifier: &str) -> Value {
    json!({ "grant_type": "authorization_code", "code": code, "redirect_uri": "https://app.example/cb", "code_verifier": verifier })
}

#[tokio::test]
async fn pkce_is_verified_and_codes_are_single_use() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb);
    let (code, verifier) = api_mode_code(&api, sb.user()).await;

    // A wrong verifier (well-formed) is refused with invalid_grant and does not burn the code.
    let wrong = api.post("/v1/auth/oauth/token", exchange_body(&code, &"x".repeat(43))).await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.json()["error"], "invalid_grant");

    // The redirect_uri must match the initiate one.
    let mut other = exchange_body(&code, &verifier);
    other["redirect_uri"] = "https://app.example/other".into();
    let mismatch = api.post("/v1/auth/oauth/token", other).await;
    assert_eq!(mismatch.json()["error"], "invalid_grant");

    // The right verifier works; the secret key is optional but accepted.
    let ok = Api::send(
        api.request(Method::POST, "/v1/auth/oauth/token")
            .header("x-secret-key", sb.secret_key())
            .json(&exchange_body(&code, &verifier)),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let tokens = ok.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 21_600);
    assert_eq!(tokens["refresh_token_expires_in"], 15_897_600);
    let c = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(c["sub"], sb.user().user_id.as_str());
    assert_eq!(c["app_id"], "baanx-intl");
    assert!(c["exp"].as_i64().unwrap() > c["iat"].as_i64().unwrap());

    // The access token works.
    let me = api.with_token(tokens["access_token"].as_str().unwrap()).get("/v1/user").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["email"], sb.user().email.as_str());

    // Second use of the code.
    let again = api.post("/v1/auth/oauth/token", exchange_body(&code, &verifier)).await;
    assert_eq!(again.status, 400);
    assert_eq!(again.json()["error"], "invalid_grant");
    assert_eq!(again.json()["error_description"], "Authorization code has expired or already been used");

    // A wrong secret key is refused even though the secret is optional.
    let bad_secret = Api::send(
        api.request(Method::POST, "/v1/auth/oauth/token")
            .header("x-secret-key", "nope")
            .json(&exchange_body("c", &verifier)),
    )
    .await;
    assert_eq!(bad_secret.status, 401);
    assert_eq!(bad_secret.json()["error"], "invalid_client");
}

#[tokio::test]
async fn initiate_checks_parameters() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb);
    let (_, challenge) = pkce();
    let full = auth_query(sb.client_key(), &challenge, "&mode=api");
    for name in ["response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method"] {
        let q: Vec<&str> = full.split('&').filter(|p| !p.starts_with(&format!("{name}="))).collect();
        let a = api.get(&format!("/v1/auth/oauth/authorize/initiate?{}", q.join("&"))).await;
        assert_eq!(a.status, 400, "{name}");
        assert_eq!(a.json()["error"], "invalid_request");
        assert_eq!(a.json()["error_description"], format!("Missing required parameter: {name}"));
    }
    let plain = api.get(&format!("/v1/auth/oauth/authorize/initiate?{}", full.replace("S256", "plain"))).await;
    assert_eq!(plain.json()["error"], "invalid_request");
}

#[tokio::test]
async fn refresh_tokens_rotate() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb);
    let (code, verifier) = api_mode_code(&api, sb.user()).await;
    let first = api.post("/v1/auth/oauth/token", exchange_body(&code, &verifier)).await.json();
    let r1 = first["refresh_token"].as_str().unwrap().to_string();

    let second = api.post("/v1/auth/oauth/token", json!({ "grant_type": "refresh_token", "refresh_token": r1 })).await;
    assert_eq!(second.status, 200, "{}", second.text);
    let r2 = second.json()["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);

    // The old refresh token is refused after use; the new one works once.
    let reuse = api.post("/v1/auth/oauth/token", json!({ "grant_type": "refresh_token", "refresh_token": r1 })).await;
    assert_eq!(reuse.status, 400);
    assert_eq!(reuse.json()["error"], "invalid_grant");
    let third = api.post("/v1/auth/oauth/token", json!({ "grant_type": "refresh_token", "refresh_token": r2 })).await;
    assert_eq!(third.status, 200);

    let missing = api.post("/v1/auth/oauth/token", json!({ "grant_type": "refresh_token" })).await;
    assert_eq!(missing.json()["error_description"], "Missing required parameter: refresh_token");
    let bad_grant = api.post("/v1/auth/oauth/token", json!({ "grant_type": "password" })).await;
    assert_eq!(bad_grant.json()["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let sb = Sandbox::builder()
        .access_token_ttl(Duration::from_millis(800))
        .refresh_token_ttl(Duration::from_millis(800))
        .start()
        .await
        .unwrap();
    let api = Api::new(&sb);
    let (code, verifier) = api_mode_code(&api, sb.user()).await;
    let t = api.post("/v1/auth/oauth/token", exchange_body(&code, &verifier)).await.json();
    let authed = api.with_token(t["access_token"].as_str().unwrap());
    assert_eq!(authed.get("/v1/user").await.status, 200);
    tokio::time::sleep(Duration::from_millis(900)).await;
    let late = authed.get("/v1/user").await;
    assert_eq!(late.status, 401);
    assert_eq!(late.json(), json!({ "message": "Not authenticated" }));
    let refresh = api
        .post("/v1/auth/oauth/token", json!({ "grant_type": "refresh_token", "refresh_token": t["refresh_token"] }))
        .await;
    assert_eq!(refresh.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn hosted_mode_redirects_and_the_login_page_issues_a_code() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb);
    let (verifier, challenge) = pkce();
    let init =
        api.get(&format!("/v1/auth/oauth/authorize/initiate?{}", auth_query(sb.client_key(), &challenge, ""))).await;
    assert_eq!(init.status, 302);
    let location = init.header("location").unwrap().to_string();
    assert!(location.starts_with(&format!("{}/hosted/login?session=", sb.base_url())), "{location}");

    let page = common::http().get(&location).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form"));

    let session = location.split("session=").nth(1).unwrap();
    // The OTP user needs the code on the page too.
    let form = [("session", session), ("email", &sb.otp_user().email), ("password", &sb.otp_user().password)];
    let no_otp = common::http().post(format!("{}/hosted/login", sb.base_url())).form(&form).send().await.unwrap();
    assert_eq!(no_otp.status(), 401);
    let with_otp = [
        ("session", session),
        ("email", &sb.otp_user().email),
        ("password", &sb.otp_user().password),
        ("otpCode", sb.otp_code()),
    ];
    let done = common::http().post(format!("{}/hosted/login", sb.base_url())).form(&with_otp).send().await.unwrap();
    assert_eq!(done.status(), 302);
    let back = done.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with("https://app.example/cb?code="), "{back}");
    assert!(back.ends_with("&state=st-123"));
    let code = back.split("code=").nth(1).unwrap().split('&').next().unwrap();
    let t = api.post("/v1/auth/oauth/token", exchange_body(code, &verifier)).await;
    assert_eq!(t.status, 200, "{}", t.text);
    assert_eq!(claims(t.json()["access_token"].as_str().unwrap())["sub"], sb.otp_user().user_id.as_str());

    // The JSON variant of hosted initiate.
    let sb2 = Sandbox::builder().hosted_initiate_json(true).start().await.unwrap();
    let api2 = Api::new(&sb2);
    let j =
        api2.get(&format!("/v1/auth/oauth/authorize/initiate?{}", auth_query(sb2.client_key(), &challenge, ""))).await;
    assert_eq!(j.status, 200);
    assert!(j.json()["url"].as_str().unwrap().contains("/hosted/login?session="));
}

#[tokio::test]
async fn oauth2_page_gives_refresh_tokens_only_with_offline_access() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb);
    let (verifier, challenge) = pkce();
    for (scope, expect_refresh) in [("openid%20profile%20email%20offline_access", true), ("openid%20profile", false)] {
        let q = auth_query(sb.client_key(), &challenge, &format!("&scope={scope}"));
        let page = common::http().get(format!("{}/v1/auth/oauth2/authorize?{q}", sb.base_url())).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let submit = common::http()
            .post(format!("{}/v1/auth/oauth2/authorize?{q}", sb.base_url()))
            .json(&json!({ "email": sb.user().email, "password": sb.user().password }))
            .send()
            .await
            .unwrap();
        assert_eq!(submit.status(), 302);
        let back = submit.headers()["location"].to_str().unwrap().to_string();
        let code = back.split("code=").nth(1).unwrap().split('&').next().unwrap().to_string();
        let t = api
            .post(
                "/v1/auth/oauth2/token",
                json!({ "grant_type": "authorization_code", "code": code, "code_verifier": verifier }),
            )
            .await;
        assert_eq!(t.status, 200, "{}", t.text);
        assert_eq!(t.json().get("refresh_token").is_some(), expect_refresh, "{scope}");
    }
}

#[tokio::test]
async fn revoke_and_logout_invalidate_tokens() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb);
    let (code, verifier) = api_mode_code(&api, sb.user()).await;
    let t = api.post("/v1/auth/oauth/token", exchange_body(&code, &verifier)).await.json();
    let oauth = api.with_token(t["access_token"].as_str().unwrap());
    let login = api.login(sb.user()).await;
    assert_eq!(oauth.call(Method::DELETE, "/v1/auth/oauth/revoke", None).await.json(), json!({ "success": true }));
    assert_eq!(oauth.get("/v1/user").await.status, 401);
    assert_eq!(login.get("/v1/user").await.status, 401);
    let refresh = api
        .post("/v1/auth/oauth/token", json!({ "grant_type": "refresh_token", "refresh_token": t["refresh_token"] }))
        .await;
    assert_eq!(refresh.json()["error"], "invalid_grant");

    let fresh = api.login(sb.user()).await;
    assert_eq!(fresh.post("/v1/auth/logout", json!({})).await.status, 200);
    assert_eq!(fresh.get("/v1/user").await.status, 401);
}

#[tokio::test]
async fn oauth2_page_records_the_prompt() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb);
    let (verifier, challenge) = pkce();
    let q = auth_query(sb.client_key(), &challenge, "&scope=openid%20profile&prompt=consent");
    let page = common::http().get(format!("{}/v1/auth/oauth2/authorize?{q}", sb.base_url())).send().await.unwrap();
    assert_eq!(page.status(), 200);
    // The page's form posts the prompt along.
    assert!(page.text().await.unwrap().contains("prompt=consent"));
    let submit = common::http()
        .post(format!("{}/v1/auth/oauth2/authorize?{q}", sb.base_url()))
        .json(&json!({ "email": sb.user().email, "password": sb.user().password }))
        .send()
        .await
        .unwrap();
    assert_eq!(submit.status(), 302);
    let grants = sb.authorizations();
    let last = grants.last().unwrap();
    assert_eq!(last.via, "/v1/auth/oauth2/authorize");
    assert_eq!(last.prompt.as_deref(), Some("consent"));
    assert_eq!(last.scope.as_deref(), Some("openid profile"));
    assert_eq!(last.user_id, sb.user().user_id);
    // Otherwise as before: without offline_access, no refresh token.
    let back = submit.headers()["location"].to_str().unwrap().to_string();
    let code = back.split("code=").nth(1).unwrap().split('&').next().unwrap().to_string();
    let t = api
        .post(
            "/v1/auth/oauth2/token",
            json!({ "grant_type": "authorization_code", "code": code, "code_verifier": verifier }),
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.text);
    assert!(t.json().get("refresh_token").is_none());

    // API mode records its authorizations too, without a prompt.
    api_mode_code(&api, sb.user()).await;
    let last = sb.authorizations().pop().unwrap();
    assert_eq!((last.via.as_str(), last.prompt), ("/v1/auth/oauth/authorize", None));
}
