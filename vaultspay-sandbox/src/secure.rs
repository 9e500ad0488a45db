//! The encryption every API request goes through, as the client's documented defaults describe it (unconfirmed
//! against the real service):
//!
//! - request headers `x-session-nonce` = standard Base64 of the 12-byte AES-GCM IV, `x-auth-signature` = standard
//!   Base64 of the 32-byte AES-256 key wrapped with the sandbox's RSA public key (PKCS#1 v1.5 unless configured),
//!   `x-device-os: SAAS`, `x-device-id: <app id>`; requests without a body still carry a fresh key and IV;
//! - request body (when there is one) `{"encryptedData": "<standard Base64 of ciphertext ‖ 16-byte tag>"}`,
//!   AES-256-GCM without AAD;
//! - the answer (envelope and errors alike) encrypted with the request's key and a fresh IV sent back in the
//!   response header `x-session-nonce`, body `{"encryptedData": "<b64>"}`, `Content-Type: application/json`;
//! - anything unreadable (a header absent, bad Base64, a wrong length, an RSA or GCM failure, a body not of that
//!   form) answers HTTP 500 with the plaintext `{"code": 1018, "message": "Invalid HTTP headers.", "type":
//!   "INVALID_HEADERS"}` and a plaintext `x-sandbox-reason` header saying what was wrong;
//! - `x-enable-encryption: false` switches encryption off for that request (plaintext both ways) in UAT mode only;
//!   in production mode it is refused with 1018.
//!
//! The device headers are checked first, on every API request, encrypted or not.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cardsdk_sandbox_kit::{Dialect, MAX_BODY, RequestHead, header_str, whole_body};
use serde::Deserialize;

use crate::crypto::{self, b64, unb64};
use crate::errors::ApiError;
use crate::state::{Shared, State as SandboxState};

/// The request header carrying the IV (and, on answers, the answer's IV).
pub const NONCE_HEADER: &str = "x-session-nonce";
/// The request header carrying the wrapped AES key.
pub const KEY_HEADER: &str = "x-auth-signature";

/// The key and IV of one encrypted request.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    key: [u8; 32],
    iv: [u8; 12],
}

/// A request as read: plaintext in UAT with encryption off, or decrypted.
pub(crate) enum Opened {
    /// `x-enable-encryption: false` in UAT mode: the body as sent.
    Plain,
    /// Decrypted with this session.
    Sealed(Session, Vec<u8>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wrapped {
    encrypted_data: String,
}

fn encryption_off(headers: &HeaderMap) -> bool {
    header_str(headers, "x-enable-encryption").is_some_and(|v| v.eq_ignore_ascii_case("false") || v == "0")
}

/// Checks the device headers and reads the encryption; `Err` says why the request answers 1018.
pub(crate) fn open_request(st: &SandboxState, headers: &HeaderMap, body: &[u8]) -> Result<Opened, &'static str> {
    match header_str(headers, "x-device-os") {
        Some(os) if os.eq_ignore_ascii_case("SAAS") => {}
        Some(_) => return Err("x-device-os must be SAAS"),
        None => return Err("x-device-os is missing"),
    }
    match header_str(headers, "x-device-id") {
        Some(id) if id == st.config.app_id => {}
        Some(_) => return Err("x-device-id is not the app id of this sandbox"),
        None => return Err("x-device-id is missing"),
    }
    if encryption_off(headers) {
        return if st.config.uat {
            Ok(Opened::Plain)
        } else {
            Err("x-enable-encryption: false is refused in production mode")
        };
    }
    let iv = header_str(headers, NONCE_HEADER).ok_or("x-session-nonce is missing")?;
    let iv = unb64(iv).ok_or("x-session-nonce is not standard Base64")?;
    let iv: [u8; 12] = iv.as_slice().try_into().map_err(|_| "x-session-nonce is not 12 bytes")?;
    let wrapped = header_str(headers, KEY_HEADER).ok_or("x-auth-signature is missing")?;
    let wrapped = unb64(wrapped).ok_or("x-auth-signature is not standard Base64")?;
    let key = st
        .keys
        .unwrap_aes_key(st.config.padding, &wrapped)
        .ok_or("x-auth-signature does not unwrap to a 32-byte key with the sandbox's RSA key and padding")?;
    let session = Session { key, iv };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Opened::Sealed(session, Vec::new()));
    }
    let wrapped: Wrapped =
        serde_json::from_slice(body).map_err(|_| "the body is not {\"encryptedData\": \"<Base64>\"}")?;
    let ciphertext = unb64(&wrapped.encrypted_data).ok_or("encryptedData is not standard Base64")?;
    let plaintext = crypto::open(&session.key, &session.iv, &ciphertext)
        .ok_or("encryptedData does not decrypt (AES-256-GCM) with that key and IV")?;
    Ok(Opened::Sealed(session, plaintext))
}

/// The 1018 answer, plaintext, with the reason in `x-sandbox-reason`.
pub(crate) fn refuse(reason: &str) -> Response {
    ApiError::invalid_headers().with_header("x-sandbox-reason", reason).into_response()
}

/// An answer with `plaintext` encrypted for `session` under a fresh IV.
fn sealed(status: StatusCode, mut headers: HeaderMap, plaintext: &[u8], session: &Session) -> Response {
    let iv = crypto::fresh_iv(&session.iv);
    let ciphertext = crypto::seal(&session.key, &iv, plaintext);
    let body = format!("{{\"encryptedData\":\"{}\"}}", b64(&ciphertext));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    if let Ok(v) = HeaderValue::from_str(&b64(&iv)) {
        headers.insert(NONCE_HEADER, v);
    }
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    resp
}

/// The middleware of every API route: checks and decrypts the request, encrypts the answer.
pub(crate) async fn layer(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return refuse("the body could not be read");
    };
    match open_request(&st, &parts.headers, &bytes) {
        Err(reason) => refuse(reason),
        Ok(Opened::Plain) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Ok(Opened::Sealed(session, plaintext)) => {
            parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            parts.headers.remove(header::CONTENT_LENGTH);
            let resp = next.run(Request::from_parts(parts, Body::from(plaintext))).await;
            let (parts, bytes) = whole_body(resp).await;
            sealed(parts.status, parts.headers, &bytes, &session)
        }
    }
}

/// How the server loop writes its own answers (fault statuses, a body too large): the documented error of the
/// status (429 → 1005 THROTTLE, ...), encrypted like any answer when the request's key can be read.
pub(crate) struct VaultsPayDialect(pub(crate) Shared);

impl Dialect for VaultsPayDialect {
    fn error(&self, request: &RequestHead<'_>, status: u16, message: &str) -> Response<Body> {
        let err = ApiError::for_status(status, message);
        if request.path.starts_with(crate::control::PREFIX) {
            return err.into_response();
        }
        match open_request(&self.0, request.headers, request.body) {
            Ok(Opened::Sealed(session, _)) => {
                let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                sealed(status, HeaderMap::new(), &err.body(), &session)
            }
            _ => err.into_response(),
        }
    }
}
