//! Delegation: chain configuration, single-use delegation tokens (with the once-per-user faucet), and the EVM and
//! Solana post-approval calls that register an external wallet.

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult, json_status, ok};
use crate::extract::{Authed, JsonBody, Obj};
use crate::state::{DelegationToken, ExternalWallet, Shared, Tenant, WireAmount};
use crate::util;

const TOKEN_TTL: Duration = Duration::from_secs(600);

fn network_json(network: &str, tenant: Tenant) -> Option<Value> {
    let token = |symbol: &str, address: &str| json!({ "symbol": symbol, "decimals": 6, "address": address });
    let (chain_id, contract, usdc, usdt) = match network {
        "ethereum" => (
            "1",
            "0xb453ba76d9ca952115e9e32ca069c96e846c5d9d",
            "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
            "0xdAC17F958D2ee523a2206206994597C13D831ec7",
        ),
        "linea" => (
            "59144",
            "0x9dd23A4a0845f10d65D293776B792af1131c7B30",
            "0x176211869ca2b568f2a7d4ee941e073a821ee1ff",
            "0xa219439258ca9da29e9cc4ce5596924745e12b93",
        ),
        "solana" => (
            "mainnet-beta",
            "BaanxSandboxDe1egate1111111111111111111111",
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
            "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
        ),
        "etherlink" => (
            "42793",
            "0x5c1f2a1c7e4d9b8a6f3e2d1c0b9a8f7e6d5c4b3a",
            "0x796Ea11Fa2dD751eD01b53C372fFDB4AAa8f00F9",
            "0x2C03058C8AFC06713be23e58D2febC8337dbfE6A",
        ),
        _ => return None,
    };
    let name = if network == "linea" && tenant == Tenant::Us { "linea-us" } else { network };
    Some(json!({
        "network": name,
        "environment": "sandbox",
        "chainId": chain_id,
        "delegationContract": contract,
        "tokens": { "usdc": token("usdc", usdc), "usdt": token("usdt", usdt) },
    }))
}

/// `GET /v1/delegation/chain/config[?network=]`.
pub(crate) async fn chain_config(a: Authed) -> ApiResult<Response> {
    let all = ["ethereum", "linea", "solana"];
    let networks: Vec<Value> = match a.query.non_empty("network") {
        None => all.iter().filter_map(|n| network_json(n, a.tenant)).collect(),
        Some(n) => vec![
            network_json(&n.to_ascii_lowercase(), a.tenant)
                .ok_or_else(|| ApiError::bad_request("network must be one of ethereum, linea, solana, etherlink"))?,
        ],
    };
    Ok(ok(
        json!({ "networks": networks, "count": networks.len(), "_links": { "self": "/v1/delegation/chain/config" } }),
    ))
}

fn valid_address(address: &str) -> bool {
    util::is_0x_hex(address, 40) || util::is_base58(address, 32, 44)
}

/// `GET /v1/delegation/token[?faucet=true&address=..&network=..]`: 200, or 207 when the faucet is refused.
pub(crate) async fn token(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    let faucet = match a.query.non_empty("faucet") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(ApiError::bad_request("faucet must be true or false")),
    };
    if faucet {
        let address = a
            .query
            .non_empty("address")
            .ok_or_else(|| ApiError::bad_request("address is required when faucet=true"))?;
        let network = a
            .query
            .non_empty("network")
            .ok_or_else(|| ApiError::bad_request("network is required when faucet=true"))?;
        if !matches!(network, "linea" | "solana" | "base") {
            return Err(ApiError::bad_request("network must be one of linea, solana, base"));
        }
        let fits = if network == "solana" { util::is_base58(address, 32, 44) } else { util::is_0x_hex(address, 40) };
        if !fits {
            return Err(ApiError::bad_request(format!("address is not a valid {network} address")));
        }
    } else if let Some(address) = a.query.non_empty("address")
        && !valid_address(address)
    {
        return Err(ApiError::bad_request("address is not a valid EVM or Solana address"));
    }
    let token = format!("SBX_{}", util::random_uuid());
    let nonce = util::random_hex(24);
    let expires_at = util::iso_ms(util::now_ms() + TOKEN_TTL.as_millis() as i64);
    let mut inner = st.inner();
    let u = inner.user_mut(&a.user_id).ok_or_else(ApiError::not_authenticated)?;
    let faucet_status = if !faucet {
        None
    } else if u.faucet_used {
        Some("declined")
    } else {
        u.faucet_used = true;
        Some("confirmed")
    };
    inner.delegation_tokens.insert(
        token.clone(),
        DelegationToken { user_id: a.user_id.clone(), expires_at: Instant::now() + TOKEN_TTL, used: false },
    );
    let mut body = json!({ "token": token, "nonce": nonce, "expiresAt": expires_at });
    if let Some(s) = faucet_status {
        body["faucet"] = json!({ "status": s, "network": a.query.get("network") });
    }
    Ok(json_status(if faucet_status == Some("declined") { 207 } else { 200 }, body))
}

fn validation(msg: impl Into<String>) -> ApiError {
    ApiError::validation(format!("Validation Error: {}", msg.into()))
}

struct Approval {
    address: String,
    network: String,
    currency: String,
    amount: String,
    token: String,
}

fn common(b: &Obj, networks: &[&str]) -> ApiResult<(Approval, String, String, String)> {
    let address = b.str("address")?;
    let network = b.str("network")?;
    let currency = b.str("currency")?;
    let amount = b.str("amount")?;
    let tx_hash = b.str("txHash")?;
    let sig_hash = b.str("sigHash")?;
    let sig_message = b.str("sigMessage")?;
    let token = b.str("token")?;
    if !networks.contains(&network.as_str()) {
        return Err(validation(format!("network must be {}", networks.join(" or "))));
    }
    if !matches!(currency.as_str(), "usdc" | "usdt") {
        return Err(validation("currency must be usdc or usdt"));
    }
    if !util::is_decimal_string(&amount) {
        return Err(validation("amount must match ^\\d+(\\.\\d+)?$ (whole token units, e.g. \"5000\")"));
    }
    // Kept as text: an unlimited approval (2^256−1 base units) is beyond `rust_decimal`.
    Ok((Approval { address, network, currency, amount, token }, tx_hash, sig_hash, sig_message))
}

/// Registers the approval: checks and spends the token, then adds or replaces the external wallet.
fn register(st: &Shared, a: &Authed, ap: Approval) -> ApiResult<Response> {
    let mut inner = st.inner();
    let live = inner
        .delegation_tokens
        .get(&ap.token)
        .is_some_and(|t| t.user_id == a.user_id && !t.used && t.expires_at > Instant::now());
    if !live {
        return Err(ApiError::bad_request("Invalid, used or expired delegation token"));
    }
    if let Some(t) = inner.delegation_tokens.get_mut(&ap.token) {
        t.used = true;
    }
    let next_id = inner.next_priority_id;
    let u = inner.user_mut(&a.user_id).ok_or_else(ApiError::not_authenticated)?;
    let same = |w: &ExternalWallet| {
        w.address.eq_ignore_ascii_case(&ap.address) && w.network == ap.network && w.currency == ap.currency
    };
    let mut used_new_id = false;
    if let Some(w) = u.wallets.external.iter_mut().find(|w| same(w)) {
        // Redelegation replaces the allowance, whatever is left of the old one.
        w.allowance = WireAmount::string(ap.amount);
    } else {
        let priority = u.wallets.external.iter().map(|w| w.priority).max().unwrap_or(0) + 1;
        u.wallets.external.push(ExternalWallet {
            priority_id: next_id,
            address: ap.address,
            currency: ap.currency,
            network: ap.network,
            balance: WireAmount::string("1000.00"),
            allowance: WireAmount::string(ap.amount),
            priority,
        });
        used_new_id = true;
    }
    if used_new_id {
        inner.next_priority_id += 1;
    }
    Ok(json_status(201, json!({ "success": true })))
}

/// `POST /v1/delegation/evm/post-approval` (201).
pub(crate) async fn evm_post_approval(
    State(st): State<Shared>,
    a: Authed,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let (ap, tx_hash, sig_hash, sig_message) = common(&b, &["linea", "ethereum"])?;
    if !util::is_0x_hex(&ap.address, 40) {
        return Err(validation("address must match ^0x[a-fA-F0-9]{40}$"));
    }
    if !util::is_0x_hex(&tx_hash, 64) {
        return Err(validation("txHash must match ^0x[a-fA-F0-9]{64}$"));
    }
    if !util::is_0x_hex(&sig_hash, 130) {
        return Err(validation("sigHash must match ^0x[a-fA-F0-9]{130}$"));
    }
    // The SIWE (EIP-4361) message: its second line is the address, and its Chain ID must fit the network.
    let mut lines = sig_message.lines();
    let header_ok = lines.next().is_some_and(|l| l.ends_with("wants you to sign in with your Ethereum account:"));
    if !header_ok {
        return Err(ApiError::bad_request("sigMessage is not a SIWE (EIP-4361) message"));
    }
    if !lines.next().is_some_and(|l| l.trim().eq_ignore_ascii_case(&ap.address)) {
        return Err(ApiError::bad_request("The address in sigMessage does not match address"));
    }
    let want_chain = if ap.network == "linea" { "59144" } else { "1" };
    let chain = sig_message.lines().find_map(|l| l.strip_prefix("Chain ID:")).map(str::trim);
    match chain {
        None => return Err(ApiError::bad_request("sigMessage has no Chain ID line")),
        Some(c) if c != want_chain => {
            return Err(ApiError::bad_request(format!(
                "sigMessage Chain ID {c} does not match network {} (chain {want_chain})",
                ap.network
            )));
        }
        Some(_) => {}
    }
    register(&st, &a, ap)
}

/// `POST /v1/delegation/solana/post-approval` (201).
pub(crate) async fn solana_post_approval(
    State(st): State<Shared>,
    a: Authed,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let (ap, tx_hash, sig_hash, _sig_message) = common(&b, &["solana"])?;
    if !util::is_base58(&ap.address, 32, 44) {
        return Err(validation("address must match ^[1-9A-HJ-NP-Za-km-z]{32,44}$"));
    }
    if !util::is_base58(&tx_hash, 87, 88) {
        return Err(validation("txHash must be a base58 transaction signature (87-88 characters)"));
    }
    if !util::is_base58(&sig_hash, 87, 88) {
        return Err(validation("sigHash must be a base58 Ed25519 signature (87-88 characters)"));
    }
    register(&st, &a, ap)
}
