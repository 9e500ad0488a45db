//! Every amount of the contract is a `rust_decimal::Decimal` in the generated types, decoded exactly.
//!
//! Walks `openapi.json`: for every schema with `format: decimal` properties, decodes an instance whose amounts are
//! JSON numbers (`0.1`, which `f64` cannot hold) through the generated type and checks they come back as the exact
//! decimal strings. A field left as `String` would refuse the number; an `f64` would write a number back.

use serde_json::{Map, Value, json};

#[allow(dead_code)]
mod dispatch {
    include!(concat!(env!("OUT_DIR"), "/conformance.rs"));
}

fn spec() -> Value {
    serde_json::from_str(include_str!("../openapi.json")).unwrap()
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => &spec["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => match schema["allOf"].as_array() {
            Some(all) if all.len() == 1 => resolve(spec, &all[0]),
            _ => schema,
        },
    }
}

/// The smallest value a schema accepts (required fields only), for filling what a test does not look at.
fn minimal(spec: &Value, schema: &Value) -> Value {
    let schema = resolve(spec, schema);
    if let Some(values) = schema["enum"].as_array() {
        return values[0].clone();
    }
    match schema["type"].as_str() {
        Some("string") => json!("x"),
        Some("integer") => json!(1),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        _ => {
            let mut object = Map::new();
            for name in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                object.insert(name.into(), minimal(spec, &schema["properties"][name]));
            }
            Value::Object(object)
        }
    }
}

#[test]
fn every_amount_field_is_an_exact_decimal() {
    let spec = spec();
    let mut listed = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        let amounts: Vec<&String> = schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, p)| p["format"] == "decimal")
            .map(|(field, _)| field)
            .collect();
        if amounts.is_empty() {
            continue;
        }
        let mut instance = minimal(&spec, schema);
        for field in &amounts {
            instance[field.as_str()] = serde_json::from_str("0.1").unwrap();
        }
        let body = serde_json::to_vec(&instance).unwrap();
        let decoded = dispatch::decode_schema(name, &body)
            .unwrap_or_else(|| panic!("{name}: no generated type"))
            .unwrap_or_else(|e| panic!("{name}: an amount sent as a JSON number does not decode: {e}"));
        for field in &amounts {
            assert_eq!(decoded[field.as_str()], json!("0.1"), "{name}.{field} is not an exact Decimal");
            listed.push(format!("{name}.{field}"));
        }
    }
    println!("{} amount fields, all Decimal:\n{}", listed.len(), listed.join("\n"));
    assert!(listed.len() >= 25, "{}", listed.len());
}
