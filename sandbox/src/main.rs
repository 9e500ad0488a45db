//! `baanx-sandbox`: runs the sandbox until Ctrl-C.
//!
//! ```text
//! cargo run -p baanx-sandbox -- --port 8080 [--host 127.0.0.1] [--seed N] [--transactions N] [--page-size N]
//!                                [--past-end-returns-first-page] [--hosted-initiate-json]
//! ```

#![forbid(unsafe_code)]

use std::net::IpAddr;

use anyhow::{Context, bail};
use baanx_sandbox::Sandbox;

const USAGE: &str = "\
Usage: baanx-sandbox [OPTIONS]

Options:
  --port N                        port to listen on (default 8080; 0 = any free port)
  --host IP                       address to bind (default 127.0.0.1)
  --seed N                        seed of the generated data and keys (default 42)
  --transactions N                card transactions of the default user (default 250)
  --page-size N                   card transactions per page (default 50)
  --past-end-returns-first-page   a page past the end returns page 0 (the docs' quirk)
  --hosted-initiate-json          hosted-mode initiate answers 200 JSON instead of 302
  -h, --help                      print this help
";

fn number<T: std::str::FromStr>(name: &str, value: Option<String>) -> anyhow::Result<T> {
    let value = value.with_context(|| format!("{name} needs a value"))?;
    value.parse().map_err(|_| anyhow::anyhow!("{name}: not a valid number: {value}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).init();
    let mut builder = Sandbox::builder().port(8080);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => builder = builder.port(number("--port", args.next())?),
            "--host" => {
                let host: IpAddr =
                    args.next().context("--host needs a value")?.parse().context("--host: not an IP address")?;
                builder = builder.host(host);
            }
            "--seed" => builder = builder.seed(number("--seed", args.next())?),
            "--transactions" => builder = builder.transactions(number("--transactions", args.next())?),
            "--page-size" => builder = builder.transactions_page_size(number("--page-size", args.next())?),
            "--past-end-returns-first-page" => builder = builder.past_end_returns_first_page(true),
            "--hosted-initiate-json" => builder = builder.hosted_initiate_json(true),
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument: {other}\n\n{USAGE}"),
        }
    }
    let sandbox = builder.start().await.context("could not start the sandbox")?;
    println!("Baanx sandbox listening on {}", sandbox.base_url());
    println!();
    println!("  x-client-key: {}", sandbox.client_key());
    println!("  x-secret-key: {}", sandbox.secret_key());
    println!("  US tenant:    send `x-us-env: true` (or ?region=us)");
    println!();
    println!("Test users (password, then OTP where asked: {}):", sandbox.otp_code());
    for (label, u) in [
        ("verified, no OTP, no card", sandbox.user()),
        ("OTP required", sandbox.otp_user()),
        ("onboarding (phase PHONE_NUMBER)", sandbox.onboarding_user()),
        ("US tenant", sandbox.us_user()),
    ] {
        println!("  {:<33} {} / {}  (userId {})", label, u.email, u.password, u.user_id);
    }
    println!();
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    println!("Stopping.");
    sandbox.shutdown().await;
    Ok(())
}
