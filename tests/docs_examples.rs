//! Conformance of the contract with the docs: every JSON example of the docs pages (copied into
//! `tests/fixtures/docs/<operationId>/`) against the generated types.
//!
//! - `response-*.json` decodes into the operation's generated response type, and re-encodes to the same JSON
//!   (explicit `null`s aside: an absent optional field and a `null` one decode alike);
//! - `request*.json` decodes into the generated request body type and re-encodes to exactly the same JSON;
//! - `error-*.json` decodes into the shared `ApiError` and re-encodes to the same JSON;
//! - `webhook_payload/*.json` decodes into `WebhookEventPayload` (and its `event_object` into the typed object).
//!
//! `MANIFEST.tsv` lists every example with its source and the expected outcome (`exact`, or an exception:
//! `lossy`, `fails` or `skipped`, with the reason). The test fails when an outcome differs from the manifest, in
//! either direction, so exceptions stay true. `BAANX_CONFORMANCE_REPORT=1` prints the per-file results.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

#[allow(dead_code)]
mod dispatch {
    include!(concat!(env!("OUT_DIR"), "/conformance.rs"));
}

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/docs");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Exact,
    Lossy,
    Fails,
    Skipped,
}

impl Outcome {
    fn parse(s: &str) -> Outcome {
        match s {
            "exact" => Outcome::Exact,
            "lossy" => Outcome::Lossy,
            "fails" => Outcome::Fails,
            "skipped" => Outcome::Skipped,
            other => panic!("MANIFEST.tsv: unknown outcome {other:?}"),
        }
    }
}

struct Entry {
    expect: Outcome,
    note: String,
}

fn manifest() -> BTreeMap<String, Entry> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    let mut entries = BTreeMap::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 3, "MANIFEST.tsv line {}: needs file, source, outcome[, note]", n + 1);
        let entry = Entry { expect: Outcome::parse(cols[2]), note: cols.get(3).unwrap_or(&"").to_string() };
        if entry.expect != Outcome::Exact {
            assert!(!entry.note.trim().is_empty(), "MANIFEST.tsv line {}: an exception needs its reason", n + 1);
        }
        assert!(entries.insert(cols[0].to_string(), entry).is_none(), "MANIFEST.tsv: {} listed twice", cols[0]);
    }
    entries
}

fn fixtures() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(ROOT).unwrap() {
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

/// Removes `null` members recursively: absent and `null` optional fields are the same to the decoder.
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nulls(v))).collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Decodes one example and says how it went (with the detail of a failure).
fn check(operation: &str, kind: &str, body: &[u8]) -> (Outcome, String) {
    let original: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return (Outcome::Fails, format!("not JSON: {e}")),
    };
    let (decoded, strict) = if operation == "webhook_payload" {
        let decoded = serde_json::from_slice::<baanx::api::types::WebhookEventPayload>(body).and_then(|payload| {
            if payload.event_type == Some(baanx::api::types::WebhookEventType::KycStatusChanged) {
                let object = Value::Object(payload.event_object.clone().unwrap_or_default());
                serde_json::from_value::<baanx::api::types::KycStatusChangedObject>(object)?;
            }
            serde_json::to_value(&payload)
        });
        (Some(decoded), false)
    } else if kind.starts_with("request") {
        (dispatch::decode_request(operation, body), true)
    } else if kind.starts_with("response") {
        (dispatch::decode_response(operation, body), false)
    } else if kind.starts_with("error") {
        (Some(dispatch::decode_error(body)), false)
    } else {
        panic!("{operation}/{kind}: unknown fixture kind");
    };
    let Some(decoded) = decoded else {
        return (Outcome::Fails, "the operation has no typed body of this kind".into());
    };
    match decoded {
        Err(e) => (Outcome::Fails, e.to_string()),
        Ok(again) => {
            let same = if strict { again == original } else { without_nulls(&again) == without_nulls(&original) };
            if same { (Outcome::Exact, String::new()) } else { (Outcome::Lossy, format!("re-encoded as {again}")) }
        }
    }
}

#[test]
fn every_docs_example_matches_the_contract() {
    let manifest = manifest();
    let report = std::env::var_os("BAANX_CONFORMANCE_REPORT").is_some();
    let mut problems = Vec::new();
    let mut counts: BTreeMap<Outcome, usize> = BTreeMap::new();
    let mut seen = Vec::new();
    for path in fixtures() {
        let rel = path.strip_prefix(ROOT).unwrap().to_string_lossy().replace('\\', "/");
        seen.push(rel.clone());
        let Some(entry) = manifest.get(&rel) else {
            problems.push(format!("{rel}: not in MANIFEST.tsv"));
            continue;
        };
        let (operation, file) = rel.split_once('/').unwrap();
        let (outcome, detail) = if path.extension().is_some_and(|e| e == "json") {
            let kind = file.trim_end_matches(".json");
            check(operation, kind, &std::fs::read(&path).unwrap())
        } else {
            (Outcome::Skipped, "not JSON".into())
        };
        *counts.entry(outcome).or_default() += 1;
        if report {
            println!("{outcome:?}\t{rel}\t{detail}\t{}", entry.note);
        }
        if outcome != entry.expect {
            problems.push(format!("{rel}: expected {:?}, got {outcome:?}: {detail}", entry.expect));
        }
    }
    for (rel, entry) in &manifest {
        if entry.expect != Outcome::Skipped && !seen.contains(rel) {
            problems.push(format!("{rel}: in MANIFEST.tsv but no such file"));
        }
    }
    let json_total: usize = counts.iter().filter(|(o, _)| **o != Outcome::Skipped).map(|(_, n)| n).sum();
    println!(
        "docs examples: {} exact, {} lossy, {} fail, of {json_total} JSON examples",
        counts.get(&Outcome::Exact).unwrap_or(&0),
        counts.get(&Outcome::Lossy).unwrap_or(&0),
        counts.get(&Outcome::Fails).unwrap_or(&0),
    );
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn every_operation_with_a_docs_example_has_a_typed_body() {
    // A fixture directory must name an operation of the contract (or the webhook payload).
    for dir in std::fs::read_dir(ROOT).unwrap() {
        let dir = dir.unwrap().path();
        if dir.is_dir() {
            let name = dir.file_name().unwrap().to_string_lossy().to_string();
            assert!(
                name == "webhook_payload" || baanx::operation::Operation::find(&name).is_some(),
                "tests/fixtures/docs/{name}: no operation with this id"
            );
        }
    }
}
