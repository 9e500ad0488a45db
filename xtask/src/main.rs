//! Maintainer tasks for the `baanx` workspace: `cargo xtask <command>`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde_json::Value;
use xtask::api::{APIS, Api, BAANX};
use xtask::{build_contract, diff, docs_index, document, drift, overlay};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  update-spec [--api baanx|vaultspay] [--from <url|file>] [--docs-index [<url|file>]] [--check]
                 rebuild an API's contract (default: baanx) from its base plus its overlay and print the
                 semantic diff; with --check, write nothing and fail if the contract would change
                 baanx: openapi.json from an upstream OpenAPI 3.0/3.1 document (JSON or YAML; default: the
                 vendor's, which needs the network), normalised into spec/base.json, plus spec/overlay.json;
                 with --docs-index (default: the vendor's llms.txt), compare the docs pages with the operations
                 vaultspay: vaultspay/openapi.json from vaultspay/spec/base.json + vaultspay/spec/overlay.json.
                 VaultsPay publishes no OpenAPI document and no docs index: its base.json is written by hand
                 from the docs pages (vaultspay/spec/CONVENTIONS.md), so --from is required (normally
                 --from vaultspay/spec/base.json), nothing is fetched, and --docs-index is refused
  drift [--api baanx|vaultspay]
                 check, offline, for each API (default: both, which is what CI runs) that its contract = its
                 spec/base.json + spec/overlay.json, that every operation has an id, a tag and a docs page, that
                 every catalog row is an operation, and that its api-surface.txt is what its build.rs generates
                 now (skipped, with a note, for a crate that has no build script yet)
  split          (once, baanx) turn a hand-edited openapi.json into spec/base.json + spec/overlay.json
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
        Some("drift") => drift(&args[1..]),
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

fn check_options(args: &[String], known: &[&str]) -> Result<()> {
    for arg in args.iter().filter(|a| a.starts_with("--")) {
        anyhow::ensure!(known.contains(&arg.as_str()), "unknown option {arg}");
    }
    Ok(())
}

/// The API `--api` names, if given.
fn selected_api(args: &[String]) -> Result<Option<&'static Api>> {
    flag_value(args, "--api")?.map(|name| Api::named(&name)).transpose()
}

fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

fn update_spec(args: &[String]) -> Result<()> {
    check_options(args, &["--api", "--from", "--docs-index", "--check"])?;
    let api = selected_api(args)?.unwrap_or(&BAANX);
    let root = root();
    let base_file = api.base();
    let overlay_file = api.overlay();
    let docs_index_at = args.iter().position(|a| a == "--docs-index");
    if docs_index_at.is_some() && api.docs_index.is_none() {
        bail!(
            "--docs-index: {} has no docs index (llms.txt) to compare with; its operations' docs pages are checked \
             against the catalog by the crate's tests/spec_rules.rs",
            api.name
        );
    }
    let from = match (flag_value(args, "--from")?, api.upstream) {
        (Some(from), _) => from,
        (None, Some(upstream)) => upstream.to_string(),
        (None, None) => bail!(
            "{name} has no upstream OpenAPI document to pull: its {base_file} is written by hand from the docs pages \
             ({dir}/CONVENTIONS.md); rebuild {contract} from it with `{command}`",
            name = api.name,
            dir = api.spec_dir,
            contract = api.contract,
            command = api.rebuild_command(),
        ),
    };
    if api.upstream.is_none() && is_url(&from) {
        bail!(
            "{from}: {} publishes no OpenAPI document, so there is nothing to fetch; edit {base_file} (written by \
             hand from the docs pages) and run `{}`",
            api.name,
            api.rebuild_command()
        );
    }
    let check = args.iter().any(|a| a == "--check");
    let upstream = document::parse(&document::load(&from)?, &from)?;
    let was = upstream["openapi"].as_str().unwrap_or("?").to_string();
    // An upstream document is stored normalised; a hand-written base is stored as written (the docs' statements),
    // and normalised only when the contract is built.
    let base = if api.upstream.is_some() { xtask::normalise::normalise(upstream) } else { upstream };
    let overlay: Value = serde_json::from_str(&std::fs::read_to_string(root.join(&overlay_file))?)
        .with_context(|| format!("{overlay_file} is not JSON"))?;
    let (contract, unapplied) = build_contract(base.clone(), &overlay);
    let text = document::render(&contract);
    let current_text = std::fs::read_to_string(root.join(api.contract)).unwrap_or_default();
    let current = document::parse(&current_text, api.contract).unwrap_or(Value::Null);

    if api.upstream.is_some() {
        println!("upstream: {from} (OpenAPI {was}) → 3.0.3");
    } else {
        println!("base: {from} (written by hand, OpenAPI {was}) → 3.0.3");
    }
    for u in &unapplied {
        println!("warning: overlay patch not applied: {u}");
    }
    let changes = diff::diff(&current, &contract);
    if changes.is_empty() {
        println!("semantic diff against {}: none", api.contract);
    } else {
        println!("semantic diff against {} ({} changes):", api.contract, changes.len());
        for line in &changes {
            println!("  {line}");
        }
    }
    if let (Some(at), Some(default_index)) = (docs_index_at, api.docs_index) {
        let index =
            args.get(at + 1).filter(|v| !v.starts_with("--")).cloned().unwrap_or_else(|| default_index.to_string());
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
            bail!("{} is out of date with {from} + {overlay_file}", api.contract);
        }
        println!("{} is up to date", api.contract);
        return Ok(());
    }
    let mut wrote = Vec::new();
    if api.upstream.is_some() || !same_file(Path::new(&from), &root.join(&base_file)) {
        std::fs::write(root.join(&base_file), document::render(&base))?;
        wrote.push(base_file.as_str());
    }
    std::fs::write(root.join(api.contract), &text)?;
    wrote.push(api.contract);
    let drift_command = if api.name == BAANX.name {
        "cargo xtask drift".to_string()
    } else {
        format!("cargo xtask drift --api {}", api.name)
    };
    println!("wrote {}; run `{drift_command}` to check the API surface", wrote.join(" and "));
    Ok(())
}

fn drift(args: &[String]) -> Result<()> {
    check_options(args, &["--api"])?;
    let root = root();
    let apis: Vec<&Api> = match selected_api(args)? {
        Some(api) => vec![api],
        None => APIS.to_vec(),
    };
    if let [api] = apis[..] {
        return drift_of(&root, api).and_then(|problems| match problems {
            0 => Ok(()),
            n => bail!("{n} drift problem(s)"),
        });
    }
    let mut problems = 0;
    for api in apis {
        match drift_of(&root, api) {
            Ok(n) => problems += n,
            Err(error) => {
                eprintln!("drift: {}: {error:#}", api.name);
                problems += 1;
            }
        }
    }
    match problems {
        0 => Ok(()),
        n => bail!("{n} drift problem(s)"),
    }
}

/// Checks one API; prints what it found and returns the number of problems.
fn drift_of(root: &Path, api: &Api) -> Result<usize> {
    // Problems of the workspace root's API are printed as before; the others say which API they belong to.
    let prefix = if api.crate_dir.is_empty() { "drift: ".to_string() } else { format!("drift: {}: ", api.name) };
    let mut problems = drift::check_contract(root, api)?;
    let generated = if drift::has_build_script(root, api) {
        let generated = drift::generated_surface(root, api)?;
        match std::fs::read_to_string(root.join(api.surface)) {
            Ok(committed) => problems.extend(drift::check_surface(api.surface, &committed, &generated)),
            Err(_) => problems.push(format!("{} is missing (the build script generates one)", api.surface)),
        }
        Some(generated)
    } else {
        None
    };
    if problems.is_empty() {
        match &generated {
            Some(generated) => println!(
                "drift: {}, {}/ and {} agree ({} lines of surface)",
                api.contract,
                api.spec_dir,
                api.surface,
                generated.lines().count()
            ),
            None => {
                println!("drift: {} and {}/ agree", api.contract, api.spec_dir);
                println!(
                    "drift: note: the {} surface check is skipped: the {} crate has no build script yet ({})",
                    api.name,
                    api.package,
                    api.build_script()
                );
            }
        }
        return Ok(0);
    }
    for p in &problems {
        eprintln!("{prefix}{p}");
    }
    if let Some(generated) = generated.filter(|_| problems.iter().any(|p| p.starts_with(api.surface))) {
        eprintln!("(if the change is intended: copy the generated surface over {} and review the diff)", api.surface);
        let out = root.join(api.generated_surface);
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&out, generated)?;
        eprintln!("the generated surface is in {}", out.display());
    }
    Ok(problems.len())
}

/// Baanx only: the VaultsPay sources were written split.
fn split() -> Result<()> {
    let root = root();
    let api = &BAANX;
    let contract = document::parse(&std::fs::read_to_string(root.join(api.contract))?, api.contract)?;
    let (base, overlay) = overlay::extract(&contract);
    let base = xtask::normalise::normalise(base);
    let (rebuilt, unapplied) = build_contract(base.clone(), &overlay);
    anyhow::ensure!(unapplied.is_empty(), "overlay patches without target: {unapplied:?}");
    let changes = diff::diff(&contract, &rebuilt);
    anyhow::ensure!(
        changes.is_empty() && rebuilt == contract,
        "base + overlay does not give the contract back: {changes:?}"
    );
    std::fs::create_dir_all(root.join(api.spec_dir))?;
    std::fs::write(root.join(api.base()), document::render(&base))?;
    std::fs::write(root.join(api.overlay()), document::render(&overlay))?;
    std::fs::write(root.join(api.contract), document::render(&rebuilt))?;
    println!("wrote {}, {} and {} (canonical form)", api.base(), api.overlay(), api.contract);
    Ok(())
}
