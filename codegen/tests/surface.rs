//! A change of the contract shows in the API surface (`api-surface.txt`): a new optional field adds one `field`
//! line, a retyped field changes its line, a new enum value or query parameter adds its line. The committed
//! snapshot then no longer matches the generated one, and CI's drift check (`cargo xtask drift`) fails until the
//! change is reviewed and the snapshot updated.

use cardsdk_codegen::{Contract, calls, contract, enums, generate, lossless, streams, surface};
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

/// The surface of a contract, through the passes a build script runs.
fn surface_of(spec: &Value) -> String {
    let path = std::env::temp_dir().join(format!("cardsdk-surface-{}-{}.json", std::process::id(), rand_suffix()));
    std::fs::write(&path, serde_json::to_vec(spec).unwrap()).unwrap();
    let contract = Contract::load(path.to_str().unwrap()).unwrap();
    std::fs::remove_file(&path).ok();
    let operations = contract::operations(&contract, "crate::api::types").unwrap();
    let enums = enums::collect(&contract).unwrap();
    let settings = generate::settings("crate::client::Inner", "crate::api::types", &enums).unwrap();
    let mut file = generate::generate(&settings, &contract).unwrap();
    generate::seal(&mut file).unwrap();
    let types = generate::types_module(&mut file).unwrap();
    lossless::apply(types, &Default::default(), &contract.sensitive_fields()).unwrap();
    let content = &mut types.content.as_mut().unwrap().1;
    for (name, e) in &enums {
        content.push(enums::item(name, e).unwrap());
    }
    let impls = calls::impls(&file, &operations).unwrap();
    file.items.extend(impls);
    streams::impls(&mut file, &operations, "crate::call::Call::call").unwrap();
    surface::api_surface(&file)
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
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
