//! The server: binding, the connection loop and graceful shutdown. Every request is read whole, logged, checked
//! against the fault plan, then handed to the router (or not), and its answer may be spoiled on the way out.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use bytes::Bytes;
use http_body::Frame;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::faults::{self, Fault, FaultPlan};
use crate::log::{LoggedRequest, RequestLog};

/// Largest request body read (larger ones get 413).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// The request an error answer is for, as far as it was read.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The request body (empty when it was not read).
    pub body: &'a [u8],
}

/// How an API writes the answers the server makes itself (fault statuses, a body too large): its error body, and
/// reason phrases for its own status codes.
pub trait Dialect: Send + Sync + 'static {
    /// The error answer with this status and message (`message` is the reason phrase of a fault status). The
    /// server adds `Retry-After` itself where a fault asks for it.
    fn error(&self, request: &RequestHead<'_>, status: u16, message: &str) -> Response<Body>;

    /// A reason phrase for a status that has none (Baanx's 498 and 499), `None` to keep hyper's.
    fn reason_phrase(&self, status: u16) -> Option<&'static str> {
        let _ = status;
        None
    }
}

/// What the connection loop shares with the sandbox's handle: the request log, the fault plan, the dialect.
#[derive(Clone)]
pub struct Front {
    /// Every request received.
    pub log: RequestLog,
    /// The fault rules.
    pub faults: FaultPlan,
    /// How the server's own answers are written.
    pub dialect: Arc<dyn Dialect>,
}

/// A bound listener, not serving yet.
#[derive(Debug)]
pub struct Listening {
    listener: TcpListener,
    addr: SocketAddr,
    base_url: String,
}

/// Binds `host:port` (port 0: any free port).
pub async fn bind(host: IpAddr, port: u16) -> io::Result<Listening> {
    let listener = TcpListener::bind(SocketAddr::new(host, port)).await?;
    let addr = listener.local_addr()?;
    let shown_host = match addr.ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    let base_url = format!("http://{}", SocketAddr::new(shown_host, addr.port()));
    Ok(Listening { listener, addr, base_url })
}

impl Listening {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>` (no trailing slash; an unspecified address shows as 127.0.0.1).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Starts serving `router` in the current Tokio runtime.
    pub fn serve(self, router: Router, front: Front) -> Running {
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(serve(self.listener, front, router, rx));
        Running { shutdown: tx, task: Some(task) }
    }
}

/// A serving server. Dropping it stops accepting (without waiting); [`stop`](Self::stop) waits.
#[derive(Debug)]
pub struct Running {
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Running {
    /// Tells the server to stop, without waiting.
    pub fn signal_stop(&self) {
        let _ = self.shutdown.send(true);
    }

    /// Stops accepting and lets open requests finish (up to 5 s).
    pub async fn stop(&mut self) {
        self.signal_stop();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.signal_stop();
    }
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
async fn serve(listener: TcpListener, front: Front, router: Router, mut shutdown: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let (front, router, sd) = (front.clone(), router.clone(), shutdown.clone());
                    conns.spawn(connection(stream, front, router, sd));
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

async fn connection(stream: tokio::net::TcpStream, front: Front, router: Router, mut shutdown: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |req| handle(front.clone(), router.clone(), req));
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

fn text_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers.iter().map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect()
}

fn status_fault(front: &Front, head: &RequestHead<'_>, code: u16, retry_after: Option<&str>) -> Response<Body> {
    let mut resp = front.dialect.error(head, code, faults::reason(code));
    if let Some(v) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

fn html(code: u16, body: String) -> Response<Body> {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    resp.headers_mut().insert(header::SERVER, HeaderValue::from_static("nginx"));
    resp
}

async fn handle(front: Front, router: Router, req: Request<Incoming>) -> Result<Response<Body>, DropConnection> {
    let (parts, body) = req.into_parts();
    let at = Instant::now();
    let path = parts.uri.path().to_string();
    let method = parts.method.to_string();
    let bytes = match Limited::new(body, MAX_BODY).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            let head = RequestHead { method: &method, path: &path, headers: &parts.headers, body: &[] };
            return Ok(front.dialect.error(&head, 413, "Request body too large"));
        }
    };
    front.log.push(LoggedRequest {
        method: method.clone(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_string),
        headers: text_headers(&parts.headers),
        body: bytes.to_vec(),
        at,
    });
    let fault = front.faults.fault_for(&method, &path);
    tracing::debug!(method = %method, path = %path, fault = ?fault, "request");
    {
        let head = RequestHead { method: &method, path: &path, headers: &parts.headers, body: &bytes };
        match &fault {
            Some(Fault::DropConnection) => return Err(DropConnection),
            Some(Fault::Status(code)) => return Ok(status_fault(&front, &head, *code, (*code == 429).then_some("1"))),
            Some(Fault::StatusWithRetryAfter(code, ra)) => return Ok(status_fault(&front, &head, *code, Some(ra))),
            Some(Fault::Html(code)) => return Ok(html(*code, faults::html_page(*code))),
            Some(Fault::Latency(d)) => tokio::time::sleep(*d).await,
            _ => {}
        }
    }
    let req = Request::from_parts(parts, Body::from(bytes));
    let mut resp = match router.oneshot(req).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    if let Some(p) = front.dialect.reason_phrase(resp.status().as_u16()) {
        resp.extensions_mut().insert(hyper::ext::ReasonPhrase::from_static(p.as_bytes()));
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

/// The parts and the whole body of an answer.
pub async fn whole_body(resp: Response<Body>) -> (axum::http::response::Parts, Bytes) {
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
