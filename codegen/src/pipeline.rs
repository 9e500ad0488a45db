//! The whole pipeline of an API crate's build script, in the order the passes must run, so that each SDK's
//! `build.rs` only says what differs: its contract's operation table and its [`Style`].
//!
//! [`generate()`] runs progenitor and every pass over its output; [`write()`] writes `codegen.rs`, the operation
//! table, `api-surface.txt` and `conformance.rs` into `OUT_DIR`.

use std::path::Path;

use crate::{Contract, Operation, calls, dispatch, docs, enums, generate as progenitor, lossless, streams, surface};

/// What differs between the API crates' generated layers.
#[derive(Clone, Copy, Debug)]
pub struct Style<'a> {
    /// The generated types module as users name it (`baanx::api::types`), for the test dispatch.
    pub public_types: &'a str,
    /// Answers are `{data}` envelopes: generate `impl crate::call::Envelope` for every answer type
    /// ([`calls::envelopes`]).
    pub envelopes: bool,
    /// The function a page's request is sent with, returning the whole answer ([`streams::impls`]).
    pub page_call: &'a str,
}

/// progenitor over `contract`, then every pass: sealed constructors, lossless and lenient types (with redacted
/// `Debug` for `x-sensitive` fields), envelopes (when the style has them), open enums, `Call` impls, `#[must_use]`
/// builders, `.stream()` on paginated builders, documented setters.
pub fn generate(contract: &Contract, operations: &[Operation], style: Style<'_>) -> Result<syn::File, String> {
    let enums = enums::collect(contract)?;
    let settings = progenitor::settings("crate::client::Inner", "crate::api::types", &enums)?;
    let mut file = progenitor::generate(&settings, contract)?;
    progenitor::seal(&mut file)?;
    let types = progenitor::types_module(&mut file)?;
    lossless::apply(types, &contract.schemas_flagged("x-amount-rounding"), &contract.sensitive_fields())?;
    if style.envelopes {
        calls::envelopes(types, operations)?;
    }
    let content = &mut types.content.as_mut().ok_or("the types module has no content")?.1;
    for (name, e) in &enums {
        content.push(enums::item(name, e)?);
    }
    let calls = calls::impls(&file, operations)?;
    file.items.extend(calls);
    calls::mark_must_use(&mut file);
    streams::impls(&mut file, operations, style.page_call)?;
    docs::apply(&mut file);
    Ok(file)
}

/// Writes the outputs into `out` (each only when it changed): `codegen.rs`, `operations.rs` (the crate's own
/// table, `operations_table`), `api-surface.txt` and `conformance.rs`.
pub fn write(
    out: &Path,
    file: &syn::File,
    contract: &Contract,
    operations: &[Operation],
    operations_table: &str,
    style: Style<'_>,
) -> Result<(), String> {
    progenitor::write(&out.join("codegen.rs"), &progenitor::unparse(file))?;
    progenitor::write(&out.join("operations.rs"), operations_table)?;
    progenitor::write(&out.join("api-surface.txt"), &surface::api_surface(file))?;
    let dispatch = dispatch::conformance_dispatch(operations, &contract.schema_names(), style.public_types);
    progenitor::write(&out.join("conformance.rs"), &dispatch)
}
