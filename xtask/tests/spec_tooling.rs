//! The spec tooling against fixture "upstream" documents.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use xtask::{build_contract, diff, docs_index, document, drift, normalise::normalise, overlay};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

/// Compares with a committed expected file; `XTASK_BLESS=1` rewrites it (then review the diff).
fn expect_file(name: &str, actual: &str) {
    let path = format!("{FIXTURES}/{name}");
    if std::env::var_os("XTASK_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), actual, "{name} differs (XTASK_BLESS=1 rewrites it)");
}

#[test]
fn a_3_1_document_is_downgraded_by_every_rule() {
    let upstream = document::parse(&fixture("upstream-3.1.yaml"), "upstream-3.1.yaml").unwrap();
    let out = normalise(upstream);
    expect_file("expected-3.0.json", &document::render(&out));

    let schemas = &out["components"]["schemas"];
    let card = &schemas["Card"]["properties"];
    assert_eq!(out["openapi"], "3.0.3");
    for gone in ["webhooks", "jsonSchemaDialect"] {
        assert!(out.get(gone).is_none(), "{gone}");
    }
    assert!(out["info"].get("summary").is_none() && out["info"]["license"].get("identifier").is_none());
    assert_eq!(out["paths"]["/v1/card/status"]["get"]["operationId"], "get_card_status", "path-item $ref inlined");
    assert!(out["components"].get("pathItems").is_none());
    assert!(out["components"]["securitySchemes"].get("mtls").is_none(), "mutualTLS dropped");
    assert_eq!(
        card["holderName"],
        json!({"type": "string", "nullable": true, "example": "JOHN DOE"}),
        "type array with null, examples"
    );
    assert_eq!(card["status"]["allOf"], json!([{"$ref": "#/components/schemas/CardStatus"}]), "$ref siblings → allOf");
    assert_eq!(card["status"]["description"], "Sibling of a $ref.");
    assert_eq!(card["kind"]["enum"], json!(["virtual", null]), "const → enum (nullable in an answer)");
    assert_eq!(card["kind"]["type"], "string");
    assert_eq!(card["blob"]["format"], "byte");
    assert_eq!(card["image"]["format"], "binary");
    assert!(card["tags"].get("prefixItems").is_none());
    assert_eq!(card["anything"], json!({"nullable": true}), "true → {{}}");
    assert_eq!(card["nothing"], json!({"not": {}, "nullable": true}), "false → not {{}}");
    assert_eq!(card["either"]["anyOf"], json!([{"type": "string"}, {"type": "integer"}]));
    assert_eq!(card["gone"], json!({"nullable": true}), "type: null");
    assert_eq!(card["maybeCard"]["allOf"], json!([{"$ref": "#/components/schemas/CardStatus"}]), "oneOf with null");
    assert_eq!(
        card["limits"]["allOf"],
        json!([{"$ref": "#/components/schemas/Limits"}]),
        "$defs hoisted, ref rewritten"
    );
    assert!(schemas["Limits"]["properties"]["daily"].get("exclusiveMaximum").is_none(), "answer-only: bounds dropped");
    assert!(schemas["Card"].get("$defs").is_none() && schemas["Card"].get("unevaluatedProperties").is_none());
    let meta = &schemas["Transaction"]["properties"]["meta"];
    assert_eq!(meta["additionalProperties"], json!({"type": "string"}), "patternProperties");
    assert!(meta.get("dependentRequired").is_none() && meta.get("propertyNames").is_none());
    assert!(schemas["Transaction"]["properties"]["status"].get("if").is_none());
    let param = &out["paths"]["/v1/card/transactions"]["get"]["parameters"][0]["schema"];
    assert_eq!(param, &json!({"type": "integer", "nullable": true, "minimum": -1, "exclusiveMinimum": true}));
    let examples =
        &out["paths"]["/v1/card/transactions"]["get"]["responses"]["200"]["content"]["application/json"]["examples"];
    assert_eq!(examples["first"]["value"][0]["schema"], "not a schema", "media-type examples are data");
    // Tolerance: answer schemas lose `required`, validation and strict formats; properties become nullable.
    assert!(schemas["Card"].get("required").is_none());
    assert!(card["id"].get("pattern").is_none() && card["id"]["nullable"] == true);
    assert!(card["expiry"].get("format").is_none());
    assert!(schemas["Card"].get("additionalProperties").is_none());
    assert!(schemas["Transaction"]["properties"]["id"].get("format").is_none());
    // And it is idempotent.
    assert_eq!(normalise(out.clone()), out);
}

#[test]
fn the_downgraded_document_is_progenitor_ready() {
    let upstream = document::parse(&fixture("upstream-3.1.yaml"), "upstream").unwrap();
    let out = normalise(upstream);
    let spec: openapiv3::OpenAPI = serde_json::from_value(out).expect("openapiv3 reads it");
    let mut settings = progenitor_impl::GenerationSettings::new();
    settings.with_interface(progenitor_impl::InterfaceStyle::Builder);
    let tokens = progenitor_impl::Generator::new(&settings).generate_tokens(&spec).expect("progenitor generates it");
    assert!(tokens.to_string().contains("list_card_transactions"));
}

#[test]
fn an_update_from_the_3_1_fixture_with_the_real_overlay_is_progenitor_ready() {
    let upstream = document::parse(&fixture("upstream-3.1.yaml"), "upstream").unwrap();
    let overlay: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("spec/overlay.json")).unwrap()).unwrap();
    let (contract, unapplied) = build_contract(normalise(upstream), &overlay);
    // Our knowledge landed where the new base has the operation ...
    let status = &contract["paths"]["/v1/card/status"]["get"];
    assert_eq!(status["x-doc-page"], "api-reference/card/status");
    assert!(status["x-doc-conflict"].as_array().is_some_and(|c| !c.is_empty()));
    // ... the undocumented endpoints came along with what they need ...
    assert!(contract["paths"]["/v1/auth/oauth2/token"]["post"].is_object());
    assert!(contract["components"]["schemas"]["OAuthGrantType"].is_object(), "fallback schema");
    // ... and what no longer has a target is reported.
    assert!(unapplied.iter().any(|u| u.starts_with("operation POST /v1/card/freeze")), "{unapplied:?}");
    let spec: openapiv3::OpenAPI = serde_json::from_value(contract).expect("openapiv3 reads it");
    let mut settings = progenitor_impl::GenerationSettings::new();
    settings.with_interface(progenitor_impl::InterfaceStyle::Builder);
    progenitor_impl::Generator::new(&settings).generate_tokens(&spec).expect("progenitor generates it");
}

#[test]
fn a_document_without_paths_gets_them() {
    let out = normalise(json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "webhooks": {}}));
    assert_eq!(out["paths"], json!({}));
}

#[test]
fn the_semantic_diff_reports_what_a_reviewer_needs() {
    let before = normalise(document::parse(&fixture("upstream-before.json"), "before").unwrap());
    let after = normalise(document::parse(&fixture("upstream-after.json"), "after").unwrap());
    let lines = diff::diff(&before, &after);
    let expected = [
        "+ operation GET /v1/card/cashback (get_card_cashback)",
        "+ parameter GET /v1/card/transactions.mccCategories (query): string, optional",
        "~ field Card.expiryDate: string? → integer?",
        "- field Card.holderName: string?",
        "+ enum value CardStatus: SUSPENDED",
        "+ schema Cashback",
        "- operation DELETE /v1/card (delete_card)",
    ];
    for line in expected {
        assert!(lines.contains(&line.to_string()), "missing {line:?} in\n{}", lines.join("\n"));
    }
    assert_eq!(lines.len(), expected.len(), "{}", lines.join("\n"));
}

#[test]
fn the_overlay_keeps_our_knowledge_on_a_new_base() {
    let base = normalise(document::parse(&fixture("upstream-after.json"), "after").unwrap());
    let overlay = json!({
        "operations": {
            "GET /v1/card/status": {"operationId": "get_card_status", "x-doc-page": "api-reference/card/status", "x-doc-conflict": ["a recorded contradiction"]},
            "DELETE /v1/card": {"x-idempotent": true},
            "GET /v1/card/undocumented": {"x-overlay": "add", "operationId": "get_undocumented", "responses": {"200": {"description": "ok"}}}
        },
        "schemas": {"Cashback": {"properties": {"balance": {"format": "decimal"}}}, "Gone": {"x-amount-rounding": true}}
    });
    let (contract, unapplied) = build_contract(base, &overlay);
    let op = &contract["paths"]["/v1/card/status"]["get"];
    assert_eq!(op["x-doc-conflict"], json!(["a recorded contradiction"]));
    assert_eq!(op["tags"], json!(["card"]), "the base's own keys stay");
    assert_eq!(
        contract["components"]["schemas"]["Cashback"]["properties"]["balance"],
        json!({"type": "string", "format": "decimal", "nullable": true})
    );
    assert_eq!(contract["paths"]["/v1/card/undocumented"]["get"]["operationId"], "get_undocumented");
    assert!(contract["paths"]["/v1/card/undocumented"]["get"].get("x-overlay").is_none());
    assert_eq!(
        unapplied,
        ["operation DELETE /v1/card: the base has no such operation", "schema Gone: the base has no such schema"]
    );
}

#[test]
fn the_committed_contract_splits_and_rebuilds_exactly() {
    let contract =
        document::parse(&std::fs::read_to_string(repo().join("openapi.json")).unwrap(), "openapi.json").unwrap();
    let (base, overlay) = overlay::extract(&contract);
    let (rebuilt, unapplied) = build_contract(base, &overlay);
    assert!(unapplied.is_empty(), "{unapplied:?}");
    assert_eq!(rebuilt, contract);
    // Rendering is deterministic and a fixed point.
    let text = document::render(&rebuilt);
    assert_eq!(document::render(&document::parse(&text, "x").unwrap()), text);
}

#[test]
fn the_docs_index_matches_the_operations() {
    let contract =
        document::parse(&std::fs::read_to_string(repo().join("openapi.json")).unwrap(), "openapi.json").unwrap();
    let index = fixture("llms.txt");
    assert!(docs_index::pages(&index).contains("api-reference/card/status"));
    let (missing, unknown) = docs_index::compare(&index, &contract);
    assert!(missing.is_empty(), "{missing:?}");
    assert!(unknown.is_empty(), "{unknown:?}");
    // With an operation's page gone from the index, and a page without operation.
    let edited = index.replace("api-reference/card/status.md", "api-reference/card/state.md");
    let (missing, unknown) = docs_index::compare(&edited, &contract);
    assert_eq!(missing, ["api-reference/card/state"]);
    assert_eq!(unknown, ["get_card_status (api-reference/card/status)"]);
}

/// A copy of the files drift reads, in a temporary directory.
fn repo_copy(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-drift-{name}-{}", std::process::id()));
    for file in ["openapi.json", "spec/base.json", "spec/overlay.json", "tests/fixtures/catalog/endpoints.tsv"] {
        let to = dir.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repo().join(file), to).unwrap();
    }
    dir
}

fn edit(dir: &Path, file: &str, f: impl FnOnce(&mut Value)) {
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
    f(&mut value);
    std::fs::write(dir.join(file), document::render(&value)).unwrap();
}

#[test]
fn drift_passes_on_the_repository_and_fails_when_anything_is_out_of_step() {
    let clean = repo_copy("clean");
    assert_eq!(drift::check_contract(&clean).unwrap(), Vec::<String>::new());

    let spec = repo_copy("spec");
    edit(&spec, "openapi.json", |d| d["paths"]["/v1/card/status"]["get"]["x-idempotent"] = json!(true));
    let problems = drift::check_contract(&spec).unwrap();
    assert!(
        problems.iter().any(|p| p.contains("openapi.json is not spec/base.json + spec/overlay.json")),
        "{problems:?}"
    );

    let overlay = repo_copy("overlay");
    edit(&overlay, "spec/overlay.json", |o| {
        o["schemas"]["CardTransaction"]["properties"]["ecbRate"] = json!({"format": "double"})
    });
    let problems = drift::check_contract(&overlay).unwrap();
    assert!(
        problems.iter().any(|p| p.contains("~ field CardTransaction.ecbRate: string/decimal? → string/double?")),
        "{problems:?}"
    );

    let stale = repo_copy("stale-overlay");
    edit(&stale, "spec/overlay.json", |o| o["operations"]["GET /v1/nowhere"] = json!({"x-idempotent": true}));
    let problems = drift::check_contract(&stale).unwrap();
    assert!(problems.iter().any(|p| p.contains("overlay: operation GET /v1/nowhere")), "{problems:?}");

    let untagged = repo_copy("untagged");
    for file in ["openapi.json", "spec/overlay.json"] {
        edit(&untagged, file, |d| {
            if let Some(op) = d.pointer_mut("/paths/~1v1~1card~1status/get") {
                op.as_object_mut().unwrap().remove("x-doc-page");
            }
            if let Some(op) = d.pointer_mut("/operations/GET ~1v1~1card~1status") {
                op.as_object_mut().unwrap().remove("x-doc-page");
            }
        });
    }
    let problems = drift::check_contract(&untagged).unwrap();
    assert_eq!(problems, ["GET /v1/card/status: no x-doc-page"]);

    for dir in [clean, spec, overlay, stale, untagged] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn a_surface_out_of_step_is_reported() {
    let committed = std::fs::read_to_string(repo().join("api-surface.txt")).unwrap();
    assert!(drift::check_surface(&committed, &committed).is_empty());
    let renamed = committed.replace("fn get_card_status\n", "fn card_status\n");
    let problems = drift::check_surface(&committed, &renamed);
    assert!(problems.contains(&"api-surface.txt lacks `fn card_status`".to_string()), "{problems:?}");
    assert!(problems.contains(&"api-surface.txt has `fn get_card_status`, which is no longer generated".to_string()));
}
