//! Every amount of the contract is exact in the generated types: `rust_decimal::Decimal` for fiat amounts,
//! `TokenAmount` (the whole uint256 range) for on-chain ones.
//!
//! Walks `openapi.json`: for every schema with `format: decimal` or `format: token-amount` properties, decodes an
//! instance whose amounts are JSON numbers (`0.1`, which `f64` cannot hold; 2^256−1 base units, which neither `f64`
//! nor `Decimal` can) through the generated type and checks they come back as the exact decimal strings.

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

/// 2^256−1 base units of a 6-decimal token, as a JSON number.
const UINT256_MAX_USDC: &str = "115792089237316195423570985008687907853269984665640564039457584007913129.639935";

#[test]
fn every_amount_field_is_an_exact_decimal() {
    let spec = spec();
    let mut listed = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        let amounts: Vec<&String> = schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, p)| p["format"] == "decimal" || p["format"] == "token-amount")
            .map(|(field, _)| field)
            .collect();
        if amounts.is_empty() {
            continue;
        }
        let mut instance = minimal(&spec, schema);
        assert!(instance.is_object(), "{name}");
        // A JSON number each: 0.1 for fiat amounts (not exact in f64), 2^256−1 base units of a 6-decimal token for
        // on-chain amounts (beyond f64 and Decimal).
        for field in &amounts {
            instance.as_object_mut().unwrap().remove(field.as_str());
        }
        let mut body = serde_json::to_string(&instance).unwrap();
        for field in &amounts {
            let number =
                if schema["properties"][field.as_str()]["format"] == "token-amount" { UINT256_MAX_USDC } else { "0.1" };
            let member = format!("\"{field}\":{number}");
            body = if body == "{}" { format!("{{{member}}}") } else { format!("{{{member},{}", &body[1..]) };
        }
        let body = body.into_bytes();
        let decoded = dispatch::decode_schema(name, &body)
            .unwrap_or_else(|| panic!("{name}: no generated type"))
            .unwrap_or_else(|e| panic!("{name}: an amount sent as a JSON number does not decode: {e}"));
        let decoded: Value = serde_json::from_str(&decoded).unwrap();
        for field in &amounts {
            let token = schema["properties"][field.as_str()]["format"] == "token-amount";
            let expected = if token { UINT256_MAX_USDC } else { "0.1" };
            assert_eq!(decoded[field.as_str()], json!(expected), "{name}.{field} is not exact");
            listed.push(format!("{name}.{field}{}", if token { " (token amount)" } else { "" }));
        }
    }
    println!("{} amount fields, all Decimal:\n{}", listed.len(), listed.join("\n"));
    assert!(listed.len() >= 25, "{}", listed.len());
    assert!(listed.iter().filter(|f| f.ends_with("(token amount)")).count() >= 6);
}
