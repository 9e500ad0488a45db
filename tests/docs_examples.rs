//! Conformance of the contract with the docs and with the live API's looser answers.
//!
//! **Docs examples** (`tests/fixtures/docs/<operationId>/`): every JSON example of the docs pages, decoded into the
//! operation's generated type (response, request, the shared `ApiError`, or the webhook payload) and re-encoded.
//! `MANIFEST.tsv` gives each file's expected outcome, and the test fails when an outcome differs in either direction:
//! - `exact`: re-encodes to the same JSON (explicit `null`s aside);
//! - `lossless`: every member comes back with an equal value, in another form (a number amount comes back as a
//!   decimal string, `"5814"` as `5814`);
//! - `lossy`: a member's value changed (needs a reason: the fee estimates' 29th fractional digit is rounded);
//! - `fails` / `skipped` (with the reason).
//!
//! **The lossless property**: for every example that decodes (except `lossy` ones), `encode(decode(body))`
//! contains every member of `body` with an equal value — compared on the exact JSON text (numbers never through
//! `f64`), amounts as decimals, `null` the same as absent, enum values ignoring ASCII case (open enums read the
//! API's casing drift as the documented value).
//!
//! **Live-shaped bodies** (`tests/fixtures/live/<operationId>/*.json`): answers of the shape production apps
//! receive (undocumented members, numbers as strings and strings as numbers, uint256 allowances, every timestamp
//! form); each must decode and satisfy the property. `error-*.json` there are error bodies of every shape.
//!
//! `BAANX_CONFORMANCE_REPORT=1` prints the per-file results.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;

#[allow(dead_code)]
mod dispatch {
    include!(concat!(env!("OUT_DIR"), "/conformance.rs"));
}

const DOCS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/docs");
const LIVE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/live");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Exact,
    Lossless,
    Lossy,
    Fails,
    Skipped,
}

impl Outcome {
    fn parse(s: &str) -> Outcome {
        match s {
            "exact" => Outcome::Exact,
            "lossless" => Outcome::Lossless,
            "lossy" => Outcome::Lossy,
            "fails" => Outcome::Fails,
            "skipped" => Outcome::Skipped,
            other => panic!("MANIFEST.tsv: unknown outcome {other:?}"),
        }
    }
}

/// JSON with numbers kept as their text: what "an equal value" is compared on.
#[derive(Debug, Clone, PartialEq)]
enum Exact {
    Null,
    Bool(bool),
    Number(String),
    Text(String),
    List(Vec<Exact>),
    Object(BTreeMap<String, Exact>),
}

impl Exact {
    fn parse(text: &str) -> Exact {
        let raw: Box<RawValue> = serde_json::from_str(text).expect("JSON");
        Exact::from_raw(&raw)
    }

    fn from_raw(raw: &RawValue) -> Exact {
        let text = raw.get().trim();
        match text.as_bytes()[0] {
            b'{' => {
                let map: BTreeMap<String, Box<RawValue>> = serde_json::from_str(text).unwrap();
                Exact::Object(map.into_iter().map(|(k, v)| (k, Exact::from_raw(&v))).collect())
            }
            b'[' => {
                let items: Vec<Box<RawValue>> = serde_json::from_str(text).unwrap();
                Exact::List(items.iter().map(|v| Exact::from_raw(v)).collect())
            }
            b'"' => Exact::Text(serde_json::from_str(text).unwrap()),
            b't' => Exact::Bool(true),
            b'f' => Exact::Bool(false),
            b'n' => Exact::Null,
            _ => Exact::Number(text.to_string()),
        }
    }

    fn without_nulls(&self) -> Exact {
        match self {
            Exact::Object(map) => Exact::Object(
                map.iter().filter(|(_, v)| **v != Exact::Null).map(|(k, v)| (k.clone(), v.without_nulls())).collect(),
            ),
            Exact::List(items) => Exact::List(items.iter().map(Exact::without_nulls).collect()),
            other => other.clone(),
        }
    }

    fn scalar_text(&self) -> Option<&str> {
        match self {
            Exact::Number(t) | Exact::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// Same meaning: equal, or the same decimal number / boolean in another JSON form.
fn same_scalar(original: &Exact, decoded: &Exact) -> bool {
    if original == decoded {
        return true;
    }
    if let (Some(a), Some(b)) = (original.scalar_text(), decoded.scalar_text()) {
        if let (Ok(x), Ok(y)) = (baanx::money::parse_amount(a), baanx::money::parse_amount(b)) {
            return x == y;
        }
        if let (Ok(x), Ok(y)) = (baanx::TokenAmount::parse(a), baanx::TokenAmount::parse(b)) {
            return x == y;
        }
        // Open enums read the API's casing drift (`DEBIT` where the docs say `debit`) as the documented value.
        return a == b
            || (matches!((original, decoded), (Exact::Text(_), Exact::Text(_))) && a.eq_ignore_ascii_case(b));
    }
    match (original, decoded) {
        (Exact::Bool(b), Exact::Text(t)) | (Exact::Text(t), Exact::Bool(b)) => t.eq_ignore_ascii_case(&b.to_string()),
        _ => false,
    }
}

/// Every member of `original` is in `decoded` with an equal value (`null` = absent); problems are JSON paths.
fn contains(original: &Exact, decoded: Option<&Exact>, path: &str, problems: &mut Vec<String>) {
    match (original, decoded) {
        (Exact::Null, _) => {}
        (_, None) => problems.push(format!("{path}: missing")),
        (Exact::Object(o), Some(Exact::Object(d))) => {
            for (k, v) in o {
                contains(v, d.get(k), &format!("{path}.{k}"), problems);
            }
        }
        (Exact::List(o), Some(Exact::List(d))) if o.len() == d.len() => {
            for (i, (a, b)) in o.iter().zip(d).enumerate() {
                contains(a, Some(b), &format!("{path}[{i}]"), problems);
            }
        }
        (a, Some(b)) if same_scalar(a, b) => {}
        (a, Some(b)) => problems.push(format!("{path}: {a:?} came back as {b:?}")),
    }
}

/// Decodes `body` as `kind` of `operation` and re-encodes it.
fn round_trip(operation: &str, kind: &str, body: &[u8]) -> Option<Result<String, String>> {
    let decoded = if operation == "webhook_payload" {
        Some(serde_json::from_slice::<baanx::api::types::WebhookEventPayload>(body).and_then(|payload| {
            if payload.event_type == Some(baanx::api::types::WebhookEventType::KycStatusChanged) {
                let object = serde_json::to_string(&payload.event_object.clone().unwrap_or_default())?;
                serde_json::from_str::<baanx::api::types::KycStatusChangedObject>(&object)?;
            }
            serde_json::to_string(&payload)
        }))
    } else if kind.starts_with("request") {
        dispatch::decode_request(operation, body)
    } else if kind.starts_with("response") {
        dispatch::decode_response(operation, body)
    } else if kind.starts_with("error") {
        Some(dispatch::decode_error(body))
    } else {
        panic!("{operation}/{kind}: unknown fixture kind");
    }?;
    Some(decoded.map_err(|e| e.to_string()))
}

/// The outcome of one example, with detail; the property's problems separately.
fn check(operation: &str, kind: &str, body: &[u8]) -> (Outcome, String, Vec<String>) {
    let text = std::str::from_utf8(body).expect("UTF-8");
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return (Outcome::Fails, "not JSON".into(), vec![]);
    }
    let Some(result) = round_trip(operation, kind, body) else {
        return (Outcome::Fails, "the operation has no typed body of this kind".into(), vec![]);
    };
    let again = match result {
        Err(e) => return (Outcome::Fails, e, vec![]),
        Ok(again) => again,
    };
    let original = Exact::parse(text);
    let decoded = Exact::parse(&again);
    let mut problems = Vec::new();
    contains(&original, Some(&decoded), "$", &mut problems);
    let exact = if kind.starts_with("request") {
        decoded == original
    } else {
        decoded.without_nulls() == original.without_nulls()
    };
    let outcome = if exact {
        Outcome::Exact
    } else if problems.is_empty() {
        Outcome::Lossless
    } else {
        Outcome::Lossy
    };
    (outcome, format!("re-encoded as {again}"), problems)
}

struct Entry {
    expect: Outcome,
    note: String,
}

fn manifest() -> BTreeMap<String, Entry> {
    let text = std::fs::read_to_string(Path::new(DOCS).join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    let mut entries = BTreeMap::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 3, "MANIFEST.tsv line {}: needs file, source, outcome[, note]", n + 1);
        let entry = Entry { expect: Outcome::parse(cols[2]), note: cols.get(3).unwrap_or(&"").to_string() };
        if !matches!(entry.expect, Outcome::Exact | Outcome::Lossless) {
            assert!(!entry.note.trim().is_empty(), "MANIFEST.tsv line {}: an exception needs its reason", n + 1);
        }
        assert!(entries.insert(cols[0].to_string(), entry).is_none(), "MANIFEST.tsv: {} listed twice", cols[0]);
    }
    entries
}

fn files_under(root: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            files.push(file.unwrap().path());
        }
    }
    files.sort();
    files
}

#[test]
fn every_docs_example_matches_the_contract_losslessly() {
    let manifest = manifest();
    let report = std::env::var_os("BAANX_CONFORMANCE_REPORT").is_some();
    let mut problems = Vec::new();
    let mut counts: BTreeMap<Outcome, usize> = BTreeMap::new();
    let mut seen = Vec::new();
    let mut property_checked = 0;
    for path in files_under(DOCS) {
        let rel = path.strip_prefix(DOCS).unwrap().to_string_lossy().replace('\\', "/");
        seen.push(rel.clone());
        let Some(entry) = manifest.get(&rel) else {
            problems.push(format!("{rel}: not in MANIFEST.tsv"));
            continue;
        };
        let (operation, file) = rel.split_once('/').unwrap();
        let (outcome, detail, lost) = if path.extension().is_some_and(|e| e == "json") {
            check(operation, file.trim_end_matches(".json"), &std::fs::read(&path).unwrap())
        } else {
            (Outcome::Skipped, "not JSON".into(), vec![])
        };
        *counts.entry(outcome).or_default() += 1;
        if report {
            println!("{outcome:?}\t{rel}\t{}\t{}", lost.join("; "), entry.note);
        }
        if outcome != entry.expect {
            problems.push(format!("{rel}: expected {:?}, got {outcome:?}: {detail} {}", entry.expect, lost.join("; ")));
        }
        if matches!(outcome, Outcome::Exact | Outcome::Lossless) {
            property_checked += 1;
            problems.extend(lost.into_iter().map(|p| format!("{rel}: lost {p}")));
        }
    }
    for (rel, entry) in &manifest {
        if entry.expect != Outcome::Skipped && !seen.contains(rel) {
            problems.push(format!("{rel}: in MANIFEST.tsv but no such file"));
        }
    }
    let json_total: usize = counts.iter().filter(|(o, _)| **o != Outcome::Skipped).map(|(_, n)| n).sum();
    println!(
        "docs examples: {} exact, {} lossless, {} lossy, {} fail, of {json_total} JSON examples; lossless property holds for {property_checked}",
        counts.get(&Outcome::Exact).unwrap_or(&0),
        counts.get(&Outcome::Lossless).unwrap_or(&0),
        counts.get(&Outcome::Lossy).unwrap_or(&0),
        counts.get(&Outcome::Fails).unwrap_or(&0),
    );
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn live_shaped_bodies_decode_and_lose_nothing() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for path in files_under(LIVE) {
        let rel = path.strip_prefix(LIVE).unwrap().to_string_lossy().replace('\\', "/");
        let (operation, file) = rel.split_once('/').unwrap();
        let kind = if file.starts_with("error") {
            "error"
        } else if file.starts_with("request") {
            "request"
        } else {
            "response"
        };
        let (outcome, detail, lost) = check(operation, kind, &std::fs::read(&path).unwrap());
        checked += 1;
        if outcome == Outcome::Fails {
            problems.push(format!("{rel}: does not decode: {detail}"));
        } else if kind != "error" {
            problems.extend(lost.into_iter().map(|p| format!("{rel}: lost {p}")));
        }
    }
    println!("live-shaped bodies: {checked} checked");
    assert!(checked >= 10, "the live fixtures are missing");
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn every_fixture_directory_names_an_operation() {
    for root in [DOCS, LIVE] {
        for dir in std::fs::read_dir(root).unwrap() {
            let dir = dir.unwrap().path();
            if dir.is_dir() {
                let name = dir.file_name().unwrap().to_string_lossy().to_string();
                assert!(
                    name == "webhook_payload" || baanx::operation::Operation::find(&name).is_some(),
                    "{root}/{name}: no operation with this id"
                );
            }
        }
    }
}

#[test]
fn the_property_check_can_fail() {
    // The comparator itself: a changed digit, a dropped member and a rounded amount are caught.
    let mut problems = Vec::new();
    contains(&Exact::parse(r#"{"a": "1.50", "b": 2}"#), Some(&Exact::parse(r#"{"a": "1.5"}"#)), "$", &mut problems);
    assert_eq!(problems, ["$.b: missing"]);
    problems.clear();
    contains(
        &Exact::parse(r#"{"a": 0.12345678901234567890123456789}"#),
        Some(&Exact::parse(r#"{"a": "0.1234567890123456789012345679"}"#)),
        "$",
        &mut problems,
    );
    assert_eq!(problems.len(), 1);
    problems.clear();
    contains(
        &Exact::parse(r#"[{"mcc": "5814"}, {"mcc": 5999}]"#),
        Some(&Exact::parse(r#"[{"mcc": 5814}, {"mcc": 5999}]"#)),
        "$",
        &mut problems,
    );
    assert!(problems.is_empty(), "{problems:?}");
}
