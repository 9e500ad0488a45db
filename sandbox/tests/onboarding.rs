//! Registration, consent v2, delegation, product orders, referrals, settings.

mod common;

use baanx_sandbox::Sandbox;
use common::Api;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn registration_consent_and_first_login() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb);
    let code = sb.otp_code();
    let email = "new.user@example.com";
    let cv = api.post("/v1/auth/register/email/send", json!({ "email": email })).await.json()["contactVerificationId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(cv.starts_with("INTL_"));
    let wrong_code = api
        .post(
            "/v1/auth/register/email/verify",
            json!({ "email": email, "password": "x1x2x3x4y1y2y3y4!!", "verificationCode": "000000", "contactVerificationId": cv, "countryOfResidence": "GB", "allowMarketing": true, "allowSms": false }),
        )
        .await;
    assert_eq!(wrong_code.status, 400);
    let verified = api
        .post(
            "/v1/auth/register/email/verify",
            json!({ "email": email, "password": "x1x2x3x4y1y2y3y4!!", "verificationCode": code, "contactVerificationId": cv, "countryOfResidence": "GB", "allowMarketing": true, "allowSms": false }),
        )
        .await
        .json();
    assert_eq!(verified["hasAccount"], false);
    let ob = verified["onboardingId"].as_str().unwrap().to_string();
    let user_id = verified["user"]["id"].as_str().unwrap().to_string();

    // Out of order: personal details before the phone.
    let early = api
        .post("/v1/auth/register/personal-details", json!({ "onboardingId": ob, "firstName": "N", "lastName": "U", "dateOfBirth": "1990-01-01", "countryOfNationality": "GB" }))
        .await;
    assert_eq!(early.status, 400);
    // Login now says where registration stopped.
    let phase = api.post("/v1/auth/login", json!({ "email": email, "password": "x1x2x3x4y1y2y3y4!!" })).await.json();
    assert_eq!(phase["phase"], "PHONE_NUMBER");

    let phone = json!({ "phoneCountryCode": "+44", "phoneNumber": "7400846282", "contactVerificationId": cv });
    assert_eq!(api.post("/v1/auth/register/phone/send", phone.clone()).await.json(), json!({ "success": true }));
    let mut verify = phone.clone();
    verify["onboardingId"] = ob.clone().into();
    verify["verificationCode"] = code.into();
    assert_eq!(api.post("/v1/auth/register/phone/verify", verify).await.status, 200);
    let kyc = api.post("/v1/auth/register/verification", json!({ "onboardingId": ob })).await.json();
    assert!(kyc["sessionUrl"].as_str().unwrap().starts_with(sb.base_url()));
    assert_eq!(
        api.post("/v1/auth/register/verification", json!({ "onboardingId": "nope" })).await.json(),
        json!({ "message": "Invalid onboarding ID" })
    );
    let bad_date = api
        .post("/v1/auth/register/personal-details", json!({ "onboardingId": ob, "firstName": "N", "lastName": "U", "dateOfBirth": "1990-02-30", "countryOfNationality": "GB" }))
        .await;
    assert_eq!(bad_date.status, 400);
    assert_eq!(
        api.post("/v1/auth/register/personal-details", json!({ "onboardingId": ob, "firstName": "Nia", "lastName": "User", "dateOfBirth": "1990-01-01", "countryOfNationality": "GB" }))
            .await
            .status,
        200
    );

    // Consent: the secret key is required; global policy needs four types.
    let consent = json!({
        "onboardingId": ob,
        "tenantId": "tenant_baanx_global",
        "policyType": "global",
        "consents": [
            { "consentType": "termsAndPrivacy", "consentStatus": "granted" },
            { "consentType": "marketingNotifications", "consentStatus": "denied" },
            { "consentType": "smsNotifications", "consentStatus": "denied" },
            { "consentType": "emailNotifications", "consentStatus": "granted" }
        ],
        "metadata": { "ipAddress": "192.0.2.1", "userAgent": "test", "timestamp": "2025-01-01T00:00:00Z", "clientId": "tests" }
    });
    let no_secret = api.post("/v2/consent/onboarding", consent.clone()).await;
    assert_eq!(no_secret.status, 401);
    assert_eq!(no_secret.json()["error"], "invalid_client");
    let secret = |rb: reqwest::RequestBuilder| rb.header("x-secret-key", sb.secret_key());
    let mut short = consent.clone();
    short["consents"].as_array_mut().unwrap().remove(0);
    let missing = Api::send(secret(api.request(Method::POST, "/v2/consent/onboarding")).json(&short)).await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.json(),
        json!({ "error": "Validation error", "details": ["Missing required consent: termsAndPrivacy for policy type: global"] })
    );
    let created = Api::send(secret(api.request(Method::POST, "/v2/consent/onboarding")).json(&consent)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let set_id = created.json()["consentSetId"].as_str().unwrap().to_string();
    assert!(created.json()["userId"].is_null());

    // Address completes registration and returns a token.
    let done = api
        .post("/v1/auth/register/address", json!({ "onboardingId": ob, "addressLine1": "1 Road", "city": "London", "zip": "N1 1AA", "isSameMailingAddress": true }))
        .await
        .json();
    let token = done["accessToken"].as_str().unwrap().to_string();
    let me = api.with_token(&token).get("/v1/user").await.json();
    assert_eq!(me["id"], user_id.as_str());
    assert_eq!(me["verificationState"], "VERIFIED");
    let details = api.get(&format!("/v1/auth/register?onboardingId={ob}")).await.json();
    assert_eq!(details["addressLine1"], "1 Road");

    // Link, status, audit, revoke (a new consent id; the second revoke is a 404).
    let linked = Api::send(
        secret(api.request(Method::PATCH, &format!("/v2/consent/onboarding/{set_id}")))
            .json(&json!({ "userId": user_id })),
    )
    .await;
    assert_eq!(linked.status, 200, "{}", linked.text);
    assert_eq!(linked.json()["consentSet"]["userId"], user_id.as_str());
    let status = api.get(&format!("/v2/consent/user/{user_id}")).await.json();
    assert_eq!(status["consentStatus"], "complete");
    let set = api.get(&format!("/v2/consent/consentSet/{set_id}")).await.json();
    let terms =
        set["consents"].as_array().unwrap().iter().find(|c| c["consentType"] == "termsAndPrivacy").unwrap().clone();
    let terms_id = terms["consentId"].as_str().unwrap();
    let path = format!("/v2/consent/consentSet/{set_id}/consent/{terms_id}");
    let revoked = Api::send(secret(api.request(Method::DELETE, &path))).await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_ne!(revoked.json()["consentId"], terms_id);
    assert_eq!(revoked.json()["consentStatus"], "revoked");
    assert_eq!(Api::send(secret(api.request(Method::DELETE, &path))).await.status, 404);
    assert_eq!(api.get(&format!("/v2/consent/user/{user_id}")).await.json()["consentStatus"], "incomplete");
    let audit = api.get(&format!("/v2/consent/user/{user_id}/audit?limit=2&offset=0")).await.json();
    assert_eq!(audit["auditRecords"].as_array().unwrap().len(), 2);
    assert_eq!(audit["total"], 6); // four created, one link update, one revoke
    assert_eq!(api.get(&format!("/v2/consent/user/{user_id}/audit?limit=101")).await.status, 400);
    let by_onboarding = api.get(&format!("/v2/consent/onboarding/{ob}")).await.json();
    assert_eq!(by_onboarding["consentSets"].as_array().unwrap().len(), 1);
    let none = api.get("/v2/consent/onboarding/unknown").await;
    assert_eq!(none.status, 404);
    assert_eq!(none.json()["error"], "Not found");
    assert_eq!(api.get("/v2/consent/user/nobody").await.json()["consentStatus"], "none");
}

fn evm_body(token: &str, chain: &str) -> Value {
    let address = "0x3a11a86cf218c448be519728cd3ac5c741fb3424";
    json!({
        "address": address,
        "network": "linea",
        "currency": "usdc",
        "amount": "5000",
        "txHash": format!("0x{}", "b".repeat(64)),
        "sigHash": format!("0x{}", "2".repeat(130)),
        "sigMessage": format!("app.example wants you to sign in with your Ethereum account:\n{address}\n\nProve address ownership\n\nURI: https://app.example\nVersion: 1\nChain ID: {chain}\nNonce: 7I9rPnTwrvzzzfYz2\nIssued At: 2025-05-22T08:14:06.279Z"),
        "token": token,
    })
}

#[tokio::test]
async fn delegation_registers_external_wallets() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let config = api.get("/v1/delegation/chain/config").await.json();
    assert_eq!(config["count"], 3);
    assert_eq!(config["networks"][1]["chainId"], "59144");
    assert_eq!(api.get("/v1/delegation/chain/config?network=linea").await.json()["count"], 1);
    assert_eq!(api.get("/v1/delegation/chain/config?network=moon").await.status, 400);

    let t = api.get("/v1/delegation/token").await;
    assert_eq!(t.status, 200);
    let token = t.json()["token"].as_str().unwrap().to_string();
    assert_eq!(t.json()["nonce"].as_str().unwrap().len(), 24);

    // The SIWE chain id must fit the network (the docs' own example uses 59141 for linea).
    let wrong_chain = api.post("/v1/delegation/evm/post-approval", evm_body(&token, "59141")).await;
    assert_eq!(wrong_chain.status, 400);
    let mut bad_addr = evm_body(&token, "59144");
    bad_addr["address"] = "0x123".into();
    assert_eq!(api.post("/v1/delegation/evm/post-approval", bad_addr).await.status, 422);
    let mut bad_amount = evm_body(&token, "59144");
    bad_amount["amount"] = "5,000".into();
    assert_eq!(api.post("/v1/delegation/evm/post-approval", bad_amount).await.status, 422);

    let ok = api.post("/v1/delegation/evm/post-approval", evm_body(&token, "59144")).await;
    assert_eq!((ok.status.as_u16(), ok.json()), (201, json!({ "success": true })));
    let reused = api.post("/v1/delegation/evm/post-approval", evm_body(&token, "59144")).await;
    assert_eq!(reused.status, 400);
    let external = api.get("/v1/wallet/external").await.json();
    assert!(
        external
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["address"] == "0x3a11a86cf218c448be519728cd3ac5c741fb3424" && w["allowance"] == "5000")
    );

    // Solana.
    let token = api.get("/v1/delegation/token").await.json()["token"].as_str().unwrap().to_string();
    let sig = "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW";
    let sol = json!({ "address": "DYw8jCTfwHNRJhhmFcbXvVDTqWMEVFBX6ZKUmG5CNSKK", "network": "solana", "currency": "usdc", "amount": "5000.50", "txHash": sig, "sigHash": sig, "sigMessage": "Prove wallet ownership for delegation", "token": token });
    let mut wrong_net = sol.clone();
    wrong_net["network"] = "linea".into();
    assert_eq!(api.post("/v1/delegation/solana/post-approval", wrong_net).await.status, 422);
    assert_eq!(api.post("/v1/delegation/solana/post-approval", sol).await.status, 201);

    // The faucet: once per user, then 207 with the token still issued.
    let q = "/v1/delegation/token?faucet=true&address=0x3a11a86cf218c448be519728cd3ac5c741fb3424&network=linea";
    let first = api.get(q).await;
    assert_eq!(first.status, 200);
    let second = api.get(q).await;
    assert_eq!(second.status, 207);
    assert!(second.json()["token"].is_string());
    assert_eq!(api.get("/v1/delegation/token?faucet=true").await.status, 400);
}

#[tokio::test]
async fn orders_referrals_and_settings() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let products = api.get("/v1/order/products/available").await.json();
    assert_eq!(products[0]["isEligible"], true);
    let order = api
        .post("/v1/order", json!({ "productId": products[0]["id"], "paymentMethod": "CRYPTO_EXTERNAL_DAIMO" }))
        .await;
    assert_eq!(order.status, 200, "{}", order.text);
    assert!(order.text.contains("\"paymentAmount\":49.99"), "{}", order.text);
    let id = order.json()["orderId"].as_str().unwrap().to_string();
    let statuses: Vec<Value> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(api.get(&format!("/v1/order/{id}")).await.json()["status"].clone());
        }
        v
    };
    assert_eq!(statuses, [json!("STARTED"), json!("STARTED"), json!("COMPLETED")]);
    assert_eq!(api.get("/v1/order/unknown").await.status, 404);
    assert_eq!(
        api.post("/v1/order", json!({ "productId": "X", "paymentMethod": "CRYPTO_EXTERNAL_DAIMO" })).await.status,
        422
    );

    let referral = api.get("/v1/referral").await.json();
    let code = referral["code"].as_str().unwrap();
    assert_eq!(api.get(&format!("/v1/referral/{code}/validate")).await.json(), json!({ "valid": true }));
    assert_eq!(api.get("/v1/referral/ZZZZZZ/validate").await.json(), json!({ "valid": false }));
    assert_eq!(api.get("/v1/referral/bad!code/validate").await.status, 400);

    let intl = api.get("/v1/auth/settings").await.json();
    assert!(intl["links"]["us"].is_null());
    assert!(intl["usStates"].as_array().unwrap().is_empty());
    let us = Api::new(&sb).us().get("/v1/auth/settings").await.json();
    assert!(us["links"]["us"].is_object());
    assert!(!us["usStates"].as_array().unwrap().is_empty());
    assert_eq!(api.get("/v1/card/cashback").await.json()["currency"], "usdc");
}
