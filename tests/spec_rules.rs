//! `openapi.json` against the docs catalog and the rules of `spec/CONVENTIONS.md`.
//!
//! The catalog (`tests/fixtures/catalog/endpoints.tsv`) is the docs index's list of the 74 documented operations.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

fn spec() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

struct Op<'a> {
    method: String,
    path: String,
    op: &'a Value,
}

impl Op<'_> {
    fn id(&self) -> &str {
        self.op["operationId"].as_str().unwrap_or("")
    }
    fn label(&self) -> String {
        format!("{} ({} {})", self.id(), self.method, self.path)
    }
}

fn operations(spec: &Value) -> Vec<Op<'_>> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "put", "post", "patch", "delete"].contains(&method.as_str()) {
                ops.push(Op { method: method.to_uppercase(), path: path.clone(), op });
            }
        }
    }
    ops
}

struct CatalogRow {
    method: String,
    path: String,
    doc_page: String,
    group: String,
    title: String,
}

fn catalog() -> Vec<CatalogRow> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catalog/endpoints.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            CatalogRow {
                method: c[0].into(),
                path: c[1].into(),
                doc_page: c[2].into(),
                group: c[3].into(),
                title: c[4].into(),
            }
        })
        .collect()
}

#[test]
fn is_openapi_3_0_3() {
    assert_eq!(spec()["openapi"], "3.0.3");
}

#[test]
fn every_catalog_row_is_one_operation_and_nothing_else_is_documented() {
    let spec = spec();
    let ops = operations(&spec);
    let rows = catalog();
    assert_eq!(rows.len(), 74, "the docs catalog has 74 operations");
    let mut missing = Vec::new();
    for row in &rows {
        let found: Vec<&Op> = ops.iter().filter(|o| o.method == row.method && o.path == row.path).collect();
        match found.as_slice() {
            [op] => {
                assert_eq!(op.op["tags"], serde_json::json!([row.group]), "{}: tag", op.label());
                assert_eq!(op.op["x-doc-page"], row.doc_page.as_str(), "{}: x-doc-page", op.label());
                assert_eq!(op.op["summary"], row.title.as_str(), "{}: summary is the page title", op.label());
                assert!(op.op.get("x-undocumented").is_none(), "{}: documented", op.label());
            }
            _ => missing.push(format!("{} {}", row.method, row.path)),
        }
    }
    assert!(missing.is_empty(), "catalog rows without exactly one operation: {missing:?}");
    let extra: Vec<String> = ops
        .iter()
        .filter(|o| !rows.iter().any(|r| r.method == o.method && r.path == o.path))
        .map(|o| o.label())
        .collect();
    for label in &extra {
        let op = ops.iter().find(|o| &o.label() == label).unwrap();
        assert_eq!(op.op["x-undocumented"], true, "{label}: not in the catalog, so it must be marked x-undocumented");
    }
    let mut undocumented: Vec<String> = extra.iter().map(|l| l.split(' ').next().unwrap().to_string()).collect();
    undocumented.sort();
    // The undocumented production endpoints of field-notes.md.
    assert_eq!(
        undocumented,
        [
            "confirm_password_reset",
            "exchange_oauth2_token",
            "get_card_cashback",
            "oauth2_authorize",
            "request_password_reset",
            "verify_password_reset"
        ]
    );
    assert_eq!(ops.len(), 80);
}

#[test]
fn every_operation_is_named_tagged_and_linked_to_its_docs_page() {
    let spec = spec();
    let mut ids = BTreeSet::new();
    for op in operations(&spec) {
        let id = op.id();
        assert!(
            !id.is_empty()
                && id
                    .split('_')
                    .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
            "{}: operationId must be snake_case",
            op.label()
        );
        assert!(ids.insert(id.to_string()), "{}: duplicate operationId", op.label());
        let tags = op.op["tags"].as_array().unwrap();
        assert_eq!(tags.len(), 1, "{}: one tag", op.label());
        assert!(op.op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{}: summary", op.label());
        assert!(op.op["description"].as_str().is_some_and(|s| !s.is_empty()), "{}: description", op.label());
        let page = op.op["x-doc-page"].as_str().unwrap_or("");
        assert!(page.starts_with("api-reference/"), "{}: x-doc-page {page:?}", op.label());
        if let Some(conflicts) = op.op.get("x-doc-conflict") {
            let conflicts = conflicts.as_array().unwrap_or_else(|| panic!("{}: x-doc-conflict is a list", op.label()));
            assert!(
                conflicts.iter().all(|c| c.as_str().is_some_and(|s| s.len() > 20)),
                "{}: conflicts are sentences",
                op.label()
            );
        }
    }
}

#[test]
fn credentials_are_security_schemes_never_parameters() {
    let spec = spec();
    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["clientKey"]["name"], "x-client-key");
    assert_eq!(schemes["clientKey"]["in"], "header");
    assert_eq!(schemes["secretKey"]["name"], "x-secret-key");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    let injected = ["x-client-key", "x-secret-key", "authorization", "x-us-env", "x-client-id", "region"];
    for op in operations(&spec) {
        let security = op.op["security"].as_array().unwrap_or_else(|| panic!("{}: security list", op.label()));
        for alternative in security {
            for scheme in alternative.as_object().unwrap().keys() {
                assert!(
                    ["clientKey", "bearer", "secretKey"].contains(&scheme.as_str()),
                    "{}: scheme {scheme}",
                    op.label()
                );
            }
        }
        for p in op.op["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap().to_ascii_lowercase();
            assert!(!injected.contains(&name.as_str()), "{}: {name} is injected by the client", op.label());
        }
    }
}

#[test]
fn every_error_response_is_the_shared_api_error() {
    let spec = spec();
    let api_error = serde_json::json!({"$ref": "#/components/schemas/ApiError"});
    for op in operations(&spec) {
        let responses = op.op["responses"].as_object().unwrap();
        assert!(!responses.contains_key("default"), "{}: no default response", op.label());
        for range in ["4XX", "5XX"] {
            assert!(responses.contains_key(range), "{}: {range} declared", op.label());
        }
        for (code, response) in responses {
            if code.starts_with('4') || code.starts_with('5') {
                let content = response["content"].as_object().unwrap();
                assert_eq!(content.len(), 1, "{}: {code} media types", op.label());
                assert_eq!(content["application/json"]["schema"], api_error, "{}: {code}", op.label());
            }
        }
    }
    // Every documented error shape fits: all fields optional.
    let error = &spec["components"]["schemas"]["ApiError"];
    assert!(error.get("required").is_none());
    for field in ["message", "error", "error_description", "details"] {
        assert!(error["properties"].get(field).is_some(), "ApiError.{field}");
    }
}

/// Walks a schema, following `$ref`s once each.
fn walk<'a>(
    spec: &'a Value,
    schema: &'a Value,
    at: String,
    seen: &mut BTreeSet<String>,
    f: &mut dyn FnMut(&str, &'a Value),
) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        if seen.insert(name.to_string()) {
            walk(spec, &spec["components"]["schemas"][name], name.to_string(), seen, f);
        }
        return;
    }
    f(&at, schema);
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, sub) in schema[key].as_array().into_iter().flatten().enumerate() {
            walk(spec, sub, format!("{at}.{key}[{i}]"), seen, f);
        }
    }
    if schema.get("items").is_some() {
        walk(spec, &schema["items"], format!("{at}[]"), seen, f);
    }
    if schema["additionalProperties"].is_object() {
        walk(spec, &schema["additionalProperties"], format!("{at}{{}}"), seen, f);
    }
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        walk(spec, property, format!("{at}.{name}"), seen, f);
    }
}

/// The schemas reachable from a success response.
fn response_schemas(spec: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for op in operations(spec) {
        for (code, response) in op.op["responses"].as_object().unwrap() {
            if let Some(schema) = response.pointer("/content/application~1json/schema")
                && code.starts_with('2')
            {
                walk(spec, schema, op.id().to_string(), &mut seen, &mut |at, s| out.push((at.to_string(), s)));
            }
        }
    }
    // The delivered webhook payload is a response too (it is read, not sent).
    let payload = &spec["components"]["schemas"]["WebhookEventPayload"];
    seen.insert("WebhookEventPayload".to_string());
    walk(spec, payload, "WebhookEventPayload".into(), &mut seen, &mut |at, s| out.push((at.to_string(), s)));
    out
}

#[test]
fn response_schemas_tolerate_a_looser_live_api() {
    let spec = spec();
    let mut problems = Vec::new();
    let forbidden = ["required", "pattern", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems"];
    for (at, schema) in response_schemas(&spec) {
        for key in forbidden {
            if schema.get(key).is_some() {
                problems.push(format!("{at}: `{key}` would turn a looser live value into a decode error"));
            }
        }
        if schema["additionalProperties"] == false {
            problems.push(format!("{at}: additionalProperties false rejects new fields"));
        }
        if let Some(format) = schema["format"].as_str()
            && ["date-time", "date", "uuid", "email", "uri"].contains(&format)
        {
            problems.push(format!("{at}: format {format} is validated strictly"));
        }
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            if property["nullable"] != true {
                problems.push(format!("{at}.{name}: not nullable (the live API omits and nulls fields)"));
            }
            if property.get("$ref").is_some() {
                problems.push(format!("{at}.{name}: a $ref property cannot be nullable; use allOf + nullable"));
            }
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

/// `feesInTransactionCurrency` → `[fees, in, transaction, currency]`.
fn words_of(field: &str) -> Vec<String> {
    let mut words = vec![String::new()];
    for c in field.chars() {
        if c == '_' || c == '-' {
            words.push(String::new());
        } else if c.is_ascii_uppercase() {
            words.push(c.to_ascii_lowercase().to_string());
        } else {
            words.last_mut().unwrap().push(c);
        }
    }
    words.into_iter().filter(|w| !w.is_empty()).collect()
}

#[test]
fn amounts_are_plain_decimal_strings() {
    let spec = spec();
    let mut decimals = 0;
    let mut problems = Vec::new();
    // Field names that hold money, fees or rates; the listed exceptions are counts.
    let money = ["amount", "balance", "fee", "fees", "rate", "price", "allowance", "wei", "eth", "usdc"];
    let not_money = ["cap", "total", "count", "limit", "used"];
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        let mut seen = BTreeSet::new();
        walk(&spec, schema, name.clone(), &mut seen, &mut |at, s| {
            if ["decimal", "token-amount", "timestamp"].contains(&s["format"].as_str().unwrap_or("")) {
                decimals += usize::from(s["format"] != "timestamp");
                let extra: Vec<&String> = s
                    .as_object()
                    .unwrap()
                    .keys()
                    .filter(|k| !["type", "format", "nullable", "description", "example"].contains(&k.as_str()))
                    .collect();
                if s["type"] != "string" || !extra.is_empty() {
                    problems.push(format!(
                        "{at}: an exact type must be exactly {{type: string, format: {}}}, has {extra:?}",
                        s["format"]
                    ));
                }
            }
            for (field, property) in s["properties"].as_object().into_iter().flatten() {
                let words = words_of(field);
                let looks_like_money = words.iter().any(|w| money.contains(&w.as_str()))
                    && !not_money.contains(&field.to_ascii_lowercase().as_str());
                let exact_amount = property["format"] == "decimal" || property["format"] == "token-amount";
                if looks_like_money && !exact_amount && property["type"] != "array" && !property["allOf"].is_array() {
                    problems.push(format!("{at}.{field}: looks like money but is not a decimal or token amount"));
                }
                let looks_like_time = (field.ends_with("At")
                    || field.ends_with("_at")
                    || ["dateTime", "timestamp", "date", "revocationTimestamp"].contains(&field.as_str()))
                    && property["type"] == "string";
                if looks_like_time && property["format"] != "timestamp" {
                    problems.push(format!("{at}.{field}: looks like a timestamp but is not `format: timestamp`"));
                }
                if property["type"] == "number" {
                    problems.push(format!("{at}.{field}: `number` would decode through f64"));
                }
            }
        });
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(decimals >= 20, "{decimals} decimal fields");
}

#[test]
fn value_sets_are_named_open_enums() {
    let spec = spec();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let mut problems = Vec::new();
    for (name, schema) in schemas {
        if let Some(values) = schema["enum"].as_array() {
            assert_eq!(schema["type"], "string", "{name}");
            let mut lower = BTreeMap::new();
            for v in values {
                let v = v.as_str().unwrap();
                if let Some(other) = lower.insert(v.to_ascii_lowercase(), v) {
                    problems.push(format!("{name}: {other:?} and {v:?} differ only in case"));
                }
            }
        }
        let mut seen = BTreeSet::new();
        walk(&spec, schema, name.clone(), &mut seen, &mut |at, s| {
            if s.get("enum").is_some() && at.contains('.') {
                problems.push(format!("{at}: inline enum (closed in Rust): make it a named component"));
            }
        });
    }
    for op in operations(&spec) {
        for p in op.op["parameters"].as_array().into_iter().flatten() {
            if p["schema"].get("enum").is_some() {
                problems.push(format!("{}: parameter {} has an inline enum", op.label(), p["name"]));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn contradictions_are_recorded() {
    let spec = spec();
    let count: usize = operations(&spec).iter().map(|o| o.op["x-doc-conflict"].as_array().map_or(0, Vec::len)).sum();
    // The docs contradict themselves on the client key header, region routing, the secret key, error statuses,
    // field types and more; losing these notes in an edit would lose the reasons behind the contract's choices.
    assert!(count >= 200, "only {count} x-doc-conflict notes");
    let op = |id: &str| operations(&spec).into_iter().find(|o| o.id() == id).unwrap().op["x-doc-conflict"].to_string();
    assert!(op("list_card_transactions").contains("mccCategories"));
    assert!(op("exchange_oauth_token").contains("x-secret-key"));
    assert!(op("create_order").contains("X-Client-ID"));
    assert!(op("list_wallet_history").contains("string"));
}
