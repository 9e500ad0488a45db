//! Maintainer tasks for the `baanx` workspace: `cargo xtask <command>`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde_json::Value;
use xtask::{build_contract, diff, docs_index, document, drift, overlay};

const UPSTREAM: &str = "https://docs.baanx.com/api-reference/openapi.json";
const DOCS_INDEX: &str = "https://docs.baanx.com/llms.txt";

const USAGE: &str = "usage: cargo xtask <command>

commands:
  update-spec [--from <url|file>] [--docs-index [<url|file>]] [--check]
                 rebuild openapi.json from an upstream OpenAPI 3.0/3.1 document (JSON or YAML; default: the
                 vendor's, which needs the network) plus spec/overlay.json; print the semantic diff; with
                 --docs-index (default: the vendor's llms.txt), compare the docs pages with the operations; with --check, write nothing and fail
                 if openapi.json would change
  drift          check, offline, that openapi.json = spec/base.json + spec/overlay.json, that every operation
                 has an id, a tag and a docs page, that every catalog row is an operation, and that
                 api-surface.txt is what build.rs generates now
  split          (once) turn a hand-edited openapi.json into spec/base.json + spec/overlay.json
  help           this text
";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some("update-spec") => update_spec(&args[1..]),
        Some("drift") => drift(),
        Some("split") => split(),
        Some(other) => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}

fn flag_value(args: &[String], name: &str) -> Result<Option<String>> {
    match args.iter().position(|a| a == name) {
        None => Ok(None),
        Some(i) => args.get(i + 1).cloned().map(Some).with_context(|| format!("{name} needs a value")),
    }
}

fn update_spec(args: &[String]) -> Result<()> {
    for arg in args.iter().filter(|a| a.starts_with("--")) {
        anyhow::ensure!(["--from", "--docs-index", "--check"].contains(&arg.as_str()), "unknown option {arg}");
    }
    let root = root();
    let from = flag_value(args, "--from")?.unwrap_or_else(|| UPSTREAM.to_string());
    let check = args.iter().any(|a| a == "--check");
    let upstream = document::parse(&document::load(&from)?, &from)?;
    let was = upstream["openapi"].as_str().unwrap_or("?").to_string();
    let base = xtask::normalise::normalise(upstream);
    let overlay: Value = serde_json::from_str(&std::fs::read_to_string(root.join("spec/overlay.json"))?)?;
    let (contract, unapplied) = build_contract(base.clone(), &overlay);
    let text = document::render(&contract);
    let current_text = std::fs::read_to_string(root.join("openapi.json")).unwrap_or_default();
    let current = document::parse(&current_text, "openapi.json").unwrap_or(Value::Null);

    println!("upstream: {from} (OpenAPI {was}) → 3.0.3");
    for u in &unapplied {
        println!("warning: overlay patch not applied: {u}");
    }
    let changes = diff::diff(&current, &contract);
    if changes.is_empty() {
        println!("semantic diff against openapi.json: none");
    } else {
        println!("semantic diff against openapi.json ({} changes):", changes.len());
        for line in &changes {
            println!("  {line}");
        }
    }
    if let Some(at) = args.iter().position(|a| a == "--docs-index") {
        let index =
            args.get(at + 1).filter(|v| !v.starts_with("--")).cloned().unwrap_or_else(|| DOCS_INDEX.to_string());
        let (missing, unknown) = docs_index::compare(&document::load(&index)?, &contract);
        println!(
            "docs pages without an operation: {}",
            if missing.is_empty() { "none".into() } else { missing.join(", ") }
        );
        println!(
            "operations whose x-doc-page is not in the index: {}",
            if unknown.is_empty() { "none".into() } else { unknown.join(", ") }
        );
    }
    if check {
        if text != current_text {
            bail!("openapi.json is out of date with {from} + spec/overlay.json");
        }
        println!("openapi.json is up to date");
        return Ok(());
    }
    std::fs::write(root.join("spec/base.json"), document::render(&base))?;
    std::fs::write(root.join("openapi.json"), &text)?;
    println!("wrote spec/base.json and openapi.json; run `cargo xtask drift` to check the API surface");
    Ok(())
}

fn drift() -> Result<()> {
    let root = root();
    let mut problems = drift::check_contract(&root)?;
    let committed = std::fs::read_to_string(root.join("api-surface.txt")).context("cannot read api-surface.txt")?;
    let generated = drift::generated_surface(&root)?;
    problems.extend(drift::check_surface(&committed, &generated));
    if problems.is_empty() {
        println!(
            "drift: openapi.json, spec/ and api-surface.txt agree ({} lines of surface)",
            generated.lines().count()
        );
        return Ok(());
    }
    for p in &problems {
        eprintln!("drift: {p}");
    }
    if problems.iter().any(|p| p.starts_with("api-surface.txt")) {
        eprintln!("(if the change is intended: copy the generated surface over api-surface.txt and review the diff)");
        let out = root.join("target/api-surface.generated.txt");
        std::fs::write(&out, generated)?;
        eprintln!("the generated surface is in {}", out.display());
    }
    bail!("{} drift problem(s)", problems.len())
}

fn split() -> Result<()> {
    let root = root();
    let contract = document::parse(&std::fs::read_to_string(root.join("openapi.json"))?, "openapi.json")?;
    let (base, overlay) = overlay::extract(&contract);
    let base = xtask::normalise::normalise(base);
    let (rebuilt, unapplied) = build_contract(base.clone(), &overlay);
    anyhow::ensure!(unapplied.is_empty(), "overlay patches without target: {unapplied:?}");
    let changes = diff::diff(&contract, &rebuilt);
    anyhow::ensure!(
        changes.is_empty() && rebuilt == contract,
        "base + overlay does not give the contract back: {changes:?}"
    );
    std::fs::create_dir_all(root.join("spec"))?;
    std::fs::write(root.join("spec/base.json"), document::render(&base))?;
    std::fs::write(root.join("spec/overlay.json"), document::render(&overlay))?;
    std::fs::write(root.join("openapi.json"), document::render(&rebuilt))?;
    println!("wrote spec/base.json, spec/overlay.json and openapi.json (canonical form)");
    Ok(())
}
