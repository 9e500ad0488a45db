//! Card-status webhooks: known-answer vectors for both HMAC schemes, tolerance edges, key rotation, malformed
//! headers, tampering, lossless events, and the real vaultspay-sandbox delivering to a local axum receiver.
#![cfg(feature = "webhooks")]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;
use vaultspay::webhooks::{
    BodyHmac, CardNetwork, CardStatus, CardType, DEFAULT_TOLERANCE, Event, EventType, NetworkStatus, SIGNATURE_HEADER,
    SecretHeader, SignatureEncoding, TimestampedHmac, Verifier, WebhookError, sign_body, sign_body_base64,
    sign_timestamped,
};
use vaultspay_sandbox::{Sandbox, SignatureScheme};

/// HMAC-SHA256, computed here with the `hmac` crate directly (not through the code under test).
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn headers(name: &HeaderName, value: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(name.clone(), HeaderValue::from_str(value).unwrap());
    h
}

fn sig(value: &str) -> HeaderMap {
    headers(&SIGNATURE_HEADER, value)
}

const T: u64 = 1_700_000_000;
/// The docs' card-status example, compact.
const DOC_EXAMPLE: &str = r#"{"id":"01hvjr8fz6mbw6f9r9v3e5b5yw","type":"card.status.active","occurred_at":"2026-03-13T09:20:12Z","status":{"previous":{"code":"BLOCK","label":"DECLINE_ALL_TXNS"},"current":{"code":"ACTIVE","label":"FULLY_OPERATIONAL"},"reason":"Card was unblocked by the admin"},"card":{"token":987654321,"last_four_digits":"3321","tier":"VaultsPay Debit Card Tier","network":"MC","type":"PHYSICAL"}}"#;

// ---- Known answers -------------------------------------------------------------------------------------------

#[test]
fn timestamped_hmac_known_answer() {
    let body = br#"{"id":"e1"}"#;
    // Fixed vector (computed outside Rust: Python `hmac.new(b"whsec_test", b'1700000000.{"id":"e1"}', sha256)`).
    let fixed = "6a85cb117c993612a34c72b4cfb5a16baed25a80d26e298ce0e6671320fd07c8";
    let independent = hex::encode(hmac_sha256(b"whsec_test", br#"1700000000.{"id":"e1"}"#));
    assert_eq!(independent, fixed);
    assert_eq!(sign_timestamped("whsec_test", T, body), format!("t=1700000000,v1={fixed}"));
    let verifier = Verifier::new("whsec_test");
    assert_eq!(verifier.verify_at(&sig(&format!("t=1700000000,v1={fixed}")), body, at(T)), Ok(()));
    // Upper-case hex, blanks around elements, an unknown element: all accepted.
    let loose = format!(" t=1700000000 , v0=abc, v1={} ", fixed.to_uppercase());
    assert_eq!(verifier.verify_at(&sig(&loose), body, at(T)), Ok(()));
    // The timestamp is part of the signed message: the same v1 with another t does not verify.
    assert_eq!(
        verifier.verify_at(&sig(&format!("t=1700000001,v1={fixed}")), body, at(T)),
        Err(WebhookError::SignatureMismatch)
    );
}

#[test]
fn body_hmac_known_answers_hex_and_base64() {
    // RFC 4231 test case 2.
    let (key, body) = ("Jefe", b"what do ya want for nothing?");
    let fixed = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    assert_eq!(hex::encode(hmac_sha256(key.as_bytes(), body)), fixed);
    assert_eq!(sign_body(key, body), fixed);
    let b64 = "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=";
    assert_eq!(sign_body_base64(key, body), b64);

    let any = Verifier::new(key).scheme(BodyHmac::new());
    for value in [fixed.to_string(), fixed.to_uppercase(), b64.into(), b64.trim_end_matches('=').into()] {
        assert_eq!(any.verify_at(&sig(&value), body, at(0)), Ok(()), "{value}");
    }
    // URL-safe Base64 of another tag (with `-`/`_`), computed independently.
    let other = hmac_sha256(b"k", b"{\"a\":1}");
    let url_safe = base64_url(&other);
    assert_eq!(Verifier::new("k").scheme(BodyHmac::new()).verify_at(&sig(&url_safe), b"{\"a\":1}", at(0)), Ok(()));

    let hex_only = Verifier::new(key).scheme(BodyHmac::new().encoding(SignatureEncoding::Hex));
    assert!(hex_only.verify_at(&sig(fixed), body, at(0)).is_ok());
    assert!(matches!(hex_only.verify_at(&sig(b64), body, at(0)), Err(WebhookError::MalformedHeader { .. })));
    let b64_only = Verifier::new(key).scheme(BodyHmac::new().encoding(SignatureEncoding::Base64));
    assert!(b64_only.verify_at(&sig(b64), body, at(0)).is_ok());
    assert!(matches!(b64_only.verify_at(&sig(fixed), body, at(0)), Err(WebhookError::MalformedHeader { .. })));

    // The header is configurable; the default one is then not read.
    let custom = HeaderName::from_static("x-vp-signature");
    let v = Verifier::new(key).scheme(BodyHmac::new().header(custom.clone()));
    assert!(v.verify_at(&headers(&custom, fixed), body, at(0)).is_ok());
    assert_eq!(v.verify_at(&sig(fixed), body, at(0)), Err(WebhookError::MissingHeader { header: custom }));
    // Nothing is timestamped: the time does not matter.
    assert!(any.verify_at(&sig(fixed), body, at(u64::from(u32::MAX))).is_ok());
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn tampered_bodies_are_typed_errors() {
    let body = DOC_EXAMPLE.as_bytes();
    let tampered = DOC_EXAMPLE.replace("987654321", "987654322");
    let ts = Verifier::new("whsec_test");
    let h = sig(&sign_timestamped("whsec_test", T, body));
    assert!(ts.verify_at(&h, body, at(T)).is_ok());
    let err = ts.verify_at(&h, tampered.as_bytes(), at(T)).unwrap_err();
    assert_eq!((err.clone(), err.status()), (WebhookError::SignatureMismatch, StatusCode::UNAUTHORIZED));
    // Re-serialising the body (same JSON value, other bytes) breaks the signature too: verify the raw bytes.
    let reserialised = serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(body).unwrap()).unwrap();
    assert_eq!(ts.verify_at(&h, &reserialised, at(T)), Err(WebhookError::SignatureMismatch));

    let raw = Verifier::new("whsec_test").scheme(BodyHmac::new());
    let h = sig(&sign_body("whsec_test", body));
    assert!(raw.verify_at(&h, body, at(T)).is_ok());
    assert_eq!(raw.verify_at(&h, tampered.as_bytes(), at(T)), Err(WebhookError::SignatureMismatch));
    assert_eq!(raw.verify_at(&h, b"", at(T)), Err(WebhookError::SignatureMismatch));
}

// ---- Tolerance -----------------------------------------------------------------------------------------------

#[test]
fn tolerance_edges() {
    let body = b"{}";
    let h = sig(&sign_timestamped("k", T, body));
    let v = Verifier::new("k");
    assert_eq!(DEFAULT_TOLERANCE, Duration::from_secs(300));
    assert!(v.verify_at(&h, body, at(T)).is_ok());
    assert!(v.verify_at(&h, body, at(T + 300)).is_ok());
    assert!(v.verify_at(&h, body, at(T - 300)).is_ok());
    assert_eq!(
        v.verify_at(&h, body, at(T + 301)),
        Err(WebhookError::Stale { age_seconds: 301, tolerance_seconds: 300 })
    );
    assert_eq!(
        v.verify_at(&h, body, at(T - 301)),
        Err(WebhookError::Future { ahead_seconds: 301, tolerance_seconds: 300 })
    );
    // Sub-second parts of now do not count: 300.9 s is still 300 s.
    assert!(v.verify_at(&h, body, at(T + 300) + Duration::from_millis(900)).is_ok());

    let strict = Verifier::new("k").scheme(TimestampedHmac::new().tolerance(Duration::from_secs(10)));
    assert!(strict.verify_at(&h, body, at(T + 10)).is_ok());
    assert_eq!(
        strict.verify_at(&h, body, at(T + 11)),
        Err(WebhookError::Stale { age_seconds: 11, tolerance_seconds: 10 })
    );
    let zero = Verifier::new("k").scheme(TimestampedHmac::new().tolerance(Duration::ZERO));
    assert!(zero.verify_at(&h, body, at(T)).is_ok());
    assert!(zero.verify_at(&h, body, at(T + 1)).is_err());
    // Staleness is reported only for authentic deliveries: an old forgery is a mismatch.
    let forged = sig(&format!("t={T},v1={}", "ab".repeat(32)));
    assert_eq!(v.verify_at(&forged, body, at(T + 10_000)), Err(WebhookError::SignatureMismatch));
    assert_eq!(WebhookError::Stale { age_seconds: 1, tolerance_seconds: 0 }.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(WebhookError::Future { ahead_seconds: 1, tolerance_seconds: 0 }.status(), StatusCode::UNAUTHORIZED);
}

// ---- Keys ----------------------------------------------------------------------------------------------------

#[test]
fn key_rotation() {
    let body = DOC_EXAMPLE.as_bytes();
    let old = sig(&sign_timestamped("whsec_old", T, body));
    let new = sig(&sign_timestamped("whsec_new", T, body));
    let rotating = Verifier::with_keys(["whsec_new", "whsec_old"]);
    assert!(rotating.verify_at(&old, body, at(T)).is_ok());
    assert!(rotating.verify_at(&new, body, at(T)).is_ok());
    // After the rotation settles, the old key is gone.
    let settled = Verifier::new("whsec_new");
    assert_eq!(settled.verify_at(&old, body, at(T)), Err(WebhookError::SignatureMismatch));
    assert!(Verifier::new("whsec_old").add_key("whsec_new").verify_at(&new, body, at(T)).is_ok());
    // A sender signing with both keys: several v1 values, any one matching is enough.
    let v1_old = hex::encode(hmac_sha256(b"whsec_old", format!("{T}.{DOC_EXAMPLE}").as_bytes()));
    let v1_new = hex::encode(hmac_sha256(b"whsec_new", format!("{T}.{DOC_EXAMPLE}").as_bytes()));
    let both = sig(&format!("t={T},v1={v1_old},v1={v1_new}"));
    assert!(settled.verify_at(&both, body, at(T)).is_ok());
    assert!(Verifier::new("whsec_old").verify_at(&both, body, at(T)).is_ok());
    assert_eq!(Verifier::new("whsec_other").verify_at(&both, body, at(T)), Err(WebhookError::SignatureMismatch));
    // The same for the raw-body scheme.
    let raw = Verifier::with_keys(["a", "b"]).scheme(BodyHmac::new());
    assert!(raw.verify_at(&sig(&sign_body("b", body)), body, at(0)).is_ok());
    assert!(raw.verify_at(&sig(&sign_body("c", body)), body, at(0)).is_err());
}

#[test]
fn empty_keys_never_verify_and_keys_never_print() {
    let body = b"{}";
    // Signed with the empty key: anyone could do that.
    let h = sig(&sign_timestamped("", T, body));
    for v in [Verifier::new(""), Verifier::with_keys(["", "  "]), Verifier::with_keys(Vec::<String>::new())] {
        let err = v.verify_at(&h, body, at(T)).unwrap_err();
        assert_eq!((err.clone(), err.status()), (WebhookError::NoKey, StatusCode::INTERNAL_SERVER_ERROR));
        assert_eq!(v.signed_headers(body, at(T)), Err(WebhookError::NoKey));
    }
    // A blank key next to a real one is dropped, the real one still works.
    let v = Verifier::with_keys(["", "whsec_real"]).add_key(" ");
    assert!(v.verify_at(&sig(&sign_timestamped("whsec_real", T, body)), body, at(T)).is_ok());
    let shown = format!("{v:?}");
    assert!(!shown.contains("whsec_real") && shown.contains("keys: 1"), "{shown}");
    // A SecretString key works the same.
    let v = Verifier::new(secrecy::SecretString::from("whsec_real"));
    assert!(v.verify_at(&sig(&sign_timestamped("whsec_real", T, body)), body, at(T)).is_ok());
}

// ---- Malformed headers ---------------------------------------------------------------------------------------

#[test]
fn malformed_timestamped_headers() {
    let body = b"{}";
    let v = Verifier::new("k");
    let good_v1 = hex::encode(hmac_sha256(b"k", format!("{T}.{{}}").as_bytes()));
    let cases = [
        "",
        "garbage",
        &format!("v1={good_v1}"),
        &format!("t={T}"),
        &format!("t={T},v1="),
        &format!("t={T},v1={}", &good_v1[..63]),
        &format!("t={T},v1={}zz", &good_v1[..62]),
        &format!("t={T},t={T},v1={good_v1}"),
        &format!("t=abc,v1={good_v1}"),
        &format!("t=-1,v1={good_v1}"),
        &format!("t=+{T},v1={good_v1}"),
        &format!("t=,v1={good_v1}"),
        &format!("t=1{T}000,v1={good_v1}"), // more than 12 digits
        &format!("t={T};v1={good_v1}"),
    ];
    for value in cases {
        let err = v.verify_at(&sig(value), body, at(T)).unwrap_err();
        assert!(
            matches!(&err, WebhookError::MalformedHeader { header, .. } if *header == SIGNATURE_HEADER),
            "{value}: {err:?}"
        );
        assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
    }
    assert!(v.verify_at(&sig(&format!("t={T},v1={good_v1}")), body, at(T)).is_ok());
    // Missing, sent twice, not ASCII.
    assert_eq!(
        v.verify_at(&HeaderMap::new(), body, at(T)),
        Err(WebhookError::MissingHeader { header: SIGNATURE_HEADER })
    );
    let mut twice = sig(&format!("t={T},v1={good_v1}"));
    twice.append(SIGNATURE_HEADER, HeaderValue::from_str(&format!("t={T},v1={good_v1}")).unwrap());
    assert!(matches!(v.verify_at(&twice, body, at(T)), Err(WebhookError::MalformedHeader { .. })));
    let mut binary = HeaderMap::new();
    binary.insert(SIGNATURE_HEADER, HeaderValue::from_bytes(b"t=1,v1=\xff").unwrap());
    let err = v.verify_at(&binary, body, at(T)).unwrap_err();
    assert_eq!(err.to_string(), "malformed vaultspay-signature header: not visible ASCII");
}

#[test]
fn malformed_body_hmac_headers() {
    let v = Verifier::new("k").scheme(BodyHmac::new());
    for value in ["", "t=1,v1=00", "zz", &"0".repeat(63), &"g".repeat(64), "AAAA", &"A".repeat(44)] {
        let err = v.verify_at(&sig(value), b"{}", at(0)).unwrap_err();
        assert!(matches!(err, WebhookError::MalformedHeader { .. }), "{value}: {err:?}");
    }
    // Well-formed but wrong: a mismatch, not malformed.
    assert_eq!(v.verify_at(&sig(&"0".repeat(64)), b"{}", at(0)), Err(WebhookError::SignatureMismatch));
}

#[test]
fn secret_header_scheme() {
    let name = HeaderName::from_static("x-webhook-secret");
    let v = Verifier::with_keys(["s3cret-new", "s3cret-old"]).scheme(SecretHeader::new(name.clone()));
    assert!(v.verify_at(&headers(&name, "s3cret-old"), b"{}", at(0)).is_ok());
    assert_eq!(v.verify_at(&headers(&name, "s3cret"), b"{}", at(0)), Err(WebhookError::SignatureMismatch));
    assert_eq!(v.verify_at(&headers(&name, "s3cret-new!"), b"{}", at(0)), Err(WebhookError::SignatureMismatch));
    let signed = v.signed_headers(b"{}", at(0)).unwrap().unwrap();
    assert_eq!(signed[&name], "s3cret-new");
}

#[test]
fn signed_headers_round_trip_for_each_scheme() {
    let body = DOC_EXAMPLE.as_bytes();
    let now = SystemTime::now();
    for v in [
        Verifier::new("k"),
        Verifier::new("k").scheme(BodyHmac::new()),
        Verifier::new("k").scheme(BodyHmac::new().encoding(SignatureEncoding::Base64)),
        Verifier::new("k").scheme(TimestampedHmac::new().header(HeaderName::from_static("x-sig"))),
    ] {
        let h = v.signed_headers(body, now).unwrap().unwrap();
        assert!(h.contains_key(v.current_scheme().header_name()));
        assert!(v.verify(&h, body).is_ok(), "{v:?}");
        assert_eq!(v.verify(&h, b"{}"), Err(WebhookError::SignatureMismatch), "{v:?}");
        let event = v.verify_event(&h, body).unwrap();
        assert_eq!(event.id(), "01hvjr8fz6mbw6f9r9v3e5b5yw");
    }
}

// ---- Events --------------------------------------------------------------------------------------------------

#[test]
fn the_documented_example_decodes_typed() {
    let Event::CardStatus(e) = Event::parse(DOC_EXAMPLE.as_bytes()).unwrap() else { panic!("not a card status event") };
    assert_eq!(e.id, "01hvjr8fz6mbw6f9r9v3e5b5yw");
    assert_eq!(e.event_type, EventType::CardStatusActive);
    assert_eq!(e.occurred_at.as_str(), "2026-03-13T09:20:12Z");
    let previous = e.status.previous.as_ref().unwrap();
    assert_eq!((&previous.code, &previous.label), (&CardStatus::Block, &Some(NetworkStatus::DeclineAllTxns)));
    assert_eq!(e.status.current.code, CardStatus::Active);
    assert_eq!(e.status.current.label, Some(NetworkStatus::FullyOperational));
    assert_eq!(e.status.reason.as_deref(), Some("Card was unblocked by the admin"));
    assert_eq!(e.card.token, 987_654_321);
    assert_eq!(e.card.last_four_digits.as_deref(), Some("3321"));
    assert_eq!(e.card.tier.as_deref(), Some("VaultsPay Debit Card Tier"));
    assert_eq!(
        (e.card.network.clone(), e.card.card_type.clone()),
        (Some(CardNetwork::Mastercard), Some(CardType::Physical))
    );
    assert!(e.extra.is_empty() && e.card.extra.is_empty());
    // Re-encoded: the same JSON value.
    let back: Value = serde_json::to_value(&e).unwrap();
    assert_eq!(back, serde_json::from_str::<Value>(DOC_EXAMPLE).unwrap());
}

#[test]
fn unknown_members_and_values_are_kept_round_trip() {
    let body = r#"{"id":"e1","type":"card.status.terminated","occurred_at":"2026-03-13T09:20:12.5+04:00",
        "api_version":"2026-04-01","amount":123456789012345678901234567890.000000001,
        "status":{"previous":null,"current":{"code":"TERMINATED","label":"CLOSED","since":1},"reason":null,"by":{"admin":7}},
        "card":{"token":"000987654321","network":"AMEX","type":"METAL","bin":"411111","expiry_hint":[1,2]}}"#;
    let event = Event::parse(body.as_bytes()).unwrap();
    let Event::CardStatus(e) = &event else { panic!("a card.status.* type is a card status event, known or not") };
    assert_eq!(e.event_type, EventType::Unknown("card.status.terminated".into()));
    assert_eq!(e.status.current.code, CardStatus::Unknown("TERMINATED".into()));
    assert_eq!(e.status.current.label, Some(NetworkStatus::Unknown("CLOSED".into())));
    assert_eq!(e.card.network, Some(CardNetwork::Unknown("AMEX".into())));
    assert_eq!(e.card.card_type, Some(CardType::Unknown("METAL".into())));
    assert_eq!(e.card.token, 987_654_321);
    assert_eq!(e.occurred_at.utc().timestamp(), 1_773_379_212);
    assert!(e.status.previous.is_none() && e.status.reason.is_none());
    // Exact text of unknown members, numbers included.
    assert_eq!(e.extra.get("amount").unwrap().as_str(), "123456789012345678901234567890.000000001");
    assert_eq!(e.extra.get("api_version").unwrap().as_str(), r#""2026-04-01""#);
    assert_eq!(e.status.extra.get("by").unwrap().as_str(), r#"{"admin":7}"#);
    assert_eq!(e.status.current.extra.get("since").unwrap().as_str(), "1");
    assert_eq!(e.card.extra.get("bin").unwrap().as_str(), r#""411111""#);
    // Round trip: every member back, the big number unrounded (nulls of optional members are dropped).
    let out = serde_json::to_string(&event).unwrap();
    assert!(out.contains("123456789012345678901234567890.000000001"), "{out}");
    let mut expected: Value = serde_json::from_str(body).unwrap();
    expected["status"].as_object_mut().unwrap().retain(|_, v| !v.is_null());
    expected["card"]["token"] = json!(987_654_321); // read as the documented integer
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), expected);
    // And parsing the output gives the same event.
    assert_eq!(Event::parse(out.as_bytes()).unwrap(), event);
}

#[test]
fn unknown_event_types_are_kept_as_json() {
    let body = br#"{"id":"evt_9","object":"event","type":"card.transaction.authorised","created_at":"2026-04-01T00:00:00Z","livemode":false,"data":{"object":{"amount":1.10,"card_holder_name":"Jane Roe"}}}"#;
    let event = Event::parse(body).unwrap();
    let Event::Other(other) = &event else { panic!("not kept as JSON") };
    assert_eq!(event.id(), "evt_9");
    assert_eq!(event.event_type(), &EventType::Unknown("card.transaction.authorised".into()));
    assert_eq!(other.body.len(), 6);
    // Every value exactly as sent (members come back in name order: compare values, and the number's text).
    let out = serde_json::to_string(&event).unwrap();
    assert!(out.contains(r#""amount":1.10"#), "{out}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), serde_json::from_slice::<Value>(body).unwrap());
    // Not even a shape is required of them beyond id and type.
    assert!(matches!(Event::parse(br#"{"id":"p","type":"ping"}"#).unwrap(), Event::Other(_)));
    assert!(matches!(Event::parse(br#"{"id":"p","type":"card.status"}"#).unwrap(), Event::Other(_)));
}

#[test]
fn ids_are_read_exactly_from_numbers_or_strings() {
    let event = |id: &str, token: &str| {
        format!(
            r#"{{"id":{id},"type":"card.status.block","occurred_at":"2026-03-13T09:20:12Z","status":{{"current":{{"code":"BLOCK"}}}},"card":{{"token":{token}}}}}"#
        )
    };
    for (id, token, want_id, want_token) in [
        (r#""01hv""#, "987654321", "01hv", 987_654_321),
        ("12345678901234567890123", r#""987654321""#, "12345678901234567890123", 987_654_321),
        ("1.50", "9.87654321e8", "1.50", 987_654_321),
        ("true", r#""42""#, "true", 42),
    ] {
        let Event::CardStatus(e) = Event::parse(event(id, token).as_bytes()).unwrap() else { panic!() };
        assert_eq!((e.id.as_str(), e.card.token), (want_id, want_token), "{id} {token}");
    }
    for (id, token, path) in [
        ("null", "1", "id"),
        ("{}", "1", "id"),
        ("\"e\"", "1.5", "card.token"),
        ("\"e\"", r#""98765x321""#, "card.token"),
        ("\"e\"", "99999999999999999999", "card.token"),
        ("\"e\"", "null", "card.token"),
    ] {
        match Event::parse(event(id, token).as_bytes()) {
            Err(WebhookError::InvalidPayload { path: got, message }) => {
                assert_eq!(got.as_deref(), Some(path), "{id} {token}: {message}")
            }
            other => panic!("{id} {token}: {other:?}"),
        }
    }
}

#[test]
fn invalid_payloads_report_the_json_path() {
    let doc: Value = serde_json::from_str(DOC_EXAMPLE).unwrap();
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut v = doc.clone();
        edit(&mut v);
        Event::parse(v.to_string().as_bytes()).unwrap_err()
    };
    let path = |e: WebhookError| match e {
        WebhookError::InvalidPayload { path, .. } => path,
        other => panic!("{other:?}"),
    };
    assert_eq!(path(broken(&|v| v["occurred_at"] = json!("yesterday"))).as_deref(), Some("occurred_at"));
    assert_eq!(path(broken(&|v| v["status"]["current"]["code"] = json!({}))).as_deref(), Some("status.current.code"));
    assert_eq!(path(broken(&|v| v["status"]["previous"] = json!([]))).as_deref(), Some("status.previous"));
    assert_eq!(
        path(broken(&|v| v["card"]["last_four_digits"] = json!(["3321"]))).as_deref(),
        Some("card.last_four_digits")
    );
    // A missing required member: the path of the object that lacks it.
    let err = broken(&|v| {
        v["status"]["current"].as_object_mut().unwrap().remove("code");
    });
    let message = err.to_string();
    assert!(message.starts_with("malformed webhook payload at `status.current`: missing field `code`"), "{message}");
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        path(broken(&|v| {
            v.as_object_mut().unwrap().remove("card");
        })),
        None
    );
    assert_eq!(path(broken(&|v| v["id"] = json!(""))).as_deref(), Some("id"));
    // Not an event at all.
    for body in [
        &b""[..],
        b"null",
        b"[]",
        b"\"card.status.active\"",
        b"<html></html>",
        b"{\"id\":\"e\"}",
        br#"{"id":"e","type":"ping"} trailing"#,
    ] {
        let err = Event::parse(body).unwrap_err();
        assert!(matches!(err, WebhookError::InvalidPayload { .. }), "{body:?}");
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }
    // Error messages do not echo card numbers.
    let err = broken(&|v| v["card"]["token"] = json!("4111 1111 1111 1111"));
    assert_eq!(path(err.clone()).as_deref(), Some("card.token"));
    assert!(!err.to_string().contains("4111 1111"), "{err}");
}

#[test]
fn debug_withholds_personal_data() {
    let body = DOC_EXAMPLE.replace(r#""tier""#, r#""card_holder_name":"John Mock-Doe","tier""#);
    let event = Event::parse(body.as_bytes()).unwrap();
    let shown = format!("{event:?}");
    assert!(!shown.contains("3321"), "{shown}");
    assert!(!shown.contains("John") && !shown.contains("Mock-Doe"), "{shown}");
    assert!(shown.contains("987654321") && shown.contains("Card was unblocked by the admin"), "{shown}");
}

// ---- End to end: the real sandbox delivers -------------------------------------------------------------------

/// What the local receiver saw: the verifier's verdict on each delivery, and the raw request.
#[derive(Clone, Debug)]
struct Got {
    result: Result<Event, WebhookError>,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// A local axum receiver verifying with `verifier`, answering 200 or the error's status.
async fn receiver(verifier: Verifier) -> (String, Arc<Mutex<Vec<Got>>>) {
    let got: Arc<Mutex<Vec<Got>>> = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hooks/vaultspay",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (verifier, seen) = (verifier.clone(), seen.clone());
            async move {
                let result = verifier.verify_event(&headers, &body);
                let status = result.as_ref().map_or_else(WebhookError::status, |_| StatusCode::OK);
                seen.lock().unwrap().push(Got { result, headers, body: body.to_vec() });
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let url = format!("http://{}/hooks/vaultspay", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

/// Logs in (UAT plaintext mode) and changes a card's status through the sandbox's API.
async fn toggle_freeze(sandbox: &Sandbox, card_id: i64) {
    let http = reqwest::Client::new();
    let plain = |rb: reqwest::RequestBuilder| {
        rb.header("x-enable-encryption", "false").header("x-device-os", "SAAS").header("x-device-id", sandbox.app_id())
    };
    let login = plain(http.post(format!("{}/as/api/v1/saas-login", sandbox.base_url())))
        .json(&json!({ "clientId": sandbox.client_id(), "clientSecret": sandbox.client_secret() }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let token = login.json::<Value>().await.unwrap()["accessToken"].as_str().unwrap().to_string();
    let answer = plain(http.post(format!("{}/pcs/api/v1/toggle-freeze-card", sandbox.base_url())))
        .bearer_auth(token)
        .json(&json!({ "cardId": card_id, "statusReason": "Frozen by the user" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
}

async fn wait_for(got: &Mutex<Vec<Got>>, n: usize) -> Vec<Got> {
    for _ in 0..300 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    got.lock().unwrap().clone()
}

#[tokio::test]
async fn the_sandbox_delivers_a_signed_card_status_event_the_verifier_accepts() {
    let (url, got) = receiver(Verifier::new("whsec_e2e")).await;
    // Registered through the sandbox's control route, as a test against a running sandbox would.
    let sandbox =
        Sandbox::builder().fixed_key().webhook_retry_delays(vec![Duration::from_millis(50)]).start().await.unwrap();
    let answer = reqwest::Client::new()
        .put(format!("{}/__sandbox/webhook", sandbox.base_url()))
        .json(&json!({ "url": url, "secret": "whsec_e2e" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let card = sandbox.user().card_ids[0];
    toggle_freeze(&sandbox, card).await;

    let got = wait_for(&got, 1).await;
    assert_eq!(got.len(), 1, "exactly one delivery, accepted the first time");
    let Ok(Event::CardStatus(event)) = &got[0].result else { panic!("refused: {:?}", got[0].result) };
    assert_eq!(event.event_type, EventType::CardStatusFreeze);
    assert_eq!(event.status.previous.as_ref().unwrap().code, CardStatus::Active);
    assert_eq!(event.status.current.code, CardStatus::Freeze);
    assert_eq!(event.status.current.label, Some(NetworkStatus::DeclineAllTxns));
    assert_eq!(event.status.reason.as_deref(), Some("Frozen by the user"));
    assert_eq!(event.card.card_type, Some(CardType::Virtual));
    assert!(event.card.token > 0 && event.card.last_four_digits.as_ref().is_some_and(|l| l.len() == 4));
    assert!(event.extra.is_empty(), "the sandbox sends only documented members: {:?}", event.extra);
    // The header is the documented form; the event id header matches the body.
    let value = got[0].headers[&SIGNATURE_HEADER].to_str().unwrap();
    assert!(value.starts_with("t=") && value.contains(",v1="), "{value}");
    assert_eq!(got[0].headers["vaultspay-event-id"], event.id.as_str());
    let deliveries = sandbox.wait_for_deliveries(1, Duration::from_secs(2)).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!((deliveries[0].status, deliveries[0].body.as_slice()), (Some(200), got[0].body.as_slice()));

    // The same bytes, with the wrong key: refused; with the key among others (rotation): accepted.
    let (h, b) = (&got[0].headers, &got[0].body);
    assert_eq!(Verifier::new("whsec_wrong").verify(h, b), Err(WebhookError::SignatureMismatch));
    assert!(Verifier::with_keys(["whsec_wrong", "whsec_e2e"]).verify(h, b).is_ok());
    // ...and the raw-body scheme does not accept a timestamped header.
    assert!(Verifier::new("whsec_e2e").scheme(BodyHmac::new()).verify(h, b).is_err());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_receiver_with_the_wrong_key_answers_401_and_the_sandbox_does_not_retry() {
    let (url, got) = receiver(Verifier::new("whsec_wrong")).await;
    let sandbox = Sandbox::builder()
        .fixed_key()
        .webhook(&url, Some("whsec_e2e"))
        .webhook_retry_delays(vec![Duration::from_millis(20), Duration::from_millis(20)])
        .start()
        .await
        .unwrap();
    toggle_freeze(&sandbox, sandbox.user().card_ids[1]).await;
    let deliveries = sandbox.wait_for_deliveries(1, Duration::from_secs(3)).await;
    tokio::time::sleep(Duration::from_millis(150)).await; // time for any (wrong) retry
    assert_eq!(deliveries[0].status, Some(401));
    assert_eq!(sandbox.deliveries().len(), 1, "a 4xx is final");
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].result.as_ref().unwrap_err(), &WebhookError::SignatureMismatch);
    // The right key accepts the very bytes that were refused.
    assert!(Verifier::new("whsec_e2e").verify_event(&got[0].headers, &got[0].body).is_ok());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_sandbox_raw_body_scheme_verifies_with_body_hmac() {
    let header = HeaderName::from_static("x-vp-signature");
    let (url, got) = receiver(Verifier::new("s3cret").scheme(BodyHmac::new().header(header.clone()))).await;
    let sandbox = Sandbox::builder()
        .fixed_key()
        .webhook(&url, Some("s3cret"))
        .signature_scheme(SignatureScheme::RawBody { header: "X-Vp-Signature".into() })
        .start()
        .await
        .unwrap();
    toggle_freeze(&sandbox, sandbox.user().card_ids[1]).await;
    let got = wait_for(&got, 1).await;
    let Ok(Event::CardStatus(event)) = &got[0].result else { panic!("refused: {:?}", got[0].result) };
    assert_eq!(
        (event.card.card_type.clone(), event.status.current.code.clone()),
        (Some(CardType::Physical), CardStatus::Freeze)
    );
    // Independently: the header is the hex HMAC of the raw body.
    assert_eq!(got[0].headers[&header], hex::encode(hmac_sha256(b"s3cret", &got[0].body)).as_str());
    // The default scheme finds no header of its own.
    assert_eq!(
        Verifier::new("s3cret").verify(&got[0].headers, &got[0].body),
        Err(WebhookError::MissingHeader { header: SIGNATURE_HEADER })
    );
    sandbox.shutdown().await;
}
