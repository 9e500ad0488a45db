//! Spec tooling for the `baanx` workspace (`cargo xtask`): the contract is built from an upstream base plus our
//! overlay, reproducibly, and checked for drift.
//!
//! `openapi.json` = [`render`](document::render)(overlay::apply([`normalise`](normalise::normalise)(base),
//! overlay)), with the base in `spec/base.json` and the overlay in `spec/overlay.json`.

pub mod diff;
pub mod docs_index;
pub mod document;
pub mod downgrade;
pub mod drift;
pub mod normalise;
pub mod overlay;

use serde_json::Value;

/// The contract from a base and the overlay, with the overlay patches that found no target.
pub fn build_contract(base: Value, overlay: &Value) -> (Value, Vec<String>) {
    let mut contract = normalise::normalise(base);
    let unapplied = overlay::apply(&mut contract, overlay);
    (contract, unapplied)
}
