//! Every JSON example of the reference (`issuance-api.md`): request and response examples per operation, the error
//! examples, the webhook payload and the pagination envelope, saved under `tests/fixtures/docs/` and listed in
//! `tests/fixtures/MANIFEST.tsv` (file, operation, kind, schema, source, note).
//!
//! Each is decoded with its generated type (named in the manifest, dispatched by a match written here, not by the
//! build script's), encoded again, and the encoding must contain every member of the example with an equal value:
//! - numbers are compared as decimals, exactly (`10000.00000000` = `10000`, never through `f64`); the generated
//!   types write an amount (`Decimal`: a member with `format: decimal` in `openapi.json`) as a decimal string, so an
//!   amount's number may come back as a string holding it — any other number must stay a number;
//! - a string must stay the same string (ids sent as strings stay strings), `true`/`false` the same literal;
//! - `null`: the generated types read an explicit `null` and an absent member alike (`None`) and write neither, so a
//!   `null` member may come back absent — only in the files whose manifest note says so (checked both ways).
//!
//! The test prints and asserts `docs examples: N/N round-trip`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr as _;

use serde_json::value::RawValue;
use vaultspay::Decimal;
use vaultspay::api::types;
use vaultspay::operation::Operation;

const DOCS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/docs");
const MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/MANIFEST.tsv");

struct Entry {
    file: String,
    operation: String,
    kind: String,
    schema: String,
    note: String,
}

fn manifest() -> Vec<Entry> {
    let text = std::fs::read_to_string(MANIFEST).expect("MANIFEST.tsv");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("file\toperation\tkind\tschema\tsource\tnote"), "MANIFEST.tsv header");
    lines
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(cols.len() == 6, "MANIFEST.tsv line {}: 6 tab-separated columns, got {}", n + 2, cols.len());
            Entry {
                file: cols[0].into(),
                operation: cols[1].into(),
                kind: cols[2].into(),
                schema: cols[3].into(),
                note: cols[5].into(),
            }
        })
        .collect()
}

/// Decodes `text` as the generated type `schema` and encodes it again.
fn round_trip(schema: &str, text: &str) -> Result<String, String> {
    macro_rules! dispatch {
        ($($ty:ident),* $(,)?) => {
            match schema {
                $( stringify!($ty) => serde_json::from_str::<types::$ty>(text)
                    .map_err(|e| format!("decode as {schema}: {e}"))
                    .and_then(|v| serde_json::to_string(&v).map_err(|e| format!("encode {schema}: {e}"))), )*
                other => Err(format!("no generated type {other} in the dispatch")),
            }
        };
    }
    dispatch!(
        ActivateCardRequest,
        ActivateCardResponse,
        ApiError,
        CardStatusEvent,
        CreateAccountRequest,
        CreateAccountResponse,
        CreateCardRequest,
        CreateDirectTransferRequest,
        CreateKycAddressRequest,
        CreateKycAddressResponse,
        CreatePaymentContactRequest,
        CreatePaymentContactResponse,
        CreateUserRequest,
        CreateUserResponse,
        DeclineCardRequest,
        DeclineCardResponse,
        GetAccountLedgerResponse,
        GetAccountResponse,
        GetCardCvvRequest,
        GetCardCvvResponse,
        GetCardDetailsRequest,
        GetCardExpiryRequest,
        GetCardExpiryResponse,
        GetCardPanRequest,
        GetCardPanResponse,
        GetCardSecurityResponse,
        GetTransactionLimitsResponse,
        GetUserKycResponse,
        KycPersonalInfo,
        ListAccountsResponse,
        ListCitiesResponse,
        ListEmbossingNamesResponse,
        ListStatesResponse,
        ListTransactionsResponse,
        ProcessCardRequestRequest,
        ProcessCardRequestResponse,
        RefreshSaasTokenRequest,
        RefreshSaasTokenResponse,
        RemoveCard3dsRequest,
        RemoveCard3dsResponse,
        RenewCardRequest,
        RenewCardResponse,
        RequestPhysicalCardRequest,
        ResetCardSecurityRequest,
        ResetCardSecurityResponse,
        SaasLoginRequest,
        SaasSession,
        UpdateCardAccountRequest,
        UpdateCardAccountResponse,
        UpdateCardDeliveryRequest,
        UpdateCardDeliveryResponse,
        UpdateCardSecurityRequest,
        UpdateCardSecurityResponse,
        UpdateCardStatusRequest,
        UpdateCardStatusResponse,
        UpdateKycAddressRequest,
        UpdateKycAddressResponse,
        UpdateKycPersonalInfoRequest,
        UpdateTransactionLimitRequest,
        UpdateTransactionLimitResponse,
        ValidateIbanRequest,
        ValidateIbanResponse,
    )
}

/// A JSON value by its exact text.
enum Node {
    Object(BTreeMap<String, Box<RawValue>>),
    Array(Vec<Box<RawValue>>),
    String(String),
    Number(Decimal),
    /// `true`, `false`, `null`.
    Literal(String),
}

fn node(raw: &RawValue) -> Node {
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'{') => Node::Object(serde_json::from_str(text).expect("object")),
        Some(b'[') => Node::Array(serde_json::from_str(text).expect("array")),
        Some(b'"') => Node::String(serde_json::from_str(text).expect("string")),
        Some(b'-' | b'0'..=b'9') => Node::Number(
            Decimal::from_str(text).or_else(|_| Decimal::from_scientific(text)).expect("a number that fits a decimal"),
        ),
        _ => Node::Literal(text.to_string()),
    }
}

/// The member names of the contract's amounts (`format: decimal`): written back as decimal strings.
fn amount_names() -> BTreeSet<String> {
    fn walk(value: &serde_json::Value, names: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::Object(properties)) = map.get("properties") {
                    for (name, schema) in properties {
                        if schema.get("format").and_then(|f| f.as_str()) == Some("decimal") {
                            names.insert(name.clone());
                        }
                    }
                }
                map.values().for_each(|v| walk(v, names));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, names)),
            _ => {}
        }
    }
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")).unwrap();
    let mut names = BTreeSet::new();
    walk(&serde_json::from_str(&text).unwrap(), &mut names);
    assert!(names.contains("balance") && names.contains("limit"), "the amounts of openapi.json: {names:?}");
    names
}

/// What the comparison found.
#[derive(Default)]
struct Outcome {
    /// Members lost or changed.
    diffs: Vec<String>,
    /// `null` members of the example that the encoding omits (`None` is not written).
    nulls_omitted: Vec<String>,
    /// The amounts' member names (see [`amount_names`]).
    amounts: BTreeSet<String>,
}

/// Every member of `expected` is in `actual` with an equal value (see the module docs for "equal").
fn contains(path: &str, expected: &RawValue, actual: &RawValue, out: &mut Outcome) {
    match (node(expected), node(actual)) {
        (Node::Object(e), Node::Object(a)) => {
            for (key, value) in &e {
                let at = format!("{path}.{key}");
                match a.get(key) {
                    Some(found) => contains(&at, value, found, out),
                    None if value.get().trim() == "null" => out.nulls_omitted.push(at),
                    None => out.diffs.push(format!("{at}: {} is missing from the encoding", value.get())),
                }
            }
        }
        (Node::Array(e), Node::Array(a)) => {
            if e.len() != a.len() {
                out.diffs.push(format!("{path}: {} items, encoded {}", e.len(), a.len()));
            }
            for (i, (e, a)) in e.iter().zip(&a).enumerate() {
                contains(&format!("{path}[{i}]"), e, a, out);
            }
        }
        (Node::String(e), Node::String(a)) if e == a => {}
        (Node::Number(e), Node::Number(a)) if e == a => {}
        // An amount written back as a decimal string.
        (Node::Number(e), Node::String(a))
            if path.rsplit('.').next().is_some_and(|name| out.amounts.contains(name))
                && Decimal::from_str(&a).is_ok_and(|a| a == e) => {}
        (Node::Literal(e), Node::Literal(a)) if e == a => {}
        _ => out.diffs.push(format!("{path}: {} encoded as {}", expected.get(), actual.get())),
    }
}

/// The schema the generated code uses for `operation`'s `kind` (what the manifest must name).
fn expected_schema(operation: &str, kind: &str) -> Option<String> {
    let pascal: String = operation.split('_').map(|p| p[..1].to_uppercase() + &p[1..]).collect();
    match (operation, kind) {
        ("-", "error") | (_, "error") => Some("ApiError".into()),
        ("-", "webhook") => Some("CardStatusEvent".into()),
        ("saas_login", "response") => Some("SaasSession".into()),
        ("update_kyc_personal_info", "response") => Some("KycPersonalInfo".into()),
        (_, "request") => Some(format!("{pascal}Request")),
        (_, "response") => Some(format!("{pascal}Response")),
        _ => None,
    }
}

#[test]
fn manifest_lists_every_fixture_with_a_consistent_schema() {
    let entries = manifest();
    let listed: BTreeSet<&str> = entries.iter().map(|e| e.file.as_str()).collect();
    assert_eq!(listed.len(), entries.len(), "a file is listed twice");
    let on_disk: BTreeSet<String> = std::fs::read_dir(DOCS)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    let on_disk: BTreeSet<&str> = on_disk.iter().map(String::as_str).collect();
    assert_eq!(listed, on_disk, "MANIFEST.tsv and tests/fixtures/docs/*.json differ");
    for e in &entries {
        if e.operation != "-" {
            assert!(Operation::find(&e.operation).is_some(), "{}: no operation {}", e.file, e.operation);
            let stem = e.file.split('.').next().unwrap();
            assert!(
                stem == e.operation || e.file.starts_with("pagination."),
                "{}: named after {}",
                e.file,
                e.operation
            );
        }
        if e.operation != "-" {
            assert!(e.file.contains(&format!(".{}", e.kind)), "{}: the kind {} is part of the name", e.file, e.kind);
        }
        assert_eq!(expected_schema(&e.operation, &e.kind).as_deref(), Some(e.schema.as_str()), "{}: schema", e.file);
        let text = std::fs::read_to_string(Path::new(DOCS).join(&e.file)).unwrap();
        assert!(!text.contains('…'), "{}: a truncation marker is left", e.file);
        let truncated = e.note.starts_with("truncated");
        let reconstructed = e.note.starts_with("reconstructed");
        assert!(!(truncated && reconstructed), "{}", e.file);
    }
    // The reference's five truncated examples are the ones noted.
    let noted: BTreeSet<&str> =
        entries.iter().filter(|e| e.note.starts_with("truncated")).map(|e| e.file.as_str()).collect();
    let truncated = [
        "create_kyc_address.response.json",
        "create_user.response.json",
        "list_cities.response.json",
        "list_transactions.response.json",
        "process_card_request.response.json",
    ];
    assert_eq!(noted, truncated.into_iter().collect(), "the truncated examples");
}

#[test]
fn docs_examples_decode_and_round_trip() {
    let entries = manifest();
    let total = entries.len();
    let amounts = amount_names();
    let mut failures = Vec::new();
    let mut nulls = 0;
    for e in &entries {
        let text = std::fs::read_to_string(Path::new(DOCS).join(&e.file)).unwrap();
        let expected: Box<RawValue> = serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", e.file));
        match round_trip(&e.schema, &text) {
            Ok(encoded) => {
                let actual: Box<RawValue> = serde_json::from_str(&encoded).unwrap();
                let mut outcome = Outcome { amounts: amounts.clone(), ..Outcome::default() };
                contains("$", &expected, &actual, &mut outcome);
                if !outcome.diffs.is_empty() {
                    failures.push(format!("{} ({}): {}", e.file, e.schema, outcome.diffs.join("; ")));
                } else if outcome.nulls_omitted.is_empty() == e.note.contains("`null`") {
                    let omitted = outcome.nulls_omitted.join(", ");
                    failures.push(format!("{}: null members omitted [{omitted}], the note says: {:?}", e.file, e.note));
                } else {
                    nulls += outcome.nulls_omitted.len();
                }
            }
            Err(err) => failures.push(format!("{}: {err}", e.file)),
        }
    }
    let passed = total - failures.len();
    println!("docs examples: {passed}/{total} round-trip ({nulls} `null` members read as absent and not written)");
    for failure in &failures {
        println!("  {failure}");
    }
    assert!(total >= 71, "the reference has 69 JSON examples, plus 2 reconstructed: {total} listed");
    assert_eq!(passed, total, "docs examples: {passed}/{total} round-trip:\n{}", failures.join("\n"));
}

/// The comparison itself: it sees a lost member, a changed value, a string turned number, a decimal's value; it
/// ignores a decimal's scale and members the encoding adds.
#[test]
fn the_round_trip_comparison_can_fail() {
    let check = |expected: &str, actual: &str| {
        let (e, a): (Box<RawValue>, Box<RawValue>) =
            (serde_json::from_str(expected).unwrap(), serde_json::from_str(actual).unwrap());
        let amounts = ["a".to_string()].into_iter().collect();
        let mut outcome = Outcome { amounts, ..Outcome::default() };
        contains("$", &e, &a, &mut outcome);
        outcome.diffs
    };
    assert!(check(r#"{"a": 10000.00000000, "b": [1, "x"]}"#, r#"{"b": [1, "x"], "a": 10000, "c": null}"#).is_empty());
    assert!(check(r#"{"a": 10000.00000000, "n": null}"#, r#"{"a": "10000"}"#).is_empty(), "amount as string");
    assert_eq!(check(r#"{"a": 10.5}"#, r#"{"a": "10.50001"}"#).len(), 1, "a decimal string of another value");
    assert_eq!(check(r#"{"id": 1}"#, r#"{"id": "1"}"#), [r#"$.id: 1 encoded as "1""#], "not an amount: a type change");
    assert_eq!(check(r#"{"a": 1}"#, r#"{}"#), ["$.a: 1 is missing from the encoding"]);
    assert_eq!(check(r#"{"a": "1"}"#, r#"{"a": 1}"#), [r#"$.a: "1" encoded as 1"#]);
    assert_eq!(check(r#"{"a": 0.1}"#, r#"{"a": 0.10000000000000001}"#).len(), 1, "exact, not f64");
    assert_eq!(check(r#"[{"a": null}]"#, r#"[{"a": false}]"#).len(), 1);
    assert_eq!(check(r#"[1, 2]"#, r#"[1]"#).len(), 1);
    // And a generated type that drops nothing: a member it does not know comes back from `extra`.
    let encoded = round_trip("CardPan", r#"{"pan": "1", "brandNew": {"x": 1.50}}"#);
    assert!(encoded.is_err(), "CardPan is not in the dispatch: the dispatch refuses unknown schemas");
    let encoded = round_trip("GetCardPanResponse", r#"{"data": {"pan": "1", "brandNew": {"x": 1.50}}}"#).unwrap();
    assert!(check(r#"{"data": {"pan": "1", "brandNew": {"x": 1.50}}}"#, &encoded).is_empty(), "{encoded}");
}
