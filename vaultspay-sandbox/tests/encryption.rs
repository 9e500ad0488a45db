//! The encryption every API call goes through: good round trips, every way to get the headers wrong, the UAT
//! switch, the configured paddings.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{Api, builder, control, start};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use vaultspay_sandbox::RsaPadding;

/// Request headers as the test client sends them.
type Headers = Vec<(&'static str, String)>;

const INVALID_HEADERS: &str = r#"{"code":1018,"message":"Invalid HTTP headers.","type":"INVALID_HEADERS"}"#;

#[tokio::test]
async fn requests_and_answers_are_encrypted_both_ways() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    // A GET without a body still carries a key and an IV; its answer is encrypted under a fresh IV.
    let sealed = api.seal(None);
    assert!(sealed.body.is_none());
    let a = api.raw(Method::GET, "/v1/ping", &sealed.headers, None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header("content-type"), Some("application/json"));
    let wire: Value = serde_json::from_str(&a.wire).unwrap();
    assert_eq!(wire.as_object().unwrap().keys().collect::<Vec<_>>(), ["encryptedData"]);
    let a = Api::open(&sealed, a);
    assert_eq!(a.json(), json!({ "data": "Service is up and running!" }));
    // A POST: the body the sandbox logged is ciphertext, the answer decrypts.
    let a = api.post("/pcs/api/v1/cards/details", json!({ "cardId": 1 })).await;
    assert_eq!(a.data()["id"], 1);
    let logged = sb.requests().into_iter().rev().find(|r| r.path == "/pcs/api/v1/cards/details").unwrap();
    assert!(logged.json().unwrap()["encryptedData"].is_string());
    assert!(!String::from_utf8_lossy(&logged.body).contains("cardId"));
    assert_eq!(logged.header("x-device-os"), Some("SAAS"));
    // Errors are encrypted too when the key could be read.
    let a = api.post("/pcs/api/v1/cards/details", json!({})).await;
    assert!(a.header("x-session-nonce").is_some());
    assert_eq!(a.error(422, 1000)["errors"][0]["key"], "cardId");
    sb.shutdown().await;
}

#[tokio::test]
async fn bad_or_missing_headers_answer_1018_in_plaintext() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let body = json!({ "cardId": 1 });
    let good = api.seal(Some(&body));
    let with = |name: &str, value: Option<String>| -> Headers {
        let mut h: Headers = good.headers.iter().filter(|(k, _)| *k != name).cloned().collect();
        if let Some(v) = value {
            let k: &'static str = good.headers.iter().find(|(k, _)| *k == name).unwrap().0;
            h.push((k, v));
        }
        h
    };
    let short_iv = STANDARD.encode([0u8; 8]);
    let short_key = STANDARD.encode(common::wrap_key(&api.public, RsaPadding::Pkcs1v15, &[1u8; 16]));
    let cases: Vec<(&str, Headers, Option<Vec<u8>>)> = vec![
        ("no nonce", with("x-session-nonce", None), good.body.clone()),
        ("no key", with("x-auth-signature", None), good.body.clone()),
        ("nonce not base64", with("x-session-nonce", Some("***".into())), good.body.clone()),
        ("nonce of 8 bytes", with("x-session-nonce", Some(short_iv)), good.body.clone()),
        ("key not base64", with("x-auth-signature", Some("%%%".into())), good.body.clone()),
        ("RSA garbage", with("x-auth-signature", Some(STANDARD.encode([7u8; 256]))), good.body.clone()),
        ("a 16-byte AES key", with("x-auth-signature", Some(short_key)), good.body.clone()),
        ("another IV: GCM fails", with("x-session-nonce", Some(STANDARD.encode([9u8; 12]))), good.body.clone()),
        ("plaintext body", good.headers.clone(), Some(body.to_string().into_bytes())),
        ("tampered ciphertext", good.headers.clone(), Some(tamper(good.body.as_ref().unwrap()))),
        ("no x-device-os", with("x-device-os", None), good.body.clone()),
        ("wrong x-device-id", with("x-device-id", Some("99".into())), good.body.clone()),
    ];
    for (what, headers, body) in cases {
        let a = api.raw(Method::POST, "/pcs/api/v1/cards/details", &headers, body).await;
        assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR, "{what}");
        assert_eq!(a.wire, INVALID_HEADERS, "{what}");
        assert!(a.header("x-session-nonce").is_none(), "{what}");
        assert!(a.header("x-sandbox-reason").is_some(), "{what}");
    }
    // saas-login is encrypted too.
    let plain = api
        .raw(Method::POST, "/as/api/v1/saas-login", &[], Some(json!({ "clientId": "x" }).to_string().into_bytes()))
        .await;
    assert_eq!(plain.wire, INVALID_HEADERS);
    sb.shutdown().await;
}

fn tamper(body: &[u8]) -> Vec<u8> {
    let v: Value = serde_json::from_slice(body).unwrap();
    let mut ct = STANDARD.decode(v["encryptedData"].as_str().unwrap()).unwrap();
    ct[0] ^= 0x80;
    json!({ "encryptedData": STANDARD.encode(ct) }).to_string().into_bytes()
}

#[tokio::test]
async fn the_uat_switch_turns_encryption_off_only_in_uat() {
    let sb = start().await;
    let mut api = Api::login(&sb).await;
    api.plaintext = true;
    let a = api.post("/pcs/api/v1/get-card-expiry", json!({ "cardId": 1 })).await;
    assert!(a.header("x-session-nonce").is_none());
    assert_eq!(a.wire, a.text);
    assert_eq!(a.data()["expiry"].as_str().unwrap().len(), 5);
    sb.shutdown().await;

    let prod = builder().uat(false).start().await.unwrap();
    assert!(!prod.is_uat());
    let mut api = Api::login(&prod).await;
    api.plaintext = true;
    let a = api.get("/v1/ping").await;
    assert_eq!((a.status.as_u16(), a.wire.as_str()), (500, INVALID_HEADERS));
    api.plaintext = false;
    assert_eq!(api.get("/v1/ping").await.data(), "Service is up and running!");
    prod.shutdown().await;
}

#[tokio::test]
async fn the_configured_padding_is_the_only_one_accepted() {
    let sb = builder().rsa_padding(RsaPadding::OaepSha256Mgf1Sha1).start().await.unwrap();
    let api = Api::new(&sb);
    let login = json!({ "clientId": sb.client_id(), "clientSecret": sb.client_secret() });
    for wrong in [RsaPadding::Pkcs1v15, RsaPadding::OaepSha1, RsaPadding::OaepSha256] {
        let a = api.clone().with_padding(wrong).post("/as/api/v1/saas-login", login.clone()).await;
        assert_eq!(a.wire, INVALID_HEADERS, "{wrong:?}");
    }
    let a = api.post("/as/api/v1/saas-login", login).await;
    assert!(a.json()["accessToken"].is_string(), "{}", a.text);
    // The control route says what the sandbox expects.
    let info = control(&sb, Method::GET, "", json!({})).await.data();
    assert_eq!(info["rsaPadding"], "oaep-sha256-mgf1-sha1");
    assert_eq!(info["publicKey"], sb.public_key());
    assert_eq!(info["appId"], "17");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_pem_key_is_used_as_given() {
    let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/fixed-test-key.pem")).unwrap();
    let a = builder().private_key_pem(pem).start().await.unwrap();
    let b = builder().start().await.unwrap();
    assert_eq!(a.public_key(), b.public_key());
    assert!(a.public_key_pem().contains("BEGIN PUBLIC KEY"));
    assert!(builder().private_key_pem("not a key").start().await.is_err());
    a.shutdown().await;
    b.shutdown().await;
}
