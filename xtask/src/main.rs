//! Maintainer tasks for the `baanx` workspace: `cargo xtask <command>`.

use anyhow::{Result, bail};

const COMMANDS: &[(&str, &str)] = &[
    ("update-spec", "regenerate openapi.json from the upstream docs (not implemented yet: see the spec tooling issue)"),
    ("drift", "check that openapi.json, the overlay and the generated API surface agree (not implemented yet)"),
];

fn usage() -> String {
    let mut text = String::from("usage: cargo xtask <command>\n\ncommands:\n");
    for (name, help) in COMMANDS {
        text.push_str(&format!("  {name:<12} {help}\n"));
    }
    text
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        None | Some("help" | "-h" | "--help") => {
            print!("{}", usage());
            Ok(())
        }
        Some(name) if COMMANDS.iter().any(|(n, _)| *n == name) => {
            bail!("`{name}` is not implemented yet")
        }
        Some(other) => bail!("unknown command `{other}`\n\n{}", usage()),
    }
}
