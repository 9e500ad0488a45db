//! A fuzz suite that stays: random and mutated inputs through every parser the SDK exposes to a server or a
//! caller, checking that nothing panics and every failure is a typed error.
//!
//! - the response path of **every operation**: random JSON and byte-level mutations of every docs and live-shaped
//!   fixture, decoded as each operation's response type (the conformance dispatch reaches all of them) and as the
//!   shared error (through the canonical error body the hooks make);
//! - the hooks over HTTP: random statuses, headers (content type, length, `Retry-After`) and bodies from a local
//!   server, through a GET (retried), a POST (never retried) and the raw statement download;
//! - webhook verification and event parsing, OAuth callback parsing, amounts, token amounts, timestamps and the
//!   field rules (`Wire`).
//!
//! CI runs a bounded number of cases per target (`FUZZ_CASES`, default 256). The long run, ≥ 1,000,000 cases per
//! target:
//!
//! ```sh
//! FUZZ_CASES=1000000 cargo test --release --test fuzz -- --test-threads 2
//! ```

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use baanx::{Call, Region};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[allow(dead_code)]
mod dispatch {
    include!(concat!(env!("OUT_DIR"), "/conformance.rs"));
}

fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

/// Every fixture body, docs and live-shaped.
fn fixtures() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for root in ["tests/fixtures/docs", "tests/fixtures/live"] {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(root);
        for dir in std::fs::read_dir(root).unwrap() {
            let dir = dir.unwrap().path();
            if dir.is_dir() {
                for file in std::fs::read_dir(dir).unwrap() {
                    let file = file.unwrap().path();
                    if file.extension().is_some_and(|e| e == "json") {
                        out.push(std::fs::read(file).unwrap());
                    }
                }
            }
        }
    }
    out
}

/// Arbitrary JSON, with the numbers and strings that break parsers: huge, fractional, exponents, escapes.
fn json() -> impl Strategy<Value = String> {
    let scalar = prop_oneof![
        Just("null".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| f.to_string()),
        "[0-9]{1,90}(\\.[0-9]{1,40})?(e-?[0-9]{1,4})?".prop_map(|s| s),
        "\\PC{0,40}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        "[0-9]{13,19}".prop_map(|s| format!("\"{s}\"")),
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]([T ][0-2][0-9]:[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?"
            .prop_map(|s| format!("\"{s}\"")),
    ];
    scalar.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec(("[a-zA-Z_]{1,12}", inner), 0..8).prop_map(|members| {
                let members: Vec<String> = members.into_iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// A fixture with random byte edits (flips, insertions, deletions, a cut).
fn mutated(fixtures: Arc<Vec<Vec<u8>>>) -> impl Strategy<Value = Vec<u8>> {
    let n = fixtures.len();
    (0..n, prop::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 1..8)).prop_map(move |(i, edits)| {
        let mut body = fixtures[i].clone();
        for (at, byte, kind) in edits {
            if body.is_empty() {
                body.push(byte);
                continue;
            }
            let at = at % body.len();
            match kind {
                0 => body[at] = byte,
                1 => body.insert(at, byte),
                2 => {
                    body.remove(at);
                }
                _ => body.truncate(at),
            }
        }
        body
    })
}

fn decode_everywhere(body: &[u8]) {
    for op in baanx::operation::Operation::all() {
        let _ = dispatch::decode_response(op.id, body);
        let _ = dispatch::decode_request(op.id, body);
    }
    let status = 400 + (body.len() % 200) as u16;
    let canonical = cardsdk_runtime::error_body::ErrorBody::read(status, body, Some("application/json")).canonical();
    dispatch::decode_error(canonical.to_string().as_bytes()).expect("the canonical error body always decodes");
}

#[test]
fn every_operation_decodes_random_json_without_panicking() {
    runner(cases())
        .run(&json(), |body| {
            decode_everywhere(body.as_bytes());
            Ok(())
        })
        .unwrap();
}

#[test]
fn every_operation_decodes_mutated_fixtures_without_panicking() {
    let fixtures = Arc::new(fixtures());
    runner(cases())
        .run(&mutated(fixtures), |body| {
            decode_everywhere(&body);
            Ok(())
        })
        .unwrap();
}

#[test]
fn field_rules_amounts_and_timestamps_never_panic() {
    use cardsdk_runtime::wire::{Mode, Wire};
    fn read<T: Wire>(json: &str) {
        let _ = T::from_wire(&mut serde_json::Deserializer::from_str(json), Mode::Exact);
        let _ = T::from_wire(&mut serde_json::Deserializer::from_str(json), Mode::Rounding);
    }
    runner(cases())
        .run(&(json(), "\\PC{0,64}"), |(json, text)| {
            read::<String>(&json);
            read::<i64>(&json);
            read::<u8>(&json);
            read::<bool>(&json);
            read::<f64>(&json);
            read::<baanx::Decimal>(&json);
            read::<baanx::TokenAmount>(&json);
            read::<baanx::Timestamp>(&json);
            read::<Option<Vec<baanx::api::types::CardTransaction>>>(&json);
            let _ = baanx::money::parse_amount(&text);
            let _ = baanx::money::parse_amount_rounding(&text);
            let _ = baanx::TokenAmount::parse(&text).map(|a| (a.to_decimal(), a.to_base_units(18), a.to_string()));
            let _ = baanx::Timestamp::parse(&text).map(|t| t.utc());
            let _ = cardsdk_runtime::redact::redact_text(&text);
            Ok(())
        })
        .unwrap();
}

#[test]
fn webhook_verification_and_events_never_panic() {
    use baanx::webhooks::{Event, Verifier};
    let verifier = Verifier::with_keys(["whk_test", ""]);
    let now = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let strategy = (
        prop::option::of("\\PC{0,24}"),
        prop::option::of(prop_oneof!["[0-9a-fA-F]{0,80}".boxed(), "\\PC{0,80}".boxed()]),
        prop::collection::vec(any::<u8>(), 0..256),
    );
    runner(cases())
        .run(&strategy, |(timestamp, signature, body)| {
            let _ = verifier.verify_parts_at(timestamp.as_deref(), signature.as_deref(), &body, now);
            let _ = Event::parse(&body);
            Ok(())
        })
        .unwrap();
}

#[test]
fn callback_parsing_never_panics() {
    let client = baanx::Client::builder().client_key("pk").build().unwrap();
    let flow = client.oauth().hosted_page("myapp://callback", &[]);
    let strategy = prop_oneof![
        "\\PC{0,120}".boxed(),
        "(myapp|https)://[a-z.]{0,12}(/[a-z]{0,8})?\\?((code|state|error|error_description|tenant)=[^&]{0,20}&?){0,6}"
            .boxed(),
    ];
    runner(cases())
        .run(&strategy, |url| {
            let _ = baanx::auth::Callback::parse(&url);
            let _ = flow.complete(&url);
            Ok(())
        })
        .unwrap();
}

/// One answer the local server gives: status, content type, declared length (honest or not), `Retry-After`, body.
#[derive(Clone, Debug)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    retry_after: Option<String>,
    body: Vec<u8>,
}

fn answer(fixtures: Arc<Vec<Vec<u8>>>) -> impl Strategy<Value = Answer> {
    let status = prop_oneof![
        Just(200u16),
        Just(201),
        Just(204),
        Just(302),
        Just(400),
        Just(401),
        Just(404),
        Just(429),
        Just(498),
        Just(500),
        Just(502),
        Just(503),
        100u16..600
    ];
    let content_type = prop::option::of(prop_oneof![
        Just("application/json".to_string()),
        Just("text/html".to_string()),
        Just("application/problem+json".to_string()),
        "\\PC{0,20}".prop_map(|s| s),
    ]);
    let retry_after = prop::option::of(prop_oneof![
        Just("0".to_string()),
        Just("18446744073709551615".to_string()),
        "\\PC{0,30}".prop_map(|s| s)
    ]);
    let body = prop_oneof![
        json().prop_map(String::into_bytes).boxed(),
        mutated(fixtures).boxed(),
        prop::collection::vec(any::<u8>(), 0..64).boxed()
    ];
    (status, content_type, retry_after, body).prop_map(|(status, content_type, retry_after, body)| Answer {
        status,
        content_type,
        retry_after,
        body,
    })
}

#[test]
fn the_hooks_survive_random_answers_over_http() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let next: Arc<Mutex<Option<Answer>>> = Arc::new(Mutex::new(None));
    let base = runtime.block_on(async {
        let next = next.clone();
        let app = axum::Router::new().fallback(move || {
            let next = next.clone();
            async move {
                let a = next.lock().unwrap().clone().unwrap_or(Answer {
                    status: 200,
                    content_type: None,
                    retry_after: None,
                    body: b"{}".to_vec(),
                });
                let mut response = axum::http::Response::builder().status(a.status.clamp(200, 599));
                if let Some(ct) = a.content_type.filter(|c| axum::http::HeaderValue::from_str(c).is_ok()) {
                    response = response.header("content-type", ct);
                }
                if let Some(ra) = a.retry_after.filter(|c| axum::http::HeaderValue::from_str(c).is_ok()) {
                    response = response.header("retry-after", ra);
                }
                response.body(axum::body::Body::from(a.body)).unwrap()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    });
    let policy = baanx::retry::RetryPolicy::standard()
        .max_attempts(2)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5));
    let client = baanx::Client::builder()
        .environment(baanx::Environment::Custom(base))
        .client_key("pk")
        .retry(policy)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap()
        .with_session(common::oauth_session("a", "r", Duration::from_secs(3600), Region::International));
    let fixtures = Arc::new(fixtures());
    // HTTP round trips are slower: a tenth of the cases.
    runner((cases() / 10).max(16))
        .run(&answer(fixtures), |a| {
            *next.lock().unwrap() = Some(a);
            runtime.block_on(async {
                let _ = client.api().get_card_status().call().await.map_err(|e| e.to_string());
                let body = baanx::api::types::WithdrawCreditWalletRequest::builder().amount(baanx::Decimal::ONE);
                let _ = client.api().withdraw_credit_wallet().body(body).call().await.map_err(|e| e.to_string());
                let _ = client.api().list_card_transactions().page(0).call().await.map_err(|e| e.to_string());
            });
            Ok(())
        })
        .unwrap();
}
