//! Password login, the OTP trigger, logout, revoke, and the issuing of tokens.

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult, ok};
use crate::extract::{Authed, Client, JsonBody};
use crate::state::{AccessToken, Inner, OTP_CODE, RefreshToken, Shared, State as St, Tenant, User};
use crate::util;

fn login_answer(user: &User, access_token: Option<&str>, otp_pending: bool) -> Value {
    let phone = match (&user.profile.phone_country_code, &user.profile.phone_number) {
        (Some(c), Some(n)) if otp_pending => Value::String(util::mask_phone(c, n)),
        _ => Value::Null,
    };
    json!({
        "accessToken": access_token,
        "userId": user.id,
        "isOtpRequired": otp_pending,
        "phoneNumber": phone,
        "phase": user.phase,
        "verificationState": user.verification_state,
        "isLinked": user.is_linked,
    })
}

/// `POST /v1/auth/login`.
pub(crate) async fn login(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let email = b.str("email")?;
    let password = b.str("password")?;
    let otp = b.opt_str("otpCode")?;
    let mut inner = st.inner();
    let user = inner
        .user_by_email(c.tenant, &email)
        .filter(|u| util::constant_time_eq(u.password.as_bytes(), password.as_bytes()))
        .cloned()
        .ok_or_else(|| ApiError::bad_request("Invalid Credentials"))?;
    if user.otp_required {
        match otp.as_deref() {
            // As the live API does: while the OTP is pending, `accessToken` is the placeholder string "null".
            None => return Ok(ok(login_answer(&user, Some("null"), true))),
            Some(code) if code != OTP_CODE => return Err(ApiError::bad_request("Invalid OTP")),
            Some(_) => {}
        }
    }
    if user.phase.is_some() {
        return Ok(ok(login_answer(&user, None, false)));
    }
    let token = issue_login_token(&st, &mut inner, &user.id, user.tenant);
    Ok(ok(login_answer(&user, Some(&token), false)))
}

/// An opaque, region-prefixed password-login access token (`US_<uuid>` / `INTL_<uuid>`).
pub(crate) fn issue_login_token(st: &St, inner: &mut Inner, user_id: &str, tenant: Tenant) -> String {
    let token = format!("{}{}", tenant.prefix(), util::random_uuid());
    inner.access_tokens.insert(
        token.clone(),
        AccessToken { user_id: user_id.to_string(), tenant, expires_at: util::deadline(st.config.login_token_ttl) },
    );
    token
}

/// Issues an OAuth access token (JWT-shaped) and, when `with_refresh`, a refresh token; returns the token answer.
pub(crate) fn issue_oauth_tokens(
    st: &St,
    inner: &mut Inner,
    user_id: &str,
    tenant: Tenant,
    scope: Option<&str>,
    with_refresh: bool,
) -> Value {
    let now = util::now_secs();
    let ttl = st.config.access_token_ttl;
    let mut claims = json!({
        "iss": st.base_url,
        "sub": user_id,
        "app_id": tenant.app_id(),
        "client_id": st.config.client_key,
        "iat": now,
        "exp": now + ttl.as_secs() as i64,
        "jti": util::random_uuid(),
    });
    if let Some(scope) = scope {
        claims["scope"] = scope.into();
    }
    let access = util::jwt_sign(&st.config.secret_key, &claims);
    inner
        .access_tokens
        .insert(access.clone(), AccessToken { user_id: user_id.to_string(), tenant, expires_at: util::deadline(ttl) });
    if let Some(u) = inner.user_mut(user_id) {
        u.is_linked = true;
    }
    let mut answer = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl.as_secs(),
    });
    if with_refresh {
        let refresh = format!("rt_{}", util::random_token(32));
        let rttl = st.config.refresh_token_ttl;
        inner.refresh_tokens.insert(
            refresh.clone(),
            RefreshToken {
                user_id: user_id.to_string(),
                tenant,
                expires_at: util::deadline(rttl),
                used: false,
                scope: scope.map(str::to_string),
            },
        );
        answer["refresh_token"] = refresh.into();
        answer["refresh_token_expires_in"] = rttl.as_secs().into();
    }
    if let Some(scope) = scope {
        answer["scope"] = scope.into();
    }
    answer
}

/// `POST /v1/auth/login/otp`: "sends" the OTP (the sandbox's is always 123456); rate limited per user.
pub(crate) async fn send_otp(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let user_id = b.str("userId")?;
    let (limit, window) = (st.config.otp_limit, st.config.otp_window);
    let mut inner = st.inner();
    let Some(user) = inner.users.iter_mut().find(|u| u.id == user_id && u.tenant == c.tenant) else {
        // The documented soft refusal: HTTP 200 with success false.
        return Ok(ok(json!({ "success": false, "message": "User not found" })));
    };
    let now = Instant::now();
    while user.otp_sends.front().is_some_and(|t| now.duration_since(*t) >= window) {
        user.otp_sends.pop_front();
    }
    if user.otp_sends.len() as u32 >= limit {
        let oldest = user.otp_sends.front().copied().unwrap_or(now);
        let wait = window.saturating_sub(now.duration_since(oldest)).max(Duration::from_secs(1));
        return Err(ApiError::message(429, "Too many OTP requests. Please try again later.")
            .with_header("retry-after", util::ceil_secs(wait).to_string()));
    }
    user.otp_sends.push_back(now);
    Ok(ok(json!({ "success": true })))
}

/// `POST /v1/auth/logout`: invalidates the bearer token.
pub(crate) async fn logout(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    st.inner().access_tokens.remove(&a.token);
    Ok(ok(json!({ "success": true })))
}

/// `DELETE /v1/auth/oauth/revoke`: revokes every access and refresh token of the user.
pub(crate) async fn revoke(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    let mut inner = st.inner();
    inner.access_tokens.retain(|_, t| t.user_id != a.user_id);
    inner.refresh_tokens.retain(|_, t| t.user_id != a.user_id);
    inner.codes.retain(|_, c| c.user_id != a.user_id);
    if let Some(u) = inner.user_mut(&a.user_id) {
        u.is_linked = false;
    }
    Ok(ok(json!({ "success": true })))
}
