//! The API contracts of the workspace and where each one's files are: one row per API, read by every command.
//!
//! Paths are relative to the workspace root. Both contracts are built the same way
//! (`openapi.json = overlay(normalise(spec/base.json), spec/overlay.json)`); the rows differ in what the base is
//! (an upstream document, or written by hand from the docs pages) and in the Baanx-only extras (the vendor's
//! OpenAPI document and docs index, both on the network).

use anyhow::{Result, bail};

/// Where one API's contract, its sources and its snapshots are.
#[derive(Debug)]
pub struct Api {
    /// The name `--api` takes.
    pub name: &'static str,
    /// The cargo package whose build script generates the client (and writes `api-surface.txt` into `OUT_DIR`).
    pub package: &'static str,
    /// The package's directory (`""`: the workspace root).
    pub crate_dir: &'static str,
    /// The directory of `base.json`, `overlay.json` and `CONVENTIONS.md`.
    pub spec_dir: &'static str,
    /// The built contract.
    pub contract: &'static str,
    /// The committed API surface snapshot.
    pub surface: &'static str,
    /// Where `drift` leaves the generated surface when it differs.
    pub generated_surface: &'static str,
    /// The docs catalog (`method<TAB>path<TAB>…`, one row per documented operation), if the API has one.
    pub catalog: Option<&'static str>,
    /// The vendor's OpenAPI document (the default `--from`), if there is one. Without it the base is written by
    /// hand, and `update-spec` never normalises it into `base.json` (the normaliser runs when the contract is
    /// built).
    pub upstream: Option<&'static str>,
    /// The vendor's docs index (`llms.txt`, the default `--docs-index`), if there is one.
    pub docs_index: Option<&'static str>,
}

/// The Baanx API: the root crate. Its base is the vendor's OpenAPI document, normalised.
pub const BAANX: Api = Api {
    name: "baanx",
    package: "baanx",
    crate_dir: "",
    spec_dir: "spec",
    contract: "openapi.json",
    surface: "api-surface.txt",
    generated_surface: "target/api-surface.generated.txt",
    catalog: Some("tests/fixtures/catalog/endpoints.tsv"),
    upstream: Some("https://docs.baanx.com/api-reference/openapi.json"),
    docs_index: Some("https://docs.baanx.com/llms.txt"),
};

/// The VaultsPay Issuance ("SaaS") API: the `vaultspay` crate. VaultsPay publishes no OpenAPI document; the base
/// is written by hand from the docs pages (`vaultspay/spec/CONVENTIONS.md`).
pub const VAULTSPAY: Api = Api {
    name: "vaultspay",
    package: "vaultspay",
    crate_dir: "vaultspay",
    spec_dir: "vaultspay/spec",
    contract: "vaultspay/openapi.json",
    surface: "vaultspay/api-surface.txt",
    generated_surface: "target/vaultspay-api-surface.generated.txt",
    catalog: Some("vaultspay/tests/fixtures/catalog/endpoints.tsv"),
    upstream: None,
    docs_index: None,
};

/// Every API, in the order `drift` checks them.
pub const APIS: [&Api; 2] = [&BAANX, &VAULTSPAY];

impl Api {
    /// The API named `name`.
    pub fn named(name: &str) -> Result<&'static Api> {
        match APIS.iter().find(|a| a.name == name) {
            Some(api) => Ok(api),
            None => {
                let names: Vec<&str> = APIS.iter().map(|a| a.name).collect();
                bail!("unknown API `{name}` (one of: {})", names.join(", "))
            }
        }
    }

    /// `<spec_dir>/base.json`.
    pub fn base(&self) -> String {
        format!("{}/base.json", self.spec_dir)
    }

    /// `<spec_dir>/overlay.json`.
    pub fn overlay(&self) -> String {
        format!("{}/overlay.json", self.spec_dir)
    }

    /// The package's build script, relative to the workspace root.
    pub fn build_script(&self) -> String {
        if self.crate_dir.is_empty() { "build.rs".into() } else { format!("{}/build.rs", self.crate_dir) }
    }

    /// The command that rebuilds the contract from its sources.
    pub fn rebuild_command(&self) -> String {
        if self.name == BAANX.name {
            format!("cargo xtask update-spec --from {}", self.base())
        } else {
            format!("cargo xtask update-spec --api {} --from {}", self.name, self.base())
        }
    }
}
