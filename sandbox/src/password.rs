//! The undocumented password reset production apps use: request (always `{success: true}`), verify the code
//! (a single-use token), confirm (the new password). The code is the sandbox's fixed `123456`; all three take only
//! `x-client-key`.

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use crate::errors::{ApiError, ApiResult, ok};
use crate::extract::{Client, JsonBody};
use crate::state::{OTP_CODE, PasswordReset, ResetToken, Shared};
use crate::util;

/// Lifetime of a reset code and of a reset token.
const RESET_TTL: Duration = Duration::from_secs(15 * 60);

/// The shortest password accepted (as at registration).
const MIN_PASSWORD: usize = 8;

/// `POST /v1/auth/password/reset/request` `{email}` → `{"success": true}`, also for an unknown e-mail (so that
/// the answer does not tell which accounts exist). A known user gets a pending reset with the code `123456`.
pub(crate) async fn request(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let email = b.str("email")?;
    let mut inner = st.inner();
    if let Some(user_id) = inner.user_by_email(c.tenant, &email).map(|u| u.id.clone()) {
        inner.password_resets.retain(|r| r.user_id != user_id);
        inner.password_resets.push(PasswordReset {
            user_id,
            tenant: c.tenant,
            code: OTP_CODE.to_string(),
            expires_at: Instant::now() + RESET_TTL,
        });
    }
    Ok(ok(json!({ "success": true })))
}

/// `POST /v1/auth/password/reset/verify` `{email?, code}` → `{"token"}` (single use, 15 minutes). Without the
/// e-mail, the newest pending reset of the tenant with that code is meant. 400 `Invalid or expired code` otherwise.
pub(crate) async fn verify(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let code = b.str("code")?;
    let email = b.opt_str("email")?;
    let mut inner = st.inner();
    let wanted_user = match &email {
        Some(e) => match inner.user_by_email(c.tenant, e) {
            Some(u) => Some(u.id.clone()),
            None => return Err(invalid_code()),
        },
        None => None,
    };
    let now = Instant::now();
    let found = inner.password_resets.iter().rposition(|r| {
        r.tenant == c.tenant
            && r.expires_at > now
            && wanted_user.as_ref().is_none_or(|u| *u == r.user_id)
            && util::constant_time_eq(r.code.as_bytes(), code.as_bytes())
    });
    let Some(pos) = found else { return Err(invalid_code()) };
    let reset = inner.password_resets.remove(pos);
    let token = util::random_token(32);
    inner.reset_tokens.insert(
        token.clone(),
        ResetToken { user_id: reset.user_id, tenant: c.tenant, expires_at: now + RESET_TTL, used: false },
    );
    Ok(ok(json!({ "token": token })))
}

fn invalid_code() -> ApiError {
    ApiError::bad_request("Invalid or expired code")
}

/// `POST /v1/auth/password/reset/confirm` `{token, password}` → `{"success": true}`; the user's password changes.
/// A used, expired or unknown token is 400 with a top-level `error` object (one of the live error shapes).
pub(crate) async fn confirm(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let token = b.str("token")?;
    let password = b.str("password")?;
    let mut inner = st.inner();
    let user_id = match inner.reset_tokens.get(&token) {
        Some(t) if !t.used && t.tenant == c.tenant && t.expires_at > Instant::now() => t.user_id.clone(),
        _ => return Err(ApiError::error_object(400, "Invalid reset token", "RESET_TOKEN_INVALID")),
    };
    if password.chars().count() < MIN_PASSWORD {
        return Err(ApiError::bad_request(format!("Password must be at least {MIN_PASSWORD} characters")));
    }
    if let Some(t) = inner.reset_tokens.get_mut(&token) {
        t.used = true;
    }
    let user = inner
        .user_mut(&user_id)
        .ok_or_else(|| ApiError::error_object(400, "Invalid reset token", "RESET_TOKEN_INVALID"))?;
    user.password = password;
    Ok(ok(json!({ "success": true })))
}
