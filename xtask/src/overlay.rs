//! The overlay: what the SDK knows beyond the upstream document, kept apart so that it survives a new base.
//!
//! `spec/overlay.json` holds JSON merge patches (RFC 7386: objects merge key by key, other values replace):
//!
//! ```json
//! {
//!   "operations": { "GET /v1/card/status": { "operationId": "get_card_status", "x-doc-conflict": ["..."] } },
//!   "schemas":    { "CardTransaction": { "properties": { "ecbRate": { "format": "decimal" } } } },
//!   "fallbacks":  { "OAuthGrantType": { "type": "string", "enum": ["authorization_code", "refresh_token"] } },
//!   "document":   { "info": { "title": "Baanx API" } }
//! }
//! ```
//!
//! Operations are keyed by method and path (stable across upstream versions, unlike ids). A patch that defines a
//! whole operation or schema the upstream lacks (an undocumented endpoint, the shared error) carries
//! `"x-overlay": "add"`; the whole schemas those need that the upstream has too are `fallbacks` (used only when a
//! base lacks them); any other patch whose target is missing is reported, not applied.

use serde_json::{Map, Value, json};

/// Marks a patch that defines its whole target (removed when applied).
const ADD: &str = "x-overlay";
const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

/// RFC 7386 merge patch.
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let map = target.as_object_mut().unwrap();
    for (key, value) in patch {
        if value.is_null() {
            map.remove(key);
        } else {
            merge(map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// Applies `overlay` to `doc`; returns the patches that found no target.
pub fn apply(doc: &mut Value, overlay: &Value) -> Vec<String> {
    let mut unapplied = Vec::new();
    for (key, patch) in overlay["operations"].as_object().into_iter().flatten() {
        let Some((method, path)) = key.split_once(' ') else {
            unapplied.push(format!("operation key {key:?} is not \"METHOD /path\""));
            continue;
        };
        let method = method.to_ascii_lowercase();
        let exists = doc["paths"][path].get(&method).is_some();
        let adds = patch[ADD] == "add";
        if !exists && !adds {
            unapplied.push(format!("operation {key}: the base has no such operation"));
            continue;
        }
        let paths = doc.as_object_mut().unwrap().entry("paths").or_insert_with(|| json!({}));
        let item = paths.as_object_mut().unwrap().entry(path.to_string()).or_insert_with(|| json!({}));
        let target = item.as_object_mut().unwrap().entry(method).or_insert_with(|| json!({}));
        merge(target, patch);
        target.as_object_mut().unwrap().remove(ADD);
    }
    for (name, schema) in overlay["fallbacks"].as_object().into_iter().flatten() {
        let components = doc.as_object_mut().unwrap().entry("components").or_insert_with(|| json!({}));
        let schemas = components.as_object_mut().unwrap().entry("schemas").or_insert_with(|| json!({}));
        schemas.as_object_mut().unwrap().entry(name.clone()).or_insert_with(|| schema.clone());
    }
    for (name, patch) in overlay["schemas"].as_object().into_iter().flatten() {
        let exists = doc.pointer(&format!("/components/schemas/{name}")).is_some();
        if !exists && patch[ADD] != "add" {
            unapplied.push(format!("schema {name}: the base has no such schema"));
            continue;
        }
        let components = doc.as_object_mut().unwrap().entry("components").or_insert_with(|| json!({}));
        let schemas = components.as_object_mut().unwrap().entry("schemas").or_insert_with(|| json!({}));
        let target = schemas.as_object_mut().unwrap().entry(name.clone()).or_insert_with(|| json!({}));
        merge(target, patch);
        target.as_object_mut().unwrap().remove(ADD);
    }
    if let Some(patch) = overlay.get("document") {
        merge(doc, patch);
    }
    unapplied
}

/// Splits a finished contract into the base it would come from and the overlay of SDK knowledge. Used once, to make
/// the hand-written contract the first base; `apply(normalise(base), overlay)` gives the contract back.
///
/// The overlay takes: each operation's `operationId`, `tags`, `security` and `x-*` keys; whole undocumented
/// operations (`x-undocumented`) and the schemas only they (or nothing) use; the shared `ApiError` and
/// `SuccessResponse`; each schema's `x-*` keys and `format: decimal`; the document's `info` and `tags`.
pub fn extract(contract: &Value) -> (Value, Value) {
    let mut base = contract.clone();
    let mut operations = Map::new();
    let mut schemas = Map::new();
    let mut documented_roots = Vec::new();
    let paths = base["paths"].as_object_mut().cloned().unwrap_or_default();
    let mut kept_paths = Map::new();
    for (path, item) in paths {
        let mut kept = Map::new();
        for (method, op) in item.as_object().cloned().unwrap_or_default() {
            if !METHODS.contains(&method.as_str()) {
                kept.insert(method, op);
                continue;
            }
            let key = format!("{} {path}", method.to_uppercase());
            if op["x-undocumented"] == true {
                let mut whole = op.clone();
                whole[ADD] = json!("add");
                operations.insert(key, whole);
                continue;
            }
            let mut op = op;
            let mut patch = Map::new();
            let map = op.as_object_mut().unwrap();
            let moved: Vec<String> = map
                .keys()
                .filter(|k| k.starts_with("x-") || ["operationId", "tags", "security"].contains(&k.as_str()))
                .cloned()
                .collect();
            for k in moved {
                patch.insert(k.clone(), map.remove(&k).unwrap());
            }
            documented_roots.push(op.clone());
            operations.insert(key, Value::Object(patch));
            kept.insert(method, op);
        }
        if !kept.is_empty() {
            kept_paths.insert(path, Value::Object(kept));
        }
    }
    base["paths"] = Value::Object(kept_paths);

    let used = crate::reachable_schemas(&base, &documented_roots);
    let all = base.pointer("/components/schemas").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut kept_schemas = Map::new();
    for (name, schema) in all {
        if !used.contains(&name) || ["ApiError", "SuccessResponse"].contains(&name.as_str()) {
            let mut whole = schema;
            whole[ADD] = json!("add");
            schemas.insert(name, whole);
            continue;
        }
        let mut schema = schema;
        let mut patch = Map::new();
        let map = schema.as_object_mut().unwrap();
        let moved: Vec<String> = map.keys().filter(|k| k.starts_with("x-")).cloned().collect();
        for k in moved {
            patch.insert(k.clone(), map.remove(&k).unwrap());
        }
        let mut decimal = Map::new();
        for (field, property) in map.get_mut("properties").and_then(Value::as_object_mut).into_iter().flatten() {
            if property["format"] == "decimal" {
                property.as_object_mut().unwrap().remove("format");
                decimal.insert(field.clone(), json!({ "format": "decimal" }));
            }
        }
        if !decimal.is_empty() {
            patch.insert("properties".into(), Value::Object(decimal));
        }
        if !patch.is_empty() {
            schemas.insert(name.clone(), Value::Object(patch));
        }
        kept_schemas.insert(name, schema);
    }
    base["components"]["schemas"] = Value::Object(kept_schemas);

    // Whole schemas the overlay's own operations and schemas need, which the base has too: used only when a base
    // lacks them.
    let added: Vec<Value> = operations.values().chain(schemas.values()).filter(|p| p[ADD] == "add").cloned().collect();
    let mut fallbacks = Map::new();
    for name in crate::reachable_schemas(contract, &added) {
        if schemas.get(&name).is_some_and(|p| p[ADD] == "add") {
            continue;
        }
        if let Some(schema) = contract.pointer(&format!("/components/schemas/{name}")) {
            fallbacks.insert(name, schema.clone());
        }
    }

    let mut document = Map::new();
    for key in ["info", "tags"] {
        if let Some(value) = base.as_object_mut().unwrap().remove(key) {
            document.insert(key.into(), value);
        }
    }
    let overlay = json!({
        "operations": operations,
        "fallbacks": fallbacks,
        "schemas": schemas,
        "document": document,
    });
    (base, overlay)
}
