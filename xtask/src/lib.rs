//! Spec tooling for the `baanx` workspace (`cargo xtask`): each API contract is built from a base plus our
//! overlay, reproducibly, and checked for drift.
//!
//! `openapi.json` = [`render`](document::render)(overlay::apply([`normalise`](normalise::normalise)(base),
//! overlay)), with the base in `spec/base.json` and the overlay in `spec/overlay.json`; [`api`] says where those
//! files are for each API (Baanx in the workspace root, VaultsPay in `vaultspay/`).

pub mod api;
pub mod diff;
pub mod docs_index;
pub mod document;
pub mod downgrade;
pub mod drift;
pub mod normalise;
pub mod overlay;

use std::collections::BTreeSet;

use serde_json::Value;

/// Names of the component schemas reachable from `roots`, following `$ref`s through `doc`'s components.
pub fn reachable_schemas<'a>(doc: &'a Value, roots: impl IntoIterator<Item = &'a Value>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&Value> = roots.into_iter().collect();
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                if let Some(name) =
                    map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"))
                    && seen.insert(name.to_string())
                {
                    stack.push(&doc["components"]["schemas"][name]);
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    seen
}

/// The contract from a base and the overlay, with the overlay patches that found no target.
pub fn build_contract(base: Value, overlay: &Value) -> (Value, Vec<String>) {
    let mut contract = normalise::normalise(base);
    let unapplied = overlay::apply(&mut contract, overlay);
    (contract, unapplied)
}
