//! The router and the dialect: every route of the sandbox, and how the shared server loop writes its own answers
//! (fault statuses, a body too large) as `{"message"}` bodies, with reason phrases for Baanx's 498 and 499.

use axum::Router;
use axum::body::Body;
use axum::http::Response;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put};
use cardsdk_sandbox_kit::{Dialect, RequestHead};

use crate::errors::ApiError;
use crate::state::Shared;
use crate::{auth, cards, consent, delegation, oauth, password, transactions, users, wallets, webhooks};

/// The Baanx way of writing the server's own answers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BaanxDialect;

impl Dialect for BaanxDialect {
    fn error(&self, _request: &RequestHead<'_>, status: u16, message: &str) -> Response<Body> {
        ApiError::message(status, message).into_response()
    }

    fn reason_phrase(&self, status: u16) -> Option<&'static str> {
        match status {
            498 => Some("Invalid Client Key"),
            499 => Some("Missing Client Key"),
            _ => None,
        }
    }
}

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
