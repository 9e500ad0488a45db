//! Non-custodial spending delegation: the helpers production wallet apps write by hand.
//!
//! The flow (docs: guides/delegation): `GET /v1/delegation/chain/config` (chain ids, token decimals, the spender);
//! `GET /v1/delegation/token` → `{token, nonce}`; in the wallet, an on-chain `approve(spender, amount)` in the
//! token's **base units** and a signed ownership message; then `POST /v1/delegation/evm/post-approval` (or the
//! Solana one) with the **whole-token** amount.
//!
//! - [`SiweMessage`]: the EIP-4361 ("Sign-In with Ethereum") ownership message of the EVM post-approval, built and
//!   checked (EIP-55 address, the chain id the network requires).
//! - [`evm_post_approval`]: the post-approval body from the message, the signature and the approval transaction,
//!   checked against the reference's rules. The same checks run in the client's hooks before any
//!   `complete_evm_delegation` is sent, however its body was built: the message's address line must equal the
//!   body's `address`, and its `Chain ID` must be **59144 for `linea`, 1 for `ethereum`** (the docs' own example
//!   says 59141, Linea Sepolia: the rule wins, see the contract's `x-doc-conflict`).
//! - [`to_base_units`] / [`from_base_units`]: between whole tokens ([`TokenAmount`]) and base units, with the
//!   token's `decimals` from the chain configuration.
//!
//! ```
//! use baanx::api::types::{DelegationCurrency, DelegationEvmNetwork};
//! use baanx::delegation::{SiweMessage, evm_post_approval};
//! use baanx::TokenAmount;
//!
//! let message = SiweMessage::new(
//!     "wallet.example.com",
//!     "0x3a11a86cf218c448be519728cd3ac5c741fb3424",
//!     "https://wallet.example.com",
//!     &DelegationEvmNetwork::Linea,
//!     "5f8a9b2c4d3e1a7b9c6d8e2f",
//! )?
//! .statement("Prove address ownership");
//! assert!(message.to_string().contains("Chain ID: 59144"));
//! // … the wallet signs `message.to_string()` and sends the approve transaction …
//! # let signature = format!("0x{}", "ab".repeat(65));
//! # let tx_hash = format!("0x{}", "cd".repeat(32));
//! let body = evm_post_approval(
//!     "ABC_100a99cf-f4d3-4fa1-9be9-2e9828b20ebc",
//!     &message,
//!     &signature,
//!     &tx_hash,
//!     DelegationCurrency::Usdc,
//!     TokenAmount::parse("5000")?,
//! )?;
//! assert_eq!(body.address, "0x3a11a86Cf218C448bE519728cd3Ac5c741FB3424"); // the EIP-55 form, as in the message
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use sha3::Digest as _;

use crate::Timestamp;
use crate::api::types::{
    CompleteEvmDelegationRequest, DelegationChainConfig, DelegationCurrency, DelegationEvmNetwork,
};
use crate::money::{AmountError, TokenAmount, U256};

/// Why a delegation step cannot be built or sent.
///
/// ```
/// use baanx::delegation::{DelegationError, checksum_address};
///
/// assert!(matches!(checksum_address("0x123"), Err(DelegationError::InvalidAddress(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DelegationError {
    /// Not an EVM address (`0x` and 40 hex digits).
    #[error("not an EVM address (0x and 40 hex digits): {0:?}")]
    InvalidAddress(String),
    /// The network has no chain id this client knows (only `linea` and `ethereum` take the EVM post-approval).
    #[error("the EVM post-approval takes only linea (59144) or ethereum (1), not {0:?}")]
    UnsupportedNetwork(String),
    /// The message's `Chain ID` is not the one the network requires.
    #[error("the message's Chain ID is {found}, but {network} requires {expected}")]
    ChainIdMismatch {
        /// The network of the request.
        network: String,
        /// Its chain id.
        expected: u64,
        /// The message's.
        found: u64,
    },
    /// The message's address line differs from the request's `address`.
    #[error("the message's address {message} is not the request's address {request}")]
    AddressMismatch {
        /// The message's address.
        message: String,
        /// The request's.
        request: String,
    },
    /// The text is not an EIP-4361 message, or a field of one is not valid.
    #[error("not an EIP-4361 message: {0}")]
    InvalidMessage(String),
    /// The signature is not `0x` and 130 hex digits (a 65-byte ECDSA signature).
    #[error("the signature must be 0x and 130 hex digits (65 bytes)")]
    InvalidSignature,
    /// The transaction hash is not `0x` and 64 hex digits.
    #[error("the approval transaction hash must be 0x and 64 hex digits")]
    InvalidTxHash,
    /// The chain configuration lists no such token on that network.
    #[error("the chain configuration has no {currency} token on {network}")]
    UnknownToken {
        /// The network asked for.
        network: String,
        /// The token asked for.
        currency: String,
    },
    /// The amount cannot be expressed in the token's base units.
    #[error("amount: {0}")]
    Amount(#[from] AmountError),
}

/// The chain id the EVM post-approval requires for `network` (reference: 59144 for Linea, 1 for Ethereum).
///
/// ```
/// use baanx::api::types::DelegationEvmNetwork;
///
/// assert_eq!(baanx::delegation::chain_id(&DelegationEvmNetwork::Linea), Some(59144));
/// assert_eq!(baanx::delegation::chain_id(&DelegationEvmNetwork::Ethereum), Some(1));
/// assert_eq!(baanx::delegation::chain_id(&DelegationEvmNetwork::Unknown("base".into())), None);
/// ```
pub fn chain_id(network: &DelegationEvmNetwork) -> Option<u64> {
    match network {
        DelegationEvmNetwork::Linea => Some(59144),
        DelegationEvmNetwork::Ethereum => Some(1),
        _ => None,
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An EVM address in its EIP-55 mixed-case checksum form (Keccak-256 of the lower-case hex).
///
/// ```
/// use baanx::delegation::checksum_address;
///
/// // The EIP-55 test vector.
/// assert_eq!(checksum_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")?, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
/// # Ok::<(), baanx::delegation::DelegationError>(())
/// ```
pub fn checksum_address(address: &str) -> Result<String, DelegationError> {
    let hex = address.strip_prefix("0x").or_else(|| address.strip_prefix("0X")).unwrap_or("");
    if !is_hex(hex, 40) {
        return Err(DelegationError::InvalidAddress(address.chars().take(64).collect()));
    }
    let lower = hex.to_ascii_lowercase();
    let hash = sha3::Keccak256::digest(lower.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
        out.push(if c.is_ascii_alphabetic() && nibble >= 8 { c.to_ascii_uppercase() } else { c });
    }
    Ok(out)
}

/// An EIP-4361 ("Sign-In with Ethereum") message, as the EVM post-approval's `sigMessage`.
///
/// [`Display`](fmt::Display) writes the exact text to sign (timestamps in RFC 3339, UTC, with milliseconds);
/// [`SiweMessage::parse`] reads one back (also from other producers: lower-case addresses are accepted there).
///
/// ```
/// use baanx::api::types::DelegationEvmNetwork;
/// use baanx::delegation::SiweMessage;
///
/// let message = SiweMessage::new("wallet.example.com", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
///     "https://wallet.example.com", &DelegationEvmNetwork::Ethereum, "5f8a9b2c4d3e1a7b9c6d8e2f")?
///     .issued_at("2025-05-22T08:14:06.279Z".parse()?)
///     .expires_in(std::time::Duration::from_secs(30 * 60));
/// assert_eq!(message.to_string(), "wallet.example.com wants you to sign in with your Ethereum account:\n\
///     0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n\n\nURI: https://wallet.example.com\nVersion: 1\nChain ID: 1\n\
///     Nonce: 5f8a9b2c4d3e1a7b9c6d8e2f\nIssued At: 2025-05-22T08:14:06.279Z\nExpiration Time: 2025-05-22T08:44:06.279Z");
/// assert_eq!(SiweMessage::parse(&message.to_string())?, message);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SiweMessage {
    /// The domain asking for the signature (`wallet.example.com`).
    pub domain: String,
    /// The signing address, EIP-55.
    pub address: String,
    /// A human-readable statement (the docs' example: `Prove address ownership`).
    pub statement: Option<String>,
    /// The URI of the resource the signature is for.
    pub uri: String,
    /// The message version: `1`.
    pub version: String,
    /// The chain id.
    pub chain_id: u64,
    /// The nonce (at least 8 alphanumeric characters): the delegation token's `nonce`.
    pub nonce: String,
    /// When the message was made.
    pub issued_at: Timestamp,
    /// When it stops being valid.
    pub expiration_time: Option<Timestamp>,
    /// When it starts being valid.
    pub not_before: Option<Timestamp>,
    /// A request id.
    pub request_id: Option<String>,
    /// Resources (URIs).
    pub resources: Vec<String>,
}

const PREAMBLE: &str = " wants you to sign in with your Ethereum account:";

impl SiweMessage {
    /// A message for `network` (its chain id per [`chain_id`]), issued now, for the EIP-55 form of `address`.
    /// `nonce` is the delegation token's `nonce` (at least 8 alphanumeric characters, as EIP-4361 requires).
    ///
    /// ```
    /// use baanx::api::types::DelegationEvmNetwork;
    /// use baanx::delegation::{DelegationError, SiweMessage};
    ///
    /// let base = DelegationEvmNetwork::Unknown("base".into());
    /// let err = SiweMessage::new("w.example", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "https://w.example", &base, "12345678");
    /// assert!(matches!(err, Err(DelegationError::UnsupportedNetwork(_))));
    /// ```
    pub fn new(
        domain: &str,
        address: &str,
        uri: &str,
        network: &DelegationEvmNetwork,
        nonce: &str,
    ) -> Result<SiweMessage, DelegationError> {
        let chain_id = chain_id(network).ok_or_else(|| DelegationError::UnsupportedNetwork(network.to_string()))?;
        let invalid = |what: &str| DelegationError::InvalidMessage(what.to_string());
        if domain.is_empty() || domain.contains(char::is_whitespace) {
            return Err(invalid("the domain must be a host name without spaces"));
        }
        if !uri.contains(':') || uri.contains(char::is_whitespace) {
            return Err(invalid("the URI must be an absolute URI (with a scheme)"));
        }
        if nonce.len() < 8 || !nonce.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid("the nonce must be at least 8 alphanumeric characters"));
        }
        Ok(SiweMessage {
            domain: domain.to_string(),
            address: checksum_address(address)?,
            statement: None,
            uri: uri.to_string(),
            version: "1".into(),
            chain_id,
            nonce: nonce.to_string(),
            issued_at: Timestamp::from(std::time::SystemTime::now()),
            expiration_time: None,
            not_before: None,
            request_id: None,
            resources: Vec::new(),
        })
    }

    /// Sets the statement (one line, no newline).
    ///
    /// ```
    /// # use baanx::{api::types::DelegationEvmNetwork, delegation::SiweMessage};
    /// # let m = SiweMessage::new("w.example", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "https://w.example", &DelegationEvmNetwork::Linea, "12345678").unwrap();
    /// let m = m.statement("Prove address ownership");
    /// assert!(m.to_string().contains("\n\nProve address ownership\n\n"));
    /// ```
    pub fn statement(mut self, statement: &str) -> Self {
        self.statement = Some(statement.replace(['\n', '\r'], " "));
        self
    }

    /// Sets when the message was issued.
    ///
    /// ```
    /// # use baanx::{api::types::DelegationEvmNetwork, delegation::SiweMessage};
    /// # let m = SiweMessage::new("w.example", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "https://w.example", &DelegationEvmNetwork::Linea, "12345678").unwrap();
    /// let m = m.issued_at("2025-05-22T08:14:06.279Z".parse()?);
    /// assert!(m.to_string().contains("Issued At: 2025-05-22T08:14:06.279Z"));
    /// # Ok::<(), cardsdk_runtime::timestamp::TimestampError>(())
    /// ```
    pub fn issued_at(mut self, at: Timestamp) -> Self {
        self.issued_at = at;
        self
    }

    /// Makes the message expire `lifetime` after it was issued (the docs' example uses 30 minutes).
    ///
    /// ```
    /// # use baanx::{api::types::DelegationEvmNetwork, delegation::SiweMessage};
    /// # let m = SiweMessage::new("w.example", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "https://w.example", &DelegationEvmNetwork::Linea, "12345678").unwrap();
    /// let m = m.expires_in(std::time::Duration::from_secs(1800));
    /// assert!(m.expiration_time.unwrap() > m.issued_at);
    /// ```
    pub fn expires_in(mut self, lifetime: std::time::Duration) -> Self {
        let end = self.issued_at.utc()
            + cardsdk_runtime::chrono::Duration::from_std(lifetime).unwrap_or(cardsdk_runtime::chrono::Duration::MAX);
        self.expiration_time = Some(Timestamp::from(end));
        self
    }

    /// Sets a request id.
    ///
    /// ```
    /// # use baanx::{api::types::DelegationEvmNetwork, delegation::SiweMessage};
    /// # let m = SiweMessage::new("w.example", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "https://w.example", &DelegationEvmNetwork::Linea, "12345678").unwrap();
    /// assert!(m.request_id("r-1").to_string().contains("Request ID: r-1"));
    /// ```
    pub fn request_id(mut self, id: &str) -> Self {
        self.request_id = Some(id.replace(['\n', '\r'], ""));
        self
    }

    /// Reads an EIP-4361 message: the preamble, the address line, the statement (optional), then the tagged lines
    /// in the order EIP-4361 fixes. Lower-case addresses are accepted (the docs' example has one).
    ///
    /// ```
    /// use baanx::delegation::SiweMessage;
    ///
    /// let docs = "Website x wants you to sign in with your Ethereum account:\n0x3a11a86cf218c448be519728cd3ac5c741fb3424\n\n\
    ///     Prove address ownership\n\nURI: websitex.example.com\nVersion: 1\nChain ID: 59141\nNonce: 7I9rPnTwrvzzzfYz2\n\
    ///     Issued At: 2025-05-22T08:14:06.279Z\nExpiration Time: 2025-05-22T08:44:06.276Z";
    /// let m = SiweMessage::parse(docs)?;
    /// assert_eq!((m.chain_id, m.domain.as_str()), (59141, "Website x"));
    /// # Ok::<(), baanx::delegation::DelegationError>(())
    /// ```
    pub fn parse(text: &str) -> Result<SiweMessage, DelegationError> {
        let invalid = |what: String| DelegationError::InvalidMessage(what);
        let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).peekable();
        let domain = lines
            .next()
            .and_then(|l| l.strip_suffix(PREAMBLE))
            .ok_or_else(|| invalid("no preamble line".into()))?
            .to_string();
        let address = lines.next().ok_or_else(|| invalid("no address line".into()))?.to_string();
        let hex = address.strip_prefix("0x").unwrap_or("");
        if !is_hex(hex, 40) {
            return Err(DelegationError::InvalidAddress(address));
        }
        if lines.next() != Some("") {
            return Err(invalid("an empty line must follow the address".into()));
        }
        let mut statement = None;
        if lines.peek().is_some_and(|l| !l.is_empty() && !l.starts_with("URI: ")) {
            statement = lines.next().map(str::to_string);
        }
        if lines.peek() == Some(&"") {
            lines.next();
        }
        let mut tagged = |tag: &str, required: bool| -> Result<Option<String>, DelegationError> {
            match lines.peek().and_then(|l| l.strip_prefix(tag)) {
                Some(value) => {
                    let value = value.to_string();
                    lines.next();
                    Ok(Some(value))
                }
                None if required => Err(invalid(format!("no `{}` line", tag.trim_end_matches(": ")))),
                None => Ok(None),
            }
        };
        let uri = tagged("URI: ", true)?.unwrap_or_default();
        let version = tagged("Version: ", true)?.unwrap_or_default();
        let chain_id = tagged("Chain ID: ", true)?
            .unwrap_or_default()
            .parse::<u64>()
            .map_err(|_| invalid("the Chain ID is not a number".into()))?;
        let nonce = tagged("Nonce: ", true)?.unwrap_or_default();
        let time =
            |t: Option<String>| t.map(|t| t.parse::<Timestamp>().map_err(|e| invalid(e.to_string()))).transpose();
        let issued_at = time(tagged("Issued At: ", true)?)?.ok_or_else(|| invalid("no `Issued At` line".into()))?;
        let expiration_time = time(tagged("Expiration Time: ", false)?)?;
        let not_before = time(tagged("Not Before: ", false)?)?;
        let request_id = tagged("Request ID: ", false)?;
        let mut resources = Vec::new();
        if lines.peek() == Some(&"Resources:") {
            lines.next();
            while let Some(resource) = lines.peek().and_then(|l| l.strip_prefix("- ")) {
                resources.push(resource.to_string());
                lines.next();
            }
        }
        if let Some(rest) = lines.find(|l| !l.is_empty()) {
            return Err(invalid(format!("unexpected line {:?}", rest.chars().take(40).collect::<String>())));
        }
        Ok(SiweMessage {
            domain,
            address,
            statement,
            uri,
            version,
            chain_id,
            nonce,
            issued_at,
            expiration_time,
            not_before,
            request_id,
            resources,
        })
    }
}

fn rfc3339(t: &Timestamp) -> String {
    t.utc().to_rfc3339_opts(cardsdk_runtime::chrono::SecondsFormat::Millis, true)
}

impl fmt::Display for SiweMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}{PREAMBLE}", self.domain)?;
        writeln!(f, "{}", self.address)?;
        writeln!(f)?;
        if let Some(statement) = &self.statement {
            writeln!(f, "{statement}")?;
        }
        writeln!(f)?;
        writeln!(f, "URI: {}", self.uri)?;
        writeln!(f, "Version: {}", self.version)?;
        writeln!(f, "Chain ID: {}", self.chain_id)?;
        writeln!(f, "Nonce: {}", self.nonce)?;
        write!(f, "Issued At: {}", rfc3339(&self.issued_at))?;
        if let Some(t) = &self.expiration_time {
            write!(f, "\nExpiration Time: {}", rfc3339(t))?;
        }
        if let Some(t) = &self.not_before {
            write!(f, "\nNot Before: {}", rfc3339(t))?;
        }
        if let Some(id) = &self.request_id {
            write!(f, "\nRequest ID: {id}")?;
        }
        if !self.resources.is_empty() {
            write!(f, "\nResources:")?;
            for r in &self.resources {
                write!(f, "\n- {r}")?;
            }
        }
        Ok(())
    }
}

/// The body of `POST /v1/delegation/evm/post-approval`, checked: `token` from the delegation token call,
/// `message` signed by the wallet into `signature`, `tx_hash` of the on-chain approval, and the approved `amount` in
/// whole tokens. The network comes from the message's chain id.
///
/// ```
/// use baanx::api::types::{DelegationCurrency, DelegationEvmNetwork};
/// use baanx::delegation::{DelegationError, SiweMessage, evm_post_approval};
///
/// let message = SiweMessage::new("w.example", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "https://w.example",
///     &DelegationEvmNetwork::Linea, "5f8a9b2c4d3e1a7b9c6d8e2f")?;
/// let err = evm_post_approval("tok", &message, "0x12", &format!("0x{}", "cd".repeat(32)), DelegationCurrency::Usdc,
///     "5000".parse()?).unwrap_err();
/// assert_eq!(err, DelegationError::InvalidSignature);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evm_post_approval(
    token: &str,
    message: &SiweMessage,
    signature: &str,
    tx_hash: &str,
    currency: DelegationCurrency,
    amount: TokenAmount,
) -> Result<CompleteEvmDelegationRequest, DelegationError> {
    let network = match message.chain_id {
        59144 => DelegationEvmNetwork::Linea,
        1 => DelegationEvmNetwork::Ethereum,
        other => return Err(DelegationError::UnsupportedNetwork(format!("chain {other}"))),
    };
    let body = CompleteEvmDelegationRequest::builder()
        .address(message.address.clone())
        .amount(amount)
        .currency(currency)
        .network(network)
        .sig_hash(signature.to_string())
        .sig_message(message.to_string())
        .token(token.to_string())
        .tx_hash(tx_hash.to_string());
    let body =
        CompleteEvmDelegationRequest::try_from(body).map_err(|e| DelegationError::InvalidMessage(e.to_string()))?;
    check_evm_body(&body)?;
    Ok(body)
}

/// The reference's rules for an EVM post-approval body (the public client checks the same before sending).
fn check_evm_body(body: &CompleteEvmDelegationRequest) -> Result<(), DelegationError> {
    let hex_of = |s: &str, len: usize| s.strip_prefix("0x").is_some_and(|h| is_hex(h, len));
    if !hex_of(&body.address, 40) {
        return Err(DelegationError::InvalidAddress(body.address.chars().take(64).collect()));
    }
    let message = SiweMessage::parse(&body.sig_message)?;
    if !message.address.eq_ignore_ascii_case(&body.address) {
        return Err(DelegationError::AddressMismatch { message: message.address, request: body.address.clone() });
    }
    let expected =
        chain_id(&body.network).ok_or_else(|| DelegationError::UnsupportedNetwork(body.network.to_string()))?;
    if message.chain_id != expected {
        return Err(DelegationError::ChainIdMismatch {
            network: body.network.to_string(),
            expected,
            found: message.chain_id,
        });
    }
    if !hex_of(&body.sig_hash, 130) {
        return Err(DelegationError::InvalidSignature);
    }
    if !hex_of(&body.tx_hash, 64) {
        return Err(DelegationError::InvalidTxHash);
    }
    Ok(())
}

/// The check the hooks run on every `complete_evm_delegation` body before sending it.
pub(crate) fn check_before_send(body: &[u8]) -> Result<(), String> {
    let body: CompleteEvmDelegationRequest =
        serde_json::from_slice(body).map_err(|e| format!("the post-approval body does not decode: {e}"))?;
    check_evm_body(&body).map_err(|e| e.to_string())
}

/// The `decimals` of `currency` on `network` in the chain configuration.
fn decimals_of(
    config: &DelegationChainConfig,
    network: &str,
    currency: &DelegationCurrency,
) -> Result<u8, DelegationError> {
    let unknown = || DelegationError::UnknownToken { network: network.to_string(), currency: currency.to_string() };
    let networks = config.networks.as_deref().unwrap_or_default();
    let entry = networks
        .iter()
        .find(|n| n.network.as_ref().is_some_and(|w| w.as_str().eq_ignore_ascii_case(network)))
        .ok_or_else(unknown)?;
    let tokens = entry.tokens.as_ref().ok_or_else(unknown)?;
    let token = tokens
        .iter()
        .find(|(key, t)| {
            key.eq_ignore_ascii_case(currency.as_str())
                || t.symbol.as_ref().is_some_and(|s| s.as_str().eq_ignore_ascii_case(currency.as_str()))
        })
        .map(|(_, t)| t)
        .ok_or_else(unknown)?;
    let decimals = token.decimals.ok_or_else(unknown)?;
    u8::try_from(decimals).map_err(|_| unknown())
}

/// A whole-token amount in base units, for the on-chain `approve` (5000 USDC with 6 decimals → 5000000000). An
/// amount with more fractional digits than the token has is an error, not a truncation.
///
/// ```
/// use baanx::api::types::{DelegationChainConfig, DelegationCurrency};
/// use baanx::delegation::to_base_units;
///
/// let config: DelegationChainConfig = serde_json::from_str(r#"{"networks": [{"network": "linea", "chainId": "59144",
///     "tokens": {"usdc": {"symbol": "usdc", "decimals": 6}}}]}"#)?;
/// let units = to_base_units(&config, "linea", &DelegationCurrency::Usdc, &"5000".parse()?)?;
/// assert_eq!(units.to_string(), "5000000000");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_base_units(
    config: &DelegationChainConfig,
    network: &str,
    currency: &DelegationCurrency,
    amount: &TokenAmount,
) -> Result<U256, DelegationError> {
    Ok(amount.to_base_units(decimals_of(config, network, currency)?)?)
}

/// Base units (an on-chain allowance) in whole tokens.
///
/// ```
/// use baanx::api::types::{DelegationChainConfig, DelegationCurrency};
/// use baanx::delegation::from_base_units;
/// use baanx::money::U256;
///
/// let config: DelegationChainConfig = serde_json::from_str(r#"{"networks": [{"network": "ethereum",
///     "tokens": {"usdt": {"symbol": "usdt", "decimals": 6}}}]}"#)?;
/// let unlimited = from_base_units(&config, "ethereum", &DelegationCurrency::Usdt, U256::MAX)?;
/// assert!(unlimited.is_unlimited());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_base_units(
    config: &DelegationChainConfig,
    network: &str,
    currency: &DelegationCurrency,
    units: U256,
) -> Result<TokenAmount, DelegationError> {
    Ok(TokenAmount::from_base_units(units, decimals_of(config, network, currency)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> SiweMessage {
        SiweMessage::new(
            "wallet.example.com",
            "0x3a11a86cf218c448be519728cd3ac5c741fb3424",
            "https://wallet.example.com/login",
            &DelegationEvmNetwork::Linea,
            "5f8a9b2c4d3e1a7b9c6d8e2f",
        )
        .unwrap()
        .statement("Prove address ownership")
        .expires_in(std::time::Duration::from_secs(1800))
    }

    #[test]
    fn eip55_vectors() {
        for expected in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            assert_eq!(checksum_address(&expected.to_lowercase()).unwrap(), expected);
        }
    }

    #[test]
    fn the_chain_id_rule() {
        let good = message();
        let sig = format!("0x{}", "ab".repeat(65));
        let tx = format!("0x{}", "cd".repeat(32));
        let body =
            evm_post_approval("tok", &good, &sig, &tx, DelegationCurrency::Usdc, "5000".parse().unwrap()).unwrap();
        assert!(check_before_send(&serde_json::to_vec(&body).unwrap()).is_ok());
        // The docs' example: Chain ID 59141 with network linea.
        let mut wrong = body.clone();
        wrong.sig_message = wrong.sig_message.replace("Chain ID: 59144", "Chain ID: 59141");
        let err = check_before_send(&serde_json::to_vec(&wrong).unwrap()).unwrap_err();
        assert!(err.contains("59141") && err.contains("59144"), "{err}");
        let mut other = body.clone();
        other.address = "0x7b22c1e6f8a4d92b5c3d8e9f1a2b3c4d5e6f7890".into();
        assert!(
            check_before_send(&serde_json::to_vec(&other).unwrap()).unwrap_err().contains("not the request's address")
        );
    }

    #[test]
    fn messages_round_trip() {
        let m = message().request_id("req-1");
        let mut with_resources = m.clone();
        with_resources.resources = vec!["https://a.example/1".into(), "ipfs://x".into()];
        for m in [m, with_resources] {
            assert_eq!(SiweMessage::parse(&m.to_string()).unwrap(), m);
        }
        for bad in ["", "hello", "d wants you to sign in with your Ethereum account:\n0x12\n\nURI: x"] {
            assert!(SiweMessage::parse(bad).is_err(), "{bad:?}");
        }
    }
}
