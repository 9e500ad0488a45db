//! Cards: creation, every lifecycle transition and refusal, secrets, 3DS, status and freeze, the linked account,
//! reports (replace, renew, decline) and virtual-to-physical conversion.

mod common;

use common::{Answer, Api, start};
use serde_json::{Value, json};

/// A refused transition: HTTP 500 / 1010 whose message contains `words`.
#[track_caller]
fn refused(a: Answer, words: &str) {
    let e = a.error(500, 1010);
    assert!(e["message"].as_str().unwrap().contains(words), "expected {words:?} in {e}");
}

async fn new_card(api: &Api, user: i64, account: i64, kind: &str, tier: i64) -> Answer {
    let mut body = json!({ "cardTierId": tier, "customerId": user, "cardType": kind, "accountId": account,
                           "cardHolderName": "JOHN MOCK-DOE" });
    if kind == "PHYSICAL" {
        body["address"] = json!({ "country": "PAK", "state": "Punjab", "city": "RWP", "addressLine1": "line 1 address",
                                  "type": "MAILING", "postalCode": "44000", "longitude": "127.45", "latitude": "716.70" });
    }
    api.post("/pcs/api/v1/cards", body).await
}

#[tokio::test]
async fn a_physical_card_from_request_to_active_and_every_refusal_on_the_way() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let (john, aed) = (sb.user().user_id, sb.user().account_ids[0]);
    let names = api.get(&format!("/pcs/api/v1/embossing-names/{john}")).await.data();
    assert_eq!(names["names"], json!(["JOHN MOCK-DOE", "JOHN", "JOHN M", "J MOCK-DOE"]));
    assert_eq!(api.get("/pcs/api/v1/embossing-names/999").await.error(422, 1000)["errors"][0]["key"], "id");
    // Refusals at creation.
    let jane = sb.pending_user().user_id;
    let e = api
        .post("/pcs/api/v1/cards", json!({ "cardTierId": 67, "customerId": jane, "cardType": "VIRTUAL", "accountId": aed, "cardHolderName": "JANE ROE" }))
        .await
        .error(500, 1035);
    assert_eq!(e["errors"][0], json!({ "key": "actionRequired", "reason": "KYC_VERIFICATION" }));
    let mut body = json!({ "cardTierId": 67, "customerId": john, "cardType": "PHYSICAL", "accountId": aed, "cardHolderName": "JOHN MOCK-DOE" });
    assert_eq!(api.post("/pcs/api/v1/cards", body.clone()).await.error(422, 1000)["errors"][0]["key"], "address");
    body["cardType"] = json!("VIRTUAL");
    body["cardHolderName"] = json!("MR JOHN");
    assert_eq!(
        api.post("/pcs/api/v1/cards", body.clone()).await.error(422, 1000)["errors"][0]["key"],
        "cardHolderName"
    );
    refused(new_card(&api, john, aed, "PHYSICAL", 68).await, "does not offer PHYSICAL");
    refused(new_card(&api, john, sb.agent().account_ids[0], "VIRTUAL", 67).await, "does not belong");
    // REQUESTED: nothing but the PIN until processed.
    let card = new_card(&api, john, aed, "PHYSICAL", 67).await.data();
    let id = card["id"].clone();
    assert_eq!(
        (card["status"].as_str(), card["cardType"].as_str(), card["pinSet"].as_bool()),
        (Some("REQUESTED"), Some("PHYSICAL"), Some(false))
    );
    assert_eq!(card["cardNetwork"], "MASTERCARD");
    assert_eq!(card["account"]["accountId"], aed);
    let pan =
        api.post("/pcs/api/v1/get-card-pan", json!({ "cardId": id })).await.data()["pan"].as_str().unwrap().to_string();
    let expiry = api.post("/pcs/api/v1/get-card-expiry", json!({ "cardId": id })).await.data()["expiry"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(pan.starts_with("540896") && pan.len() == 16);
    refused(
        api.post("/pcs/api/v1/activate-card", json!({ "cardId": id, "pan": pan, "expiryDate": expiry })).await,
        "REQUESTED",
    );
    let process = json!({ "cardId": id, "remarks": "request accepted", "statusReason": "new card", "status": "ISSUANCE_IN_PROGRESS" });
    refused(api.post("/pcs/api/v1/process-card-request", process.clone()).await, "PIN");
    api.post("/pcs/api/v1/set-pin", json!({ "cardId": id, "pin": "12a4" })).await.error(422, 1000);
    let pin = api.post("/pcs/api/v1/set-pin", json!({ "cardId": id, "pin": "4321" })).await.data();
    assert_eq!(pin["pinSet"], true);
    let mut wrong = process.clone();
    wrong["status"] = json!("ACTIVE");
    api.post("/pcs/api/v1/process-card-request", wrong).await.error(422, 1000);
    refused(
        api.post("/pcs/api/v1/update-delivery-status", json!({ "cardId": id, "deliveryStatus": "DELIVERED" })).await,
        "MANUFACTURED",
    );
    // ISSUANCE_IN_PROGRESS → manufacturing → delivery.
    let processed = api.post("/pcs/api/v1/process-card-request", process.clone()).await.data();
    assert_eq!(
        (processed["status"].as_str(), processed["statusReason"].as_str()),
        (Some("ISSUANCE_IN_PROGRESS"), Some("new card"))
    );
    refused(api.post("/pcs/api/v1/process-card-request", process).await, "ISSUANCE_IN_PROGRESS");
    refused(
        api.post("/pcs/api/v1/update-delivery-status", json!({ "cardId": id, "deliveryStatus": "DELIVERED" })).await,
        "IN_PROGRESS",
    );
    api.post("/pcs/api/v1/update-card-manufacturing", json!({ "cardId": id, "manufacturingStatus": "DONE" }))
        .await
        .error(422, 1000);
    let made = api
        .post("/pcs/api/v1/update-card-manufacturing", json!({ "cardId": id, "manufacturingStatus": "MANUFACTURED" }))
        .await
        .data();
    assert_eq!(made["cardManufacturingStatus"], "MANUFACTURED");
    refused(
        api.post(
            "/pcs/api/v1/update-card-manufacturing",
            json!({ "cardId": id, "manufacturingStatus": "MANUFACTURED" }),
        )
        .await,
        "already",
    );
    let dispatched = api
        .post("/pcs/api/v1/update-delivery-status", json!({ "cardId": id, "deliveryStatus": "DISPATCHED" }))
        .await
        .data();
    assert_eq!(dispatched["cardStatus"], "ISSUANCE_IN_PROGRESS");
    let delivered = api
        .post(
            "/pcs/api/v1/update-delivery-status",
            json!({ "cardId": id, "estimateDeliveryTime": "2024-12-24T12:00", "deliveryStatus": "DELIVERED" }),
        )
        .await
        .data();
    assert_eq!(
        delivered,
        json!({ "cardId": id, "cardToken": card["token"], "cardStatus": "PENDING_VERIFICATION", "statusReason": "Approved",
                "deliveryStatus": "DELIVERED", "cardManufacturingStatus": "MANUFACTURED", "estimatedDeliveryTime": "2024-12-24T12:00:00" })
    );
    // Activation needs the right PAN and expiry.
    refused(
        api.post("/pcs/api/v1/activate-card", json!({ "cardId": id, "pan": "5408968100040422", "expiryDate": expiry }))
            .await,
        "PAN",
    );
    refused(
        api.post("/pcs/api/v1/activate-card", json!({ "cardId": id, "pan": pan, "expiryDate": "01/20" })).await,
        "expiry",
    );
    let active = api
        .post("/pcs/api/v1/activate-card", json!({ "cardToken": card["token"], "pan": pan, "expiryDate": expiry }))
        .await
        .data();
    assert_eq!(active, json!({ "cardId": id, "cardStatus": "ACTIVE", "statusReason": "new card" }));
    refused(
        api.post("/pcs/api/v1/activate-card", json!({ "cardId": id, "pan": pan, "expiryDate": expiry })).await,
        "already ACTIVE",
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn virtual_cards_secrets_3ds_status_freeze_and_the_linked_account() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let (john, aed, usd) = (sb.user().user_id, sb.user().account_ids[0], sb.user().account_ids[1]);
    let card = new_card(&api, john, aed, "VIRTUAL", 68).await.data();
    let (id, token) = (card["id"].clone(), card["token"].clone());
    assert_eq!((card["status"].as_str(), card["cardNetwork"].as_str()), (Some("ACTIVE"), Some("VISA")));
    refused(api.post("/pcs/api/v1/set-pin", json!({ "cardId": id, "pin": "1234" })).await, "PHYSICAL");
    refused(
        api.post("/pcs/api/v1/process-card-request", json!({ "cardId": id, "status": "ISSUANCE_IN_PROGRESS" })).await,
        "Virtual",
    );
    // Secrets by id or by token.
    let details = api.post("/pcs/api/v1/cards/details", json!({ "token": token })).await.data();
    assert_eq!(details["id"], id);
    assert_eq!(details["_3dSecure"]["status"], false);
    let cvv = api.post("/pcs/api/v1/get-card-cvv", json!({ "cardId": id, "token": token })).await.data()["cvv"].clone();
    assert_eq!(cvv.as_str().unwrap().len(), 3);
    let pan = api.post("/pcs/api/v1/get-card-pan", json!({ "cardId": id })).await.data()["pan"].clone();
    assert_eq!(&pan.as_str().unwrap()[12..], details["lastFourDigits"].as_str().unwrap());
    api.post("/pcs/api/v1/get-card-pan", json!({ "cardId": 1, "token": token })).await.error(422, 1000);
    api.post("/pcs/api/v1/get-card-pan", json!({ "token": 1 })).await.error(422, 1000);
    // 3DS.
    let enrolled = api.post("/pcs/api/v1/enroll-card-three-ds", json!({ "cardId": id })).await.data();
    assert_eq!(enrolled["card3DSecure"]["status"], true);
    refused(api.post("/pcs/api/v1/enroll-card-three-ds", json!({ "cardToken": token })).await, "already enrolled");
    let removed = api.post("/pcs/api/v1/remove-card-three-ds", json!({ "cardId": id })).await.data();
    assert_eq!(
        (removed["card3DSecure"]["status"].as_bool(), removed["cardStatus"].as_str()),
        (Some(false), Some("ACTIVE"))
    );
    refused(api.post("/pcs/api/v1/remove-card-three-ds", json!({ "cardId": id })).await, "not enrolled");
    // ACTIVE ↔ BLOCK, ACTIVE ↔ FREEZE.
    api.post("/pcs/api/v1/update-card-status", json!({ "cardId": id, "cardStatus": "FREEZE", "statusReason": "x" }))
        .await
        .error(422, 1000);
    api.post("/pcs/api/v1/update-card-status", json!({ "cardId": id, "cardStatus": "BLOCK" })).await.error(422, 1000);
    let blocked = api
        .post(
            "/pcs/api/v1/update-card-status",
            json!({ "cardId": id, "cardStatus": "BLOCK", "statusReason": "BLOCK the card" }),
        )
        .await
        .data();
    assert_eq!(blocked, json!({ "id": id, "token": token, "status": "BLOCK", "statusReason": "BLOCK the card" }));
    refused(
        api.post(
            "/pcs/api/v1/update-card-status",
            json!({ "cardId": id, "cardStatus": "BLOCK", "statusReason": "again" }),
        )
        .await,
        "already BLOCK",
    );
    refused(api.post("/pcs/api/v1/toggle-freeze-card", json!({ "cardId": id })).await, "BLOCK");
    api.post(
        "/pcs/api/v1/update-card-status",
        json!({ "cardToken": token, "cardStatus": "ACTIVE", "statusReason": "Activate the card" }),
    )
    .await
    .data();
    let frozen =
        api.post("/pcs/api/v1/toggle-freeze-card", json!({ "cardId": id, "statusReason": "holiday" })).await.data();
    assert_eq!((frozen["cardStatus"].as_str(), frozen["statusReason"].as_str()), (Some("FREEZE"), Some("holiday")));
    let thawed = api.post("/pcs/api/v1/toggle-freeze-card", json!({ "cardId": id })).await.data();
    assert_eq!(thawed["cardStatus"], "ACTIVE");
    // The linked account: another of the holder's, not someone else's.
    let linked = api.post("/pcs/api/v1/update-card-account", json!({ "cardId": id, "accountId": usd })).await.data();
    assert_eq!(linked["accountId"], usd);
    let details = api.post("/pcs/api/v1/cards/details", json!({ "cardId": id })).await.data();
    assert_eq!(details["account"]["currencyCode"], "USD");
    assert_ne!(details["account"]["id"], details["account"]["accountId"]);
    refused(
        api.post("/pcs/api/v1/update-card-account", json!({ "cardId": id, "accountId": sb.agent().account_ids[0] }))
            .await,
        "card holder",
    );
    sb.shutdown().await;
}

async fn report_and_review(api: &Api, id: &Value) {
    let r = api
        .post(
            "/pcs/api/v1/report-card-issue",
            json!({ "cardId": id, "reason": "LOST", "statusReason": "My card is lost." }),
        )
        .await
        .data();
    assert_eq!(r["status"], "PENDING_REVIEW");
    api.post("/pcs/api/v1/review-report-card-issue", json!({ "cardId": id, "remarks": "checked" })).await.data();
}

#[tokio::test]
async fn reports_are_replaced_renewed_or_declined() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let (virtual_card, physical) = (json!(sb.user().card_ids[0]), json!(sb.user().card_ids[1]));
    // Report → the card freezes; refusals before the review.
    api.post("/pcs/api/v1/report-card-issue", json!({ "cardId": virtual_card, "reason": "MISPLACED" }))
        .await
        .error(422, 1000);
    let r =
        api.post("/pcs/api/v1/report-card-issue", json!({ "cardId": virtual_card, "reason": "STOLEN" })).await.data();
    assert_eq!((r["reason"].as_str(), r["statusReason"].as_str()), (Some("STOLEN"), Some("Card reported stolen")));
    let details = api.post("/pcs/api/v1/cards/details", json!({ "cardId": virtual_card })).await.data();
    assert_eq!(details["status"], "FREEZE");
    assert_eq!(details["reportedCards"][0]["status"], "PENDING_REVIEW");
    refused(
        api.post("/pcs/api/v1/report-card-issue", json!({ "cardId": virtual_card, "reason": "LOST" })).await,
        "already",
    );
    refused(api.post("/pcs/api/v1/toggle-freeze-card", json!({ "cardId": virtual_card })).await, "under review");
    refused(api.post("/pcs/api/v1/replace-card", json!({ "cardId": virtual_card })).await, "not been reviewed");
    api.post("/pcs/api/v1/review-report-card-issue", json!({ "cardId": virtual_card })).await.data();
    refused(
        api.post("/pcs/api/v1/review-report-card-issue", json!({ "cardId": virtual_card })).await,
        "PENDING_REVIEW",
    );
    // Replace: a new card with a new PAN; the old one is BLOCK for good.
    let old_pan = api.post("/pcs/api/v1/get-card-pan", json!({ "cardId": virtual_card })).await.data()["pan"].clone();
    let replaced =
        api.post("/pcs/api/v1/replace-card", json!({ "cardId": virtual_card, "remarks": "stolen" })).await.data();
    assert_eq!(
        (replaced["status"].as_str(), replaced["message"].as_str()),
        (Some("ACTIVE"), Some("Card replaced successfully!"))
    );
    let new_pan =
        api.post("/pcs/api/v1/get-card-pan", json!({ "cardId": replaced["cardId"] })).await.data()["pan"].clone();
    assert_ne!(old_pan, new_pan);
    assert_eq!(
        api.post("/pcs/api/v1/cards/details", json!({ "cardId": virtual_card })).await.data()["status"],
        "BLOCK"
    );
    refused(
        api.post(
            "/pcs/api/v1/update-card-status",
            json!({ "cardId": virtual_card, "cardStatus": "ACTIVE", "statusReason": "x" }),
        )
        .await,
        "replaced by card",
    );
    // Renew: the same PAN, new expiry and token; a physical card starts ISSUANCE_IN_PROGRESS.
    let pan = api.post("/pcs/api/v1/get-card-pan", json!({ "cardId": physical })).await.data()["pan"].clone();
    let expiry = api.post("/pcs/api/v1/get-card-expiry", json!({ "cardId": physical })).await.data()["expiry"].clone();
    report_and_review(&api, &physical).await;
    let renewed =
        api.post("/pcs/api/v1/renew-card", json!({ "cardId": physical, "remarks": "Card was stolen" })).await.data();
    assert_eq!(
        (renewed["status"].as_str(), renewed["message"].as_str()),
        (Some("ISSUANCE_IN_PROGRESS"), Some("Card renew successfully!"))
    );
    assert_eq!(api.post("/pcs/api/v1/get-card-pan", json!({ "cardId": renewed["cardId"] })).await.data()["pan"], pan);
    let renewed_expiry =
        api.post("/pcs/api/v1/get-card-expiry", json!({ "cardId": renewed["cardId"] })).await.data()["expiry"].clone();
    assert!(renewed_expiry.is_string() && expiry.is_string());
    assert_ne!(renewed_expiry, expiry, "a renewed card (issued the same month) has an expiry of its own");
    // Decline: the card stays FREEZE.
    let card = new_card(&api, sb.user().user_id, sb.user().account_ids[0], "VIRTUAL", 67).await.data();
    report_and_review(&api, &card["id"]).await;
    let declined = api
        .post(
            "/pcs/api/v1/decline-card",
            json!({ "cardId": card["id"], "cardToken": card["token"], "remarks": "Decline reason" }),
        )
        .await
        .data();
    assert_eq!(
        declined,
        json!({ "cardId": card["id"], "cardToken": card["token"], "cardStatus": "FREEZE", "statusReason": "My card is lost.", "remarks": "Decline reason" })
    );
    refused(api.post("/pcs/api/v1/decline-card", json!({ "cardId": card["id"] })).await, "no reported issue");
    assert_eq!(
        api.post("/pcs/api/v1/toggle-freeze-card", json!({ "cardId": card["id"] })).await.data()["cardStatus"],
        "ACTIVE"
    );
    // The list, paged.
    let list = api.get("/pcs/api/v1/card-reported-issues?perPage=2").await.json();
    assert_eq!(
        (list["pagination"]["totalCount"].as_i64(), list["pagination"]["totalPages"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(list["data"][0]["status"], "DECLINED");
    let renewed_only = api.get("/pcs/api/v1/card-reported-issues?status=RENEWED").await.json();
    assert_eq!(renewed_only["data"][0]["newCardId"], renewed["cardId"]);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_virtual_card_converts_to_physical_once_approved() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let (john, aed) = (sb.user().user_id, sb.user().account_ids[0]);
    let virtual_card = json!(sb.user().card_ids[0]);
    let address = api.get(&format!("/us/api/v1/kyc/{john}")).await.data();
    assert_eq!(address["status"], "VERIFIED");
    refused(
        api.post("/pcs/api/v1/virtual-to-physical", json!({ "cardId": sb.user().card_ids[1], "addressId": 1 })).await,
        "already PHYSICAL",
    );
    api.post("/pcs/api/v1/virtual-to-physical", json!({ "cardId": virtual_card })).await.error(422, 1000);
    api.post("/pcs/api/v1/virtual-to-physical", json!({ "cardId": virtual_card, "addressId": 999 }))
        .await
        .error(422, 1000);
    let requested =
        api.post("/pcs/api/v1/virtual-to-physical", json!({ "cardId": virtual_card, "addressId": 1 })).await.data();
    assert_eq!(
        (requested["cardConversionStatus"].as_str(), requested["cardType"].as_str()),
        (Some("APPROVAL_PENDING"), Some("VIRTUAL"))
    );
    refused(
        api.post("/pcs/api/v1/virtual-to-physical", json!({ "cardId": virtual_card, "addressId": 1 })).await,
        "already pending",
    );
    api.post("/pcs/api/v1/virtual-to-physical-process", json!({ "cardId": virtual_card, "status": "MAYBE" }))
        .await
        .error(422, 1000);
    let approved = api
        .post("/pcs/api/v1/virtual-to-physical-process", json!({ "cardId": virtual_card, "status": "APPROVED" }))
        .await
        .data();
    assert_eq!((approved["cardType"].as_str(), approved["cardStatus"].as_str()), (Some("PHYSICAL"), Some("ACTIVE")));
    refused(
        api.post("/pcs/api/v1/virtual-to-physical-process", json!({ "cardId": virtual_card, "status": "APPROVED" }))
            .await,
        "no pending",
    );
    assert_eq!(
        api.post("/pcs/api/v1/set-pin", json!({ "cardId": virtual_card, "pin": "2468" })).await.data()["pinSet"],
        true
    );
    // A rejection keeps the card virtual; a virtual-only tier cannot convert.
    let other = new_card(&api, john, aed, "VIRTUAL", 67).await.data();
    let address = json!({ "country": "ARE", "state": "Dubai", "city": "Dubai", "addressLine1": "Marina 1", "postalCode": "00000" });
    api.post("/pcs/api/v1/virtual-to-physical", json!({ "cardId": other["id"], "address": address })).await.data();
    let rejected = api
        .post("/pcs/api/v1/virtual-to-physical-process", json!({ "cardId": other["id"], "status": "REJECTED" }))
        .await
        .data();
    assert_eq!(
        (rejected["cardType"].as_str(), rejected["cardConversionStatus"].as_str()),
        (Some("VIRTUAL"), Some("REJECTED"))
    );
    let visa = new_card(&api, john, aed, "VIRTUAL", 68).await.data();
    refused(
        api.post("/pcs/api/v1/virtual-to-physical", json!({ "cardId": visa["id"], "address": address })).await,
        "does not offer",
    );
    sb.shutdown().await;
}
