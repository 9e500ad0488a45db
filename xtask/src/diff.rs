//! A semantic diff of two OpenAPI 3.0 documents: what a reviewer of a spec update needs to see.
//!
//! Lines start with `+` (added), `-` (removed) or `~` (changed):
//! operations, their parameters (with their types), schemas, schema fields (with their types), enum values.

use std::collections::BTreeMap;

use serde_json::Value;

const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

/// A short type description: `string`, `string/decimal`, `$Card`, `array<$Card>`, `object`, `any`; `?` when nullable.
pub fn type_of(schema: &Value) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        return format!("${}", r.rsplit('/').next().unwrap_or(r));
    }
    if let Some([single]) = schema["allOf"].as_array().map(Vec::as_slice) {
        let inner = type_of(single);
        return if schema["nullable"] == true { format!("{inner}?") } else { inner };
    }
    let base = match schema["type"].as_str() {
        Some("array") => format!("array<{}>", type_of(&schema["items"])),
        Some(t) => match schema["format"].as_str() {
            Some(f) => format!("{t}/{f}"),
            None => t.to_string(),
        },
        None if schema.get("oneOf").is_some() || schema.get("anyOf").is_some() => "union".into(),
        None => "any".into(),
    };
    if schema["nullable"] == true { format!("{base}?") } else { base }
}

fn operations(doc: &Value) -> BTreeMap<String, &Value> {
    let mut out = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.insert(format!("{} {path}", method.to_uppercase()), op);
            }
        }
    }
    out
}

fn parameters(op: &Value) -> BTreeMap<String, String> {
    op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let name = format!("{} ({})", p["name"].as_str().unwrap_or("?"), p["in"].as_str().unwrap_or("?"));
            let required = if p["required"] == true { "" } else { ", optional" };
            (name, format!("{}{required}", type_of(&p["schema"])))
        })
        .collect()
}

fn fields(schema: &Value) -> BTreeMap<String, String> {
    let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, p)| {
            let req = if required.contains(&name.as_str()) { ", required" } else { "" };
            (name.clone(), format!("{}{req}", type_of(p)))
        })
        .collect()
}

fn enum_values(schema: &Value) -> Vec<String> {
    schema["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .collect()
}

/// The differences from `old` to `new`, one line each, in a stable order.
pub fn diff(old: &Value, new: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    let (old_ops, new_ops) = (operations(old), operations(new));
    for (key, op) in &new_ops {
        let id = op["operationId"].as_str().unwrap_or("no operationId");
        match old_ops.get(key) {
            None => lines.push(format!("+ operation {key} ({id})")),
            Some(before) => {
                let before_id = before["operationId"].as_str().unwrap_or("no operationId");
                if before_id != id {
                    lines.push(format!("~ operation {key}: operationId {before_id} → {id}"));
                }
                let (a, b) = (parameters(before), parameters(op));
                changes(&mut lines, &format!("parameter {key}"), &a, &b);
            }
        }
    }
    for (key, op) in &old_ops {
        if !new_ops.contains_key(key) {
            lines.push(format!("- operation {key} ({})", op["operationId"].as_str().unwrap_or("no operationId")));
        }
    }
    let empty = serde_json::Map::new();
    let old_schemas = old.pointer("/components/schemas").and_then(Value::as_object).unwrap_or(&empty);
    let new_schemas = new.pointer("/components/schemas").and_then(Value::as_object).unwrap_or(&empty);
    for (name, schema) in new_schemas {
        match old_schemas.get(name) {
            None => lines.push(format!("+ schema {name}")),
            Some(before) => {
                changes(&mut lines, &format!("field {name}"), &fields(before), &fields(schema));
                let (a, b) = (enum_values(before), enum_values(schema));
                for v in b.iter().filter(|v| !a.contains(v)) {
                    lines.push(format!("+ enum value {name}: {v}"));
                }
                for v in a.iter().filter(|v| !b.contains(v)) {
                    lines.push(format!("- enum value {name}: {v}"));
                }
            }
        }
    }
    for name in old_schemas.keys().filter(|n| !new_schemas.contains_key(*n)) {
        lines.push(format!("- schema {name}"));
    }
    lines
}

fn changes(lines: &mut Vec<String>, what: &str, old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) {
    for (name, ty) in new {
        match old.get(name) {
            None => lines.push(format!("+ {what}.{name}: {ty}")),
            Some(before) if before != ty => lines.push(format!("~ {what}.{name}: {before} → {ty}")),
            Some(_) => {}
        }
    }
    for (name, ty) in old {
        if !new.contains_key(name) {
            lines.push(format!("- {what}.{name}: {ty}"));
        }
    }
}
