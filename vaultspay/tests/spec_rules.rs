//! `openapi.json` (the VaultsPay contract) against the endpoint catalog and the rules of `spec/CONVENTIONS.md`.
//!
//! The catalog (`tests/fixtures/catalog/endpoints.tsv`) is the API reference index's list of the 53 operations:
//! method, path, group (the tag), title (the summary) and the SaaS docs page (empty where none was found).
//! `openapi.json` is built by `cargo xtask update-spec --api vaultspay --from vaultspay/spec/base.json`; these tests
//! read the built document only.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

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
    fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
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
    group: String,
    title: String,
    doc_page: String,
}

fn catalog() -> Vec<CatalogRow> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catalog/endpoints.tsv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("method\tpath\tgroup\ttitle\tdoc_page"), "catalog columns");
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            CatalogRow {
                method: c[0].into(),
                path: c[1].into(),
                group: c[2].into(),
                title: c[3].into(),
                doc_page: c.get(4).copied().unwrap_or("").into(),
            }
        })
        .collect()
}

/// `enroll_card_3ds` → `EnrollCard3ds`: the prefix of the operation's component names.
fn pascal(id: &str) -> String {
    id.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn schema_name(reference: &Value) -> Option<&str> {
    reference.as_str()?.strip_prefix("#/components/schemas/")
}

/// The operation ids, by method and path. They are the SDK's method names (and name the docs fixtures): renaming one
/// is a breaking change, so it has to be made here too.
const IDS: [(&str, &str); 53] = [
    ("POST /as/api/v1/saas-login", "saas_login"),
    ("POST /as/api/v1/saas-refresh-token", "refresh_saas_token"),
    ("POST /as/api/v1/users", "create_user"),
    ("GET /us/api/v1/countries", "list_countries"),
    ("GET /us/api/v1/states/{countryId}", "list_states"),
    ("GET /us/api/v1/cities/{stateId}", "list_cities"),
    ("POST /us/api/v1/kyc/personal", "create_kyc_personal_info"),
    ("PATCH /us/api/v1/kyc/personal", "update_kyc_personal_info"),
    ("POST /us/api/v1/kyc/addresses", "create_kyc_address"),
    ("PATCH /us/api/v1/kyc/addresses", "update_kyc_address"),
    ("POST /us/api/v1/kyc/identification", "upload_kyc_identification"),
    ("PATCH /us/api/v1/kyc/identification", "update_kyc_identification"),
    ("GET /us/api/v1/kyc/{userId}", "get_user_kyc"),
    ("POST /be/api/v1/accounts", "create_account"),
    ("GET /be/api/v1/accounts", "list_accounts"),
    ("GET /be/api/v1/accounts/{id}", "get_account"),
    ("GET /be/api/v1/account-ledger/{id}", "get_account_ledger"),
    ("POST /be/api/v1/validate-iban", "validate_iban"),
    ("POST /be/api/v1/direct-payment-contact", "create_payment_contact"),
    ("POST /tc/api/v1/direct-transfer", "create_direct_transfer"),
    ("GET /tme/api/v1/transactions", "list_transactions"),
    ("GET /tme/api/v1/transactions/{id}", "get_transaction"),
    ("GET /pcs/api/v1/card-tiers", "list_card_tiers"),
    ("GET /pcs/api/v1/embossing-names/{userId}", "list_embossing_names"),
    ("POST /pcs/api/v1/cards", "create_card"),
    ("POST /pcs/api/v1/process-card-request", "process_card_request"),
    ("POST /pcs/api/v1/update-card-manufacturing", "update_card_manufacturing"),
    ("POST /pcs/api/v1/update-delivery-status", "update_card_delivery"),
    ("POST /pcs/api/v1/activate-card", "activate_card"),
    ("POST /pcs/api/v1/set-pin", "set_card_pin"),
    ("POST /pcs/api/v1/cards/details", "get_card_details"),
    ("POST /pcs/api/v1/get-card-pan", "get_card_pan"),
    ("POST /pcs/api/v1/get-card-cvv", "get_card_cvv"),
    ("POST /pcs/api/v1/get-card-expiry", "get_card_expiry"),
    ("POST /pcs/api/v1/enroll-card-three-ds", "enroll_card_3ds"),
    ("POST /pcs/api/v1/remove-card-three-ds", "remove_card_3ds"),
    ("POST /pcs/api/v1/update-card-status", "update_card_status"),
    ("POST /pcs/api/v1/toggle-freeze-card", "toggle_card_freeze"),
    ("POST /pcs/api/v1/update-card-account", "update_card_account"),
    ("POST /pcs/api/v1/report-card-issue", "report_card_issue"),
    ("POST /pcs/api/v1/review-report-card-issue", "review_card_issue"),
    ("POST /pcs/api/v1/replace-card", "replace_card"),
    ("POST /pcs/api/v1/renew-card", "renew_card"),
    ("POST /pcs/api/v1/decline-card", "decline_card"),
    ("GET /pcs/api/v1/card-reported-issues", "list_reported_cards"),
    ("POST /pcs/api/v1/virtual-to-physical", "request_physical_card"),
    ("POST /pcs/api/v1/virtual-to-physical-process", "process_physical_card"),
    ("GET /re/api/v1/card-security", "get_card_security"),
    ("PUT /re/api/v1/card-security", "update_card_security"),
    ("PATCH /re/api/v1/card-security/reset", "reset_card_security"),
    ("GET /re/api/v1/transaction-limits", "get_transaction_limits"),
    ("PUT /re/api/v1/transaction-limits", "update_transaction_limit"),
    ("GET /v1/ping", "ping"),
];

const TAGS: [&str; 8] = ["as", "us", "be", "tc", "tme", "pcs", "re", "system"];

#[test]
fn is_openapi_3_0_3() {
    let spec = spec();
    assert_eq!(spec["openapi"], "3.0.3");
    let declared: Vec<&str> = spec["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(declared, TAGS, "the document declares the eight tags, in service order");
}

#[test]
fn every_catalog_row_is_one_operation_and_nothing_else_is_documented() {
    let spec = spec();
    let ops = operations(&spec);
    let rows = catalog();
    assert_eq!(rows.len(), 53, "the endpoint index has 53 operations");
    assert_eq!(ops.len(), 53, "the contract has exactly 53 operations");
    let mut missing = Vec::new();
    for row in &rows {
        let found: Vec<&Op> = ops.iter().filter(|o| o.method == row.method && o.path == row.path).collect();
        match found.as_slice() {
            [op] => {
                assert_eq!(op.op["tags"], json!([row.group]), "{}: tag", op.label());
                assert_eq!(op.op["summary"], row.title.as_str(), "{}: summary is the section title", op.label());
                let page = op.op["x-doc-page"].as_str().unwrap_or("");
                if row.doc_page.is_empty() {
                    // No SaaS page: the nearest page (or the index), and a note saying so.
                    let unsure = op.op["x-unsure"].as_array().map(Vec::as_slice).unwrap_or_default();
                    assert!(
                        unsure.iter().any(|u| u.as_str().is_some_and(|s| s.contains("page"))),
                        "{}: no SaaS docs page, so an x-unsure note must say which page x-doc-page is instead",
                        op.label()
                    );
                } else {
                    assert_eq!(page, row.doc_page, "{}: x-doc-page is the catalog's docs page", op.label());
                }
                assert!(op.op.get("x-undocumented").is_none(), "{}: every operation is documented", op.label());
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
    assert!(extra.is_empty(), "operations the catalog does not list: {extra:?}");
    assert_eq!(rows.iter().filter(|r| r.doc_page.is_empty()).count(), 14, "14 operations have no SaaS page");
}

#[test]
fn operation_ids_are_unique_snake_case_and_stable() {
    let spec = spec();
    let ops = operations(&spec);
    let mut ids = BTreeSet::new();
    for op in &ops {
        let id = op.id();
        assert!(
            !id.is_empty()
                && id.starts_with(|c: char| c.is_ascii_lowercase())
                && id
                    .split('_')
                    .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
            "{}: operationId must be snake_case",
            op.label()
        );
        assert!(ids.insert(id.to_string()), "{}: duplicate operationId", op.label());
    }
    let expected: BTreeMap<&str, &str> = IDS.into_iter().collect();
    assert_eq!(expected.len(), IDS.len(), "IDS lists an operation twice");
    let actual: BTreeMap<String, String> = ops.iter().map(|o| (o.key(), o.id().to_string())).collect();
    for (key, id) in &expected {
        assert_eq!(actual.get(*key).map(String::as_str), Some(*id), "{key}: operationId (renaming is breaking)");
    }
    assert_eq!(actual.len(), expected.len());
    // The rows of the catalog are the rows of IDS, in the same order.
    let keys: Vec<String> = catalog().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(keys, IDS.iter().map(|(k, _)| k.to_string()).collect::<Vec<_>>());
    // The docs fixtures (`<operationId>.<kind>.json`) are named by operation id.
    let fixtures = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/docs")).unwrap();
    let mut named = 0;
    for entry in fixtures {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(stem) = name.strip_suffix(".json") else { continue };
        let op = stem.split('.').next().unwrap();
        if !["errors", "pagination", "webhook_card_status"].contains(&op) {
            assert!(ids.contains(op), "tests/fixtures/docs/{name} names no operation");
            named += 1;
        }
    }
    assert!(named > 50, "the docs fixtures are there ({named})");
}

#[test]
fn every_operation_is_tagged_by_service_and_linked_to_its_docs_page() {
    let spec = spec();
    for op in operations(&spec) {
        let tags = op.op["tags"].as_array().unwrap_or_else(|| panic!("{}: tags", op.label()));
        assert_eq!(tags.len(), 1, "{}: exactly one tag", op.label());
        let tag = tags[0].as_str().unwrap();
        assert!(TAGS.contains(&tag), "{}: tag {tag:?}", op.label());
        // The tag is the path's service prefix (`/pcs/api/v1/...` → pcs); the health check has none.
        let prefix = op.path.split('/').nth(1).unwrap();
        let expected = if op.path == "/v1/ping" { "system" } else { prefix };
        assert_eq!(tag, expected, "{}: the tag is the service prefix", op.label());
        assert!(op.op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{}: summary", op.label());
        assert!(op.op["description"].as_str().is_some_and(|s| !s.is_empty()), "{}: description", op.label());
        let page = op.op["x-doc-page"].as_str().unwrap_or("");
        assert!(!page.is_empty(), "{}: x-doc-page", op.label());
        assert!(
            page == "api-reference" || (!page.starts_with("api-reference/") && !page.starts_with('/')),
            "{}: x-doc-page {page:?} is the docs site's name (`users/list-states`), or `api-reference`",
            op.label()
        );
        for key in ["x-unsure", "x-doc-conflict"] {
            if let Some(notes) = op.op.get(key) {
                let notes = notes.as_array().unwrap_or_else(|| panic!("{}: {key} is a list", op.label()));
                assert!(!notes.is_empty(), "{}: {key} is not empty", op.label());
                assert!(
                    notes.iter().all(|n| n.as_str().is_some_and(|s| s.len() > 20)),
                    "{}: {key} notes are sentences",
                    op.label()
                );
            }
        }
    }
}

#[test]
fn credentials_and_encryption_headers_are_never_parameters() {
    let spec = spec();
    let schemes = spec["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes.keys().collect::<Vec<_>>(), ["bearer"]);
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    let injected =
        ["authorization", "x-session-nonce", "x-auth-signature", "x-device-os", "x-device-id", "x-enable-encryption"];
    for op in operations(&spec) {
        // SaaS Login and Refresh Token send no bearer token: one alternative with no scheme.
        let expected =
            if ["saas_login", "refresh_saas_token"].contains(&op.id()) { json!([{}]) } else { json!([{"bearer": []}]) };
        assert_eq!(op.op["security"], expected, "{}: security", op.label());
        for p in op.op["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap().to_ascii_lowercase();
            assert!(!injected.contains(&name.as_str()), "{}: {name} is injected by the client", op.label());
            assert!(p.get("schema").is_some(), "{}: parameter {name} has a schema", op.label());
            if p["in"] == "path" {
                assert_eq!(p["required"], true, "{}: path parameter {name} is required", op.label());
                assert!(op.path.contains(&format!("{{{}}}", p["name"].as_str().unwrap())), "{}: {name}", op.label());
            }
        }
    }
}

#[test]
fn every_operation_declares_its_error_answers_as_the_shared_api_error() {
    let spec = spec();
    let api_error = json!({"$ref": "#/components/schemas/ApiError"});
    for op in operations(&spec) {
        let responses = op.op["responses"].as_object().unwrap();
        assert!(!responses.contains_key("default"), "{}: no default response", op.label());
        let mut required = vec!["400", "401", "403", "429", "500", "4XX", "5XX"];
        if op.op.get("requestBody").is_some() {
            required.push("422");
        }
        for code in required {
            assert!(responses.contains_key(code), "{}: {code} declared", op.label());
        }
        for (code, response) in responses {
            assert!(response["description"].as_str().is_some_and(|d| !d.is_empty()), "{}: {code}", op.label());
            if code.starts_with('4') || code.starts_with('5') {
                let content = response["content"].as_object().unwrap();
                assert_eq!(content.len(), 1, "{}: {code} media types", op.label());
                assert_eq!(content["application/json"]["schema"], api_error, "{}: {code}", op.label());
            } else {
                assert_eq!(code, "200", "{}: the only success answer is 200", op.label());
            }
        }
    }
    // Every documented error shape fits: nothing required; `type` a plain string (ApiErrorType documents it).
    let schemas = &spec["components"]["schemas"];
    let error = &schemas["ApiError"];
    assert!(error.get("required").is_none());
    let fields: Vec<&String> = error["properties"].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["code", "errors", "message", "type"]);
    assert_eq!(
        error["properties"]["code"],
        json!({"description": error["properties"]["code"]["description"], "format": "int64", "type": "integer"})
    );
    assert_eq!(error["properties"]["type"]["type"], "string");
    assert!(error["properties"]["type"].get("$ref").is_none() && error["properties"]["type"].get("allOf").is_none());
    assert_eq!(error["properties"]["errors"]["items"], json!({"$ref": "#/components/schemas/ApiErrorDetail"}));
    assert!(schemas["ApiErrorDetail"].get("required").is_none());
    assert!(!spec.to_string().contains("#/components/schemas/ApiErrorType"), "ApiErrorType is for documentation only");
    assert!(schemas["ApiErrorType"]["enum"].as_array().is_some_and(|v| v.contains(&json!("TOKEN_EXPIRED"))));
}

#[test]
fn request_bodies_are_one_json_component_named_after_the_operation() {
    let spec = spec();
    for op in operations(&spec) {
        let Some(body) = op.op.get("requestBody") else { continue };
        assert_eq!(body["required"], true, "{}: body required", op.label());
        let content = body["content"].as_object().unwrap();
        assert_eq!(content.keys().collect::<Vec<_>>(), ["application/json"], "{}: media types", op.label());
        let name = format!("{}Request", pascal(op.id()));
        assert_eq!(
            content["application/json"]["schema"],
            json!({"$ref": format!("#/components/schemas/{name}")}),
            "{}: body component",
            op.label()
        );
        assert!(spec["components"]["schemas"].get(&name).is_some(), "{}: {name} exists", op.label());
    }
}

/// The success answer's component.
fn answer<'a>(spec: &'a Value, op: &Op<'a>) -> (&'a str, &'a Value) {
    let schema = &op.op["responses"]["200"]["content"]["application/json"]["schema"];
    let name = schema_name(&schema["$ref"]).unwrap_or_else(|| panic!("{}: 200 is a $ref", op.label()));
    let component = &spec["components"]["schemas"][name];
    assert!(component.is_object(), "{}: {name} exists", op.label());
    (name, component)
}

#[test]
fn envelopes_are_declared_and_have_the_documented_shape() {
    let spec = spec();
    let mut bare = Vec::new();
    for op in operations(&spec) {
        let (name, component) = answer(&spec, &op);
        let properties = component["properties"].as_object();
        match op.op["x-envelope"].as_str() {
            Some("data") => {
                // `<OperationIdPascal>Response` = {data, pagination?}, `data` a payload or a list of them.
                assert_eq!(name, format!("{}Response", pascal(op.id())), "{}: envelope name", op.label());
                let properties = properties.unwrap_or_else(|| panic!("{}: {name} has properties", op.label()));
                let keys: Vec<&String> = properties.keys().collect();
                assert!(
                    keys == ["data"] || keys == ["data", "pagination"],
                    "{}: {name} is {{data, pagination?}}, has {keys:?}",
                    op.label()
                );
                let data = &properties["data"];
                let payload = data["allOf"][0]["$ref"].as_str().or_else(|| data["items"]["$ref"].as_str());
                assert!(
                    payload.is_some_and(|r| r.starts_with("#/components/schemas/")),
                    "{}: {name}.data references a payload or a list of them: {data}",
                    op.label()
                );
                if data.get("allOf").is_some() {
                    assert_eq!(data["allOf"].as_array().unwrap().len(), 1, "{}: {name}.data", op.label());
                } else {
                    assert_eq!(data["type"], "array", "{}: {name}.data", op.label());
                }
                if let Some(pagination) = properties.get("pagination") {
                    assert_eq!(pagination["allOf"], json!([{"$ref": "#/components/schemas/Pagination"}]));
                }
            }
            Some("none") => {
                // The payload itself, not an envelope.
                assert!(!name.ends_with("Response"), "{}: a bare answer references its payload", op.label());
                assert!(properties.is_some_and(|p| !p.contains_key("data")), "{}: {name} is no envelope", op.label());
                bare.push(format!("{} → {name}", op.id()));
            }
            other => panic!("{}: x-envelope must be \"data\" or \"none\", is {other:?}", op.label()),
        }
    }
    bare.sort();
    assert_eq!(bare, ["saas_login → SaasSession", "update_kyc_personal_info → KycPersonalInfo"]);
}

#[test]
fn paginated_lists_declare_their_paging() {
    let spec = spec();
    let expected = json!({
        "style": "page", "param": "page", "sizeParam": "perPage", "first": 1,
        "totals": "pagination.totalPages", "items": "data", "lastWithoutTotals": true
    });
    let mut paginated = Vec::new();
    for op in operations(&spec) {
        let Some(pagination) = op.op.get("x-pagination") else { continue };
        assert_eq!(pagination, &expected, "{}: x-pagination", op.label());
        assert_eq!(op.method, "GET", "{}: paginated lists are reads", op.label());
        assert_eq!(op.op["x-envelope"], "data", "{}: the items are in `data`", op.label());
        let parameters = op.op["parameters"].as_array().unwrap();
        for name in ["page", "perPage"] {
            let p = parameters
                .iter()
                .find(|p| p["name"] == name && p["in"] == "query")
                .unwrap_or_else(|| panic!("{}: query parameter {name}", op.label()));
            assert_eq!(p["schema"], json!({"type": "integer"}), "{}: {name}", op.label());
            assert_ne!(p["required"], true, "{}: {name} is optional", op.label());
        }
        let (name, component) = answer(&spec, &op);
        assert_eq!(component["properties"]["data"]["type"], "array", "{}: {name}.data is the list", op.label());
        assert!(component["properties"].get("pagination").is_some(), "{}: {name}.pagination", op.label());
        paginated.push(op.id().to_string());
    }
    paginated.sort();
    // List Reported Card Issues pages too (presumably) but its items are free-form: no `.stream()` (CONVENTIONS.md).
    assert_eq!(paginated, ["list_accounts", "list_transactions"]);
    let totals = &spec["components"]["schemas"]["Pagination"]["properties"]["totalPages"];
    assert_eq!(totals["type"], "integer", "pagination.totalPages is the page count");
}

#[test]
fn only_reads_through_post_are_idempotent() {
    let spec = spec();
    let mut idempotent: Vec<String> = operations(&spec)
        .iter()
        .filter(|o| {
            let flag = o.op.get("x-idempotent");
            assert!(flag.is_none() || flag == Some(&json!(true)), "{}: x-idempotent is true or absent", o.label());
            flag.is_some()
        })
        .map(|o| {
            assert_eq!(o.method, "POST", "{}: GETs are idempotent without the flag", o.label());
            o.id().to_string()
        })
        .collect();
    idempotent.sort();
    assert_eq!(idempotent, ["get_card_cvv", "get_card_details", "get_card_expiry", "get_card_pan", "validate_iban"]);
}

/// Walks a schema, following `$ref`s once each.
fn walk<'a>(
    spec: &'a Value,
    schema: &'a Value,
    at: String,
    seen: &mut BTreeSet<String>,
    f: &mut dyn FnMut(&str, &'a Value),
) {
    if let Some(name) = schema_name(&schema["$ref"]) {
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

/// Every schema position of the components (each component and its inline parts, not following `$ref`s), with
/// where it is.
fn all_schemas(spec: &Value) -> Vec<(String, &Value)> {
    fn inline<'a>(schema: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
        if schema.get("$ref").is_some() {
            return;
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for (i, sub) in schema[key].as_array().into_iter().flatten().enumerate() {
                inline(sub, format!("{at}.{key}[{i}]"), out);
            }
        }
        if schema.get("items").is_some() {
            inline(&schema["items"], format!("{at}[]"), out);
        }
        if schema["additionalProperties"].is_object() {
            inline(&schema["additionalProperties"], format!("{at}{{}}"), out);
        }
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            inline(property, format!("{at}.{name}"), out);
        }
        out.push((at, schema));
    }
    let mut out = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        inline(schema, name.clone(), &mut out);
    }
    out
}

/// The component schemas reachable from `root` (any part of the document), following `$ref`s.
fn reachable(spec: &Value, root: &Value, seen: &mut BTreeSet<String>) {
    match root {
        Value::Object(map) => {
            if let Some(name) = map.get("$ref").and_then(|r| schema_name(r))
                && seen.insert(name.to_string())
            {
                reachable(spec, &spec["components"]["schemas"][name], seen);
            }
            map.values().for_each(|v| reachable(spec, v, seen));
        }
        Value::Array(items) => items.iter().for_each(|v| reachable(spec, v, seen)),
        _ => {}
    }
}

#[test]
fn answers_tolerate_a_looser_live_api() {
    let spec = spec();
    let mut problems = Vec::new();
    let forbidden = ["pattern", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems"];
    for (at, schema) in all_schemas(&spec) {
        for key in forbidden {
            if schema.get(key).is_some() {
                problems.push(format!("{at}: `{key}` would turn a looser live value into a decode error"));
            }
        }
        if schema["additionalProperties"] == false {
            problems.push(format!("{at}: additionalProperties false rejects new fields"));
        }
        if let Some(format) = schema["format"].as_str()
            && ["date-time", "date", "time", "uuid", "email", "uri"].contains(&format)
        {
            problems.push(format!("{at}: format {format} is validated strictly (timestamps are plain strings)"));
        }
        if schema["type"] == "number" {
            problems.push(format!("{at}: `number` would decode through f64"));
        }
    }
    // The answers (the normaliser made them tolerant): nothing required, every field nullable.
    let mut seen = BTreeSet::new();
    for op in operations(&spec) {
        let schema = &op.op["responses"]["200"]["content"]["application/json"]["schema"];
        walk(&spec, schema, op.id().to_string(), &mut seen, &mut |at, s| {
            if s.get("enum").is_some() {
                return;
            }
            if s.get("required").is_some() {
                problems.push(format!("{at}: an answer requires nothing"));
            }
            for (name, property) in s["properties"].as_object().into_iter().flatten() {
                if property["nullable"] != true {
                    problems.push(format!("{at}.{name}: not nullable (the live API omits and nulls fields)"));
                }
                if property.get("$ref").is_some() {
                    problems.push(format!("{at}.{name}: a $ref property cannot be nullable; use allOf + nullable"));
                }
            }
        });
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn money_is_exact_and_transfers_are_minor_units() {
    let spec = spec();
    let mut decimals = BTreeSet::new();
    let mut problems = Vec::new();
    for (at, schema) in all_schemas(&spec) {
        if schema["format"] != "decimal" {
            continue;
        }
        decimals.insert(at.clone());
        let extra: Vec<&String> = schema
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !["type", "format", "nullable", "description", "example"].contains(&k.as_str()))
            .collect();
        if schema["type"] != "string" || !extra.is_empty() {
            problems.push(format!("{at}: a decimal must be exactly {{type: string, format: decimal}}, has {extra:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for amount in [
        "Account.balance",
        "Account.balanceOnHold",
        "Account.creditLimit",
        "LedgerEntry.balance",
        "LedgerEntry.credit",
        "LedgerEntry.debit",
        "Transaction.totalCharges",
        "TransactionAmount.amount",
        "TransactionLimit.limit",
        "TransactionLimit.allowedLimit",
    ] {
        assert!(decimals.contains(amount), "{amount} is a decimal (found: {decimals:?})");
    }
    let schemas = &spec["components"]["schemas"];
    for (name, field) in
        [("CreateDirectTransferRequest", "amount"), ("DirectTransfer", "amount"), ("DirectTransfer", "totalCharges")]
    {
        let property = &schemas[name]["properties"][field];
        assert_eq!((&property["type"], &property["format"]), (&json!("integer"), &json!("int64")), "{name}.{field}");
    }
    // Sent as a JSON string, not an amount.
    assert_eq!(schemas["UpdateTransactionLimitRequest"]["properties"]["value"]["type"], "string");
    assert!(schemas["UpdateTransactionLimitRequest"]["properties"]["value"].get("format").is_none());
}

#[test]
fn sensitive_fields_are_marked_and_only_on_strings() {
    let spec = spec();
    let mut marked = BTreeMap::new();
    for (at, schema) in all_schemas(&spec) {
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            let Some(kind) = property.get("x-sensitive") else { continue };
            assert!(kind == "secret" || kind == "personal", "{at}.{name}: x-sensitive {kind}");
            assert_eq!(property["type"], "string", "{at}.{name}: x-sensitive on a string only");
            assert_ne!(property["format"], "decimal", "{at}.{name}: never on a decimal");
            marked.insert(format!("{at}.{name}"), kind.as_str().unwrap().to_string());
        }
    }
    for secret in ["SaasSession.accessToken", "SaasSession.refreshToken", "CardPan.pan", "CardCvv.cvv"] {
        assert_eq!(marked.get(secret).map(String::as_str), Some("secret"), "{secret} (marked: {marked:?})");
    }
    assert!(marked.values().filter(|k| *k == "personal").count() >= 10, "{marked:?}");
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
            for v in values.iter().filter(|v| !v.is_null()) {
                let v = v.as_str().unwrap();
                if let Some(other) = lower.insert(v.to_ascii_lowercase(), v) {
                    problems.push(format!("{name}: {other:?} and {v:?} differ only in case"));
                }
            }
        }
    }
    for (at, schema) in all_schemas(&spec) {
        if schema.get("enum").is_some() && (at.contains('.') || at.contains('[')) {
            problems.push(format!("{at}: inline enum (closed in Rust): make it a named component"));
        }
    }
    for op in operations(&spec) {
        for p in op.op["parameters"].as_array().into_iter().flatten() {
            if p["schema"].get("enum").is_some() {
                problems.push(format!("{}: parameter {} has an inline enum", op.label(), p["name"]));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // One component per wire casing.
    assert!(schemas["TransactionType"]["enum"].as_array().unwrap().contains(&json!("Purchase")));
    assert!(schemas["RuleTransactionType"]["enum"].as_array().unwrap().contains(&json!("PURCHASE")));
}

#[test]
fn the_card_status_webhook_is_a_component_no_operation_uses() {
    let spec = spec();
    assert!(spec["components"]["schemas"]["CardStatusEvent"].is_object());
    let mut reached = BTreeSet::new();
    for op in operations(&spec) {
        reachable(&spec, op.op, &mut reached);
    }
    assert!(!reached.contains("CardStatusEvent"), "the webhook body is POSTed to the partner, not answered");
    assert!(reached.contains("Account"));
}

#[test]
fn contradictions_and_unknowns_are_recorded() {
    let spec = spec();
    let count =
        |key: &str| -> usize { operations(&spec).iter().map(|o| o.op[key].as_array().map_or(0, Vec::len)).sum() };
    // Losing these notes in an edit would lose the reasons behind the contract's choices.
    assert!(count("x-doc-conflict") >= 50, "only {} x-doc-conflict notes", count("x-doc-conflict"));
    assert!(count("x-unsure") >= 80, "only {} x-unsure notes", count("x-unsure"));
    let note = |id: &str, key: &str| operations(&spec).into_iter().find(|o| o.id() == id).unwrap().op[key].to_string();
    assert!(note("list_reported_cards", "x-unsure").contains("x-pagination"));
    assert!(note("create_direct_transfer", "x-doc-conflict").len() > 40);
}
