//! The card lifecycle, secure-view tokens, transaction paging and filters, statements.

mod common;

use std::collections::HashSet;

use baanx_sandbox::Sandbox;
use common::Api;
use serde_json::{Value, json};

#[tokio::test]
async fn card_lifecycle() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    assert_eq!(api.get("/v1/card/status").await.status, 404);
    assert_eq!(api.post("/v1/card/freeze", json!({})).await.status, 404);

    let physical = api.post("/v1/card/order", json!({ "type": "PHYSICAL" })).await;
    assert_eq!(physical.status, 422);
    assert_eq!(api.post("/v1/card/order", json!({})).await.json(), json!({ "message": "type is required" }));
    assert_eq!(api.post("/v1/card/order", json!({ "type": "VIRTUAL" })).await.json(), json!({ "success": true }));
    let again = api.post("/v1/card/order", json!({ "type": "VIRTUAL" })).await;
    assert_eq!((again.status.as_u16(), again.json()), (400, json!({ "message": "User already has a card" })));

    let card = api.get("/v1/card/status").await.json();
    assert_eq!(card["status"], "ACTIVE");
    assert_eq!(card["type"], "VIRTUAL");
    assert_eq!(card["holderName"], "ADA LOVELACE");
    assert_eq!(card["panLast4"].as_str().unwrap().len(), 4);
    assert!(card["expiryDate"].as_str().unwrap().contains('/'));

    assert_eq!(api.post("/v1/card/unfreeze", json!({})).await.json(), json!({ "message": "Card is not frozen" }));
    assert_eq!(api.post("/v1/card/freeze", json!({})).await.json(), json!({ "success": true }));
    assert_eq!(api.get("/v1/card/status").await.json()["status"], "FROZEN");
    // As the live API does: the error object JSON-encoded inside `message` (same status).
    let frozen = api.post("/v1/card/freeze", json!({})).await;
    assert_eq!(frozen.status, 400);
    let nested: Value = serde_json::from_str(frozen.json()["message"].as_str().unwrap()).unwrap();
    assert_eq!(
        nested,
        json!({ "error": { "status": 400, "message": "Card is already frozen", "errorCode": "CARD_ALREADY_FROZEN" } })
    );
    assert_eq!(api.post("/v1/card/unfreeze", json!({})).await.json(), json!({ "success": true }));
    assert_eq!(api.get("/v1/card/status").await.json()["status"], "ACTIVE");

    // Secure-view tokens: single use, under the sandbox host.
    let details =
        api.post("/v1/card/details/token", json!({ "customCss": { "cardBackgroundColor": "#000000" } })).await.json();
    let url = details["imageUrl"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("{}/details-image?token=", sb.base_url())));
    assert_eq!(common::http().get(&url).send().await.unwrap().status(), 200);
    assert_eq!(common::http().get(&url).send().await.unwrap().status(), 410);
    let bad_css = api.post("/v1/card/details/token", json!({ "customCss": { "cardTextColor": "white" } })).await;
    assert_eq!(bad_css.status, 422);
    let pin = api.post("/v1/card/pin/token", json!({})).await.json();
    assert!(pin["imageUrl"].as_str().unwrap().contains("/details-image?token="));
    let set_pin = api.post("/v1/card/set-pin/token", json!({ "isEmbedded": true })).await.json();
    let page = set_pin["hostedPageUrl"].as_str().unwrap();
    assert!(page.starts_with(&format!("{}/pin-direct/set?token=", sb.base_url())));

    // The onboarding-stage US user is not verified... the US user is, and has their own card state.
    let us = Api::new(&sb).us().login(sb.us_user()).await;
    assert_eq!(us.get("/v1/card/status").await.status, 404);
    sb.trigger_kyc_status(&sb.us_user().user_id, "pending");
    let unverified = us.post("/v1/card/order", json!({ "type": "VIRTUAL" })).await;
    assert_eq!(unverified.status, 400);
}

async fn page(api: &Api, query: &str) -> Vec<Value> {
    let a = api.get(&format!("/v1/card/transactions?{query}")).await;
    assert_eq!(a.status, 200, "{query}: {}", a.text);
    a.json().as_array().unwrap().clone()
}

#[tokio::test]
async fn transactions_page_and_end() {
    let sb = Sandbox::builder().transactions(120).transactions_page_size(50).start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let (p0, p1, p2, p3) = (
        page(&api, "page=0").await,
        page(&api, "page=1").await,
        page(&api, "page=2").await,
        page(&api, "page=3").await,
    );
    assert_eq!((p0.len(), p1.len(), p2.len(), p3.len()), (50, 50, 20, 0));
    assert_eq!(page(&api, "").await, p0);
    let all: Vec<&Value> = p0.iter().chain(&p1).chain(&p2).collect();
    let ids: HashSet<&str> = all.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 120);
    let times: Vec<i64> = all.iter().map(|t| common::instant_ms(t["dateTime"].as_str().unwrap())).collect();
    assert!(times.windows(2).all(|w| w[0] > w[1]), "newest first");

    let t = &p0[5];
    for field in
        ["id", "cardId", "panLast4", "transactionId", "amountInTransactionCurrency", "billingConversionRate", "ecbRate"]
    {
        assert!(t[field].is_string(), "{field}: {t}");
    }
    // The live API's mcc is a string on one transaction and a number on the next.
    assert!(t["mcc"].is_u64() || t["mcc"].is_string());
    assert!(t["fundingSources"].is_array());
    assert!(t["amountInTransactionCurrency"].as_str().unwrap().parse::<rust_decimal::Decimal>().is_ok());

    // Deterministic from the seed; a different seed gives different data.
    let same = Sandbox::builder().transactions(120).start().await.unwrap();
    let same_api = Api::new(&same).login(same.user()).await;
    assert_eq!(page(&same_api, "page=1").await, p1);
    let other = Sandbox::builder().seed(7).transactions(120).start().await.unwrap();
    let other_api = Api::new(&other).login(other.user()).await;
    assert_ne!(page(&other_api, "page=1").await, p1);

    assert_eq!(api.get("/v1/card/transactions?page=-1").await.status, 400);
}

#[tokio::test]
async fn past_the_end_switch_returns_the_first_page() {
    let sb = Sandbox::builder()
        .transactions(60)
        .transactions_page_size(25)
        .past_end_returns_first_page(true)
        .start()
        .await
        .unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let p0 = page(&api, "page=0").await;
    assert_eq!(page(&api, "page=2").await.len(), 10);
    assert_eq!(page(&api, "page=3").await, p0);
    assert_eq!(page(&api, "page=99").await, p0);
}

#[tokio::test]
async fn new_purchases_shift_the_pages() {
    let sb = Sandbox::builder().transactions(30).transactions_page_size(10).start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let r = common::receiver(vec![]).await;
    let hook = api
        .post(
            "/v1/webhooks",
            json!({ "name": "tx", "url": r.url, "event_types": ["transaction.*"], "is_active": true }),
        )
        .await;
    assert_eq!(hook.status, 201);
    let p0 = page(&api, "page=0").await;
    let new_ids = sb.add_card_transactions(&sb.user().user_id, 3);
    assert_eq!(new_ids.len(), 3);
    let shifted = page(&api, "page=1").await;
    // The last three of the old first page now open the second page.
    assert_eq!(shifted[..3], p0[7..]);
    let top = page(&api, "page=0").await;
    assert_eq!(top.iter().take(3).map(|t| t["id"].as_str().unwrap()).collect::<Vec<_>>(), new_ids);
    let at = |t: &Value| common::instant_ms(t["dateTime"].as_str().unwrap());
    assert!(at(&top[0]) > at(&p0[0]));
    let mut all = 0;
    for n in 0.. {
        let p = page(&api, &format!("page={n}")).await;
        if p.is_empty() {
            break;
        }
        all += p.len();
    }
    assert_eq!(all, 33);
    let delivered = sb.wait_for_deliveries(1, std::time::Duration::from_secs(5)).await;
    let body: Value = serde_json::from_slice(&delivered[0].body).unwrap();
    assert_eq!(body["event_type"], "transaction.cleared");
    assert!(new_ids.contains(&body["event_object_id"].as_str().unwrap().to_string()));
    assert!(sb.add_card_transactions("nobody", 1).is_empty());
}

#[tokio::test]
async fn a_hundred_thousand_transactions_are_generated_lazily() {
    let sb = Sandbox::builder().transactions(100_000).start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let started = std::time::Instant::now();
    assert_eq!(page(&api, "page=1999").await.len(), 50);
    assert!(page(&api, "page=2000").await.is_empty());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn filters() {
    let sb = Sandbox::builder().transactions(400).start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let single = api.get("/v1/card/transactions?dateFrom=2025-01-01").await;
    assert_eq!(
        (single.status.as_u16(), single.json()),
        (400, json!({ "message": "dateFrom and dateTo must be provided together" }))
    );
    assert_eq!(api.get("/v1/card/transactions?dateFrom=2025-13-01&dateTo=2025-12-31").await.status, 400);

    let window = page(&api, "dateFrom=2025-06-01&dateTo=2025-06-30").await;
    assert!(!window.is_empty());
    let (june, july) = (common::instant_ms("2025-06-01T00:00:00Z"), common::instant_ms("2025-07-01T00:00:00Z"));
    assert!(window.iter().all(|t| (june..july).contains(&common::instant_ms(t["dateTime"].as_str().unwrap()))));

    let food = page(&api, "mccCategories=FOOD,travel").await;
    assert!(!food.is_empty());
    assert!(food.iter().all(|t| ["FOOD", "TRAVEL"].contains(&t["mccCategory"].as_str().unwrap())));
    assert_eq!(api.get("/v1/card/transactions?mccCategories=SHOES").await.status, 400);

    let starbucks = page(&api, "searchKey=starbucks").await;
    assert!(!starbucks.is_empty());
    assert!(starbucks.iter().all(|t| t["merchantNameLocation"].as_str().unwrap().contains("STARBUCKS")));
}

#[tokio::test]
async fn statements() {
    let sb = Sandbox::builder().transactions(30).start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let csv = api.get("/v1/card/transactions/statement").await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines[0],
        "Timestamp,Merchant,Merchant Type,Transaction Currency,Transaction currency amount,Card currency,Card currency amount,Funding Tokens,Funding Addresses"
    );
    assert_eq!(lines.len(), 31);
    assert!(lines[1..].iter().all(|l| l.split(',').count() == 9));

    let pdf = common::Api::send(
        api.request(reqwest::Method::GET, "/v1/card/transactions/statement").header("accept", "application/pdf"),
    )
    .await;
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.text.starts_with("%PDF-1.4"));
    let xml = common::Api::send(
        api.request(reqwest::Method::GET, "/v1/card/transactions/statement").header("accept", "application/xml"),
    )
    .await;
    assert_eq!(xml.status, 406);
}

async fn all_transactions(api: &Api) -> Vec<Value> {
    let mut all = Vec::new();
    for n in 0.. {
        let p = page(api, &format!("page={n}")).await;
        if p.is_empty() {
            break;
        }
        all.extend(p);
    }
    all
}

#[tokio::test]
async fn transactions_answer_in_the_live_forms() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let all = all_transactions(&api).await;
    // The same 250 transactions as ever, with the same exact total.
    assert_eq!(all.len(), 250);
    let total: rust_decimal::Decimal = all
        .iter()
        .map(|t| t["amountInTransactionCurrency"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert_eq!(total.to_string(), "13221.57");

    // mcc: a string, then a number, one transaction to the next.
    for w in all.windows(2) {
        assert_ne!(w[0]["mcc"].is_string(), w[1]["mcc"].is_string(), "{} / {}", w[0]["mcc"], w[1]["mcc"]);
        assert!(w[0]["mcc"].is_string() || w[0]["mcc"].is_u64());
    }

    // Several timestamp forms, one instant each, still strictly newest first.
    let stamps: Vec<&str> = all.iter().map(|t| t["dateTime"].as_str().unwrap()).collect();
    for form in [".000Z", "+00:00", "+02:00", "-05:00"] {
        assert!(stamps.iter().any(|s| s.ends_with(form)), "no {form}");
    }
    assert!(stamps.iter().any(|s| s.ends_with('Z') && !s.contains('.')), "no form without milliseconds");
    let instants: Vec<i64> = stamps.iter().map(|s| common::instant_ms(s)).collect();
    assert!(instants.windows(2).all(|w| w[0] > w[1]));
    let sources: Vec<&Value> = all.iter().flat_map(|t| t["fundingSources"].as_array().unwrap()).collect();
    assert!(sources.iter().any(|f| f["dateTime"].as_str().unwrap().ends_with("+02:00")));
    for t in &all {
        for f in t["fundingSources"].as_array().unwrap() {
            assert!(
                common::instant_ms(f["dateTime"].as_str().unwrap())
                    > common::instant_ms(t["dateTime"].as_str().unwrap())
            );
        }
    }

    // Undocumented members on every transaction.
    assert!(all.iter().all(|t| t["merchantCountry"].as_str().is_some_and(|c| c.len() == 3)));
    let referenced: Vec<&Value> = all.iter().filter_map(|t| t.get("networkReference")).collect();
    assert!(!referenced.is_empty() && referenced.len() < all.len());
    assert!(referenced.iter().all(|r| r["scheme"] == "MASTERCARD" && r["traceId"].is_string()));

    // The optional cashback object, all strings, four states.
    let cashbacks: Vec<&Value> = all.iter().filter_map(|t| t.get("cashback")).filter(|c| !c.is_null()).collect();
    let states: HashSet<&str> = cashbacks.iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(states, HashSet::from(["EARNED", "CLAIMED", "PENDING", "NOT_EARNED"]));
    for c in &cashbacks {
        for field in ["amount", "fiatAmount", "fiatCurrency", "ratePercent", "status"] {
            assert!(c[field].is_string(), "{field}: {c}");
        }
        if c["status"] == "NOT_EARNED" {
            assert_eq!((c["amount"].as_str(), c["currency"].is_null()), (Some("0"), true));
        } else {
            assert_eq!((c["currency"].as_str(), c["ratePercent"].as_str()), (Some("usdc"), Some("1.5")));
        }
    }
    assert!(all.iter().any(|t| t.get("cashback").is_none()), "refunds carry no cashback member");
}

#[tokio::test]
async fn cashback_is_what_the_transactions_earned() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let a = api.get("/v1/card/cashback").await;
    assert_eq!(a.status, 200);
    let c = a.json();
    assert_eq!(
        (c["currency"].as_str(), c["network"].as_str(), c["ratePercent"].as_str()),
        (Some("usdc"), Some("linea"), Some("1.5"))
    );
    assert!(c.get("balance").is_none() && c.get("id").is_none(), "not the reward-wallet shape: {c}");
    let dec = |v: &Value| v.as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
    let sum = |txs: &[Value], states: &[&str]| -> rust_decimal::Decimal {
        txs.iter()
            .filter_map(|t| t.get("cashback"))
            .filter(|c| states.iter().any(|s| c["status"] == *s))
            .map(|c| dec(&c["amount"]))
            .sum()
    };
    let all = all_transactions(&api).await;
    assert_eq!(dec(&c["amount"]), sum(&all, &["EARNED"]));
    assert_eq!(dec(&c["lifetimeEarned"]), sum(&all, &["EARNED", "CLAIMED"]));
    assert!(dec(&c["amount"]) > rust_decimal::Decimal::ZERO);
}

#[tokio::test]
async fn card_answers_and_errors_in_live_shapes() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    // A validation failure as `{errorMessage, errorCode}`, with the usual status.
    let physical = api.post("/v1/card/order", json!({ "type": "PHYSICAL" })).await;
    assert_eq!(physical.status, 422);
    assert_eq!(
        physical.json(),
        json!({ "errorMessage": "Validation Error: type must be VIRTUAL (got PHYSICAL)", "errorCode": "INVALID_CARD_TYPE" })
    );
    api.post("/v1/card/order", json!({ "type": "VIRTUAL" })).await;
    // Undocumented members on the card status; the card id keeps its leading zeros as a string.
    let card = api.get("/v1/card/status").await.json();
    assert_eq!((card["isPinSet"].clone(), card["provider"].clone()), (json!(true), json!("MASTERCARD")));
    assert!(card["id"].as_str().unwrap().starts_with("0000"));
    // The documented `{message}` shape stays where it is.
    assert_eq!(api.post("/v1/card/unfreeze", json!({})).await.json(), json!({ "message": "Card is not frozen" }));
}
