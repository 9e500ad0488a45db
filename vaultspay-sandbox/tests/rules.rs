//! The rules engine: security settings and limits read, updated and reset, and simulated card transactions
//! declined by them (500 / 1050) or posted to the ledger.

mod common;

use common::{Answer, Api, control, start};
use reqwest::Method;
use serde_json::{Value, json};
use vaultspay_sandbox::Sandbox;

async fn purchase(sb: &Sandbox, body: Value) -> Answer {
    control(sb, Method::POST, "/purchase", body).await
}

#[track_caller]
fn locked(a: Answer, rule: &str) {
    let e = a.error(500, 1050);
    assert_eq!(
        (e["type"].as_str(), e["message"].as_str()),
        (Some("TRANSACTION_LOCKED_BY_RULE"), Some("Transaction has been locked."))
    );
    assert!(e["errors"][0]["reason"].as_str().unwrap().contains(rule), "{e}");
}

#[tokio::test]
async fn security_settings_block_and_reset() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let card = sb.user().card_ids[0];
    let settings = api.get(&format!("/re/api/v1/card-security?cardId={card}")).await.data();
    let settings = settings.as_array().unwrap().clone();
    assert_eq!(settings.len(), 4);
    assert!(settings.iter().all(|s| s["enabled"] == false));
    assert_eq!(settings[0]["title"], "Block ATM Withdrawal Transactions");
    let (atm, purchases, contactless, location) =
        (settings[0]["id"].clone(), settings[1]["id"].clone(), settings[2]["id"].clone(), settings[3]["id"].clone());
    api.get("/re/api/v1/card-security").await.error(422, 1000);
    let set = |id: &Value, t: &str, v: &str| json!({ "transactionType": t, "cardId": card.to_string(), "id": id.to_string(), "value": v });
    // ATM withdrawals blocked.
    let on = api.put("/re/api/v1/card-security", set(&atm, "ATM_WITHDRAWAL", "1")).await.data();
    assert_eq!((on["id"].clone(), on["enabled"].as_bool()), (atm.clone(), Some(true)));
    let atm_withdrawal = json!({ "cardId": card, "amount": 5000, "currency": "AED", "type": "ATM_WITHDRAWAL" });
    locked(purchase(&sb, atm_withdrawal.clone()).await, "Block ATM Withdrawal");
    purchase(&sb, json!({ "cardId": card, "amount": 5000, "currency": "AED" })).await.data();
    // Location: only outside ARE.
    api.put("/re/api/v1/card-security", set(&location, "ALL", "1")).await.data();
    locked(
        purchase(&sb, json!({ "cardId": card, "amount": 100, "currency": "GBP", "country": "GBR" })).await,
        "Location Based",
    );
    // Card not present: online and contactless.
    api.put("/re/api/v1/card-security", set(&contactless, "PURCHASE", "1")).await.data();
    locked(
        purchase(&sb, json!({ "cardId": card, "amount": 100, "currency": "AED", "online": true })).await,
        "Contactless",
    );
    locked(
        purchase(&sb, json!({ "cardId": card, "amount": 100, "currency": "AED", "contactless": true })).await,
        "Contactless",
    );
    purchase(&sb, json!({ "cardId": card, "amount": 100, "currency": "AED", "mcc": "5411" })).await.data();
    // "Block Purchase" re-linked to ATM withdrawals blocks those, not purchases.
    api.put("/re/api/v1/card-security", set(&atm, "ATM_WITHDRAWAL", "0")).await.data();
    let relinked = api.put("/re/api/v1/card-security", set(&purchases, "ATM_WITHDRAWAL", "1")).await.data();
    assert_eq!(relinked["transactionType"], "ATM_WITHDRAWAL");
    locked(purchase(&sb, atm_withdrawal.clone()).await, "Block Purchase");
    // Bad updates.
    api.put("/re/api/v1/card-security", set(&atm, "ATM_WITHDRAWAL", "yes")).await.error(422, 1000);
    api.put("/re/api/v1/card-security", set(&json!(999_999), "PURCHASE", "1")).await.error(422, 1000);
    api.put("/re/api/v1/card-security", set(&atm, "CASHBACK", "1")).await.error(422, 1000);
    // Reset: everything off and back on its own type.
    let reset = api.patch("/re/api/v1/card-security/reset", json!({ "cardId": card })).await.data();
    assert!(reset.as_array().unwrap().iter().all(|s| s["enabled"] == false));
    assert_eq!(reset[1]["transactionType"], "PURCHASE");
    purchase(&sb, atm_withdrawal).await.data();
    // Declines are FAILED transactions.
    let failed = api.get(&format!("/tme/api/v1/transactions?cardId={card}&status=FAILED")).await.json();
    assert_eq!(failed["pagination"]["totalCount"], 5);
    sb.shutdown().await;
}

#[tokio::test]
async fn limits_decline_and_posted_purchases_reach_the_ledger() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let (card, aed) = (sb.user().card_ids[1], sb.user().account_ids[0]);
    let limits = api.get(&format!("/re/api/v1/transaction-limits?cardId={card}")).await.data();
    let limits = limits.as_array().unwrap().clone();
    assert_eq!(limits.len(), 5);
    let find = |f: &str, t: &str| {
        limits
            .iter()
            .find(|l| l["frequency"] == f && l["limitType"] == t && l["transactionType"] == "PURCHASE")
            .unwrap()
            .clone()
    };
    let (one_time, daily, daily_count) = (find("ONE_TIME", "LIMIT"), find("DAILY", "LIMIT"), find("DAILY", "COUNT"));
    assert_eq!((one_time["limit"].as_str(), one_time["allowedLimit"].as_str()), (Some("2500.00"), Some("25000.00")));
    assert_eq!(one_time["thirdPartyConfig"], "pmt-mastercard-issuing");
    let all = api.get("/re/api/v1/transaction-limits").await.data();
    assert!(all.as_array().unwrap().iter().any(|l| l["slug"] == "ONE_TIME_DEPOSIT_MAX_VP_ACQ_LIMIT"));
    let atm_only =
        api.get(&format!("/re/api/v1/transaction-limits?cardId={card}&transactionType=ATM_WITHDRAWAL")).await.data();
    assert_eq!(atm_only.as_array().unwrap().len(), 1);
    // Updates: as sent, never above the allowed limit.
    let update = |l: &Value, v: &str| json!({ "transactionType": "PURCHASE", "cardId": card.to_string(), "id": l["id"].to_string(), "value": v });
    let e = api.put("/re/api/v1/transaction-limits", update(&one_time, "45000")).await.error(500, 1010);
    assert!(e["message"].as_str().unwrap().contains("25000.00"));
    api.put("/re/api/v1/transaction-limits", update(&one_time, "-1")).await.error(422, 1000);
    let mut wrong_type = update(&one_time, "100");
    wrong_type["transactionType"] = json!("ATM_WITHDRAWAL");
    api.put("/re/api/v1/transaction-limits", wrong_type).await.error(422, 1000);
    let set = api.put("/re/api/v1/transaction-limits", update(&one_time, "100")).await.data();
    assert_eq!(set["limit"], "100");
    // 150.00 AED is over the one-time limit; 10.00 USD (36.73 AED) is not.
    locked(purchase(&sb, json!({ "cardId": card, "amount": 15000, "currency": "AED" })).await, "ONE_TIME_PURCHASE_MAX");
    let posted = purchase(&sb, json!({ "cardId": card, "amount": 1000, "currency": "USD", "merchant": "W.H.Smith", "city": "Edinburgh", "country": "GBR" })).await;
    assert!(
        posted.text.contains(r#""billingAmount":{"amount":36.73000000,"currencyCode":"AED","amountType":"BILLING"}"#),
        "{}",
        posted.text
    );
    assert!(
        posted
            .text
            .contains(r#""transactionAmount":{"amount":10.00000000,"currencyCode":"USD","amountType":"TRANSACTION"}"#)
    );
    let t = posted.data();
    assert_eq!((t["status"].as_str(), t["transactionType"].as_str()), (Some("SUCCESS"), Some("Purchase")));
    assert_eq!(t["merchant"]["countryCode"], "GBR");
    assert_eq!(t["card"]["id"], card);
    let ledger = api.get(&format!("/be/api/v1/account-ledger/{aed}")).await;
    assert!(ledger.text.contains(r#""debit":36.73000000,"credit":0,"balance":9837.52000000"#), "{}", ledger.text);
    assert!(ledger.data()[0]["narration"].as_str().unwrap().starts_with("POS AT W.H.Smith - Edinburgh, GBR CARD NO *"));
    // A daily count of 1: the next purchase today is declined.
    api.put("/re/api/v1/transaction-limits", update(&daily_count, "1")).await.data();
    locked(purchase(&sb, json!({ "cardId": card, "amount": 100, "currency": "AED" })).await, "DAILY_PURCHASE_COUNT");
    // Not ACTIVE, or short of money: 500 / 1010.
    for (limit, value) in [(&daily_count, "20"), (&one_time, "25000.00"), (&daily, "50000")] {
        api.put("/re/api/v1/transaction-limits", update(limit, value)).await.data();
    }
    let e = purchase(&sb, json!({ "cardId": card, "amount": 1_500_000, "currency": "AED" })).await;
    assert_eq!(e.error(500, 1010)["message"], "Insufficient balance");
    api.post("/pcs/api/v1/toggle-freeze-card", json!({ "cardId": card })).await.data();
    let e = purchase(&sb, json!({ "cardId": card, "amount": 100, "currency": "AED" })).await;
    assert!(e.error(500, 1010)["message"].as_str().unwrap().contains("FREEZE"));
    purchase(&sb, json!({ "cardId": card, "amount": 100, "currency": "XYZ" })).await.error(422, 1000);
    sb.shutdown().await;
}
