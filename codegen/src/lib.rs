//! # cardsdk-codegen
//!
//! What the build scripts of the `baanx` and `vaultspay` SDKs share: reading a contract, running progenitor with
//! one set of settings, and the passes over its output that make the generated layer lossless and lenient.
//!
//! A build script calls [`pipeline::generate`] and [`pipeline::write`], which run, in order:
//!
//! 1. [`Contract::load`] and [`contract::operations`] (checks what progenitor would panic on, naming the operation);
//! 2. [`enums::collect`] and [`generate::settings`]; [`generate::generate`] (a panic becomes a message naming the
//!    operation at fault);
//! 3. on the `types` module ([`generate::types_module`]): [`lossless::apply`] and the open enums ([`enums::item`]);
//! 4. [`calls::impls`] and [`streams::impls`] (`.stream()` on paginated builders), [`generate::seal`] (constructors
//!    and progenitor's error kept inside the crate) and [`docs::apply`] (setters documented); then it writes `codegen.rs` (prettyplease) and its own operation table, and
//!    [`surface::api_surface`] and [`dispatch::conformance_dispatch`] for the drift check and the tests.
//!
//! The generated code refers to `::cardsdk_runtime` (the shared runtime), `::serde`, and the API crate's
//! `crate::call` module.

#![forbid(unsafe_code)]

pub mod calls;
pub mod contract;
pub mod dispatch;
pub mod docs;
pub mod enums;
pub mod generate;
pub mod lossless;
pub mod pipeline;
pub mod streams;
pub mod surface;

pub use contract::{BodyKind, Contract, Operation};
