//! `normalise(base)`: the upstream document made ready for the SDK, before the overlay adds our knowledge.
//!
//! 1. [`downgrade`](crate::downgrade::downgrade) to OpenAPI 3.0.3.
//! 2. Tolerance (spec/CONVENTIONS.md, "Responses"): in every schema that only answers carry (reachable from a 2xx
//!    response and not from a request body or parameter), nothing is required, every property is nullable, and
//!    no keyword turns a looser live value into a decode error (`pattern`, lengths, bounds,
//!    `additionalProperties: false`, strict formats such as `date-time` or `uuid`). A `$ref` property becomes
//!    `allOf: [$ref]` so that it can be nullable.
//!
//! Normalising twice gives the same document.

use std::collections::BTreeSet;

use serde_json::{Value, json};

/// Validation keywords removed from answer-only schemas.
const VALIDATION: [&str; 13] = [
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
    "minProperties",
    "maxProperties",
];
/// Formats typify would validate strictly.
const STRICT_FORMATS: [&str; 8] = ["date-time", "date", "time", "uuid", "email", "uri", "hostname", "ipv4"];

/// Downgrades and makes answers tolerant.
pub fn normalise(mut doc: Value) -> Value {
    crate::downgrade::downgrade(&mut doc);
    let answers = reachable(&doc, true);
    let requests = reachable(&doc, false);
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for (name, schema) in schemas.iter_mut() {
            if answers.contains(name) && !requests.contains(name) {
                tolerate(schema);
            }
        }
    }
    // Inline answer schemas too.
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for op in item.as_object_mut().into_iter().flat_map(|m| m.values_mut()) {
                for (code, response) in op.get_mut("responses").and_then(Value::as_object_mut).into_iter().flatten() {
                    if !code.starts_with('2') {
                        continue;
                    }
                    for media in response
                        .get_mut("content")
                        .and_then(Value::as_object_mut)
                        .into_iter()
                        .flat_map(|c| c.values_mut())
                    {
                        if let Some(schema) = media.get_mut("schema").filter(|s| s.get("$ref").is_none()) {
                            tolerate(schema);
                        }
                    }
                }
            }
        }
    }
    doc
}

/// Names of the component schemas reachable from 2xx answers (`answers`) or from request bodies and parameters.
fn reachable(doc: &Value, answers: bool) -> BTreeSet<String> {
    let mut roots = Vec::new();
    for item in doc["paths"].as_object().into_iter().flat_map(|p| p.values()) {
        for op in item.as_object().into_iter().flat_map(|m| m.values()) {
            if answers {
                for (code, response) in op["responses"].as_object().into_iter().flatten() {
                    if code.starts_with('2') {
                        roots.extend(
                            response["content"].as_object().into_iter().flat_map(|c| c.values()).map(|m| &m["schema"]),
                        );
                    }
                }
            } else {
                roots.extend(
                    op["requestBody"]["content"].as_object().into_iter().flat_map(|c| c.values()).map(|m| &m["schema"]),
                );
                roots.extend(op["parameters"].as_array().into_iter().flatten().map(|p| &p["schema"]));
            }
        }
    }
    crate::reachable_schemas(doc, roots)
}

fn strip_validation(schema: &mut serde_json::Map<String, Value>) {
    for key in VALIDATION {
        schema.remove(key);
    }
    if schema.get("additionalProperties") == Some(&json!(false)) {
        schema.remove("additionalProperties");
    }
    if schema.get("format").and_then(Value::as_str).is_some_and(|f| STRICT_FORMATS.contains(&f)) {
        schema.remove("format");
    }
}

/// Makes one answer schema tolerant (recursively through its inline parts).
fn tolerate(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else { return };
    strip_validation(map);
    map.remove("required");
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        for property in properties.values_mut() {
            if let Some(reference) = property.get("$ref").cloned()
                && property.as_object().is_some_and(|p| p.len() == 1)
            {
                *property = json!({ "allOf": [{ "$ref": reference }], "nullable": true });
                continue;
            }
            if let Some(p) = property.as_object_mut() {
                p.insert("nullable".into(), json!(true));
                // A nullable inline enum lists null too (typify needs it).
                if let Some(Value::Array(values)) = p.get_mut("enum")
                    && !values.contains(&Value::Null)
                {
                    values.push(Value::Null);
                }
            }
            tolerate(property);
        }
    }
    if let Some(items) = map.get_mut("items") {
        if let Some(i) = items.as_object_mut() {
            strip_validation(i);
        }
        if items.get("$ref").is_none() {
            tolerate(items);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for member in map.get_mut(key).and_then(Value::as_array_mut).into_iter().flatten() {
            if member.get("$ref").is_none() {
                tolerate(member);
            }
        }
    }
    if let Some(extra) = map.get_mut("additionalProperties").filter(|v| v.is_object() && v.get("$ref").is_none()) {
        tolerate(extra);
    }
}
