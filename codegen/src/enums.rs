//! Open enums: every enum component of a contract becomes `cardsdk_runtime::open_enum! { … }`.

use std::collections::BTreeMap;

use heck::ToUpperCamelCase;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::contract::{Contract, rust_type_name};

/// One enum component: its description and documented values.
pub struct OpenEnum {
    /// The component's description.
    pub description: Option<String>,
    /// The documented wire values.
    pub values: Vec<String>,
}

/// Every enum component of the contract (they must be `type: string`).
pub fn collect(contract: &Contract) -> Result<BTreeMap<String, OpenEnum>, String> {
    let mut enums = BTreeMap::new();
    let Some(schemas) = contract.raw.pointer("/components/schemas").and_then(Value::as_object) else {
        return Ok(enums);
    };
    for (name, schema) in schemas {
        let Some(values) = schema.get("enum").and_then(Value::as_array) else {
            continue;
        };
        if schema["type"] != "string" {
            return Err(format!("schema `{name}`: an enum component must be `type: string`"));
        }
        let values = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| v.as_str().map(str::to_string).ok_or(format!("schema `{name}`: non-string enum value {v}")))
            .collect::<Result<Vec<_>, _>>()?;
        let description = schema["description"].as_str().map(str::to_string);
        enums.insert(name.clone(), OpenEnum { description, values });
    }
    Ok(enums)
}

/// `::cardsdk_runtime::open_enum! { Name { Variant = "wire", ... } }` for one enum component.
pub fn item(name: &str, e: &OpenEnum) -> Result<syn::Item, String> {
    let ident = format_ident!("{}", rust_type_name(name));
    let mut seen = BTreeMap::new();
    let mut variants = Vec::new();
    for value in &e.values {
        let mut variant = value
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.to_upper_camel_case())
            .collect::<String>();
        if variant.is_empty() {
            return Err(format!("schema `{name}`: value {value:?} has no letters or digits to name a variant"));
        }
        if variant.starts_with(|c: char| c.is_ascii_digit()) {
            variant.insert(0, 'V');
        }
        if variant == "Unknown" {
            return Err(format!("schema `{name}`: value {value:?} collides with the catch-all `Unknown` variant"));
        }
        if let Some(other) = seen.insert(variant.to_lowercase(), value.clone()) {
            return Err(format!("schema `{name}`: values {other:?} and {value:?} map to the same variant `{variant}`"));
        }
        let doc = format!(" `{value}`");
        let variant = format_ident!("{variant}");
        variants.push(quote!(#[doc = #doc] #variant = #value));
    }
    let doc = e.description.clone().unwrap_or_else(|| format!("Values of `{name}`."));
    let doc = doc.lines().map(|l| format!(" {l}")).collect::<Vec<_>>();
    let tokens = quote! {
        ::cardsdk_runtime::open_enum! {
            #(#[doc = #doc])*
            #ident { #(#variants,)* }
        }
    };
    syn::parse2(tokens).map_err(|e| format!("schema `{name}`: {e}"))
}
