//! Helpers shared by the integration tests: a thin HTTP client for the sandbox, PKCE, and a webhook receiver.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use baanx_sandbox::{Sandbox, TestUser};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A client for one sandbox: sends the client key, and optionally the US header and a bearer token.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub client_key: String,
    pub secret_key: String,
    pub us: bool,
    pub token: Option<String>,
}

/// A decoded answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_proxy().build().unwrap()
}

impl Api {
    pub fn new(sb: &Sandbox) -> Self {
        Api {
            http: http(),
            base: sb.base_url().to_string(),
            client_key: sb.client_key().to_string(),
            secret_key: sb.secret_key().to_string(),
            us: false,
            token: None,
        }
    }

    pub fn us(mut self) -> Self {
        self.us = true;
        self
    }

    pub fn with_token(&self, token: &str) -> Self {
        let mut a = self.clone();
        a.token = Some(token.to_string());
        a
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut rb = self.http.request(method, format!("{}{path}", self.base)).header("x-client-key", &self.client_key);
        if self.us {
            rb = rb.header("x-us-env", "true");
        }
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        rb
    }

    pub async fn send(rb: reqwest::RequestBuilder) -> Answer {
        let resp = rb.send().await.expect("request failed");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        Answer { status, headers, text }
    }

    pub async fn get(&self, path: &str) -> Answer {
        Self::send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        Self::send(self.request(Method::POST, path).json(&body)).await
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut rb = self.request(method, path);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        Self::send(rb).await
    }

    /// Password login; panics unless a token comes back.
    pub async fn login(&self, user: &TestUser) -> Api {
        let a = self.post("/v1/auth/login", json!({ "email": user.email, "password": user.password })).await;
        assert_eq!(a.status, 200, "{}", a.text);
        let token = a.json()["accessToken"].as_str().expect("no access token").to_string();
        self.with_token(&token)
    }
}

/// Milliseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` (the forms the sandbox writes); panics on
/// anything else.
pub fn instant_ms(s: &str) -> i64 {
    let bad = || -> ! { panic!("not a timestamp the sandbox writes: {s}") };
    let num = |t: &str| -> i64 {
        if t.bytes().all(|c| c.is_ascii_digit()) { t.parse().unwrap_or_else(|_| bad()) } else { bad() }
    };
    let (date, rest) = s.split_once('T').unwrap_or_else(|| bad());
    let d: Vec<i64> = date.split('-').map(num).collect();
    let (clock, offset_min) = match rest.strip_suffix('Z') {
        Some(c) => (c, 0),
        None if rest.len() > 6 => {
            let (c, off) = rest.split_at(rest.len() - 6);
            let sign = match &off[..1] {
                "+" => 1,
                "-" => -1,
                _ => bad(),
            };
            (c, sign * (num(&off[1..3]) * 60 + num(&off[4..6])))
        }
        None => bad(),
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, "0"));
    let t: Vec<i64> = hms.split(':').map(num).collect();
    if d.len() != 3 || t.len() != 3 {
        bad();
    }
    // Days from civil (H. Hinnant).
    let (y, m) = if d[1] <= 2 { (d[0] - 1, d[1]) } else { (d[0], d[1]) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d[2] - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let millis = num(&format!("{frac:0<3}")[..3]);
    days * 86_400_000 + t[0] * 3_600_000 + t[1] * 60_000 + t[2] * 1000 + millis - offset_min * 60_000
}

/// A PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode((0..32u8).map(|i| i.wrapping_mul(37).wrapping_add(11)).collect::<Vec<_>>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The query of an authorization request.
pub fn auth_query(client_id: &str, challenge: &str, extra: &str) -> String {
    format!(
        "response_type=code&client_id={client_id}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=st-123\
         &code_challenge={challenge}&code_challenge_method=S256{extra}"
    )
}

/// Runs the API-mode flow for `user` and returns `(code, verifier)`.
pub async fn api_mode_code(api: &Api, user: &TestUser) -> (String, String) {
    let (verifier, challenge) = pkce();
    let init = api
        .get(&format!("/v1/auth/oauth/authorize/initiate?{}", auth_query(&api.client_key, &challenge, "&mode=api")))
        .await;
    assert_eq!(init.status, 200, "{}", init.text);
    let session = init.json()["token"].as_str().unwrap().to_string();
    let logged_in = api.login(user).await;
    let auth = logged_in.post("/v1/auth/oauth/authorize", json!({ "token": session })).await;
    assert_eq!(auth.status, 200, "{}", auth.text);
    let body = auth.json();
    assert_eq!(body["state"], "st-123");
    (body["code"].as_str().unwrap().to_string(), verifier)
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
                // 0 in the plan: answer 200, but only after a second (slower than the tests' delivery timeout).
                if code == 0 {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
                (StatusCode::from_u16(if code == 0 { 200 } else { code }).unwrap(), "{\"received\":true}")
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
