//! `cargo xtask drift`: the committed contract, its sources and the generated API surface agree, for each API of
//! [`crate::api::APIS`].

use std::path::Path;

use anyhow::{Context as _, Result};
use serde_json::Value;

use crate::api::Api;
use crate::{build_contract, diff, document};

/// Problems of `api`'s contract itself (files under `root`): not reproducible from base + overlay, an overlay patch
/// without target, an operation without id, tag or docs page, a catalog row without operation.
pub fn check_contract(root: &Path, api: &Api) -> Result<Vec<String>> {
    let read = |p: &str| std::fs::read_to_string(root.join(p)).with_context(|| format!("cannot read {p}"));
    let (base_file, overlay_file) = (api.base(), api.overlay());
    let committed_text = read(api.contract)?;
    let committed = document::parse(&committed_text, api.contract)?;
    let base = document::parse(&read(&base_file)?, &base_file)?;
    let overlay: Value =
        serde_json::from_str(&read(&overlay_file)?).with_context(|| format!("{overlay_file} is not JSON"))?;
    let mut problems = Vec::new();

    let (built, unapplied) = build_contract(base, &overlay);
    problems.extend(unapplied.into_iter().map(|u| format!("overlay: {u}")));
    let built_text = document::render(&built);
    if built_text != committed_text {
        let changes = diff::diff(&committed, &built);
        let detail = if changes.is_empty() {
            let line = committed_text.lines().zip(built_text.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
            format!("same meaning, other text (first differing line {line}): run `{}`", api.rebuild_command())
        } else {
            changes.join("\n    ")
        };
        problems.push(format!("{} is not {base_file} + {overlay_file}:\n    {detail}", api.contract));
    }

    const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];
    for (path, item) in committed["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let label = format!("{} {path}", method.to_uppercase());
            if op["operationId"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{label}: no operationId"));
            }
            if op["tags"].as_array().is_none_or(|t| t.len() != 1) {
                problems.push(format!("{label}: needs exactly one tag"));
            }
            if op["x-doc-page"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{label}: no x-doc-page"));
            }
        }
    }
    if let Some(catalog_file) = api.catalog {
        let catalog = read(catalog_file)?;
        for row in catalog.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = row.split('\t').collect();
            let Some(&path) = cols.get(1) else {
                problems.push(format!("{catalog_file}: row {row:?} has no path column"));
                continue;
            };
            if committed["paths"][path].get(cols[0].to_ascii_lowercase()).is_none() {
                problems.push(format!("catalog row {} {path} has no operation", cols[0]));
            }
        }
    }
    Ok(problems)
}

/// Problems of the API surface snapshot `file`: `generated` (what the build script produces now) against the
/// committed text.
pub fn check_surface(file: &str, committed: &str, generated: &str) -> Vec<String> {
    let old: Vec<&str> = committed.lines().collect();
    let new: Vec<&str> = generated.lines().collect();
    let mut problems: Vec<String> =
        new.iter().filter(|l| !old.contains(l)).map(|l| format!("{file} lacks `{l}`")).collect();
    problems.extend(
        old.iter().filter(|l| !new.contains(l)).map(|l| format!("{file} has `{l}`, which is no longer generated")),
    );
    if problems.is_empty() && committed != generated {
        problems.push(format!("{file} differs in order or spacing from the generated surface"));
    }
    problems
}

/// Whether `api`'s crate has a build script (which generates the client and its surface).
pub fn has_build_script(root: &Path, api: &Api) -> bool {
    root.join(api.build_script()).is_file()
}

/// Builds `api`'s crate and reads the surface its build script wrote into its `OUT_DIR`.
pub fn generated_surface(root: &Path, api: &Api) -> Result<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let id = package_id(&cargo, root, api.package)?;
    let output = std::process::Command::new(&cargo)
        .args(["check", "-p", api.package, "--lib", "--message-format=json-render-diagnostics"])
        .current_dir(root)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run cargo")?;
    anyhow::ensure!(output.status.success(), "`cargo check -p {}` failed", api.package);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let out_dir = build_script_out_dir(&stdout, &id)
        .with_context(|| format!("cargo reported no build script run for {}", api.package))?;
    std::fs::read_to_string(Path::new(&out_dir).join("api-surface.txt"))
        .with_context(|| format!("the build script of {} wrote no api-surface.txt into {out_dir}", api.package))
}

/// The package id cargo uses for the workspace member `package` in its messages.
fn package_id(cargo: &str, root: &Path, package: &str) -> Result<String> {
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(root)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run cargo metadata")?;
    anyhow::ensure!(output.status.success(), "`cargo metadata` failed");
    let metadata: Value = serde_json::from_slice(&output.stdout).context("cargo metadata printed no JSON")?;
    metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == package)
        .and_then(|p| p["id"].as_str())
        .map(str::to_string)
        .with_context(|| format!("the workspace has no package {package}"))
}

/// The `OUT_DIR` of the build script run of the package `id`, from cargo's JSON messages.
pub fn build_script_out_dir(messages: &str, id: &str) -> Option<String> {
    messages.lines().find_map(|line| {
        let message = serde_json::from_str::<Value>(line).ok()?;
        (message["reason"] == "build-script-executed" && message["package_id"] == id)
            .then(|| message["out_dir"].as_str().map(str::to_string))
            .flatten()
    })
}
