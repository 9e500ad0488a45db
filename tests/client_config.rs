//! `Client::from_env()`. Setting environment variables is `unsafe` in edition 2024 (and this crate forbids
//! unsafe code), so each case runs this test binary again as a child process with the variables set, and the
//! child (an ignored test, run only on request) reports through its exit status.

use std::process::Command;

use baanx::{BuildError, Client, Region};

fn run_child(case: &str, vars: &[(&str, &str)]) -> bool {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", "child", "--ignored", "--test-threads=1"]).env("BAANX_TEST_CASE", case);
    for name in ["BAANX_CLIENT_KEY", "BAANX_SECRET_KEY", "BAANX_ENV", "BAANX_BASE_URL", "BAANX_REGION"] {
        command.env_remove(name);
    }
    command.envs(vars.iter().copied());
    let output = command.output().unwrap();
    if !output.status.success() {
        eprintln!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    }
    output.status.success()
}

#[test]
fn from_env_reads_the_documented_variables() {
    assert!(run_child("sandbox-defaults", &[("BAANX_CLIENT_KEY", "pk_env")]));
    assert!(run_child(
        "production-us-backend",
        &[
            ("BAANX_CLIENT_KEY", "pk_env"),
            ("BAANX_SECRET_KEY", "sk_env"),
            ("BAANX_ENV", "production"),
            ("BAANX_REGION", "us")
        ]
    ));
    assert!(run_child(
        "base-url-wins",
        &[("BAANX_CLIENT_KEY", "pk_env"), ("BAANX_ENV", "production"), ("BAANX_BASE_URL", "http://127.0.0.1:8080")]
    ));
    assert!(run_child("missing-key", &[]));
    assert!(run_child("bad-env", &[("BAANX_CLIENT_KEY", "pk_env"), ("BAANX_ENV", "staging")]));
    assert!(run_child("bad-region", &[("BAANX_CLIENT_KEY", "pk_env"), ("BAANX_REGION", "eu")]));
    assert!(run_child("bad-url", &[("BAANX_CLIENT_KEY", "pk_env"), ("BAANX_BASE_URL", "http://api.example.com")]));
}

#[test]
#[ignore = "run by from_env_reads_the_documented_variables in a child process"]
fn child() {
    // Run directly (`--ignored`) there is no case: nothing to check.
    let Ok(case) = std::env::var("BAANX_TEST_CASE") else { return };
    let result = Client::from_env();
    match case.as_str() {
        "sandbox-defaults" => {
            let client = result.unwrap();
            assert_eq!(client.region(), Region::International);
            assert!(!client.has_secret_key());
            assert!(format!("{client:?}").contains("https://dev.api.baanx.com"));
        }
        "production-us-backend" => {
            let client = result.unwrap();
            assert_eq!(client.region(), Region::Us);
            assert!(client.has_secret_key());
            let debug = format!("{client:?}");
            assert!(debug.contains("https://api.baanx.com") && !debug.contains("sk_env"), "{debug}");
        }
        "base-url-wins" => assert!(format!("{:?}", result.unwrap()).contains("http://127.0.0.1:8080")),
        "missing-key" => assert_eq!(result.unwrap_err(), BuildError::MissingClientKey),
        "bad-env" => assert!(matches!(result.unwrap_err(), BuildError::InvalidEnvironment { .. })),
        "bad-region" => assert!(matches!(result.unwrap_err(), BuildError::InvalidRegion { .. })),
        "bad-url" => assert!(matches!(result.unwrap_err(), BuildError::InvalidBaseUrl { .. })),
        other => panic!("unknown case {other}"),
    }
}
