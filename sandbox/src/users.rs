//! The user profile and verification, the registration (onboarding) flow, registration settings and referrals.

use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

use crate::auth::issue_login_token;
use crate::errors::{ApiError, ApiResult, html, ok};
use crate::extract::{Authed, Client, JsonBody, Obj};
use crate::state::{Contact, OTP_CODE, Shared, Tenant, User, new_user};
use crate::util::{self, Det};

/// The user object of the profile and of the registration answers.
pub(crate) fn user_json(u: &User) -> Value {
    let p = &u.profile;
    json!({
        "id": u.id,
        "firstName": p.first_name,
        "lastName": p.last_name,
        "dateOfBirth": p.date_of_birth,
        "email": u.email,
        "verificationState": u.verification_state,
        "phoneNumber": p.phone_number,
        "phoneCountryCode": p.phone_country_code,
        "addressLine1": p.address_line1,
        "addressLine2": p.address_line2,
        "city": p.city,
        "zip": p.zip,
        "countryOfResidence": p.country_of_residence,
        "countryOfNationality": p.country_of_nationality,
        "usState": p.us_state,
        "ssn": p.ssn,
        "mailingAddressLine1": p.mailing_address_line1,
        "mailingAddressLine2": p.mailing_address_line2,
        "mailingCity": p.mailing_city,
        "mailingZip": p.mailing_zip,
        "mailingUsState": p.mailing_us_state,
        "createdAt": u.created_at,
        // Undocumented members the live API sends.
        "preferences": { "language": "en", "marketingOptIn": false },
        "isLinked": u.is_linked,
    })
}

/// `GET /v1/user`.
pub(crate) async fn get_user(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    let inner = st.inner();
    let u = inner.user(&a.user_id).ok_or_else(ApiError::not_authenticated)?;
    Ok(ok(user_json(u)))
}

/// `GET /v1/user/verification`: a (sandbox) verification session URL.
pub(crate) async fn start_verification(State(st): State<Shared>, _a: Authed) -> ApiResult<Response> {
    Ok(ok(json!({ "sessionUrl": format!("{}/hosted/kyc?sessionId={}", st.base_url, util::random_uuid()) })))
}

/// `GET /hosted/kyc`: the stand-in for the identity-verification provider's page.
pub(crate) async fn kyc_page() -> Response {
    html(
        200,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Identity verification (sandbox)</title>\
         </head><body><h1>Identity verification (sandbox)</h1><p>No documents are needed in the sandbox. Use \
         <code>Sandbox::trigger_kyc_status</code> to change a user's KYC status.</p></body></html>"
            .to_string(),
    )
}

// ---------------------------------------------------------------------------------------------------------------
// Registration

const CONTACT_TTL: Duration = Duration::from_secs(15 * 60);

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
}

fn check_country(field: &str, v: &str) -> ApiResult<String> {
    if v.len() == 2 && v.bytes().all(|c| c.is_ascii_alphabetic()) {
        Ok(v.to_ascii_uppercase())
    } else {
        Err(ApiError::bad_request(format!("{field} must be an ISO 3166-1 alpha-2 country code")))
    }
}

fn check_code(b: &Obj) -> ApiResult<()> {
    if b.str("verificationCode")? == OTP_CODE {
        Ok(())
    } else {
        Err(ApiError::bad_request("Invalid verification code"))
    }
}

fn check_phone(b: &Obj) -> ApiResult<(String, String)> {
    let cc = b.str("phoneCountryCode")?;
    let number = b.str("phoneNumber")?;
    let cc_ok =
        cc.strip_prefix('+').is_some_and(|d| (1..=4).contains(&d.len()) && d.bytes().all(|c| c.is_ascii_digit()));
    if !cc_ok {
        return Err(ApiError::bad_request("phoneCountryCode must be a calling code with +, e.g. +44"));
    }
    if !(4..=15).contains(&number.len()) || !number.bytes().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::bad_request("phoneNumber must be the national number, digits only"));
    }
    Ok((cc, number))
}

/// The onboarding user of `onboardingId` (400 `Invalid onboarding ID`), checked to be at `phases`.
fn onboarding_user<'a>(users: &'a mut [User], tenant: Tenant, id: &str, phases: &[&str]) -> ApiResult<&'a mut User> {
    let u = users
        .iter_mut()
        .find(|u| u.tenant == tenant && u.onboarding_id.as_deref() == Some(id))
        .ok_or_else(|| ApiError::bad_request("Invalid onboarding ID"))?;
    let phase = u.phase.as_deref().unwrap_or("COMPLETE");
    if !phases.contains(&phase) {
        return Err(ApiError::bad_request(format!(
            "This step is not allowed at onboarding phase {phase} (expected {})",
            phases.join(" or ")
        )));
    }
    Ok(u)
}

/// `POST /v1/auth/register/email/send`.
pub(crate) async fn email_send(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let email = b.str("email")?;
    if !valid_email(&email) {
        return Err(ApiError::bad_request("Invalid email format"));
    }
    let mut inner = st.inner();
    if inner.user_by_email(c.tenant, &email).is_some_and(|u| u.phase.is_none()) {
        return Err(ApiError::bad_request("Email already registered"));
    }
    let id = format!("{}{}", c.tenant.prefix(), util::random_uuid());
    inner.contacts.insert(id.clone(), Contact { tenant: c.tenant, email, expires_at: Instant::now() + CONTACT_TTL });
    Ok(ok(json!({ "contactVerificationId": id })))
}

/// `POST /v1/auth/register/email/verify`: creates the account and issues the onboarding id.
pub(crate) async fn email_verify(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let email = b.str("email")?;
    let password = b.str("password")?;
    check_code(&b)?;
    let contact_id = b.str("contactVerificationId")?;
    let country = check_country("countryOfResidence", &b.str("countryOfResidence")?)?;
    b.bool("allowMarketing")?;
    b.bool("allowSms")?;
    if password.chars().count() < 8 {
        return Err(ApiError::bad_request("Password must be at least 8 characters"));
    }
    let mut inner = st.inner();
    let contact_ok = inner.contacts.get(&contact_id).is_some_and(|ct| {
        ct.tenant == c.tenant && ct.email.eq_ignore_ascii_case(&email) && ct.expires_at > Instant::now()
    });
    if !contact_ok {
        return Err(ApiError::bad_request("Invalid or expired contactVerificationId"));
    }
    if let Some(existing) = inner.user_by_email(c.tenant, &email) {
        return Ok(ok(
            json!({ "hasAccount": true, "onboardingId": existing.onboarding_id, "user": user_json(existing) }),
        ));
    }
    let stream = 100 + inner.users.len() as u64;
    let mut next = inner.next_priority_id;
    let mut user = new_user(st.config.seed ^ util::now_ms() as u64, stream, c.tenant, &email, &password, 0, &mut next);
    inner.next_priority_id = next;
    user.wallets.external.clear();
    user.wallets.card_linked.clear();
    user.phase = Some("PHONE_NUMBER".into());
    user.onboarding_id = Some(format!("{}{}", c.tenant.prefix(), util::random_uuid()));
    user.contact_verification_id = Some(contact_id);
    user.profile.country_of_residence = Some(country);
    user.created_at = util::now_iso();
    let answer = json!({ "hasAccount": false, "onboardingId": user.onboarding_id, "user": user_json(&user) });
    inner.users.push(user);
    Ok(ok(answer))
}

/// `POST /v1/auth/register/phone/send`.
pub(crate) async fn phone_send(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    check_phone(&b)?;
    let contact_id = b.str("contactVerificationId")?;
    let inner = st.inner();
    let known = inner.contacts.get(&contact_id).is_some_and(|ct| ct.tenant == c.tenant)
        || inner
            .users
            .iter()
            .any(|u| u.tenant == c.tenant && u.contact_verification_id.as_deref() == Some(&contact_id));
    if !known {
        return Err(ApiError::bad_request("Invalid contactVerificationId"));
    }
    Ok(ok(json!({ "success": true })))
}

/// `POST /v1/auth/register/phone/verify`.
pub(crate) async fn phone_verify(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let onboarding_id = b.str("onboardingId")?;
    let (cc, number) = check_phone(&b)?;
    let contact_id = b.str("contactVerificationId")?;
    check_code(&b)?;
    let mut inner = st.inner();
    let u = onboarding_user(&mut inner.users, c.tenant, &onboarding_id, &["PHONE_NUMBER", "PERSONAL_INFORMATION"])?;
    if u.contact_verification_id.as_deref() != Some(contact_id.as_str()) {
        return Err(ApiError::bad_request("contactVerificationId does not belong to this onboarding"));
    }
    u.profile.phone_country_code = Some(cc);
    u.profile.phone_number = Some(number);
    u.phase = Some("PERSONAL_INFORMATION".into());
    Ok(ok(json!({ "onboardingId": onboarding_id, "user": user_json(u) })))
}

/// `POST /v1/auth/register/verification`: a KYC session URL; the sandbox approves the identity at once.
pub(crate) async fn kyc_session(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let onboarding_id = b.str("onboardingId")?;
    let mut inner = st.inner();
    let u = onboarding_user(
        &mut inner.users,
        c.tenant,
        &onboarding_id,
        &["PERSONAL_INFORMATION", "PHYSICAL_ADDRESS", "MAILING_ADDRESS", "COMPLETE"],
    )?;
    let user_id = u.id.clone();
    let needs_event = u.verification_state != "VERIFIED";
    drop(inner);
    if needs_event {
        crate::webhooks::set_kyc_status(&st, &user_id, "completed");
    }
    Ok(ok(json!({ "sessionUrl": format!("{}/hosted/kyc?sessionId={}", st.base_url, util::random_uuid()) })))
}

/// `POST /v1/auth/register/personal-details`.
pub(crate) async fn personal_details(
    State(st): State<Shared>,
    c: Client,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let onboarding_id = b.str("onboardingId")?;
    let first = b.str("firstName")?;
    let last = b.str("lastName")?;
    let dob = b.str("dateOfBirth")?;
    if util::parse_date(&dob).is_none() {
        return Err(ApiError::bad_request("dateOfBirth must be a date in YYYY-MM-DD format"));
    }
    let nationality = check_country("countryOfNationality", &b.str("countryOfNationality")?)?;
    let ssn = b.opt_str("ssn")?;
    let mut inner = st.inner();
    let u = onboarding_user(&mut inner.users, c.tenant, &onboarding_id, &["PERSONAL_INFORMATION", "PHYSICAL_ADDRESS"])?;
    let us_resident = u.profile.country_of_residence.as_deref() == Some("US");
    match &ssn {
        None if us_resident => return Err(ApiError::required("ssn")),
        Some(s) if s.len() != 9 || !s.bytes().all(|c| c.is_ascii_digit()) => {
            return Err(ApiError::bad_request("ssn must be 9 digits"));
        }
        _ => {}
    }
    u.profile.first_name = Some(first);
    u.profile.last_name = Some(last);
    u.profile.date_of_birth = Some(dob);
    u.profile.country_of_nationality = Some(nationality);
    u.profile.ssn = ssn.map(|s| format!("*****{}", &s[5..]));
    u.phase = Some("PHYSICAL_ADDRESS".into());
    Ok(ok(json!({ "onboardingId": onboarding_id, "user": user_json(u) })))
}

struct Address {
    line1: String,
    line2: Option<String>,
    city: String,
    zip: String,
    us_state: Option<String>,
}

fn read_address(b: &Obj, us_state_required: bool) -> ApiResult<Address> {
    let line1 = b.str("addressLine1")?;
    let line2 = b.opt_str("addressLine2")?;
    let city = b.str("city")?;
    let zip = b.str("zip")?;
    let us_state = if us_state_required { Some(b.str("usState")?) } else { b.opt_str("usState")? };
    if let Some(s) = &us_state
        && (s.len() != 2 || !s.bytes().all(|c| c.is_ascii_alphabetic()))
    {
        return Err(ApiError::bad_request("usState must be a 2-letter US state code"));
    }
    Ok(Address { line1, line2, city, zip, us_state: us_state.map(|s| s.to_ascii_uppercase()) })
}

/// `POST /v1/auth/register/address`.
pub(crate) async fn address(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let onboarding_id = b.str("onboardingId")?;
    let mut inner = st.inner();
    let u = onboarding_user(&mut inner.users, c.tenant, &onboarding_id, &["PHYSICAL_ADDRESS"])?;
    let us_resident = u.profile.country_of_residence.as_deref() == Some("US");
    let a = read_address(&b, us_resident)?;
    let same = b.bool("isSameMailingAddress")?;
    if !same && !us_resident {
        return Err(ApiError::bad_request("isSameMailingAddress must be true unless the country of residence is US"));
    }
    u.profile.address_line1 = Some(a.line1);
    u.profile.address_line2 = a.line2;
    u.profile.city = Some(a.city);
    u.profile.zip = Some(a.zip);
    u.profile.us_state = a.us_state;
    let (user_id, tenant) = (u.id.clone(), u.tenant);
    if !same {
        u.phase = Some("MAILING_ADDRESS".into());
        let answer = json!({ "accessToken": null, "onboardingId": onboarding_id, "user": user_json(u) });
        return Ok(ok(answer));
    }
    u.phase = None;
    let user = user_json(u);
    let token = issue_login_token(&st, &mut inner, &user_id, tenant);
    Ok(ok(json!({ "accessToken": token, "onboardingId": onboarding_id, "user": user })))
}

/// `POST /v1/auth/register/mailing-address` (US residents with a different mailing address).
pub(crate) async fn mailing_address(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let onboarding_id = b.str("onboardingId")?;
    let a = read_address(&b, true)?;
    let mut inner = st.inner();
    let u = onboarding_user(&mut inner.users, c.tenant, &onboarding_id, &["MAILING_ADDRESS"])?;
    u.profile.mailing_address_line1 = Some(a.line1);
    u.profile.mailing_address_line2 = a.line2;
    u.profile.mailing_city = Some(a.city);
    u.profile.mailing_zip = Some(a.zip);
    u.profile.mailing_us_state = a.us_state;
    u.phase = None;
    let (user_id, tenant, user) = (u.id.clone(), u.tenant, user_json(u));
    let token = issue_login_token(&st, &mut inner, &user_id, tenant);
    Ok(ok(json!({ "accessToken": token, "onboardingId": onboarding_id, "user": user })))
}

/// `GET /v1/auth/register?onboardingId=..`.
pub(crate) async fn onboarding_details(State(st): State<Shared>, c: Client) -> ApiResult<Response> {
    let id = c.query.require("onboardingId")?;
    let inner = st.inner();
    let u = inner.user_by_onboarding(c.tenant, id).ok_or_else(|| ApiError::not_found("Onboarding not found"))?;
    let p = &u.profile;
    Ok(ok(json!({
        "id": id,
        "email": u.email,
        "firstName": p.first_name,
        "lastName": p.last_name,
        "phoneNumber": p.phone_number,
        "verificationState": u.verification_state,
        "addressLine1": p.address_line1,
        "city": p.city,
        "countryOfResidence": p.country_of_residence,
    })))
}

/// `GET /v1/auth/settings`.
pub(crate) async fn settings(State(st): State<Shared>, c: Client) -> ApiResult<Response> {
    let mut d = Det::new(st.config.seed, 77);
    let countries: Vec<Value> = [
        ("GB", "United Kingdom", "44", true),
        ("US", "United States of America", "1", c.tenant == Tenant::Us),
        ("DE", "Germany", "49", true),
        ("FR", "France", "33", true),
        ("ES", "Spain", "34", true),
        ("IE", "Ireland", "353", true),
        ("PT", "Portugal", "351", true),
        ("NL", "Netherlands", "31", true),
        ("KP", "North Korea", "850", false),
    ]
    .iter()
    .map(|(iso, name, calling, can)| json!({ "id": d.uuid(), "iso3166alpha2": iso, "name": name, "callingCode": calling, "canSignUp": can }))
    .collect();
    let us_states: Vec<Value> = if c.tenant == Tenant::Us {
        [
            ("Alaska", "AK", true),
            ("California", "CA", true),
            ("District of Columbia", "DC", true),
            ("New York", "NY", false),
            ("Texas", "TX", true),
        ]
        .iter()
        .map(|(name, abbr, can)| json!({ "id": d.uuid(), "name": name, "postalAbbreviation": abbr, "canSignUp": can }))
        .collect()
    } else {
        Vec::new()
    };
    let base = &st.base_url;
    let us_links = (c.tenant == Tenant::Us).then(|| {
        json!({
            "termsAndConditions": format!("{base}/legal/us/terms"),
            "accountOpeningDisclosure": format!("{base}/legal/us/account-opening"),
            "noticeOfPrivacy": format!("{base}/legal/us/privacy"),
            "eSignConsentDisclosure": format!("{base}/legal/us/esign"),
        })
    });
    let support = |region: &str| json!({ "emailSpecialCharactersDomainsException": "", "consentSmsNumber": "+15555550100", "supportEmail": format!("support-{region}@sandbox.baanx.test") });
    Ok(ok(json!({
        "countries": countries,
        "usStates": us_states,
        "links": {
            "us": us_links,
            "intl": { "termsAndConditions": format!("{base}/legal/intl/terms"), "rightToInformation": format!("{base}/legal/intl/right-to-information") },
        },
        "config": { "us": support("us"), "intl": support("intl") },
    })))
}

// ---------------------------------------------------------------------------------------------------------------
// Referral

/// `GET /v1/referral`.
pub(crate) async fn referral(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    let inner = st.inner();
    let u = inner.user(&a.user_id).ok_or_else(ApiError::not_authenticated)?;
    Ok(ok(json!({ "code": u.referral_code, "cap": 5, "used": 0 })))
}

/// `GET /v1/referral/{code}/validate`.
pub(crate) async fn validate_referral(
    State(st): State<Shared>,
    _c: Client,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    if code.is_empty() || code.len() > 32 || !code.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::bad_request("Invalid request"));
    }
    let valid = st.inner().users.iter().any(|u| u.referral_code.eq_ignore_ascii_case(&code));
    Ok(ok(json!({ "valid": valid })))
}
