//! SaaS authentication: `saas-login` with the client id and secret issues an access token (short-lived,
//! configurable) and a refresh token; `saas-refresh-token` issues a new access token and no new refresh token.

use axum::extract::State;
use cardsdk_sandbox_kit::{TimeForm, constant_time_eq, format_time, now_ms, random_token};
use serde::Serialize;

use crate::errors::{ApiError, ApiResult};
use crate::extract::Body;
use crate::respond;
use crate::state::Shared;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    access_token: String,
    access_token_expiry: String,
    refresh_token: String,
    refresh_token_expiry: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessToken {
    access_token: String,
    access_token_expiry: String,
}

/// An expiry as the docs write it: `2024-09-23T18:33:10.049+00:00`.
fn expiry(ms: i64) -> String {
    format_time(ms, TimeForm::MillisZeroOffset)
}

fn ttl_ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// `POST /as/api/v1/saas-login` `{clientId, clientSecret}` → the bare session object; wrong credentials are
/// 401 / 1002.
pub(crate) async fn login(State(st): State<Shared>, Body(b): Body) -> ApiResult {
    let client_id = b.str("clientId")?;
    let client_secret = b.str("clientSecret")?;
    let id_ok = constant_time_eq(client_id.as_bytes(), st.config.client_id.as_bytes());
    let secret_ok = constant_time_eq(client_secret.as_bytes(), st.config.client_secret.as_bytes());
    if !(id_ok && secret_ok) {
        return Err(ApiError::unauthenticated());
    }
    let now = now_ms();
    let (access, refresh) = (format!("vp_at_{}", random_token(24)), format!("vp_rt_{}", random_token(32)));
    let access_expiry = now.saturating_add(ttl_ms(st.config.access_token_ttl));
    let refresh_expiry = now.saturating_add(ttl_ms(st.config.refresh_token_ttl));
    {
        let mut inner = st.inner();
        inner.access_tokens.insert(access.clone(), access_expiry);
        inner.refresh_tokens.insert(refresh.clone(), refresh_expiry);
    }
    respond::bare(Session {
        access_token: access,
        access_token_expiry: expiry(access_expiry),
        refresh_token: refresh,
        refresh_token_expiry: expiry(refresh_expiry),
    })
}

/// `POST /as/api/v1/saas-refresh-token` `{refreshToken}` → `{data: {accessToken, accessTokenExpiry}}`; an unknown
/// or expired refresh token is 401 / 1004 SESSION_EXPIRED (log in again). Earlier access tokens stay valid until
/// they expire.
pub(crate) async fn refresh(State(st): State<Shared>, Body(b): Body) -> ApiResult {
    let refresh = b.str("refreshToken")?;
    let now = now_ms();
    let access = format!("vp_at_{}", random_token(24));
    let access_expiry = now.saturating_add(ttl_ms(st.config.access_token_ttl));
    {
        let mut inner = st.inner();
        match inner.refresh_tokens.get(&refresh) {
            Some(&expires) if expires > now => {}
            _ => return Err(ApiError::session_expired()),
        }
        inner.access_tokens.insert(access.clone(), access_expiry);
    }
    respond::data(AccessToken { access_token: access, access_token_expiry: expiry(access_expiry) })
}
