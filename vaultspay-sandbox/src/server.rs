//! The router: every API route behind the encryption layer, the control routes beside it.

use axum::Router;
use axum::extract::State;
use axum::middleware;
use axum::routing::{get, patch, post};

use crate::cards::{conversion, lifecycle, reports};
use crate::errors::{ApiError, ApiResult};
use crate::state::Shared;
use crate::{accounts, auth, cards, control, kyc, locations, respond, rules, secure, transactions, transfers, users};

/// `GET /v1/ping` → `{"data": "Service is up and running!"}` (encrypted like every API call; no token needed).
async fn ping(State(_): State<Shared>) -> ApiResult {
    respond::data("Service is up and running!")
}

/// Every route of the sandbox.
pub(crate) fn router(st: Shared) -> Router {
    let api = Router::new()
        // auth and users
        .route("/as/api/v1/saas-login", post(auth::login))
        .route("/as/api/v1/saas-refresh-token", post(auth::refresh))
        .route("/as/api/v1/users", post(users::create_user))
        // locations and KYC
        .route("/us/api/v1/countries", get(locations::countries))
        .route("/us/api/v1/states/{countryId}", get(locations::states))
        .route("/us/api/v1/cities/{stateId}", get(locations::cities))
        .route("/us/api/v1/kyc/personal", post(kyc::create_personal).patch(kyc::update_personal))
        .route("/us/api/v1/kyc/addresses", post(kyc::create_address).patch(kyc::update_address))
        .route("/us/api/v1/kyc/identification", post(kyc::upload_identification).patch(kyc::update_identification))
        .route("/us/api/v1/kyc/{userId}", get(kyc::get))
        // accounts and transfers
        .route("/be/api/v1/accounts", post(accounts::create).get(accounts::list))
        .route("/be/api/v1/accounts/{id}", get(accounts::get))
        .route("/be/api/v1/account-ledger/{id}", get(accounts::ledger))
        .route("/be/api/v1/validate-iban", post(transfers::validate_iban))
        .route("/be/api/v1/direct-payment-contact", post(transfers::create_contact))
        .route("/tc/api/v1/direct-transfer", post(transfers::transfer))
        .route("/tme/api/v1/transactions", get(transactions::list))
        .route("/tme/api/v1/transactions/{id}", get(transactions::get))
        // cards
        .route("/pcs/api/v1/card-tiers", get(cards::tiers))
        .route("/pcs/api/v1/embossing-names/{userId}", get(cards::embossing))
        .route("/pcs/api/v1/cards", post(cards::create))
        .route("/pcs/api/v1/cards/details", post(cards::details))
        .route("/pcs/api/v1/get-card-pan", post(cards::pan))
        .route("/pcs/api/v1/get-card-cvv", post(cards::cvv))
        .route("/pcs/api/v1/get-card-expiry", post(cards::expiry))
        .route("/pcs/api/v1/update-card-account", post(cards::link_account))
        .route("/pcs/api/v1/process-card-request", post(lifecycle::process))
        .route("/pcs/api/v1/update-card-manufacturing", post(lifecycle::manufacturing))
        .route("/pcs/api/v1/update-delivery-status", post(lifecycle::delivery))
        .route("/pcs/api/v1/activate-card", post(lifecycle::activate))
        .route("/pcs/api/v1/set-pin", post(lifecycle::set_pin))
        .route("/pcs/api/v1/update-card-status", post(lifecycle::update_status))
        .route("/pcs/api/v1/toggle-freeze-card", post(lifecycle::toggle_freeze))
        .route("/pcs/api/v1/enroll-card-three-ds", post(lifecycle::enroll_3ds))
        .route("/pcs/api/v1/remove-card-three-ds", post(lifecycle::remove_3ds))
        .route("/pcs/api/v1/report-card-issue", post(reports::report))
        .route("/pcs/api/v1/review-report-card-issue", post(reports::review))
        .route("/pcs/api/v1/replace-card", post(reports::replace))
        .route("/pcs/api/v1/renew-card", post(reports::renew))
        .route("/pcs/api/v1/decline-card", post(reports::decline))
        .route("/pcs/api/v1/card-reported-issues", get(reports::list))
        .route("/pcs/api/v1/virtual-to-physical", post(conversion::request))
        .route("/pcs/api/v1/virtual-to-physical-process", post(conversion::process))
        // rules engine
        .route("/re/api/v1/card-security", get(rules::get_security).put(rules::update_security))
        .route("/re/api/v1/card-security/reset", patch(rules::reset_security))
        .route("/re/api/v1/transaction-limits", get(rules::get_limits).put(rules::update_limit))
        .route("/v1/ping", get(ping))
        .fallback(|| async { ApiError::new(404, 404, "NOT_FOUND", "Not Found") })
        .method_not_allowed_fallback(|| async { ApiError::new(405, 405, "METHOD_NOT_ALLOWED", "Method Not Allowed") })
        .layer(middleware::from_fn_with_state(st.clone(), secure::layer));
    Router::new().nest(control::PREFIX, control::router()).merge(api).with_state(st)
}
