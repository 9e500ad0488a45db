//! OpenAPI 3.1 → 3.0.3, as progenitor 0.15 needs (see `../shared/reference/progenitor-notes.md` §7).
//!
//! | 3.1 | 3.0.3 |
//! |---|---|
//! | `openapi: 3.1.x` | `3.0.3` |
//! | `type: [T, "null"]` | `type: T, nullable: true` |
//! | `type: [A, B]` | `anyOf: [{type: A}, {type: B}]` |
//! | `type: "null"` | `nullable: true` |
//! | `oneOf`/`anyOf` with a `{type: null}` member | the other members (`allOf: [X]` when one is left) + `nullable` |
//! | `const: v` | `enum: [v]` |
//! | numeric `exclusiveMinimum`/`exclusiveMaximum` | `minimum`/`maximum` + boolean flag |
//! | `$ref` with siblings | `allOf: [{$ref}]` + the siblings |
//! | schema `examples: [...]` | `example: <first>` |
//! | boolean schemas `true`/`false` | `{}` / `{not: {}}` |
//! | `$defs` | hoisted into `components.schemas`, references rewritten |
//! | `contentEncoding: base64` / `contentMediaType` | `format: byte` / `format: binary` |
//! | `patternProperties` | `additionalProperties` (the first pattern's schema) |
//! | `prefixItems`, `unevaluated*`, `dependent*`, `if`/`then`/`else`, `propertyNames`, `contains`, `$id`, ... | dropped |
//! | `webhooks`, `jsonSchemaDialect`, `$schema`, `info.summary`, `license.identifier` | dropped |
//! | missing `paths` | `paths: {}` |
//! | `components.pathItems` and path-item `$ref` | inlined |
//! | security scheme `mutualTLS` | dropped |

use serde_json::{Map, Value, json};

/// Rewrites `doc` to OpenAPI 3.0.3 in place. A 3.0 document passes through unchanged in meaning.
pub fn downgrade(doc: &mut Value) {
    let Some(root) = doc.as_object_mut() else { return };
    root.insert("openapi".into(), json!("3.0.3"));
    for key in ["webhooks", "jsonSchemaDialect", "$schema", "$id"] {
        root.remove(key);
    }
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    }
    root.entry("paths").or_insert_with(|| json!({}));
    inline_path_items(root);
    if let Some(schemes) =
        root.get_mut("components").and_then(|c| c.get_mut("securitySchemes")).and_then(Value::as_object_mut)
    {
        schemes.retain(|_, s| s["type"] != "mutualTLS");
    }
    hoist_defs(doc);
    walk_document(doc);
}

/// Replaces `$ref`'d path items by their definitions, and drops `components.pathItems`.
fn inline_path_items(root: &mut Map<String, Value>) {
    let items = root
        .get_mut("components")
        .and_then(Value::as_object_mut)
        .and_then(|c| c.remove("pathItems"))
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(target) = item.get("$ref").and_then(Value::as_str).map(str::to_string) else { continue };
            let name = target.rsplit('/').next().unwrap_or_default();
            if let (Some(definition), Some(object)) = (items.get(name).and_then(Value::as_object), item.as_object_mut())
            {
                object.remove("$ref");
                for (k, v) in definition {
                    object.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
}

/// Moves every `$defs` entry into `components.schemas` and points the references there.
fn hoist_defs(doc: &mut Value) {
    let mut hoisted: Vec<(String, String, Value)> = Vec::new(); // (old pointer, new name, schema)
    collect_defs(doc, "#", &mut hoisted);
    if hoisted.is_empty() {
        return;
    }
    let schemas = doc
        .as_object_mut()
        .unwrap()
        .entry("components")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .unwrap()
        .entry("schemas")
        .or_insert_with(|| json!({}));
    let mut renames = Vec::new();
    for (pointer, name, schema) in hoisted {
        let mut unique = name.clone();
        let mut n = 2;
        while schemas.get(&unique).is_some() {
            unique = format!("{name}{n}");
            n += 1;
        }
        schemas[&unique] = schema;
        renames.push((pointer, format!("#/components/schemas/{unique}")));
    }
    rewrite_refs(doc, &renames);
}

fn collect_defs(value: &mut Value, pointer: &str, out: &mut Vec<(String, String, Value)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(defs)) = map.remove("$defs") {
                for (name, schema) in defs {
                    out.push((format!("{pointer}/$defs/{name}"), name, schema));
                }
            }
            for (key, child) in map.iter_mut() {
                collect_defs(child, &format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                collect_defs(child, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn rewrite_refs(value: &mut Value, renames: &[(String, String)]) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref") {
                // The exact pointer, else any `…/$defs/<name>` pointing at a hoisted definition of that name.
                let by_pointer = renames.iter().find(|(old, _)| old == target);
                let by_name = || {
                    let (_, name) = target.rsplit_once("/$defs/")?;
                    renames.iter().find(|(old, _)| old.ends_with(&format!("/$defs/{name}")))
                };
                if let Some((_, new)) = by_pointer.or_else(by_name) {
                    *target = new.clone();
                }
            }
            map.values_mut().for_each(|v| rewrite_refs(v, renames));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, renames)),
        _ => {}
    }
}

/// Finds the schema positions of the document (outside schemas) and downgrades each schema.
fn walk_document(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match key.as_str() {
                    // Example payloads are data, not document structure.
                    "example" | "examples" => {}
                    "schema" => schema(child),
                    "schemas" if child.is_object() => child.as_object_mut().unwrap().values_mut().for_each(schema),
                    _ => walk_document(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(walk_document),
        _ => {}
    }
}

const DROPPED: [&str; 16] = [
    "unevaluatedProperties",
    "unevaluatedItems",
    "dependentRequired",
    "dependentSchemas",
    "if",
    "then",
    "else",
    "propertyNames",
    "contains",
    "minContains",
    "maxContains",
    "$id",
    "$anchor",
    "$schema",
    "$comment",
    "$dynamicAnchor",
];

/// Downgrades one schema and everything below it.
pub fn schema(value: &mut Value) {
    match value {
        Value::Bool(true) => *value = json!({}),
        Value::Bool(false) => *value = json!({"not": {}}),
        Value::Object(_) => {}
        _ => return,
    }
    let map = value.as_object_mut().unwrap();
    if map.contains_key("$ref") && map.len() > 1 {
        let reference = map.remove("$ref").unwrap();
        let mut all = vec![json!({ "$ref": reference })];
        if let Some(Value::Array(existing)) = map.remove("allOf") {
            all.extend(existing);
        }
        map.insert("allOf".into(), Value::Array(all));
    }
    for key in DROPPED.iter().chain(["$dynamicRef", "prefixItems"].iter()) {
        map.remove(*key);
    }
    match map.remove("type") {
        Some(Value::Array(types)) => {
            let nullable = types.iter().any(|t| t == "null");
            let others: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
            match others.len() {
                0 => {}
                1 => {
                    map.insert("type".into(), others.into_iter().next().unwrap());
                }
                _ => {
                    let any: Vec<Value> = others.into_iter().map(|t| json!({ "type": t })).collect();
                    map.insert("anyOf".into(), Value::Array(any));
                }
            }
            if nullable {
                map.insert("nullable".into(), json!(true));
            }
        }
        Some(Value::String(t)) if t == "null" => {
            map.insert("nullable".into(), json!(true));
        }
        Some(other) => {
            map.insert("type".into(), other);
        }
        None => {}
    }
    for combinator in ["oneOf", "anyOf"] {
        let Some(Value::Array(members)) = map.get(combinator).cloned() else { continue };
        let is_null = |m: &Value| {
            m["type"] == "null" || m["type"] == json!(["null"]) || m["const"] == Value::Null && m.get("const").is_some()
        };
        if members.iter().any(is_null) {
            let rest: Vec<Value> = members.into_iter().filter(|m| !is_null(m)).collect();
            map.remove(combinator);
            if rest.len() == 1 {
                map.insert("allOf".into(), Value::Array(rest));
            } else if !rest.is_empty() {
                map.insert(combinator.into(), Value::Array(rest));
            }
            map.insert("nullable".into(), json!(true));
        }
    }
    if let Some(Value::Array(values)) = map.get("enum")
        && values.iter().any(Value::is_null)
    {
        map.insert("nullable".into(), json!(true));
    }
    if let Some(constant) = map.remove("const") {
        if constant.is_null() {
            map.insert("nullable".into(), json!(true));
        } else {
            if !map.contains_key("type") {
                let kind = match &constant {
                    Value::String(_) => "string",
                    Value::Bool(_) => "boolean",
                    Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                    Value::Number(_) => "number",
                    Value::Array(_) => "array",
                    _ => "object",
                };
                map.insert("type".into(), json!(kind));
            }
            map.insert("enum".into(), json!([constant]));
        }
    }
    for (exclusive, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(limit) = map.get(exclusive).filter(|v| v.is_number()).cloned() {
            map.insert(bound.into(), limit);
            map.insert(exclusive.into(), json!(true));
        }
    }
    if let Some(Value::Array(examples)) = map.remove("examples")
        && !map.contains_key("example")
        && let Some(first) = examples.into_iter().next()
    {
        map.insert("example".into(), first);
    }
    let encoding = map.remove("contentEncoding");
    let media = map.remove("contentMediaType");
    if encoding.as_ref().and_then(Value::as_str).is_some_and(|e| e.eq_ignore_ascii_case("base64")) {
        map.insert("format".into(), json!("byte"));
    } else if media.is_some() || encoding.is_some() {
        map.insert("format".into(), json!("binary"));
    }
    if let Some(Value::Object(patterns)) = map.remove("patternProperties")
        && !map.contains_key("additionalProperties")
        && let Some((_, first)) = patterns.into_iter().next()
    {
        map.insert("additionalProperties".into(), first);
    }
    // Below this schema.
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        properties.values_mut().for_each(schema);
    }
    for key in ["items", "not"] {
        if let Some(child) = map.get_mut(key) {
            schema(child);
        }
    }
    if let Some(child) = map.get_mut("additionalProperties").filter(|v| v.is_object()) {
        schema(child);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(members)) = map.get_mut(key) {
            members.iter_mut().for_each(schema);
        }
    }
}
