//! A spec that cannot be generated fails the build with a message naming the operation, not a panic backtrace.
//!
//! Builds a throwaway crate holding this repository's `build.rs` and a broken `openapi.json` (in its own target
//! directory, so it never waits on the outer cargo's lock; the first run compiles the build dependencies).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn minimal_spec(operation: Value, schemas: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/v1/thing": {"get": operation}},
        "components": {"schemas": schemas}
    })
}

fn manifest() -> String {
    // The same build dependencies as the real crate, read from its Cargo.toml.
    let cargo = std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).unwrap();
    let build_deps = cargo.split("[build-dependencies]").nth(1).unwrap().split("\n[").next().unwrap();
    // The shared code generator is a path dependency: point at it from the throwaway crate.
    let build_deps = build_deps.replace("path = \"codegen\"", &format!("path = {:?}", Path::new(ROOT).join("codegen")));
    format!(
        "[package]\nname = \"bad-spec\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\nbuild = \"build.rs\"\n\n\
         [workspace]\n\n[build-dependencies]{build_deps}\n"
    )
}

/// Runs `cargo check` on a crate with this spec; returns (success, stderr).
fn check_with(name: &str, spec: &Value) -> (bool, String) {
    let dir = PathBuf::from(ROOT).join("target").join("bad-spec").join(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), manifest()).unwrap();
    std::fs::copy(Path::new(ROOT).join("build.rs"), dir.join("build.rs")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    std::fs::write(dir.join("openapi.json"), serde_json::to_string_pretty(spec).unwrap()).unwrap();
    if let Ok(lock) = std::fs::read(Path::new(ROOT).join("Cargo.lock")) {
        std::fs::write(dir.join("Cargo.lock"), lock).unwrap();
    }
    let output = Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--offline"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", PathBuf::from(ROOT).join("target").join("bad-spec").join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn ok_response() -> Value {
    json!({"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}})
}

fn thing() -> Value {
    json!({"Thing": {"type": "object", "properties": {"name": {"type": "string", "nullable": true}}}})
}

#[test]
fn bad_specs_fail_with_the_operation_named_and_no_backtrace() {
    // 1. Caught by build.rs's own checks: `default` next to a 200 (progenitor would panic).
    let op = json!({
        "operationId": "get_thing", "tags": ["t"], "x-doc-page": "api-reference/t", "security": [],
        "responses": {"200": ok_response(), "default": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}
    });
    let (ok, stderr) = check_with("default-response", &minimal_spec(op, thing()));
    assert!(!ok, "the build must fail");
    assert!(stderr.contains("operation `get_thing` (GET /v1/thing)"), "{stderr}");
    assert!(stderr.contains("default"), "{stderr}");
    assert!(!stderr.contains("panicked at") && !stderr.contains("stack backtrace"), "{stderr}");

    // 2. A panic inside progenitor/typify (enum values differing only in case), located by operation.
    let schemas = json!({"Thing": {"type": "object", "properties": {
        "kind": {"type": "string", "nullable": true, "enum": ["active", "Active"]}
    }}});
    let op = json!({
        "operationId": "get_thing", "tags": ["t"], "x-doc-page": "api-reference/t", "security": [],
        "responses": {"200": ok_response()}
    });
    let (ok, stderr) = check_with("generator-panic", &minimal_spec(op, schemas));
    assert!(!ok, "the build must fail");
    assert!(stderr.contains("operation `get_thing` (GET /v1/thing) cannot be generated"), "{stderr}");
    assert!(!stderr.contains("panicked at") && !stderr.contains("stack backtrace"), "{stderr}");

    // 3. And the same crate builds with a good spec (the harness itself works).
    let op = json!({
        "operationId": "get_thing", "tags": ["t"], "x-doc-page": "api-reference/t", "security": [],
        "responses": {"200": ok_response()}
    });
    let mut spec = minimal_spec(op, thing());
    spec["components"]["schemas"]["ApiError"] = json!({"type": "object"});
    let (ok, stderr) = check_with("good", &spec);
    // The build script succeeds; the empty lib then compiles without including the generated code.
    assert!(ok, "{stderr}");
}
