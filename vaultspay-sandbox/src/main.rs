//! `vaultspay-sandbox`: runs the sandbox until Ctrl-C and prints what a client needs.
//!
//! ```text
//! cargo run -p vaultspay-sandbox -- --port 8090 [--host IP] [--seed N] [--fixed-key | --key-seed N | --key-file PEM]
//!     [--padding pkcs1|oaep-sha1|oaep-sha256-mgf1-sha1|oaep-sha256] [--production] [--app-id ID]
//!     [--access-token-ttl SECS] [--webhook URL [--webhook-secret S] [--raw-body-signature HEADER]]
//! ```

#![forbid(unsafe_code)]

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use vaultspay_sandbox::{RsaPadding, Sandbox, SignatureScheme};

const USAGE: &str = "\
Usage: vaultspay-sandbox [OPTIONS]

Options:
  --port N                      port to listen on (default 8090; 0 = any free port)
  --host IP                     address to bind (default 127.0.0.1)
  --seed N                      seed of the generated data and credentials (default 42)
  --fixed-key                   use the published test RSA key (reproducible; tests only)
  --key-seed N                  generate the RSA key from this seed
  --key-file PATH               use this RSA private key (PKCS#8 or PKCS#1 PEM)
  --padding NAME                RSA padding clients use: pkcs1 (default), oaep-sha1,
                                oaep-sha256-mgf1-sha1, oaep-sha256
  --production                  production mode: `x-enable-encryption: false` is refused
  --app-id ID                   the SaaS app id clients send as x-device-id (default 17)
  --access-token-ttl SECS       access-token lifetime (default 900)
  --webhook URL                 card-status webhook URL
  --webhook-secret SECRET       sign deliveries with this secret
  --raw-body-signature HEADER   sign as hex HMAC-SHA256 of the body in HEADER (default: VaultsPay-Signature t=,v1=)
  -h, --help                    print this help
";

fn value(name: &str, v: Option<String>) -> anyhow::Result<String> {
    v.with_context(|| format!("{name} needs a value"))
}

fn number<T: std::str::FromStr>(name: &str, v: Option<String>) -> anyhow::Result<T> {
    let v = value(name, v)?;
    v.parse().map_err(|_| anyhow::anyhow!("{name}: not a valid number: {v}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).init();
    let mut builder = Sandbox::builder().port(8090);
    let mut webhook: Option<String> = None;
    let mut secret: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => builder = builder.port(number("--port", args.next())?),
            "--host" => {
                let host: IpAddr = value("--host", args.next())?.parse().context("--host: not an IP address")?;
                builder = builder.host(host);
            }
            "--seed" => builder = builder.seed(number("--seed", args.next())?),
            "--fixed-key" => builder = builder.fixed_key(),
            "--key-seed" => builder = builder.key_seed(number("--key-seed", args.next())?),
            "--key-file" => {
                let path = value("--key-file", args.next())?;
                let pem = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
                builder = builder.private_key_pem(pem);
            }
            "--padding" => {
                let name = value("--padding", args.next())?;
                let padding = RsaPadding::from_name(&name).with_context(|| format!("--padding: unknown {name}"))?;
                builder = builder.rsa_padding(padding);
            }
            "--production" => builder = builder.uat(false),
            "--app-id" => builder = builder.app_id(value("--app-id", args.next())?),
            "--access-token-ttl" => {
                builder = builder.access_token_ttl(Duration::from_secs(number("--access-token-ttl", args.next())?));
            }
            "--webhook" => webhook = Some(value("--webhook", args.next())?),
            "--webhook-secret" => secret = Some(value("--webhook-secret", args.next())?),
            "--raw-body-signature" => {
                let header = value("--raw-body-signature", args.next())?;
                builder = builder.signature_scheme(SignatureScheme::RawBody { header });
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument: {other}\n\n{USAGE}"),
        }
    }
    if let Some(url) = webhook {
        builder = builder.webhook(url, secret.as_deref());
    } else if secret.is_some() {
        bail!("--webhook-secret needs --webhook");
    }
    let sandbox = builder.start().await.context("could not start the sandbox")?;
    println!("VaultsPay sandbox listening on {}", sandbox.base_url());
    println!();
    println!("  clientId:      {}", sandbox.client_id());
    println!("  clientSecret:  {}", sandbox.client_secret());
    println!("  x-device-id:   {}   (x-device-os: SAAS)", sandbox.app_id());
    println!("  RSA padding:   {}", sandbox.rsa_padding().name());
    println!(
        "  mode:          {}",
        if sandbox.is_uat() { "UAT (x-enable-encryption: false allowed)" } else { "production" }
    );
    println!("  RSA public key (Base64 SPKI):");
    println!("{}", sandbox.public_key());
    println!();
    println!("Seeded users:");
    for (label, u) in [
        ("agent (the SaaS app)", sandbox.agent()),
        ("KYC VERIFIED", sandbox.user()),
        ("KYC PENDING", sandbox.pending_user()),
    ] {
        println!(
            "  {:<21} userId {}  {} {} <{}>  accounts {:?}  cards {:?}",
            label, u.user_id, u.first_name, u.last_name, u.email, u.account_ids, u.card_ids
        );
    }
    println!();
    println!(
        "Control routes (plaintext): GET {0}/__sandbox, POST {0}/__sandbox/kyc/{{userId}}, POST {0}/__sandbox/purchase, ...",
        sandbox.base_url()
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    println!("Stopping.");
    sandbox.shutdown().await;
    Ok(())
}
