//! Card secrets and personal data never print: the PAN, CVV and expiry answers, request bodies carrying a PAN or a
//! PIN (typed or free-form), and the client's own configuration.

use vaultspay::api::types::{ActivateCardRequest, CardCvv, CardExpiry, CardPan, CreateUserRequest, SetCardPinRequest};

const PAN: &str = "4111111111111111";

#[test]
fn pan_cvv_and_expiry_answers_print_redacted_but_are_readable() {
    let pan: CardPan = serde_json::from_str(&format!(r#"{{"pan": "{PAN}"}}"#)).unwrap();
    let cvv: CardCvv = serde_json::from_str(r#"{"cvv": "0427"}"#).unwrap();
    let expiry: CardExpiry = serde_json::from_str(r#"{"expiry": "12/29"}"#).unwrap();
    let shown = format!("{pan:?} {cvv:?} {expiry:?} {pan:#?}");
    for secret in [PAN, "0427", "12/29"] {
        assert!(!shown.contains(secret), "{secret} printed: {shown}");
    }
    // Explicit access by field name, exact (leading zeros kept).
    assert_eq!(pan.pan.as_deref(), Some(PAN));
    assert_eq!(cvv.cvv.as_deref(), Some("0427"));
    assert_eq!(expiry.expiry.as_deref(), Some("12/29"));
}

#[test]
fn request_bodies_with_a_pan_or_a_pin_print_redacted() {
    let activate: ActivateCardRequest =
        serde_json::from_value(serde_json::json!({"cardId": 7, "pan": PAN, "expiryDate": "12/29"})).unwrap();
    // The set-PIN body is free-form (its fields are undocumented): redacted by key all the same.
    let pin: SetCardPinRequest = serde_json::from_value(serde_json::json!({"cardId": "7", "pin": "4821"})).unwrap();
    let user: CreateUserRequest = serde_json::from_value(serde_json::json!({
        "email": "ada@example.com", "phone": "+971500000000", "firstName": "Ada", "lastName": "Lovelace",
        "status": "ACTIVE"
    }))
    .unwrap();
    let shown = format!("{activate:?} {pin:?} {user:?}");
    for secret in [PAN, "12/29", "4821", "ada@example.com", "+971500000000", "Lovelace"] {
        assert!(!shown.contains(secret), "{secret} printed: {shown}");
    }
    assert!(shown.contains("cardId"), "what is not secret still shows: {shown}");
}

#[test]
fn the_client_never_prints_its_secret() {
    let key = include_str!("fixtures/keys/test-public-spki.b64");
    let builder = vaultspay::Client::builder()
        .client_id("client-1")
        .client_secret("s3cr3t-value")
        .app_id("app-1")
        .public_key(key)
        .unwrap();
    let shown = format!("{builder:?}");
    assert!(!shown.contains("s3cr3t-value"), "{shown}");
    let client = builder.build().unwrap();
    assert!(!format!("{client:?}").contains("s3cr3t-value"));
}
