//! `cargo xtask drift`: the committed contract, its sources and the generated API surface agree.

use std::path::Path;

use anyhow::{Context as _, Result};
use serde_json::Value;

use crate::{build_contract, diff, document};

/// Problems of the contract itself: not reproducible from base + overlay, an overlay patch without target, an
/// operation without id, tag or docs page, a catalog row without operation.
pub fn check_contract(root: &Path) -> Result<Vec<String>> {
    let read = |p: &str| std::fs::read_to_string(root.join(p)).with_context(|| format!("cannot read {p}"));
    let committed_text = read("openapi.json")?;
    let committed = document::parse(&committed_text, "openapi.json")?;
    let base = document::parse(&read("spec/base.json")?, "spec/base.json")?;
    let overlay: Value = serde_json::from_str(&read("spec/overlay.json")?).context("spec/overlay.json is not JSON")?;
    let mut problems = Vec::new();

    let (built, unapplied) = build_contract(base, &overlay);
    problems.extend(unapplied.into_iter().map(|u| format!("overlay: {u}")));
    let built_text = document::render(&built);
    if built_text != committed_text {
        let changes = diff::diff(&committed, &built);
        let detail = if changes.is_empty() {
            let line = committed_text.lines().zip(built_text.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
            format!(
                "same meaning, other text (first differing line {line}): run `cargo xtask update-spec --from spec/base.json`"
            )
        } else {
            changes.join("\n    ")
        };
        problems.push(format!("openapi.json is not spec/base.json + spec/overlay.json:\n    {detail}"));
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
    let catalog = read("tests/fixtures/catalog/endpoints.tsv")?;
    for row in catalog.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (method, path) = (cols[0].to_ascii_lowercase(), cols[1]);
        if committed["paths"][path].get(&method).is_none() {
            problems.push(format!("catalog row {} {path} has no operation", cols[0]));
        }
    }
    Ok(problems)
}

/// Problems of the API surface snapshot: `generated` (what build.rs produces now) against the committed one.
pub fn check_surface(committed: &str, generated: &str) -> Vec<String> {
    let old: Vec<&str> = committed.lines().collect();
    let new: Vec<&str> = generated.lines().collect();
    let mut problems: Vec<String> =
        new.iter().filter(|l| !old.contains(l)).map(|l| format!("api-surface.txt lacks `{l}`")).collect();
    problems.extend(
        old.iter()
            .filter(|l| !new.contains(l))
            .map(|l| format!("api-surface.txt has `{l}`, which is no longer generated")),
    );
    if problems.is_empty() && committed != generated {
        problems.push("api-surface.txt differs in order or spacing from the generated surface".into());
    }
    problems
}

/// Builds the crate and reads the surface its build script wrote.
pub fn generated_surface(root: &Path) -> Result<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["check", "-p", "baanx", "--lib", "--message-format=json-render-diagnostics"])
        .current_dir(root)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run cargo")?;
    anyhow::ensure!(output.status.success(), "`cargo check -p baanx` failed");
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else { continue };
        if message["reason"] == "build-script-executed"
            && message["package_id"].as_str().is_some_and(|id| id.contains("baanx") && !id.contains("sandbox"))
            && let Some(out) = message["out_dir"].as_str()
        {
            return std::fs::read_to_string(Path::new(out).join("api-surface.txt"))
                .context("the build script wrote no api-surface.txt");
        }
    }
    anyhow::bail!("cargo reported no build script run for baanx")
}
