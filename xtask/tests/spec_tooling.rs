//! The spec tooling against fixture "upstream" documents.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use xtask::api::{APIS, Api, BAANX, VAULTSPAY};
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

/// A copy of the files drift reads for the Baanx API, in a temporary directory.
fn repo_copy(name: &str) -> PathBuf {
    repo_copy_of(&BAANX, name)
}

/// A copy of the files drift reads for `api`, in a temporary directory.
fn repo_copy_of(api: &Api, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-drift-{}-{name}-{}", api.name, std::process::id()));
    let files = [api.contract.to_string(), api.base(), api.overlay()].into_iter().chain(api.catalog.map(String::from));
    for file in files {
        let to = dir.join(&file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repo().join(&file), to).unwrap();
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
    assert_eq!(drift::check_contract(&clean, &BAANX).unwrap(), Vec::<String>::new());

    let spec = repo_copy("spec");
    edit(&spec, "openapi.json", |d| d["paths"]["/v1/card/status"]["get"]["x-idempotent"] = json!(true));
    let problems = drift::check_contract(&spec, &BAANX).unwrap();
    assert!(
        problems.iter().any(|p| p.contains("openapi.json is not spec/base.json + spec/overlay.json")),
        "{problems:?}"
    );

    let overlay = repo_copy("overlay");
    edit(&overlay, "spec/overlay.json", |o| {
        o["schemas"]["CardTransaction"]["properties"]["ecbRate"] = json!({"format": "double"})
    });
    let problems = drift::check_contract(&overlay, &BAANX).unwrap();
    assert!(
        problems.iter().any(|p| p.contains("~ field CardTransaction.ecbRate: string/decimal? → string/double?")),
        "{problems:?}"
    );

    let stale = repo_copy("stale-overlay");
    edit(&stale, "spec/overlay.json", |o| o["operations"]["GET /v1/nowhere"] = json!({"x-idempotent": true}));
    let problems = drift::check_contract(&stale, &BAANX).unwrap();
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
    let problems = drift::check_contract(&untagged, &BAANX).unwrap();
    assert_eq!(problems, ["GET /v1/card/status: no x-doc-page"]);

    for dir in [clean, spec, overlay, stale, untagged] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn a_surface_out_of_step_is_reported() {
    let committed = std::fs::read_to_string(repo().join("api-surface.txt")).unwrap();
    assert!(drift::check_surface("api-surface.txt", &committed, &committed).is_empty());
    let renamed = committed.replace("fn get_card_status\n", "fn card_status\n");
    let problems = drift::check_surface("api-surface.txt", &committed, &renamed);
    assert!(problems.contains(&"api-surface.txt lacks `fn card_status`".to_string()), "{problems:?}");
    assert!(problems.contains(&"api-surface.txt has `fn get_card_status`, which is no longer generated".to_string()));
}

#[test]
fn the_api_table_names_every_contract_and_its_files() {
    assert_eq!(APIS.map(|a| a.name), ["baanx", "vaultspay"]);
    assert_eq!(Api::named("vaultspay").unwrap().contract, "vaultspay/openapi.json");
    let unknown = Api::named("stripe").unwrap_err().to_string();
    assert!(unknown.contains("baanx, vaultspay"), "{unknown}");
    for api in APIS {
        for file in
            [api.contract.to_string(), api.base(), api.overlay()].into_iter().chain(api.catalog.map(String::from))
        {
            assert!(repo().join(&file).is_file(), "{}: {file}", api.name);
        }
        assert!(repo().join(api.spec_dir).join("CONVENTIONS.md").is_file(), "{}: conventions", api.name);
        assert!(api.surface.starts_with(api.crate_dir), "{}: the surface lives in its crate", api.name);
    }
    // The Baanx paths and commands are what they were before there were two APIs.
    assert_eq!((BAANX.base(), BAANX.overlay()), ("spec/base.json".to_string(), "spec/overlay.json".to_string()));
    assert_eq!(BAANX.rebuild_command(), "cargo xtask update-spec --from spec/base.json");
    assert_eq!(BAANX.build_script(), "build.rs");
    assert_eq!(VAULTSPAY.rebuild_command(), "cargo xtask update-spec --api vaultspay --from vaultspay/spec/base.json");
    assert_eq!(VAULTSPAY.build_script(), "vaultspay/build.rs");
    // VaultsPay has nothing on the network: its base is written by hand.
    assert!(VAULTSPAY.upstream.is_none() && VAULTSPAY.docs_index.is_none());
}

fn vaultspay_sources() -> (Value, Value) {
    let read = |file: String| std::fs::read_to_string(repo().join(file)).unwrap();
    let base = document::parse(&read(VAULTSPAY.base()), "vaultspay base").unwrap();
    let overlay: Value = serde_json::from_str(&read(VAULTSPAY.overlay())).unwrap();
    (base, overlay)
}

#[test]
fn the_vaultspay_contract_is_its_sources_and_progenitor_ready() {
    let (base, overlay) = vaultspay_sources();
    let (contract, unapplied) = build_contract(base.clone(), &overlay);
    assert!(unapplied.is_empty(), "{unapplied:?}");
    let committed = std::fs::read_to_string(repo().join(VAULTSPAY.contract)).unwrap();
    assert_eq!(document::render(&contract), committed, "vaultspay/openapi.json is base + overlay (run update-spec)");
    assert_eq!(contract["openapi"], "3.0.3");
    // The overlay's knowledge arrived; the normaliser made the answers tolerant, not the requests.
    let login = &contract["paths"]["/as/api/v1/saas-login"]["post"];
    assert_eq!((&login["operationId"], &login["x-envelope"]), (&json!("saas_login"), &json!("none")));
    let schemas = &contract["components"]["schemas"];
    assert_eq!(
        base["components"]["schemas"]["ListAccountsResponse"]["required"],
        json!(["data"]),
        "the base as written"
    );
    assert!(schemas["ListAccountsResponse"].get("required").is_none(), "the contract's answers require nothing");
    assert!(schemas["SaasSession"].get("required").is_none());
    assert_eq!(schemas["SaasSession"]["properties"]["accessToken"]["nullable"], true);
    assert_eq!(schemas["SaasSession"]["properties"]["accessToken"]["x-sensitive"], "secret");
    assert!(schemas["SaasLoginRequest"].get("required").is_some(), "requests keep their required fields");
    assert_eq!(
        schemas["Account"]["properties"]["balance"],
        json!({"type": "string", "format": "decimal", "nullable": true, "description": schemas["Account"]["properties"]["balance"]["description"]})
    );
    // Building is a fixed point.
    assert_eq!(build_contract(contract.clone(), &overlay).0, contract);

    let spec: openapiv3::OpenAPI = serde_json::from_value(contract).expect("openapiv3 reads it");
    assert_eq!(spec.paths.paths.len(), 47);
    let mut settings = progenitor_impl::GenerationSettings::new();
    settings.with_interface(progenitor_impl::InterfaceStyle::Builder);
    let tokens = progenitor_impl::Generator::new(&settings).generate_tokens(&spec).expect("progenitor generates it");
    let code = tokens.to_string();
    for method in ["saas_login", "list_accounts", "update_transaction_limit", "ping"] {
        assert!(code.contains(&format!("fn {method}")), "{method}");
    }
}

#[test]
fn drift_checks_the_vaultspay_contract_too() {
    assert_eq!(drift::check_contract(&repo(), &VAULTSPAY).unwrap(), Vec::<String>::new());

    let edited = repo_copy_of(&VAULTSPAY, "edited");
    edit(&edited, VAULTSPAY.contract, |d| d["paths"]["/v1/ping"]["get"]["operationId"] = json!("health_check"));
    let problems = drift::check_contract(&edited, &VAULTSPAY).unwrap();
    assert!(
        problems.iter().any(|p| p
            .contains("vaultspay/openapi.json is not vaultspay/spec/base.json + vaultspay/spec/overlay.json")
            && p.contains("~ operation GET /v1/ping: operationId health_check → ping")),
        "{problems:?}"
    );

    let reformatted = repo_copy_of(&VAULTSPAY, "reformatted");
    let text = std::fs::read_to_string(reformatted.join(VAULTSPAY.contract)).unwrap();
    std::fs::write(reformatted.join(VAULTSPAY.contract), text.replace("\n  ", "\n    ")).unwrap();
    let problems = drift::check_contract(&reformatted, &VAULTSPAY).unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("run `cargo xtask update-spec --api vaultspay --from vaultspay/spec/base.json`")),
        "{problems:?}"
    );

    let uncatalogued = repo_copy_of(&VAULTSPAY, "catalog");
    let catalog = uncatalogued.join(VAULTSPAY.catalog.unwrap());
    let mut rows = std::fs::read_to_string(&catalog).unwrap();
    rows.push_str("GET\t/pcs/api/v1/card-history\tpcs\tCard History\t\n");
    std::fs::write(&catalog, rows).unwrap();
    let problems = drift::check_contract(&uncatalogued, &VAULTSPAY).unwrap();
    assert_eq!(problems, ["catalog row GET /pcs/api/v1/card-history has no operation"]);

    for dir in [edited, reformatted, uncatalogued] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn the_surface_is_found_in_the_out_dir_of_the_package_asked_for() {
    let messages = [
        r#"{"reason":"compiler-artifact","package_id":"path+file:///w#baanx@0.1.0"}"#,
        r#"{"reason":"build-script-executed","package_id":"path+file:///w/sandbox#baanx-sandbox@0.1.0","out_dir":"/t/sandbox"}"#,
        r#"{"reason":"build-script-executed","package_id":"path+file:///w#baanx@0.1.0","out_dir":"/t/baanx"}"#,
        r#"{"reason":"build-script-executed","package_id":"path+file:///w/vaultspay#0.1.0","out_dir":"/t/vaultspay"}"#,
        "not json",
    ]
    .join("\n");
    assert_eq!(drift::build_script_out_dir(&messages, "path+file:///w#baanx@0.1.0").as_deref(), Some("/t/baanx"));
    assert_eq!(
        drift::build_script_out_dir(&messages, "path+file:///w/vaultspay#0.1.0").as_deref(),
        Some("/t/vaultspay")
    );
    assert_eq!(drift::build_script_out_dir(&messages, "path+file:///w/vaultspay-sandbox#0.1.0"), None);
    // The surface file's name is in every problem, so that each API's are told apart.
    let problems = drift::check_surface("vaultspay/api-surface.txt", "fn a\n", "fn b\n");
    assert_eq!(
        problems,
        [
            "vaultspay/api-surface.txt lacks `fn b`",
            "vaultspay/api-surface.txt has `fn a`, which is no longer generated"
        ]
    );
    assert!(drift::has_build_script(&repo(), &BAANX));
}

/// A workspace whose member `surfaced` (in `surfaced/`, so cargo's package id omits the name, as for `vaultspay`)
/// has a build script that writes `api-surface.txt` into its `OUT_DIR`, and a member `other` that writes another.
#[test]
fn the_generated_surface_is_read_from_the_build_script_of_the_package() {
    let dir = std::env::temp_dir().join(format!("xtask-surface-{}", std::process::id()));
    let write = |file: &str, text: &str| {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("Cargo.toml", "[workspace]\nmembers = [\"surfaced\", \"other\"]\nresolver = \"3\"\n");
    for (name, surface) in [("surfaced", "fn surfaced\n"), ("other", "fn other\n")] {
        write(
            &format!("{name}/Cargo.toml"),
            &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n"),
        );
        write(&format!("{name}/src/lib.rs"), "");
        write(
            &format!("{name}/build.rs"),
            &format!(
                "fn main() {{ std::fs::write(std::path::Path::new(&std::env::var(\"OUT_DIR\").unwrap()).join(\"api-surface.txt\"), {surface:?}).unwrap(); }}\n"
            ),
        );
    }
    let api = Api {
        name: "surfaced",
        package: "surfaced",
        crate_dir: "surfaced",
        spec_dir: "surfaced/spec",
        contract: "surfaced/openapi.json",
        surface: "surfaced/api-surface.txt",
        generated_surface: "target/surfaced-api-surface.generated.txt",
        catalog: None,
        upstream: None,
        docs_index: None,
    };
    assert!(drift::has_build_script(&dir, &api));
    assert_eq!(drift::generated_surface(&dir, &api).unwrap(), "fn surfaced\n");
    std::fs::remove_file(dir.join("surfaced/build.rs")).unwrap();
    assert!(!drift::has_build_script(&dir, &api));
    std::fs::remove_dir_all(&dir).unwrap();
}
