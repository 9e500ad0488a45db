//! Direct transfers: IBAN validation (mod-97), payment contacts, transfers debiting once, ledgers and transactions.

mod common;

use common::{Api, start};
use serde_json::{Value, json};

#[tokio::test]
async fn ibans_are_checked_with_mod_97() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    // A holder the third party knows.
    let known = api
        .post("/be/api/v1/validate-iban", json!({ "iban": "AE580300000002000007377", "accountTitle": null }))
        .await
        .data();
    assert_eq!(known["valid"], true);
    assert_eq!(known["uniqueReference"], "AE580300000002000007377");
    assert_eq!(
        known["details"],
        json!({ "bankCode": "030", "accountTitle": "John Matth*", "iban": "AE580300000002000007377",
                "swiftCode": "IBTFAEASXXX", "bankName": "INVESTBANK" })
    );
    // Spaces and case do not matter; an unknown holder needs the title.
    let e =
        api.post("/be/api/v1/validate-iban", json!({ "iban": "gb82 west 1234 5698 7654 32" })).await.error(422, 1000);
    assert_eq!(e["errors"], json!([{ "key": "accountTitle", "reason": "Account title is missing" }]));
    let titled = api
        .post(
            "/be/api/v1/validate-iban",
            json!({ "iban": "GB82 WEST 1234 5698 7654 32", "accountTitle": "Jane Smith" }),
        )
        .await
        .data();
    assert_eq!(titled["details"]["iban"], "GB82WEST12345698765432");
    assert_eq!(titled["details"]["accountTitle"], "Jane Smit*");
    // A wrong check digit, the docs' placeholder, a wrong length: HTTP 500 / 1010 "Invalid IBAN".
    for bad in ["GB83WEST12345698765432", "AE000000000000000000000", "AE5803000000020000073770", "XX"] {
        let e =
            api.post("/be/api/v1/validate-iban", json!({ "iban": bad, "accountTitle": "x" })).await.error(500, 1010);
        assert_eq!(e, json!({ "code": 1010, "message": "Invalid IBAN", "type": "BAD_REQUEST" }), "{bad}");
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn payment_contacts() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let e = api
        .post("/be/api/v1/direct-payment-contact", json!({ "iban": "AE680961000648060000040" }))
        .await
        .error(422, 1000);
    assert_eq!(e["errors"], json!([{ "key": "title", "reason": "Payment Contact Title is required" }]));
    let c = api
        .post(
            "/be/api/v1/direct-payment-contact",
            json!({ "title": "Direct payment", "iban": "AE680961000648060000040" }),
        )
        .await
        .data();
    assert_eq!(c["userId"], sb.agent().user_id);
    assert_eq!(c["details"]["accountTitle"], "Adamz Ahme*");
    assert_eq!((c["status"].as_bool(), c["thirdPartyConfigId"].as_i64()), (Some(true), Some(14)));
    let dup = api
        .post("/be/api/v1/direct-payment-contact", json!({ "title": "Again", "iban": "AE68 0961 0006 4806 0000 040" }))
        .await
        .error(500, 1010);
    assert_eq!(dup["message"], "Payment Contact already exists");
    let bad = api
        .post("/be/api/v1/direct-payment-contact", json!({ "title": "Bad", "iban": "AE680961000648060000041" }))
        .await;
    assert_eq!(bad.error(500, 1010)["message"], "Invalid IBAN");
    let untitled =
        api.post("/be/api/v1/direct-payment-contact", json!({ "title": "DE", "iban": "DE89370400440532013000" })).await;
    assert_eq!(untitled.error(422, 1000)["errors"][0]["key"], "accountTitle");
    sb.shutdown().await;
}

fn balance_text(a: &common::Answer) -> String {
    let i = a.text.find("\"balance\":").unwrap() + 10;
    a.text[i..].split(',').next().unwrap().to_string()
}

#[tokio::test]
async fn transfers_debit_once_and_leave_ledger_rows_and_transactions() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let john = sb.user();
    let (aed, usd) = (john.account_ids[0], john.account_ids[1]);
    let external = api
        .post("/be/api/v1/direct-payment-contact", json!({ "title": "Landlord", "iban": "AE290330000012345678901" }))
        .await
        .data();
    let transfer = |sender: Value, amount: i64| {
        json!({ "senderAccountId": sender, "currencyCode": "AED", "paymentContactId": external["id"].to_string(),
                "purpose": "RENT", "description": "Monthly rent August", "amount": amount })
    };
    let t = api.post("/tc/api/v1/direct-transfer", transfer(json!(aed.to_string()), 100_001)).await.data();
    assert_eq!((t["amount"].as_i64(), t["totalCharges"].as_i64()), (Some(100_001), Some(0)));
    assert_eq!((t["currencyCode"].as_str(), t["status"].as_str()), (Some("AED"), Some("PENDING")));
    assert_eq!(t["transactionId"].as_str().unwrap().len(), 36);
    // 9874.25 - 1000.01, exactly, once.
    let a = api.get(&format!("/be/api/v1/accounts/{aed}")).await;
    assert_eq!(balance_text(&a), "8874.24000000");
    // Too much: refused, nothing moves.
    let e = api.post("/tc/api/v1/direct-transfer", transfer(json!(aed), 887_425)).await.error(500, 1010);
    assert_eq!(e["message"], "Insufficient balance");
    assert_eq!(balance_text(&api.get(&format!("/be/api/v1/accounts/{aed}")).await), "8874.24000000");
    // Validation: purpose, description, amount, a currency that is not the sender's, an unknown contact.
    for (field, bad) in [("purpose", json!("BRIBE")), ("description", json!("rent, august")), ("amount", json!(0))] {
        let mut body = transfer(json!(aed), 100);
        body[field] = bad;
        assert_eq!(api.post("/tc/api/v1/direct-transfer", body).await.error(422, 1000)["errors"][0]["key"], field);
    }
    api.post("/tc/api/v1/direct-transfer", transfer(json!(usd), 100)).await.error(500, 1010);
    let mut unknown = transfer(json!(aed), 100);
    unknown["paymentContactId"] = json!("999");
    api.post("/tc/api/v1/direct-transfer", unknown).await.error(422, 1000);
    // The ledger row and the transaction.
    let rows = api.get(&format!("/be/api/v1/account-ledger/{aed}")).await;
    assert!(rows.text.contains(r#""debit":1000.01000000,"credit":0,"balance":8874.24000000"#), "{}", rows.text);
    let detail = api.get(&format!("/tme/api/v1/transactions/{}", t["id"])).await;
    assert!(
        detail.text.contains(r#""billingAmount":{"amount":1000.01000000,"currencyCode":"AED","amountType":"BILLING"}"#)
    );
    let detail = detail.data();
    assert_eq!((detail["transactionType"].as_str(), detail["status"].as_str()), (Some("Transfer"), Some("SUCCESS")));
    assert_eq!(detail["senderAccount"]["accountNumber"].as_str().unwrap().matches('*').count(), 10);
    assert_eq!(detail["receiverAccount"]["iban"], "AE290330000012345678901");
    let listed = api.get("/tme/api/v1/transactions?transactionType=Transfer").await.json();
    assert_eq!(listed["pagination"]["totalCount"], 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_contact_inside_the_sandbox_is_credited() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let john_aed = api.get(&format!("/be/api/v1/accounts/{}", sb.user().account_ids[0])).await.data();
    let contact = api
        .post("/be/api/v1/direct-payment-contact", json!({ "title": "John", "iban": john_aed["iban"] }))
        .await
        .data();
    assert_eq!(contact["details"]["accountTitle"], "JOHN MOCK-*");
    // Without senderAccountId, the SaaS app's own AED account pays.
    let t = api
        .post(
            "/tc/api/v1/direct-transfer",
            json!({ "currencyCode": "AED", "paymentContactId": contact["id"], "purpose": "ALLOWANCE", "description": "Pocket money", "amount": 2575 }),
        )
        .await
        .data();
    let john = api.get(&format!("/be/api/v1/accounts/{}", sb.user().account_ids[0])).await;
    assert_eq!(balance_text(&john), "9900.00000000");
    let agent = api.get(&format!("/be/api/v1/accounts/{}", sb.agent().account_ids[0])).await;
    assert_eq!(balance_text(&agent), "999974.25000000");
    let detail = api.get(&format!("/tme/api/v1/transactions/{}", t["id"])).await.data();
    assert_eq!(detail["receiverAccount"]["userId"], sb.user().user_id);
    let received = api.get(&format!("/tme/api/v1/transactions?accountId={}", sb.user().account_ids[0])).await.json();
    assert_eq!(received["data"][0]["id"], t["id"]);
    sb.shutdown().await;
}
