//! A local decrypting VaultsPay stand-in for the crate's tests: an axum server on `127.0.0.1:0` that opens every
//! request with the test private key (`vaultspay::encryption::open_request`), records it (method, path, query,
//! headers, raw and decrypted body), and answers a programmed plaintext JSON sealed with that request's
//! `ResponseSealer` (a fresh IV in the answer's `x-session-nonce`).
//!
//! `POST /as/api/v1/saas-login` is answered with a far-future token unless something else is programmed for it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use vaultspay::encryption::{Options, PrivateKey, open_request};
use vaultspay::{Client, Environment};

/// The test key pair (`tests/fixtures/keys/`).
pub const PRIVATE_KEY_PEM: &str = include_str!("../fixtures/keys/test-private-pkcs8.pem");
pub const PUBLIC_KEY_B64: &str = include_str!("../fixtures/keys/test-public-spki.b64");

pub const CLIENT_ID: &str = "test-client-id";
pub const CLIENT_SECRET: &str = "test-client-secret";
pub const APP_ID: &str = "17";
pub const ACCESS_TOKEN: &str = "test-access-token";
pub const REFRESH_TOKEN: &str = "test-refresh-token";
pub const LOGIN_PATH: &str = "/as/api/v1/saas-login";

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// The raw query string (without `?`), if any.
    pub query: Option<String>,
    pub headers: HeaderMap,
    /// The body as sent (encrypted).
    pub raw_body: Vec<u8>,
    /// The decrypted body, parsed as JSON (`None` for a body-less request).
    pub body: Option<Value>,
    /// Why the request could not be opened, if it could not.
    pub open_error: Option<String>,
    /// The `x-session-nonce` of the answer (the response IV), if the answer was sealed.
    pub answer_nonce: Option<String>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The query string decoded into pairs, in wire order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let query = self.query.as_deref().unwrap_or_default();
        url::form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }
}

/// A programmed answer: status and plaintext JSON (sealed on the way out).
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    /// The plaintext JSON text (kept as text: exact decimals such as `30.20000000` survive).
    pub body: String,
}

#[derive(Default)]
struct Shared {
    requests: Vec<Recorded>,
    /// Keyed by `METHOD path` (path with its parameters substituted).
    answers: HashMap<String, Answer>,
}

#[derive(Clone)]
struct AppState {
    key: Arc<PrivateKey>,
    options: Options,
    shared: Arc<Mutex<Shared>>,
}

/// The running server; stops when dropped.
pub struct Server {
    base_url: String,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The login answer: a bare object (no envelope), tokens valid until 2999.
pub fn login_answer() -> Value {
    json!({
        "accessToken": ACCESS_TOKEN,
        "accessTokenExpiry": "2999-12-31T23:59:59.000+00:00",
        "refreshToken": REFRESH_TOKEN,
        "refreshTokenExpiry": "2999-12-31T23:59:59.000+00:00",
    })
}

impl Server {
    /// Starts a server with the default encryption options.
    pub async fn start() -> Server {
        Server::start_with(Options::default()).await
    }

    /// Starts a server opening requests with `options` (they must match the client's).
    pub async fn start_with(options: Options) -> Server {
        let key = Arc::new(PrivateKey::parse(PRIVATE_KEY_PEM).expect("test private key"));
        let shared = Arc::new(Mutex::new(Shared::default()));
        let state = AppState { key, options, shared: shared.clone() };
        let app = axum::Router::new().fallback(handle).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Server { base_url: format!("http://{addr}"), shared, task }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Programs the answer to `method path` (path parameters substituted), replacing any earlier one.
    pub fn answer(&self, method: &str, path: &str, status: u16, body: Value) {
        self.answer_text(method, path, status, &body.to_string());
    }

    /// Programs the answer to `method path` as JSON text, sent exactly as given (once sealed).
    pub fn answer_text(&self, method: &str, path: &str, status: u16, body: &str) {
        let key = format!("{} {path}", method.to_ascii_uppercase());
        self.shared.lock().unwrap().answers.insert(key, Answer { status, body: body.to_string() });
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().unwrap().requests.clone()
    }

    /// Forgets the requests received so far (the programmed answers stay).
    pub fn clear_requests(&self) {
        self.shared.lock().unwrap().requests.clear();
    }

    /// A client of this server: test credentials, app id [`APP_ID`], the test public key, no waiting on retries.
    pub fn client(&self) -> Client {
        Client::builder()
            .environment(Environment::Custom(self.base_url.clone()))
            .client_id(CLIENT_ID)
            .client_secret(CLIENT_SECRET)
            .app_id(APP_ID)
            .public_key(PUBLIC_KEY_B64)
            .expect("test public key")
            .retry(vaultspay::RetryPolicy::standard().base_delay(std::time::Duration::from_millis(1)))
            .build()
            .expect("client")
    }
}

async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let raw_body = axum::body::to_bytes(body, usize::MAX).await.map(|b| b.to_vec()).unwrap_or_default();
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (nonce, signature) = (header("x-session-nonce"), header("x-auth-signature"));

    let mut record = Recorded {
        method: method.clone(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers.clone(),
        raw_body: raw_body.clone(),
        body: None,
        open_error: None,
        answer_nonce: None,
    };

    let opened = match (&nonce, &signature) {
        (Some(nonce), Some(signature)) => {
            open_request(&state.key, &state.options, nonce, signature, &raw_body).map_err(|e| e.to_string())
        }
        _ => Err("missing x-session-nonce or x-auth-signature".to_string()),
    };
    let sealer = match opened {
        Ok((plaintext, sealer)) => {
            if !plaintext.is_empty() {
                match serde_json::from_slice::<Value>(&plaintext) {
                    Ok(value) => record.body = Some(value),
                    Err(e) => record.open_error = Some(format!("decrypted body is not JSON: {e}")),
                }
            }
            Some(sealer)
        }
        Err(e) => {
            record.open_error = Some(e);
            None
        }
    };

    let programmed = {
        let shared = state.shared.lock().unwrap();
        shared.answers.get(&format!("{method} {path}")).cloned()
    };
    let answer = match programmed {
        Some(answer) => answer,
        None if method == "POST" && path == LOGIN_PATH => Answer { status: 200, body: login_answer().to_string() },
        None => Answer {
            status: 404,
            body: json!({"code": 404, "message": format!("nothing programmed for {method} {path}")}).to_string(),
        },
    };

    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let plaintext = answer.body.into_bytes();
    let mut builder = Response::builder().status(status).header("content-type", "application/json");
    let response = match (sealer, &record.open_error) {
        (Some(sealer), None) => match sealer.seal(&plaintext) {
            Ok((sealed, response_nonce)) => {
                if let Some(n) = &response_nonce {
                    builder = builder.header("x-session-nonce", n.as_str());
                }
                record.answer_nonce = response_nonce;
                builder.body(Body::from(sealed))
            }
            Err(e) => {
                record.open_error = Some(format!("cannot seal the answer: {e}"));
                failure(&format!("cannot seal the answer: {e}"))
            }
        },
        // A request that could not be opened: a plaintext 500 error (the client accepts plaintext errors).
        (_, error) => failure(&format!("cannot open the request: {}", error.as_deref().unwrap_or("no key"))),
    };
    state.shared.lock().unwrap().requests.push(record);
    response.unwrap_or_else(|_| Response::new(Body::empty()))
}

fn failure(message: &str) -> Result<Response, http::Error> {
    let body = json!({"code": 1018, "message": message, "type": "INVALID_HEADERS"}).to_string();
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .header("content-type", "application/json")
        .body(Body::from(body))
}
