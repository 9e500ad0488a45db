//! Helpers shared by the integration tests: a small encrypting client built on RustCrypto (not the `vaultspay`
//! crate), the control routes, and a webhook receiver.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, StatusCode};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, Pkcs1v15Encrypt, PublicKey};
use serde_json::{Value, json};
use vaultspay_sandbox::{RsaPadding, Sandbox, SandboxBuilder};

/// The builder every test starts from: the fixed key (fast, reproducible) and quick webhook retries.
pub fn builder() -> SandboxBuilder {
    Sandbox::builder()
        .fixed_key()
        .webhook_retry_delays(vec![Duration::from_millis(50), Duration::from_millis(100)])
        .webhook_timeout(Duration::from_millis(300))
}

/// Starts a sandbox with the test defaults.
pub async fn start() -> Sandbox {
    builder().start().await.unwrap()
}

/// An answer: status, headers, the decrypted (or plaintext) body and the body as it came over the wire.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub wire: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The error `code` (panics on a success answer).
    pub fn code(&self) -> i64 {
        self.json()["code"].as_i64().unwrap_or_else(|| panic!("no error code in {}", self.text))
    }

    /// Asserts an error status and code.
    #[track_caller]
    pub fn error(&self, status: u16, code: i64) -> Value {
        assert_eq!((self.status.as_u16(), self.code()), (status, code), "{}", self.text);
        self.json()
    }

    /// Asserts a 200 and returns `data`.
    #[track_caller]
    pub fn data(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.text);
        self.json()["data"].clone()
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// What one encrypted request carries.
pub struct Sealed {
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
    pub key: [u8; 32],
    pub iv: [u8; 12],
}

/// Wraps a 32-byte key with the sandbox's public key.
pub fn wrap_key(public: &PublicKey, padding: RsaPadding, key: &[u8]) -> Vec<u8> {
    let mut rng = rand::rng();
    match padding {
        RsaPadding::Pkcs1v15 => public.encrypt(&mut rng, Pkcs1v15Encrypt, key),
        RsaPadding::OaepSha1 => public.encrypt(&mut rng, Oaep::<sha1::Sha1>::new(), key),
        RsaPadding::OaepSha256Mgf1Sha1 => {
            public.encrypt(&mut rng, Oaep::<sha2::Sha256, sha1::Sha1>::new_with_mgf_hash(), key)
        }
        RsaPadding::OaepSha256 => public.encrypt(&mut rng, Oaep::<sha2::Sha256>::new(), key),
        _ => unreachable!("a padding the tests do not know"),
    }
    .unwrap()
}

pub fn aes(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new_from_slice(key).unwrap()
}

/// A client for one sandbox: encrypts every request (the client's documented defaults) and decrypts answers.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub public: PublicKey,
    pub padding: RsaPadding,
    pub app_id: String,
    pub token: Option<String>,
    /// Send `x-enable-encryption: false` and plaintext JSON.
    pub plaintext: bool,
}

impl Api {
    pub fn new(sb: &Sandbox) -> Self {
        let der = STANDARD.decode(sb.public_key()).unwrap();
        Api {
            http: http(),
            base: sb.base_url().to_string(),
            public: PublicKey::from_public_key_der(&der).unwrap(),
            padding: sb.rsa_padding(),
            app_id: sb.app_id().to_string(),
            token: None,
            plaintext: false,
        }
    }

    /// Logs in with the sandbox's credentials and keeps the access token.
    pub async fn login(sb: &Sandbox) -> Self {
        let mut api = Api::new(sb);
        let session = api
            .post("/as/api/v1/saas-login", json!({ "clientId": sb.client_id(), "clientSecret": sb.client_secret() }))
            .await;
        assert_eq!(session.status, StatusCode::OK, "{}", session.text);
        api.token = Some(session.json()["accessToken"].as_str().unwrap().to_string());
        api
    }

    pub fn with_padding(mut self, padding: RsaPadding) -> Self {
        self.padding = padding;
        self
    }

    /// Encrypts a body (or none) with a fresh key and IV.
    pub fn seal(&self, body: Option<&Value>) -> Sealed {
        let key: [u8; 32] = rand::random();
        let iv: [u8; 12] = rand::random();
        let wrapped = wrap_key(&self.public, self.padding, &key);
        let body = body.map(|b| {
            let ciphertext = aes(&key).encrypt(&Nonce::from(iv), b.to_string().as_bytes()).unwrap();
            json!({ "encryptedData": STANDARD.encode(ciphertext) }).to_string().into_bytes()
        });
        Sealed {
            headers: vec![
                ("x-session-nonce", STANDARD.encode(iv)),
                ("x-auth-signature", STANDARD.encode(wrapped)),
                ("x-device-os", "SAAS".to_string()),
                ("x-device-id", self.app_id.clone()),
            ],
            body,
            key,
            iv,
        }
    }

    /// Sends raw parts: headers as given (plus the bearer token), body as given.
    pub async fn raw(&self, method: Method, path: &str, headers: &[(&str, String)], body: Option<Vec<u8>>) -> Answer {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        for (k, v) in headers {
            rb = rb.header(*k, v);
        }
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.header("content-type", "application/json").body(b);
        }
        let resp = rb.send().await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let wire = resp.text().await.unwrap();
        Answer { status, headers, text: wire.clone(), wire }
    }

    /// Decrypts an answer to a sealed request (it must carry its own, fresh IV).
    pub fn open(sealed: &Sealed, mut a: Answer) -> Answer {
        let Some(nonce) = a.header("x-session-nonce").map(str::to_string) else {
            return a; // a plaintext error (1018, or a gateway page)
        };
        let iv: [u8; 12] = STANDARD.decode(nonce).unwrap().try_into().unwrap();
        assert_ne!(iv, sealed.iv, "the answer reuses the request's IV");
        let wrapped: Value = serde_json::from_str(&a.wire).unwrap();
        let ciphertext = STANDARD.decode(wrapped["encryptedData"].as_str().unwrap()).unwrap();
        let plain = aes(&sealed.key).decrypt(&Nonce::from(iv), ciphertext.as_ref()).expect("the answer decrypts");
        a.text = String::from_utf8(plain).unwrap();
        a
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        if self.plaintext {
            let headers = [
                ("x-enable-encryption", "false".to_string()),
                ("x-device-os", "SAAS".into()),
                ("x-device-id", self.app_id.clone()),
            ];
            return self.raw(method, path, &headers, body.map(|b| b.to_string().into_bytes())).await;
        }
        let sealed = self.seal(body.as_ref());
        let a = self.raw(method, path, &sealed.headers, sealed.body.clone()).await;
        Api::open(&sealed, a)
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(body)).await
    }
}

/// Calls a control route (plaintext JSON).
pub async fn control(sb: &Sandbox, method: Method, path: &str, body: Value) -> Answer {
    let resp = http().request(method, format!("{}/__sandbox{path}", sb.base_url())).json(&body).send().await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let wire = resp.text().await.unwrap();
    Answer { status, headers, text: wire.clone(), wire }
}

/// One request a [`Receiver`] got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A webhook receiver on 127.0.0.1 answering the statuses of `plan` in turn (then 200; 0 = 200 after 1 s).
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Received>>>,
}

pub async fn receiver(plan: Vec<u16>) -> Receiver {
    use axum::http::HeaderMap;
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let plan = Arc::new(Mutex::new(plan.into_iter().collect::<std::collections::VecDeque<_>>()));
    let (g, p) = (got.clone(), plan.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (g, p) = (g.clone(), p.clone());
            async move {
                let headers = headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect();
                g.lock().unwrap().push(Received { headers, body: body.to_vec() });
                let code = p.lock().unwrap().pop_front().unwrap_or(200);
                if code == 0 {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                (axum::http::StatusCode::from_u16(if code == 0 { 200 } else { code }).unwrap(), "ok")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver { url: format!("http://{addr}/hook"), got }
}
