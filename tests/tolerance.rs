//! The generated types against the live API's looseness (`field-notes.md`): unknown fields, unknown and
//! re-cased enum values, absent or null "required" fields, long decimals and amounts sent as JSON numbers.

use baanx::api::types::{
    Card, CardStatus, CardTransaction, CardTransactionSign, LoginResponse, OrderPaymentConfig, WalletExternalPriority,
    WalletHistoryEntry, WalletHistorySign, WalletWithdrawalEstimate, WithdrawCreditWalletRequest,
};
use serde_json::json;

fn decode<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn unknown_fields_are_ignored() {
    let card: Card =
        decode(r#"{"id": "000000000050277836", "status": "ACTIVE", "brandNew": {"nested": [1, 2.5]}, "x": null}"#);
    assert_eq!(card.id.as_deref(), Some("000000000050277836"), "ids keep their leading zeros");
    assert_eq!(card.status, Some(CardStatus::Active));
}

#[test]
fn unknown_enum_values_are_kept_not_rejected() {
    let card: Card = decode(r#"{"status": "SUSPENDED", "type": "TITANIUM"}"#);
    assert_eq!(card.status, Some(CardStatus::Unknown("SUSPENDED".into())));
    assert_eq!(card.type_.as_ref().map(|t| t.as_str()), Some("TITANIUM"));
    // And they encode back as sent.
    assert_eq!(serde_json::to_value(&card).unwrap()["status"], "SUSPENDED");
}

#[test]
fn enum_casing_drift_decodes_to_the_known_value() {
    // `DEBIT` on card transactions, `debit` on wallet history: each decodes either casing.
    let tx: CardTransaction = decode(r#"{"sign": "debit"}"#);
    assert_eq!(tx.sign, Some(CardTransactionSign::Debit));
    let entry: WalletHistoryEntry = decode(r#"{"sign": "CREDIT"}"#);
    assert_eq!(entry.sign, Some(WalletHistorySign::Credit));
    // Encoding writes the documented wire value.
    assert_eq!(serde_json::to_value(&tx).unwrap()["sign"], "DEBIT");
}

#[test]
fn fields_the_docs_call_required_may_be_absent_or_null() {
    // Card status with almost nothing (seen live).
    let card: Card = decode(r#"{"id": "1"}"#);
    assert!(card.status.is_none() && card.holder_name.is_none() && card.type_.is_none());
    let card: Card = decode(
        r#"{"id": null, "holderName": null, "expiryDate": null, "panLast4": null, "status": null, "type": null, "orderedAt": null}"#,
    );
    assert!(card.id.is_none());
    // Login while OTP is pending: accessToken null, absent, or a placeholder.
    for body in [
        r#"{"userId": "u1", "isOtpRequired": true, "accessToken": null}"#,
        r#"{"userId": "u1", "isOtpRequired": true}"#,
        r#"{"userId": "u1", "isOtpRequired": true, "accessToken": ""}"#,
        r#"{"isOtpRequired": false, "phase": "PHONE_NUMBER"}"#,
        r#"{}"#,
    ] {
        let login: LoginResponse = decode(body);
        assert!(login.access_token.as_deref().unwrap_or("").is_empty());
    }
    // Lists may be null too.
    let tx: CardTransaction = decode(r#"{"fundingSources": null}"#);
    assert!(tx.funding_sources.is_none());
}

#[test]
fn long_decimal_strings_are_exact() {
    let tx: CardTransaction = decode(
        r#"{"amountInTransactionCurrency": "0.12345678901234567890", "billingConversionRate": "0.9294117647058824",
            "ecbRate": "12345678.000000000000000001", "feesInTransactionCurrency": "0"}"#,
    );
    assert_eq!(tx.amount_in_transaction_currency.unwrap().to_string(), "0.12345678901234567890");
    assert_eq!(tx.billing_conversion_rate.unwrap().to_string(), "0.9294117647058824");
    assert_eq!(tx.ecb_rate.unwrap().to_string(), "12345678.000000000000000001");
    assert_eq!(tx.fees_in_transaction_currency.unwrap().to_string(), "0");
}

#[test]
fn amounts_sent_as_json_numbers_are_exact() {
    // 0.1 and a 23-digit number: through f64 these would come out as 0.1000000000000000055511… or lose digits.
    let tx: CardTransaction = decode(
        r#"{"amountInTransactionCurrency": 0.1, "amountInOriginalCurrency": 123.45678901234567890123, "mcc": 5964}"#,
    );
    assert_eq!(tx.amount_in_transaction_currency.unwrap().to_string(), "0.1");
    assert_eq!(tx.amount_in_original_currency.unwrap().to_string(), "123.45678901234567890123");
    assert_eq!(tx.mcc, Some(5964), "integer fields still decode");
    let config: OrderPaymentConfig = decode(r#"{"paymentAmount": 123}"#);
    assert_eq!(config.payment_amount.unwrap().to_string(), "123");
    let config: OrderPaymentConfig = decode(r#"{"paymentAmount": 1.5e-7}"#);
    assert_eq!(config.payment_amount.unwrap().to_string(), "0.00000015");
    let config: OrderPaymentConfig = decode(r#"{"paymentAmount": -0.00}"#);
    assert_eq!(config.payment_amount.unwrap().to_string(), "0.00");
}

#[test]
fn amounts_that_cannot_be_exact_fail_with_the_field_named_in_the_error() {
    for body in [
        r#"{"amountInTransactionCurrency": "0.12345678901234567890123456789"}"#,
        r#"{"amountInTransactionCurrency": "1e40"}"#,
        r#"{"amountInTransactionCurrency": "ten"}"#,
        r#"{"amountInTransactionCurrency": true}"#,
        r#"{"amountInTransactionCurrency": {"v": 1}}"#,
    ] {
        let err = serde_json::from_str::<CardTransaction>(body).unwrap_err();
        assert!(err.to_string().contains("amount") || err.to_string().contains("decimal"), "{err}");
    }
    // Estimates (x-amount-rounding) round the 29th digit instead.
    let estimate: WalletWithdrawalEstimate =
        decode(r#"{"usdc": "0.01644666445335518319452825472", "wei": "6219123007416"}"#);
    assert_eq!(estimate.usdc.unwrap().to_string(), "0.0164466644533551831945282547");
    assert_eq!(estimate.wei.unwrap().to_string(), "6219123007416");
}

#[test]
fn amounts_decode_exactly_from_a_json_value_too() {
    let value = json!({"amountInTransactionCurrency": "0.79", "amountInOriginalCurrency": 0.85});
    let tx: CardTransaction = serde_json::from_value(value).unwrap();
    assert_eq!(tx.amount_in_transaction_currency.unwrap().to_string(), "0.79");
    assert_eq!(tx.amount_in_original_currency.unwrap().to_string(), "0.85");
}

#[test]
fn request_amounts_are_sent_as_decimal_strings_with_their_scale() {
    let body = WithdrawCreditWalletRequest::try_from(
        WithdrawCreditWalletRequest::builder().amount(baanx::Decimal::new(1000, 2)),
    )
    .unwrap();
    assert_eq!(serde_json::to_value(&body).unwrap(), json!({"amount": "10.00"}));
}

#[test]
fn numeric_ids_where_the_api_sends_numbers() {
    let priority: WalletExternalPriority = decode(r#"{"id": 551, "priority": 1, "address": "0xabc"}"#);
    assert_eq!(priority.id, Some(551));
}
