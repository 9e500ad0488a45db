//! What the card-API sandboxes share (`baanx-sandbox`, `vaultspay-sandbox`): the server loop with its request log
//! and fault plan, signed webhook delivery with retries, seeded data, time formats, and request-reading helpers.
//!
//! A sandbox builds its axum [`Router`](axum::Router), describes its error body with a [`Dialect`], and serves:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use axum::body::Body;
//! use axum::http::Response;
//! use cardsdk_sandbox_kit::{Dialect, FaultPlan, FaultRule, Fault, Front, RequestHead, RequestLog, bind};
//!
//! struct Plain;
//! impl Dialect for Plain {
//!     fn error(&self, _: &RequestHead<'_>, status: u16, message: &str) -> Response<Body> {
//!         let mut r = Response::new(Body::from(message.to_string()));
//!         *r.status_mut() = axum::http::StatusCode::from_u16(status).unwrap_or_default();
//!         r
//!     }
//! }
//!
//! let listening = bind("127.0.0.1".parse().unwrap(), 0).await?;
//! let base_url = listening.base_url().to_string();
//! let front = Front {
//!     log: RequestLog::new(10_000),
//!     faults: FaultPlan::new([FaultRule::on("GET", "/v1/ping").calls(1..=1).fault(Fault::Status(503))]),
//!     dialect: Arc::new(Plain),
//! };
//! let mut running = listening.serve(axum::Router::new(), front.clone());
//! println!("{base_url}: {} requests so far", front.log.all().len());
//! running.stop().await;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod body;
mod delivery;
mod faults;
mod journal;
mod log;
mod rng;
mod server;
mod text;
mod time;

use std::sync::{Mutex, MutexGuard};

pub use crate::body::{
    BodyError, FieldError, FieldProblem, Obj, Query, header_str, is_json_content_type, parse_object, type_name,
};
pub use crate::delivery::{Attempt, DEFAULT_TIMEOUT, Deliverer, DeliveryHooks, Outcome, Outgoing};
pub use crate::faults::{Fault, FaultPlan, FaultRule, html_page, reason};
pub use crate::journal::Journal;
pub use crate::log::{LoggedRequest, RequestLog};
pub use crate::rng::{BASE58, Det, random_alnum, random_hex, random_token, random_uuid};
pub use crate::server::{Dialect, Front, Listening, MAX_BODY, RequestHead, Running, bind, whole_body};
pub use crate::text::{
    append_query, constant_time_eq, hmac_sha256, html_escape, is_decimal_string, timestamped_signature, url_encode,
};
pub use crate::time::{
    TimeForm, ceil_secs, civil_from_days, days_from_civil, deadline, format_time, iso_ms, now_iso, now_ms, now_secs,
    parse_date, parse_instant,
};

/// Locks a mutex, recovering the data if a previous holder panicked.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
