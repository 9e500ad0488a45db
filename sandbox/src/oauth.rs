//! OAuth 2.0 with PKCE: API mode (initiate → authorize → token), the documented hosted mode (with sandbox-only
//! login pages so that a program can play the browser), and the undocumented hosted `oauth2` page and token call.

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use crate::auth::issue_oauth_tokens;
use crate::errors::{ApiError, ApiResult, html, ok, redirect};
use crate::extract::{Authed, Client, FormOrJson, JsonBody, Query, check_secret};
use crate::state::{AuthCode, Inner, OAuthSession, OTP_CODE, Shared, State as St, Tenant, User};
use crate::{Authorization, util};

/// Lifetime of an authorization session and of a code.
const TEN_MINUTES: Duration = Duration::from_secs(600);

/// The validated parameters of an authorization request.
struct AuthParams {
    redirect_uri: String,
    state: Option<String>,
    code_challenge: String,
    scope: Option<String>,
    /// OpenID Connect `prompt` (`consent`, `login`, ...): accepted and recorded; the sandbox's page is the same.
    prompt: Option<String>,
}

fn is_unreserved(s: &str) -> bool {
    s.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~'))
}

/// A plausible absolute URI: `scheme:rest` with a letter-led scheme and no spaces.
fn is_absolute_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else { return false };
    !rest.is_empty()
        && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !s.chars().any(char::is_whitespace)
}

/// Checks the authorization parameters, read through `get` (the query, then a form body).
fn auth_params<'a>(st: &St, get: impl Fn(&str) -> Option<&'a str>, state_required: bool) -> ApiResult<AuthParams> {
    let need = |name: &str| get(name).filter(|v| !v.is_empty()).ok_or_else(|| ApiError::oauth_missing(name));
    let invalid =
        |name: &str, why: &str| ApiError::oauth(400, "invalid_request", format!("Invalid parameter: {name} ({why})"));
    if need("response_type")? != "code" {
        return Err(invalid("response_type", "must be code"));
    }
    if need("client_id")? != st.config.client_key {
        return Err(ApiError::invalid_client("Unknown client_id"));
    }
    let redirect_uri = need("redirect_uri")?;
    if !is_absolute_uri(redirect_uri) {
        return Err(invalid("redirect_uri", "must be an absolute URI"));
    }
    let state = if state_required { Some(need("state")?.to_string()) } else { get("state").map(str::to_string) };
    let code_challenge = need("code_challenge")?;
    if code_challenge.len() != 43 || !is_unreserved(code_challenge) || code_challenge.contains(['.', '~']) {
        return Err(invalid("code_challenge", "must be BASE64URL(SHA256(code_verifier)) without padding"));
    }
    if need("code_challenge_method")? != "S256" {
        return Err(invalid("code_challenge_method", "must be S256"));
    }
    Ok(AuthParams {
        redirect_uri: redirect_uri.to_string(),
        state,
        code_challenge: code_challenge.to_string(),
        scope: get("scope").filter(|s| !s.is_empty()).map(str::to_string),
        prompt: get("prompt").filter(|s| !s.is_empty()).map(str::to_string),
    })
}

/// `GET /v1/auth/oauth/authorize/initiate`.
pub(crate) async fn initiate(State(st): State<Shared>, c: Client) -> ApiResult<Response> {
    check_secret(&st, &c.headers, false)?;
    let p = auth_params(&st, |n| c.query.get(n), true)?;
    let api_mode = match c.query.get("mode") {
        None | Some("") => false,
        Some("api") => true,
        Some(_) => {
            return Err(ApiError::oauth(400, "invalid_request", "Invalid parameter: mode (must be api or absent)"));
        }
    };
    let sid = util::random_token(18);
    let exp = util::now_secs() + TEN_MINUTES.as_secs() as i64;
    let token = util::jwt_sign(
        &st.config.secret_key,
        &json!({ "sid": sid, "aud": st.config.client_key, "app_id": c.tenant.app_id(), "iat": util::now_secs(), "exp": exp }),
    );
    st.inner().oauth_sessions.insert(
        sid.clone(),
        OAuthSession {
            tenant: c.tenant,
            redirect_uri: p.redirect_uri,
            state: p.state.unwrap_or_default(),
            code_challenge: p.code_challenge,
            expires_at: Instant::now() + TEN_MINUTES,
            used: false,
        },
    );
    let url = format!("{}/hosted/login?session={sid}", st.base_url);
    if api_mode || st.config.hosted_initiate_json {
        Ok(ok(json!({ "token": token, "url": url })))
    } else {
        Ok(redirect(&url))
    }
}

/// What an authorization grants: where it happened and what the client asked for.
struct Grant<'a> {
    via: &'static str,
    redirect_uri: &'a str,
    challenge: &'a str,
    scope: Option<String>,
    prompt: Option<String>,
}

/// Issues a code for `user` and records the authorization.
fn new_code(inner: &mut Inner, user: &User, g: Grant<'_>) -> String {
    let code = util::random_token(24);
    inner.codes.insert(
        code.clone(),
        AuthCode {
            user_id: user.id.clone(),
            tenant: user.tenant,
            redirect_uri: Some(g.redirect_uri.to_string()),
            code_challenge: g.challenge.to_string(),
            expires_at: Instant::now() + TEN_MINUTES,
            used: false,
            scope: g.scope.clone(),
        },
    );
    inner.authorizations.push(Authorization {
        via: g.via.to_string(),
        user_id: user.id.clone(),
        redirect_uri: g.redirect_uri.to_string(),
        scope: g.scope,
        prompt: g.prompt,
        at: Instant::now(),
    });
    code
}

/// Takes a live, unused session (marking it used).
fn take_session(inner: &mut Inner, sid: &str) -> ApiResult<OAuthSession> {
    let Some(s) = inner.oauth_sessions.get_mut(sid) else {
        return Err(ApiError::oauth(400, "invalid_request", "Unknown authorization session"));
    };
    if s.expires_at <= Instant::now() {
        return Err(ApiError::invalid_grant("Authorization session has expired"));
    }
    if s.used {
        return Err(ApiError::invalid_grant("Authorization session has already been used"));
    }
    s.used = true;
    Ok(s.clone())
}

/// `POST /v1/auth/oauth/authorize` (API mode): the initiate JWT in the body, the login token as bearer.
pub(crate) async fn authorize(State(st): State<Shared>, a: Authed, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let token = b.str("token")?;
    let claims = util::jwt_verify(&st.config.secret_key, &token)
        .ok_or_else(|| ApiError::oauth(400, "invalid_request", "Invalid session token"))?;
    let sid = claims["sid"].as_str().unwrap_or_default().to_string();
    let mut inner = st.inner();
    if inner.oauth_sessions.get(&sid).is_some_and(|s| s.tenant != a.tenant) {
        return Err(ApiError::oauth(400, "invalid_request", "The session token belongs to another tenant"));
    }
    let session = take_session(&mut inner, &sid)?;
    let user = inner.user(&a.user_id).cloned().ok_or_else(ApiError::not_authenticated)?;
    let grant = Grant {
        via: "/v1/auth/oauth/authorize",
        redirect_uri: &session.redirect_uri,
        challenge: &session.code_challenge,
        scope: None,
        prompt: None,
    };
    let code = new_code(&mut inner, &user, grant);
    let url = util::append_query(&session.redirect_uri, &[("state", &session.state), ("code", &code)]);
    Ok(ok(json!({ "url": url, "code": code, "state": session.state })))
}

fn grant_error() -> ApiError {
    ApiError::invalid_grant("Authorization code has expired or already been used")
}

/// The two token endpoints: `/v1/auth/oauth/token` (`hosted == false`) and `/v1/auth/oauth2/token`.
fn exchange(st: &St, c: &Client, b: &crate::extract::Obj, hosted: bool) -> ApiResult<Response> {
    let grant_type = b.opt_str("grant_type")?.ok_or_else(|| ApiError::oauth_missing("grant_type"))?;
    let need = |name: &str| -> ApiResult<String> { b.opt_str(name)?.ok_or_else(|| ApiError::oauth_missing(name)) };
    match grant_type.as_str() {
        "authorization_code" => {
            let code = need("code")?;
            let redirect_uri = if hosted { b.opt_str("redirect_uri")? } else { Some(need("redirect_uri")?) };
            let verifier = need("code_verifier")?;
            if !(43..=128).contains(&verifier.len()) || !is_unreserved(&verifier) {
                return Err(ApiError::oauth(
                    400,
                    "invalid_request",
                    "Invalid code_verifier: must be 43-128 characters of [A-Za-z0-9-._~]",
                ));
            }
            let mut inner = st.inner();
            let entry = inner.codes.get(&code).cloned().ok_or_else(grant_error)?;
            if entry.used || entry.expires_at <= Instant::now() || entry.tenant != c.tenant {
                return Err(grant_error());
            }
            if let Some(uri) = &redirect_uri
                && entry.redirect_uri.as_deref() != Some(uri.as_str())
            {
                return Err(ApiError::invalid_grant("redirect_uri does not match the authorization request"));
            }
            if !util::constant_time_eq(util::pkce_challenge(&verifier).as_bytes(), entry.code_challenge.as_bytes()) {
                return Err(ApiError::invalid_grant(
                    "PKCE verification failed: code_verifier does not match code_challenge",
                ));
            }
            if let Some(e) = inner.codes.get_mut(&code) {
                e.used = true;
            }
            let with_refresh =
                !hosted || entry.scope.as_deref().is_some_and(|s| s.split_whitespace().any(|s| s == "offline_access"));
            Ok(ok(issue_oauth_tokens(
                st,
                &mut inner,
                &entry.user_id,
                entry.tenant,
                entry.scope.as_deref(),
                with_refresh,
            )))
        }
        "refresh_token" => {
            let token = need("refresh_token")?;
            let mut inner = st.inner();
            let Some(entry) = inner.refresh_tokens.get_mut(&token) else {
                return Err(ApiError::invalid_grant("Invalid refresh token"));
            };
            if entry.tenant != c.tenant {
                return Err(ApiError::invalid_grant("Invalid refresh token"));
            }
            if entry.used {
                return Err(ApiError::invalid_grant("Refresh token has already been used"));
            }
            if entry.expires_at <= Instant::now() {
                return Err(ApiError::invalid_grant("Refresh token has expired"));
            }
            entry.used = true;
            let entry = entry.clone();
            Ok(ok(issue_oauth_tokens(st, &mut inner, &entry.user_id, entry.tenant, entry.scope.as_deref(), true)))
        }
        other => Err(ApiError::oauth(400, "unsupported_grant_type", format!("Unsupported grant_type: {other}"))),
    }
}

/// `POST /v1/auth/oauth/token`.
pub(crate) async fn token(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    check_secret(&st, &c.headers, false)?;
    exchange(&st, &c, &b, false)
}

/// `POST /v1/auth/oauth2/token` (undocumented; hosted page flow).
pub(crate) async fn token2(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    check_secret(&st, &c.headers, false)?;
    exchange(&st, &c, &b, true)
}

// ---------------------------------------------------------------------------------------------------------------
// Hosted pages

/// Checks e-mail, password and OTP for a hosted page; the error is the text to show.
fn page_login(inner: &Inner, tenant: Option<Tenant>, form: &FormOrJson) -> Result<User, &'static str> {
    let (Some(email), Some(password)) = (form.get("email"), form.get("password")) else {
        return Err("Enter your e-mail address and password.");
    };
    let user = inner
        .users
        .iter()
        .filter(|u| tenant.is_none_or(|t| t == u.tenant))
        .find(|u| {
            u.email.eq_ignore_ascii_case(email) && util::constant_time_eq(u.password.as_bytes(), password.as_bytes())
        })
        .ok_or("Invalid Credentials")?;
    if user.otp_required {
        match form.get("otpCode") {
            None => return Err("OTP Required: enter the code sent to your phone (sandbox: 123456)."),
            Some(code) if code != OTP_CODE => return Err("Invalid OTP"),
            Some(_) => {}
        }
    }
    if user.phase.is_some() {
        return Err("Registration is not complete.");
    }
    Ok(user.clone())
}

fn login_page(title: &str, action: &str, hidden: &[(&str, &str)], error: Option<&str>) -> String {
    let hidden: String = hidden
        .iter()
        .map(|(k, v)| {
            format!(r#"<input type="hidden" name="{}" value="{}">"#, util::html_escape(k), util::html_escape(v))
        })
        .collect();
    let error =
        error.map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, util::html_escape(e))).unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:24rem;margin:3rem auto}}label{{display:block;margin:.6rem 0}}
input{{width:100%;padding:.4rem}}.error{{color:#b00}}.note{{color:#555;font-size:.85rem}}</style></head>
<body><h1>{title}</h1>{error}
<form method="post" action="{action}">{hidden}
<label>E-mail <input type="email" name="email" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<label>One-time code (if asked) <input type="text" name="otpCode" inputmode="numeric" autocomplete="one-time-code"></label>
<button type="submit">Sign in and allow access</button></form>
<p class="note">Baanx sandbox: no real account is involved. The one-time code is 123456.</p>
</body></html>"#,
        title = util::html_escape(title),
        action = util::html_escape(action),
    )
}

/// `GET /hosted/login?session=..` (sandbox page for the documented hosted mode).
pub(crate) async fn hosted_login_page(State(st): State<Shared>, q: Query) -> Response {
    let sid = q.get("session").unwrap_or_default();
    let live = st.inner().oauth_sessions.get(sid).is_some_and(|s| !s.used && s.expires_at > Instant::now());
    if !live {
        return html(
            400,
            login_page(
                "Session expired",
                "/hosted/login",
                &[],
                Some("This sign-in session is unknown, used or expired. Start again."),
            ),
        );
    }
    html(200, login_page("Sign in to Baanx (sandbox)", "/hosted/login", &[("session", sid)], None))
}

/// `POST /hosted/login`: form or JSON `session`, `email`, `password`, optional `otpCode` → 302 to the client.
pub(crate) async fn hosted_login_submit(State(st): State<Shared>, q: Query, form: FormOrJson) -> Response {
    let sid = form.get("session").or_else(|| q.non_empty("session")).unwrap_or_default().to_string();
    let mut inner = st.inner();
    let Some(session) = inner.oauth_sessions.get(&sid).cloned() else {
        return html(400, login_page("Session expired", "/hosted/login", &[], Some("Unknown sign-in session.")));
    };
    if session.used || session.expires_at <= Instant::now() {
        return html(
            400,
            login_page("Session expired", "/hosted/login", &[], Some("This sign-in session is used or expired.")),
        );
    }
    let user = match page_login(&inner, Some(session.tenant), &form) {
        Ok(u) => u,
        Err(msg) => {
            return html(
                401,
                login_page("Sign in to Baanx (sandbox)", "/hosted/login", &[("session", &sid)], Some(msg)),
            );
        }
    };
    if let Some(s) = inner.oauth_sessions.get_mut(&sid) {
        s.used = true;
    }
    let grant = Grant {
        via: "/hosted/login",
        redirect_uri: &session.redirect_uri,
        challenge: &session.code_challenge,
        scope: None,
        prompt: None,
    };
    let code = new_code(&mut inner, &user, grant);
    redirect(&util::append_query(&session.redirect_uri, &[("code", &code), ("state", &session.state)]))
}

fn oauth2_action(q: &Query) -> String {
    let raw: Vec<(&str, &str)> = [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
        "prompt",
        "x-us-env",
        "region",
    ]
    .iter()
    .filter_map(|k| q.get(k).map(|v| (*k, v)))
    .collect();
    util::append_query("/v1/auth/oauth2/authorize", &raw)
}

/// `GET /v1/auth/oauth2/authorize` (undocumented hosted page): the login form.
pub(crate) async fn oauth2_page(State(st): State<Shared>, q: Query) -> ApiResult<Response> {
    auth_params(&st, |n| q.get(n), false)?;
    Ok(html(200, login_page("Sign in to Baanx (sandbox)", &oauth2_action(&q), &[], None)))
}

/// `POST /v1/auth/oauth2/authorize`: the form submission → 302 to `redirect_uri?code=..&state=..`.
pub(crate) async fn oauth2_submit(State(st): State<Shared>, q: Query, form: FormOrJson) -> ApiResult<Response> {
    let p = auth_params(&st, |n| q.get(n).or_else(|| form.get(n)), false)?;
    let tenant = (q.get("x-us-env").is_some() || q.get("region").is_some())
        .then(|| crate::extract::tenant_of(&axum::http::HeaderMap::new(), &q));
    let mut inner = st.inner();
    let user = match page_login(&inner, tenant, &form) {
        Ok(u) => u,
        Err(msg) => return Ok(html(401, login_page("Sign in to Baanx (sandbox)", &oauth2_action(&q), &[], Some(msg)))),
    };
    let grant = Grant {
        via: "/v1/auth/oauth2/authorize",
        redirect_uri: &p.redirect_uri,
        challenge: &p.code_challenge,
        scope: p.scope.clone(),
        prompt: p.prompt.clone(),
    };
    let code = new_code(&mut inner, &user, grant);
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = &p.state {
        params.push(("state", s));
    }
    Ok(redirect(&util::append_query(&p.redirect_uri, &params)))
}
