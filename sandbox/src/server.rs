//! The router and the connection loop: every request is read whole, logged, checked against the fault rules, then
//! handed to the router (or not), and its answer may be spoiled on the way out.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put};
use bytes::Bytes;
use http_body::Frame;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::errors::ApiError;
use crate::faults::{self, Fault};
use crate::state::{Shared, lock};
use crate::{LoggedRequest, auth, cards, consent, delegation, oauth, password, transactions, users, wallets, webhooks};

/// Largest request body read (larger ones get 413).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Every route of the sandbox.
pub(crate) fn router(st: Shared) -> Router {
    Router::new()
        // auth and OAuth
        .route("/v1/auth/login", post(auth::login))
        .route("/v1/auth/login/otp", post(auth::send_otp))
        .route("/v1/auth/logout", post(auth::logout))
        .route("/v1/auth/password/reset/request", post(password::request))
        .route("/v1/auth/password/reset/verify", post(password::verify))
        .route("/v1/auth/password/reset/confirm", post(password::confirm))
        .route("/v1/auth/oauth/revoke", delete(auth::revoke))
        .route("/v1/auth/oauth/authorize/initiate", get(oauth::initiate))
        .route("/v1/auth/oauth/authorize", post(oauth::authorize))
        .route("/v1/auth/oauth/token", post(oauth::token))
        .route("/v1/auth/oauth2/authorize", get(oauth::oauth2_page).post(oauth::oauth2_submit))
        .route("/v1/auth/oauth2/token", post(oauth::token2))
        .route("/hosted/login", get(oauth::hosted_login_page).post(oauth::hosted_login_submit))
        // registration, settings, user, referral
        .route("/v1/auth/register", get(users::onboarding_details))
        .route("/v1/auth/register/email/send", post(users::email_send))
        .route("/v1/auth/register/email/verify", post(users::email_verify))
        .route("/v1/auth/register/phone/send", post(users::phone_send))
        .route("/v1/auth/register/phone/verify", post(users::phone_verify))
        .route("/v1/auth/register/verification", post(users::kyc_session))
        .route("/v1/auth/register/personal-details", post(users::personal_details))
        .route("/v1/auth/register/address", post(users::address))
        .route("/v1/auth/register/mailing-address", post(users::mailing_address))
        .route("/v1/auth/settings", get(users::settings))
        .route("/v1/user", get(users::get_user))
        .route("/v1/user/verification", get(users::start_verification))
        .route("/hosted/kyc", get(users::kyc_page))
        .route("/v1/referral", get(users::referral))
        .route("/v1/referral/", get(users::referral))
        .route("/v1/referral/{code}/validate", get(users::validate_referral))
        // card and product orders
        .route("/v1/card/status", get(cards::status))
        .route("/v1/card/order", post(cards::order))
        .route("/v1/card/freeze", post(cards::freeze))
        .route("/v1/card/unfreeze", post(cards::unfreeze))
        .route("/v1/card/details/token", post(cards::details_token))
        .route("/v1/card/pin/token", post(cards::pin_token))
        .route("/v1/card/set-pin/token", post(cards::set_pin_token))
        .route("/v1/card/cashback", get(transactions::cashback))
        .route("/v1/card/transactions", get(transactions::list))
        .route("/v1/card/transactions/statement", get(transactions::statement))
        .route("/details-image", get(cards::details_image))
        .route("/pin-direct/set", get(cards::set_pin_page))
        .route("/v1/order", post(cards::create_order))
        .route("/v1/order/products/available", get(cards::products))
        .route("/v1/order/{orderId}", get(cards::order_status))
        // wallets
        .route("/v1/wallet/credit", get(wallets::credit))
        .route("/v1/wallet/credit/withdraw", post(wallets::credit_withdraw))
        .route("/v1/wallet/credit/withdraw-estimation", get(wallets::estimation))
        .route("/v1/wallet/reward", get(wallets::reward))
        .route("/v1/wallet/reward/withdraw", post(wallets::reward_withdraw))
        .route("/v1/wallet/reward/withdraw-estimation", get(wallets::estimation))
        .route("/v1/wallet/internal", get(wallets::internal).post(wallets::create_internal))
        .route("/v1/wallet/internal/withdraw", post(wallets::internal_withdraw))
        .route(
            "/v1/wallet/internal/card_linked",
            get(wallets::card_linked).post(wallets::link_card_wallet).delete(wallets::unlink_card_wallet),
        )
        .route("/v1/wallet/internal/card_linked/priority", put(wallets::set_card_linked_priority))
        .route("/v1/wallet/external", get(wallets::external))
        .route("/v1/wallet/external/priority", get(wallets::external_priority).put(wallets::set_external_priority))
        .route("/v1/wallet/history", get(wallets::history))
        .route(
            "/v1/wallet/whitelist",
            get(wallets::whitelist).post(wallets::add_whitelist).delete(wallets::remove_whitelist),
        )
        // delegation
        .route("/v1/delegation/chain/config", get(delegation::chain_config))
        .route("/v1/delegation/token", get(delegation::token))
        .route("/v1/delegation/evm/post-approval", post(delegation::evm_post_approval))
        .route("/v1/delegation/solana/post-approval", post(delegation::solana_post_approval))
        // consent
        .route("/v2/consent/onboarding", post(consent::create))
        .route("/v2/consent/onboarding/{id}", get(consent::by_onboarding).patch(consent::link_user))
        .route("/v2/consent/consentSet/{consentSetId}", get(consent::get_set))
        .route("/v2/consent/consentSet/{consentSetId}/consent/{consentId}", delete(consent::revoke))
        .route("/v2/consent/user/{userId}", get(consent::user))
        .route("/v2/consent/user/{userId}/audit", get(consent::audit))
        // webhooks
        .route("/v1/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/v1/webhooks/events", get(webhooks::list_events))
        .route("/v1/webhooks/events/{eventId}/status", get(webhooks::event_status))
        .route("/v1/webhooks/events/{eventId}/logs", get(webhooks::event_logs))
        .route("/v1/webhooks/events/{eventId}/retry", post(webhooks::retry))
        .route("/v1/webhooks/{id}", get(webhooks::get).put(webhooks::update).delete(webhooks::delete))
        .route("/v1/webhooks/{id}/rotate-key", post(webhooks::rotate_key))
        .route("/v1/webhooks/{id}/logs", get(webhooks::webhook_logs))
        .route("/", get(index))
        .fallback(|| async { ApiError::not_found("Not Found") })
        .method_not_allowed_fallback(|| async { ApiError::message(405, "Method Not Allowed") })
        .with_state(st)
}

async fn index(axum::extract::State(st): axum::extract::State<Shared>) -> axum::response::Response {
    crate::errors::ok(serde_json::json!({
        "name": "baanx-sandbox",
        "version": env!("CARGO_PKG_VERSION"),
        "baseUrl": st.base_url,
        "docs": "https://docs.baanx.com",
    }))
}

/// The error a connection service returns to make hyper close the connection without an answer.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault rule")
    }
}

impl std::error::Error for DropConnection {}

/// Accepts connections until `shutdown` turns true, then lets open connections finish (up to 5 s).
pub(crate) async fn serve(listener: TcpListener, st: Shared, router: Router, mut shutdown: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let (st, router, sd) = (st.clone(), router.clone(), shutdown.clone());
                    conns.spawn(connection(stream, st, router, sd));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            _ = shutdown.changed() => break,
        }
        while conns.try_join_next().is_some() {}
    }
    drop(listener);
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), drain).await.is_err() {
        conns.abort_all();
    }
}

async fn connection(stream: tokio::net::TcpStream, st: Shared, router: Router, mut shutdown: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |req| handle(st.clone(), router.clone(), req));
    let conn =
        hyper::server::conn::http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

fn text_headers(headers: &axum::http::HeaderMap) -> Vec<(String, String)> {
    headers.iter().map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect()
}

/// The fault (if any) of a request; counts the request for every matching rule.
fn fault_for(st: &Shared, method: &Method, path: &str) -> Option<Fault> {
    let mut rules = lock(&st.faults);
    let mut chosen = None;
    for r in rules.iter_mut() {
        if r.rule.matches(method.as_str(), path) {
            r.seen = r.seen.saturating_add(1);
            if chosen.is_none() && r.rule.fires_on(r.seen) {
                chosen = Some(r.rule.fault_kind().clone());
            }
        }
    }
    chosen
}

fn status_fault(code: u16, retry_after: Option<&str>) -> Response<Body> {
    let mut resp = ApiError::message(code, faults::reason(code)).into_response();
    if let Some(v) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

async fn handle(st: Shared, router: Router, req: Request<Incoming>) -> Result<Response<Body>, DropConnection> {
    let (parts, body) = req.into_parts();
    let at = Instant::now();
    let bytes = match Limited::new(body, MAX_BODY).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => return Ok(ApiError::message(413, "Request body too large").into_response()),
    };
    let path = parts.uri.path().to_string();
    {
        let mut log = lock(&st.requests);
        if log.len() >= st.config.max_logged_requests.max(1) {
            log.pop_front();
        }
        log.push_back(LoggedRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            query: parts.uri.query().map(str::to_string),
            headers: text_headers(&parts.headers),
            body: bytes.to_vec(),
            at,
        });
    }
    let fault = fault_for(&st, &parts.method, &path);
    tracing::debug!(method = %parts.method, path = %path, fault = ?fault, "request");
    match &fault {
        Some(Fault::DropConnection) => return Err(DropConnection),
        Some(Fault::Status(code)) => return Ok(status_fault(*code, (*code == 429).then_some("1"))),
        Some(Fault::StatusWithRetryAfter(code, ra)) => return Ok(status_fault(*code, Some(ra))),
        Some(Fault::Html(code)) => {
            let mut resp = crate::errors::html(*code, faults::html_page(*code));
            resp.headers_mut().insert(header::SERVER, HeaderValue::from_static("nginx"));
            return Ok(resp);
        }
        Some(Fault::Latency(d)) => tokio::time::sleep(*d).await,
        _ => {}
    }
    let req = Request::from_parts(parts, Body::from(bytes));
    let mut resp = match router.oneshot(req).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    // Baanx's own status codes get a reason phrase instead of hyper's `<none>`.
    let phrase: Option<&'static [u8]> = match resp.status().as_u16() {
        498 => Some(b"Invalid Client Key"),
        499 => Some(b"Missing Client Key"),
        _ => None,
    };
    if let Some(p) = phrase {
        resp.extensions_mut().insert(hyper::ext::ReasonPhrase::from_static(p));
    }
    Ok(match fault {
        Some(Fault::TruncatedBody) => truncate(resp).await,
        Some(Fault::MalformedJson) => {
            replace_body(resp, Bytes::from_static(b"{\"message\": \"Internal error\", \"data\": [1, 2,")).await
        }
        Some(Fault::WrongContentType) => {
            let mut resp = resp;
            resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            resp
        }
        _ => resp,
    })
}

async fn whole_body(resp: Response<Body>) -> (axum::http::response::Parts, Bytes) {
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    (parts, bytes)
}

async fn replace_body(resp: Response<Body>, body: Bytes) -> Response<Body> {
    let (mut parts, _) = whole_body(resp).await;
    if parts.status == StatusCode::NO_CONTENT {
        parts.status = StatusCode::OK;
    }
    parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    parts.headers.entry(header::CONTENT_TYPE).or_insert(HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(body))
}

async fn truncate(resp: Response<Body>) -> Response<Body> {
    let (mut parts, bytes) = whole_body(resp).await;
    let announced = bytes.len().max(2);
    parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(announced));
    let sent = bytes.slice(..bytes.len() / 2);
    Response::from_parts(parts, Body::new(TruncatedBody { data: Some(sent), stall: None }))
}

/// A body that sends its data, waits a moment (so the data is flushed), then fails, which aborts the connection.
struct TruncatedBody {
    data: Option<Bytes>,
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl http_body::Body for TruncatedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let Some(d) = self.data.take()
            && !d.is_empty()
        {
            return Poll::Ready(Some(Ok(Frame::data(d))));
        }
        let stall = self.stall.get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(25))));
        match stall.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "truncated by a fault rule",
            )))),
        }
    }
}
