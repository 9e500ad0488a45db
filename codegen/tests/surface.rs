//! A change of the contract shows in the API surface (`api-surface.txt`): a new optional field adds one `field`
//! line, a retyped field changes its line, a new enum value or query parameter adds its line. The committed
//! snapshot then no longer matches the generated one, and CI's drift check (`cargo xtask drift`) fails until the
//! change is reviewed and the snapshot updated.

use cardsdk_codegen::{Contract, contract, pipeline, surface};
use serde_json::{Value, json};

fn spec(card_fields: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/v1/card": {"get": {
                "operationId": "get_card",
                "tags": ["card"],
                "x-doc-page": "api-reference/card/get",
                "security": [],
                "parameters": [{"name": "page", "in": "query", "required": false, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Card"}}}}}
            }}
        },
        "components": {"schemas": {
            "Card": {"type": "object", "properties": card_fields},
            "CardStatus": {"type": "string", "enum": ["ACTIVE", "FROZEN"]}
        }}
    })
}

/// The surface of a contract, through the pipeline a build script runs.
fn surface_of(spec: &Value) -> String {
    // A file of its own per call: the tests run in parallel threads of one process.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("cardsdk-surface-{}-{n}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_vec(spec).unwrap()).unwrap();
    let contract = Contract::load(path.to_str().unwrap()).unwrap();
    std::fs::remove_file(&path).ok();
    let operations = contract::operations(&contract, "crate::api::types").unwrap();
    let style =
        pipeline::Style { public_types: "crate::api::types", envelopes: false, page_call: "crate::call::Call::call" };
    surface::api_surface(&pipeline::generate(&contract, &operations, style).unwrap())
}

fn diff(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let old: std::collections::BTreeSet<_> = before.lines().collect();
    let new: std::collections::BTreeSet<_> = after.lines().collect();
    (new.difference(&old).map(|s| s.to_string()).collect(), old.difference(&new).map(|s| s.to_string()).collect())
}

#[test]
fn a_new_optional_field_changes_the_surface() {
    let before = surface_of(&spec(json!({
        "id": {"type": "string"},
        "status": {"$ref": "#/components/schemas/CardStatus"}
    })));
    let after = surface_of(&spec(json!({
        "id": {"type": "string"},
        "status": {"$ref": "#/components/schemas/CardStatus"},
        "nickname": {"type": "string", "description": "New in this version of the contract."}
    })));
    assert!(before.contains("fn get_card"), "{before}");
    assert!(before.contains("field Card.id"), "{before}");
    let (added, removed) = diff(&before, &after);
    assert!(removed.is_empty(), "nothing removed: {removed:?}");
    assert_eq!(added.len(), 1, "exactly the new field: {added:?}");
    assert!(added[0].starts_with("field Card.nickname: "), "{added:?}");
    assert!(added[0].contains("Option"), "an optional field: {added:?}");
}

#[test]
fn a_changed_type_a_new_value_and_a_new_parameter_change_the_surface() {
    let base = spec(json!({"id": {"type": "string"}}));
    let before = surface_of(&base);

    let mut retyped = base.clone();
    retyped["components"]["schemas"]["Card"]["properties"]["id"] = json!({"type": "integer"});
    let (added, removed) = diff(&before, &surface_of(&retyped));
    assert_eq!((added.len(), removed.len()), (1, 1), "{added:?} {removed:?}");
    assert!(removed[0].starts_with("field Card.id: ") && added[0].starts_with("field Card.id: "));

    let mut valued = base.clone();
    valued["components"]["schemas"]["CardStatus"]["enum"] = json!(["ACTIVE", "FROZEN", "BLOCKED"]);
    let (added, _) = diff(&before, &surface_of(&valued));
    assert_eq!(added, vec!["value CardStatus::Blocked = \"BLOCKED\"".to_string()]);

    let mut param = base;
    param["paths"]["/v1/card"]["get"]["parameters"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "searchKey", "in": "query", "required": false, "schema": {"type": "string"}}));
    let (added, _) = diff(&before, &surface_of(&param));
    assert_eq!(added.len(), 1, "{added:?}");
    assert!(added[0].starts_with("param GetCard.search_key: "), "{added:?}");
}
