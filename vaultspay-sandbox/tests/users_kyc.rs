//! Users, KYC (personal info, addresses, identification, the admin's verdict) and the location lists.

mod common;

use common::{Api, control, start};
use reqwest::Method;
use serde_json::json;
use vaultspay_sandbox::KycStatus;

#[tokio::test]
async fn users_by_email_or_phone() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let by_email = api
        .post(
            "/as/api/v1/users",
            json!({ "firstName": "khalid", "lastName": "raza", "email": "khalid@example.com", "status": "ACTIVE" }),
        )
        .await
        .data();
    assert_eq!(by_email["id"], 601);
    assert_eq!(by_email["parentId"], sb.agent().user_id);
    assert_eq!(by_email["parent"]["userType"], "AGENT");
    assert_eq!((by_email["userType"].as_str(), by_email["fullName"].as_str()), (Some("USER"), Some("khalid raza")));
    assert!(by_email.get("phoneNumber").is_none());
    let by_phone = api
        .post(
            "/as/api/v1/users",
            json!({ "firstName": "Amna", "lastName": "Ali", "countryCode": "92", "phone": "3329465636", "status": "PENDING", "parentId": 99 }),
        )
        .await
        .data();
    assert_eq!(by_phone["phoneNumber"], "923329465636");
    assert_eq!(by_phone["parentId"], sb.agent().user_id, "parentId is server-set");
    // Refusals: neither e-mail nor phone, half a phone, a bad status, a duplicate.
    let e = api
        .post("/as/api/v1/users", json!({ "firstName": "a", "lastName": "b", "status": "ACTIVE" }))
        .await
        .error(422, 1000);
    assert_eq!(e["errors"][0]["key"], "email");
    let e = api
        .post("/as/api/v1/users", json!({ "firstName": "a", "lastName": "b", "countryCode": "92", "status": "ACTIVE" }))
        .await
        .error(422, 1000);
    assert_eq!(e["errors"][0]["key"], "phone");
    let e = api
        .post("/as/api/v1/users", json!({ "firstName": "a", "lastName": "b", "email": "x@y.z", "status": "GONE" }))
        .await
        .error(422, 1000);
    assert_eq!(e["errors"][0]["key"], "status");
    let e = api
        .post("/as/api/v1/users", json!({ "lastName": "b", "email": "x@y.z", "status": "ACTIVE" }))
        .await
        .error(422, 1000);
    assert_eq!(e["errors"][0], json!({ "key": "firstName", "reason": "must not be blank" }));
    let dup = api
        .post(
            "/as/api/v1/users",
            json!({ "firstName": "K", "lastName": "R", "email": "KHALID@example.com", "status": "ACTIVE" }),
        )
        .await;
    assert_eq!(dup.error(500, 1010)["message"], "User already exists");
    sb.shutdown().await;
}

#[tokio::test]
async fn personal_info_updates_only_while_pending() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let id = api
        .post(
            "/as/api/v1/users",
            json!({ "firstName": "Maluk", "lastName": "Antique", "email": "m@a.pk", "status": "ACTIVE" }),
        )
        .await
        .data()["id"]
        .clone();
    let info = json!({ "userId": id, "firstName": "Maluk", "lastName": "Antique", "dob": "1990-05-15", "gender": "MALE",
                       "maritalStatus": "SINGLE", "nationality": "PAK", "tin": "0112133232", "language": "ENGLISH" });
    let created = api.post("/us/api/v1/kyc/personal", info.clone()).await.data();
    assert_eq!(created["dob"], "1990-05-15T00:00:00.000+00:00");
    assert_eq!(created["status"], "PENDING");
    assert_eq!(created["tin"], "0112133232");
    api.post("/us/api/v1/kyc/personal", info).await.error(500, 1010);
    // The update answer is a bare object, as documented.
    let updated = api
        .patch("/us/api/v1/kyc/personal", json!({ "userId": id, "nickName": "Mal", "countryOfResidence": "UKR" }))
        .await;
    let bare = updated.json();
    assert!(bare.get("data").is_none());
    assert_eq!((bare["nickName"].as_str(), bare["firstName"].as_str()), (Some("Mal"), Some("Maluk")));
    let e = api.patch("/us/api/v1/kyc/personal", json!({ "userId": id, "gender": "X" })).await.error(422, 1000);
    assert_eq!(e["errors"][0]["key"], "gender");
    let e = api.patch("/us/api/v1/kyc/personal", json!({ "userId": 9999 })).await.error(422, 1000);
    assert_eq!(e["errors"][0], json!({ "key": "userId", "reason": "User does not exist with this id" }));
    // The admin's verdict: a control route, or the handle.
    let verdict = control(&sb, Method::POST, &format!("/kyc/{id}"), json!({ "status": "VERIFIED" })).await.data();
    assert_eq!(verdict["status"], "VERIFIED");
    let refused = api.patch("/us/api/v1/kyc/personal", json!({ "userId": id, "nickName": "M" })).await;
    assert!(refused.error(500, 1010)["message"].as_str().unwrap().contains("PENDING"));
    assert!(sb.set_kyc_status(id.as_i64().unwrap(), KycStatus::Rejected));
    assert!(!sb.set_kyc_status(424_242, KycStatus::Verified));
    assert_eq!(api.get(&format!("/us/api/v1/kyc/{id}")).await.data()["status"], "REJECTED");
    sb.shutdown().await;
}

#[tokio::test]
async fn addresses_identification_and_full_kyc() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let jane = sb.pending_user().user_id;
    // The ids decide: the names and codes sent are informational.
    let created = api
        .post(
            "/us/api/v1/kyc/addresses",
            json!({ "userId": jane, "type": "MAILING", "countryId": 167, "countryCode": "USA", "stateId": 3169,
                    "stateName": "California", "cityId": 85475, "cityName": "Los Angeles", "addressLine1": "123 Main Street",
                    "addressLine2": "Apt 4C", "postalCode": "90091", "longitude": "-118.2437", "latitude": "34.0522" }),
        )
        .await
        .data();
    assert_eq!(created["country"], json!({ "id": 167, "name": "Pakistan" }));
    assert_eq!((created["countryCode"].as_str(), created["cityName"].as_str()), (Some("PAK"), Some("Islamabad")));
    assert_eq!(created["stateName"], "Islamabad Capital Territory");
    assert_eq!(created["longitude"], "-118.2437");
    let again = api
        .post("/us/api/v1/kyc/addresses", json!({ "userId": jane, "type": "MAILING", "countryId": 167, "stateId": 3169, "cityId": 85475, "addressLine1": "x" }))
        .await;
    again.error(500, 1010);
    let e = api
        .post("/us/api/v1/kyc/addresses", json!({ "userId": jane, "type": "RESIDENTIAL", "countryId": 167, "stateId": 3871, "cityId": 72, "addressLine1": "x" }))
        .await
        .error(422, 1000);
    assert_eq!(e["errors"][0]["key"], "stateId");
    // Update by (userId, type).
    let updated = api
        .patch("/us/api/v1/kyc/addresses", json!({ "userId": jane, "type": "MAILING", "countryId": 1, "stateId": 3871, "cityId": 72, "postalCode": "6019", "status": false }))
        .await
        .data();
    assert_eq!((updated["id"].clone(), updated["countryCode"].as_str()), (created["id"].clone(), Some("AFG")));
    assert_eq!(
        (updated["cityName"].as_str(), updated["addressLine1"].as_str()),
        (Some("Ghormach"), Some("123 Main Street"))
    );
    assert_eq!(updated["status"], false);
    api.patch("/us/api/v1/kyc/addresses", json!({ "userId": jane, "type": "BUSINESS" })).await.error(500, 1010);
    // Identification: upload once, update, then refused once VERIFIED.
    let doc = json!({ "userId": jane, "documentType": "PASSPORT", "documentNumber": "AB1234567", "expiryDate": "2035-01-31",
                      "frontImage": "aGVsbG8=" });
    let uploaded = api.post("/us/api/v1/kyc/identification", doc.clone()).await.data();
    assert_eq!(uploaded["files"], json!([{ "side": "FRONT", "size": 5 }]));
    api.post("/us/api/v1/kyc/identification", doc).await.error(500, 1010);
    let e = api
        .post("/us/api/v1/kyc/identification", json!({ "userId": sb.user().user_id, "documentType": "PASSPORT", "documentNumber": "1", "expiryDate": "2001-01-01" }))
        .await
        .error(422, 1000);
    assert_eq!(e["errors"][0]["key"], "expiryDate");
    let patched =
        api.patch("/us/api/v1/kyc/identification", json!({ "userId": jane, "backImage": "d29ybGQ=" })).await.data();
    assert_eq!(patched["files"].as_array().unwrap().len(), 2);
    let kyc = api.get(&format!("/us/api/v1/kyc/{jane}")).await.data();
    assert_eq!((kyc["status"].as_str(), kyc["userType"].as_str()), (Some("PENDING"), Some("USER")));
    assert_eq!(kyc["personalInfo"]["firstName"], "Jane");
    assert_eq!(kyc["identificationInfo"]["documentNumber"], "AB1234567");
    assert!(sb.set_kyc_status(jane, KycStatus::Verified));
    api.patch("/us/api/v1/kyc/identification", json!({ "userId": jane, "documentNumber": "X" })).await.error(500, 1010);
    api.get("/us/api/v1/kyc/abc").await.error(422, 1000);
    sb.shutdown().await;
}

#[tokio::test]
async fn countries_states_and_cities() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let countries = api.get("/us/api/v1/countries").await.data();
    assert!(countries.as_array().unwrap().iter().any(|c| c["id"] == 167 && c["iso2"] == "PK"));
    let states = api.get("/us/api/v1/states/167").await.data();
    let azad = states.as_array().unwrap().iter().find(|s| s["id"] == 3172).unwrap();
    assert_eq!(
        azad,
        &json!({ "id": 3172, "name": "Azad Kashmir", "latitude": "33.92590550", "longitude": "73.78103340", "countryId": 167 })
    );
    for bad in ["/us/api/v1/states/0", "/us/api/v1/states/abc", "/us/api/v1/states/999"] {
        let e = api.get(bad).await.error(400, 1401);
        assert_eq!(e["message"], "Invalid or missing countryId parameter.");
    }
    let cities = api.get("/us/api/v1/cities/3169").await.data();
    assert_eq!(cities[0]["name"], "Islamabad");
    assert_eq!(cities[0]["country"]["name"], "Pakistan");
    assert_eq!(cities[0]["state"]["country"]["iso2"], "PK");
    assert!(cities[0]["latitude"].is_string());
    api.get("/us/api/v1/cities/1").await.error(400, 1401);
    sb.shutdown().await;
}
