//! KYC: personal info (created once, updated only while the KYC status is PENDING, as documented), addresses keyed
//! by user and type, identification documents, the full KYC of a user, and the admin verdict (a control call).
//!
//! The identification endpoints are not documented; the sandbox takes JSON `{userId, documentType (PASSPORT,
//! NATIONAL_ID, EMIRATES_ID, DRIVING_LICENSE, RESIDENCE_PERMIT), documentNumber, expiryDate (YYYY-MM-DD, not
//! past), issueDate?, issuingCountry? (alpha-3), frontImage?, backImage? (Base64)}`, keeps the images' sizes only,
//! and refuses changes once the KYC status is VERIFIED.

use axum::extract::{Path, State};
use cardsdk_sandbox_kit::{Obj, TimeForm, format_time, now_ms, parse_date};
use serde_json::{Map, Value, json};

use crate::KycStatus;
use crate::catalog::{city_by_id, country_by_id, state_by_id};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{self, Authed, Body};
use crate::respond;
use crate::state::{Address, Identification, Inner, Personal, Shared, User, next};
use crate::users;

const GENDERS: [&str; 3] = ["MALE", "FEMALE", "OTHER"];
const DOCUMENT_TYPES: [&str; 5] = ["PASSPORT", "NATIONAL_ID", "EMIRATES_ID", "DRIVING_LICENSE", "RESIDENCE_PERMIT"];

fn upper_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_uppercase() || c == b'_')
}

fn alpha3(b: &Obj, field: &str) -> ApiResult<Option<String>> {
    match b.opt_str(field)? {
        Some(v) if v.len() == 3 && v.bytes().all(|c| c.is_ascii_uppercase()) => Ok(Some(v)),
        Some(_) => Err(ApiError::invalid_payload(field, "must be an ISO 3166-1 alpha-3 code (e.g. PAK)")),
        None => Ok(None),
    }
}

/// A `YYYY-MM-DD` date field, with its day number.
fn date(b: &Obj, field: &str) -> ApiResult<Option<(String, i64)>> {
    match b.opt_str(field)? {
        None => Ok(None),
        Some(v) => match parse_date(&v) {
            Some(day) => Ok(Some((v, day))),
            None => Err(ApiError::invalid_payload(field, "must be a date YYYY-MM-DD")),
        },
    }
}

fn today() -> i64 {
    now_ms().div_euclid(86_400_000)
}

/// Reads the personal-info fields present in `b` into `p`.
fn read_personal(b: &Obj, p: &mut Personal) -> ApiResult<()> {
    let text = |field: &str| b.opt_str(field);
    if let Some(v) = text("firstName")? {
        p.first_name = Some(v);
    }
    if let Some(v) = text("lastName")? {
        p.last_name = Some(v);
    }
    if let Some(v) = text("nickName")? {
        p.nick_name = Some(v);
    }
    if let Some((v, day)) = date(b, "dob")? {
        if day >= today() {
            return Err(ApiError::invalid_payload("dob", "must be in the past"));
        }
        p.dob = Some(v);
    }
    if let Some(v) = text("gender")? {
        if !GENDERS.contains(&v.as_str()) {
            return Err(ApiError::invalid_payload("gender", "must be one of MALE, FEMALE, OTHER"));
        }
        p.gender = Some(v);
    }
    if let Some(v) = text("maritalStatus")? {
        if !upper_word(&v) {
            return Err(ApiError::invalid_payload("maritalStatus", "must be SINGLE, MARRIED, DIVORCED, ..."));
        }
        p.marital_status = Some(v);
    }
    for (field, slot) in [
        ("nationality", &mut p.nationality),
        ("countryOfBirth", &mut p.country_of_birth),
        ("countryOfResidence", &mut p.country_of_residence),
    ] {
        if let Some(v) = alpha3(b, field)? {
            *slot = Some(v);
        }
    }
    if let Some(v) = text("tin")? {
        if !v.bytes().all(|c| c.is_ascii_digit()) {
            return Err(ApiError::invalid_payload("tin", "must be digits"));
        }
        p.tin = Some(v);
    }
    if let Some(v) = text("language")? {
        if !upper_word(&v) {
            return Err(ApiError::invalid_payload("language", "must be a language word such as ENGLISH"));
        }
        p.language = Some(v);
    }
    Ok(())
}

/// The personal-info object (absent fields omitted; `dob` as a date-time, as the docs' answer writes it).
pub(crate) fn personal_json(u: &User, p: &Personal) -> Value {
    let mut m = Map::new();
    m.insert("userId".into(), u.id.into());
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            m.insert(k.into(), v.clone().into());
        }
    };
    put("firstName", &p.first_name);
    put("lastName", &p.last_name);
    put("nickName", &p.nick_name);
    put("dob", &p.dob.as_deref().and_then(parse_date).map(|d| format_time(d * 86_400_000, TimeForm::MillisZeroOffset)));
    put("gender", &p.gender);
    put("maritalStatus", &p.marital_status);
    put("nationality", &p.nationality);
    put("countryOfBirth", &p.country_of_birth);
    put("countryOfResidence", &p.country_of_residence);
    put("language", &p.language);
    put("tin", &p.tin);
    m.insert("status".into(), u.kyc.as_str().into());
    Value::Object(m)
}

/// `POST /us/api/v1/kyc/personal`: `userId`, `firstName`, `lastName` and `dob` required; once per user (again:
/// 500 / 1010). Answers `{data: personalInfo}`.
pub(crate) async fn create_personal(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let user_id = b.int_or_digits("userId")?;
    b.str("firstName")?;
    b.str("lastName")?;
    b.str("dob")?;
    let mut p = Personal::default();
    read_personal(&b, &mut p)?;
    let mut inner = st.inner();
    let u = users::find_mut(&mut inner, user_id, "userId")?;
    if u.personal.is_some() {
        return Err(ApiError::bad_request("Personal info already exists for this user"));
    }
    u.personal = Some(p);
    let u = users::find(&inner, user_id, "userId")?;
    respond::data(personal_json(u, u.personal.as_ref().unwrap_or(&Personal::default())))
}

/// `PATCH /us/api/v1/kyc/personal`: partial update, only while the KYC status is PENDING (otherwise 500 / 1010);
/// answers the bare personal-info object, as the docs' example does.
pub(crate) async fn update_personal(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let user_id = b.int_or_digits("userId")?;
    let mut inner = st.inner();
    let u = users::find_mut(&mut inner, user_id, "userId")?;
    if u.kyc != KycStatus::Pending {
        return Err(ApiError::bad_request(format!(
            "Personal info can only be updated while the KYC status is PENDING (it is {})",
            u.kyc.as_str()
        )));
    }
    let Some(mut p) = u.personal.clone() else {
        return Err(ApiError::bad_request("Personal info does not exist for this user; create it first"));
    };
    read_personal(&b, &mut p)?;
    u.personal = Some(p);
    let u = users::find(&inner, user_id, "userId")?;
    respond::bare(personal_json(u, u.personal.as_ref().unwrap_or(&Personal::default())))
}

fn location(name: &str, id: i64) -> Value {
    json!({ "id": id, "name": name })
}

/// The address object.
pub(crate) fn address_json(a: &Address) -> Value {
    let country = country_by_id(a.country_id);
    let state = state_by_id(a.state_id);
    let city = city_by_id(a.city_id);
    let mut m = Map::new();
    m.insert("id".into(), a.id.into());
    m.insert("userId".into(), a.user_id.into());
    m.insert("type".into(), a.kind.clone().into());
    m.insert("country".into(), location(country.map_or("", |c| c.name), a.country_id));
    m.insert("countryCode".into(), country.map_or("", |c| c.iso3).into());
    m.insert("state".into(), location(state.map_or("", |s| s.1), a.state_id));
    m.insert("stateName".into(), state.map_or("", |s| s.1).into());
    m.insert("city".into(), location(city.map_or("", |c| c.1), a.city_id));
    m.insert("cityName".into(), city.map_or("", |c| c.1).into());
    m.insert("addressLine1".into(), a.line1.clone().into());
    for (k, v) in [
        ("addressLine2", &a.line2),
        ("postalCode", &a.postal_code),
        ("longitude", &a.longitude),
        ("latitude", &a.latitude),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), v.clone().into());
        }
    }
    m.insert("status".into(), a.status.into());
    Value::Object(m)
}

/// `^-?\d+(\.\d+)?$`: a coordinate in a string.
pub(crate) fn is_coordinate(s: &str) -> bool {
    cardsdk_sandbox_kit::is_decimal_string(s.strip_prefix('-').unwrap_or(s))
}

fn coordinate(b: &Obj, field: &str) -> ApiResult<Option<String>> {
    match b.opt_str(field)? {
        Some(v) if is_coordinate(&v) => Ok(Some(v)),
        Some(_) => Err(ApiError::invalid_payload(field, "must be a decimal number in a string")),
        None => Ok(None),
    }
}

/// Checks that the city is in the state and the state in the country (the ids decide; names and codes in the
/// request are informational, as in the docs' examples).
fn check_location(country_id: i64, state_id: i64, city_id: i64) -> ApiResult<()> {
    country_by_id(country_id).ok_or_else(|| ApiError::unknown("countryId", "Country"))?;
    let state = state_by_id(state_id).ok_or_else(|| ApiError::unknown("stateId", "State"))?;
    if state.4 != country_id {
        return Err(ApiError::invalid_payload("stateId", "State does not belong to this country"));
    }
    let city = city_by_id(city_id).ok_or_else(|| ApiError::unknown("cityId", "City"))?;
    if city.4 != state_id {
        return Err(ApiError::invalid_payload("cityId", "City does not belong to this state"));
    }
    Ok(())
}

fn address_type(b: &Obj) -> ApiResult<String> {
    let kind = b.str("type")?;
    if !upper_word(&kind) {
        return Err(ApiError::invalid_payload("type", "must be MAILING, RESIDENTIAL, BUSINESS, ..."));
    }
    Ok(kind)
}

/// Adds an address (one per user and type; another of the same type: 500 / 1010).
pub(crate) fn add_address(inner: &mut Inner, mut a: Address) -> ApiResult<i64> {
    if inner.addresses.iter().any(|x| x.user_id == a.user_id && x.kind == a.kind) {
        return Err(ApiError::bad_request(format!("An address of type {} already exists for this user", a.kind)));
    }
    a.id = next(&mut inner.ids.address);
    let id = a.id;
    inner.addresses.push(a);
    Ok(id)
}

/// `POST /us/api/v1/kyc/addresses`.
pub(crate) async fn create_address(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let user_id = b.int_or_digits("userId")?;
    let kind = address_type(&b)?;
    let (country_id, state_id, city_id) =
        (b.int_or_digits("countryId")?, b.int_or_digits("stateId")?, b.int_or_digits("cityId")?);
    let line1 = b.str("addressLine1")?;
    let a = Address {
        id: 0,
        user_id,
        kind,
        country_id,
        state_id,
        city_id,
        line1,
        line2: b.opt_str("addressLine2")?,
        postal_code: b.opt_str("postalCode")?,
        longitude: coordinate(&b, "longitude")?,
        latitude: coordinate(&b, "latitude")?,
        status: true,
    };
    let mut inner = st.inner();
    users::find(&inner, user_id, "userId")?;
    check_location(country_id, state_id, city_id)?;
    let id = add_address(&mut inner, a)?;
    let a = inner.addresses.iter().find(|a| a.id == id).ok_or_else(|| ApiError::unknown("id", "Address"))?;
    respond::data(address_json(a))
}

/// `PATCH /us/api/v1/kyc/addresses`: the address of (`userId`, `type`), partially updated (none of that type:
/// 500 / 1010).
pub(crate) async fn update_address(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let user_id = b.int_or_digits("userId")?;
    let kind = address_type(&b)?;
    let (country, state, city) =
        (b.opt_int_or_digits("countryId")?, b.opt_int_or_digits("stateId")?, b.opt_int_or_digits("cityId")?);
    let (line1, line2, postal) = (b.opt_str("addressLine1")?, b.opt_str("addressLine2")?, b.opt_str("postalCode")?);
    let (lon, lat, status) = (coordinate(&b, "longitude")?, coordinate(&b, "latitude")?, b.opt_bool("status")?);
    let mut inner = st.inner();
    users::find(&inner, user_id, "userId")?;
    let a = inner
        .addresses
        .iter_mut()
        .find(|a| a.user_id == user_id && a.kind == kind)
        .ok_or_else(|| ApiError::bad_request(format!("No address of type {kind} exists for this user")))?;
    let (c, s, ci) = (country.unwrap_or(a.country_id), state.unwrap_or(a.state_id), city.unwrap_or(a.city_id));
    check_location(c, s, ci)?;
    (a.country_id, a.state_id, a.city_id) = (c, s, ci);
    if let Some(v) = line1 {
        a.line1 = v;
    }
    a.line2 = line2.or(a.line2.take());
    a.postal_code = postal.or(a.postal_code.take());
    a.longitude = lon.or(a.longitude.take());
    a.latitude = lat.or(a.latitude.take());
    if let Some(v) = status {
        a.status = v;
    }
    respond::data(address_json(a))
}

/// The identification object.
fn identification_json(u: &User, i: &Identification) -> Value {
    let mut m = i.fields.clone();
    m.insert("id".into(), i.id.into());
    m.insert("userId".into(), u.id.into());
    m.insert("status".into(), u.kyc.as_str().into());
    m.insert("createdAt".into(), format_time(i.created_at, TimeForm::MillisZeroOffset).into());
    m.insert("updatedAt".into(), format_time(i.updated_at, TimeForm::MillisZeroOffset).into());
    Value::Object(m)
}

/// Reads the identification fields present in `b` into `fields`.
fn read_identification(b: &Obj, fields: &mut Map<String, Value>) -> ApiResult<()> {
    if let Some(t) = b.opt_str("documentType")? {
        if !DOCUMENT_TYPES.contains(&t.as_str()) {
            return Err(ApiError::invalid_payload(
                "documentType",
                format!("must be one of {}", DOCUMENT_TYPES.join(", ")),
            ));
        }
        fields.insert("documentType".into(), t.into());
    }
    if let Some(n) = b.opt_str("documentNumber")? {
        fields.insert("documentNumber".into(), n.into());
    }
    if let Some((v, day)) = date(b, "expiryDate")? {
        if day < today() {
            return Err(ApiError::invalid_payload("expiryDate", "the document has expired"));
        }
        fields.insert("expiryDate".into(), v.into());
    }
    if let Some((v, _)) = date(b, "issueDate")? {
        fields.insert("issueDate".into(), v.into());
    }
    if let Some(c) = alpha3(b, "issuingCountry")? {
        fields.insert("issuingCountry".into(), c.into());
    }
    let mut files: Vec<Value> = fields.get("files").and_then(Value::as_array).cloned().unwrap_or_default();
    for (field, side) in [("frontImage", "FRONT"), ("backImage", "BACK")] {
        if let Some(img) = b.opt_str(field)? {
            let size = crate::crypto::unb64(&img)
                .ok_or_else(|| ApiError::invalid_payload(field, "must be standard Base64"))?
                .len();
            files.retain(|f| f["side"] != side);
            files.push(json!({ "side": side, "size": size }));
        }
    }
    fields.insert("files".into(), Value::Array(files));
    Ok(())
}

/// `POST /us/api/v1/kyc/identification` (once per user; then PATCH).
pub(crate) async fn upload_identification(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let user_id = b.int_or_digits("userId")?;
    b.str("documentType")?;
    b.str("documentNumber")?;
    b.str("expiryDate")?;
    let mut fields = Map::new();
    read_identification(&b, &mut fields)?;
    let mut inner = st.inner();
    let id = next(&mut inner.ids.identification);
    let u = users::find_mut(&mut inner, user_id, "userId")?;
    if u.identification.is_some() {
        return Err(ApiError::bad_request("Identification documents already uploaded; update them with PATCH"));
    }
    if u.kyc == KycStatus::Verified {
        return Err(ApiError::bad_request("The KYC of this user is already VERIFIED"));
    }
    let now = now_ms();
    u.identification = Some(Identification { id, fields, created_at: now, updated_at: now });
    let u = users::find(&inner, user_id, "userId")?;
    match &u.identification {
        Some(i) => respond::data(identification_json(u, i)),
        None => Err(ApiError::bad_request("Identification documents not found")),
    }
}

/// `PATCH /us/api/v1/kyc/identification`: partial update, refused once the KYC status is VERIFIED.
pub(crate) async fn update_identification(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let user_id = b.int_or_digits("userId")?;
    let mut inner = st.inner();
    let u = users::find_mut(&mut inner, user_id, "userId")?;
    if u.kyc == KycStatus::Verified {
        return Err(ApiError::bad_request("The KYC of this user is already VERIFIED"));
    }
    let Some(i) = u.identification.as_mut() else {
        return Err(ApiError::bad_request("No identification documents uploaded for this user; upload them first"));
    };
    read_identification(&b, &mut i.fields)?;
    i.updated_at = now_ms();
    let u = users::find(&inner, user_id, "userId")?;
    match &u.identification {
        Some(i) => respond::data(identification_json(u, i)),
        None => Err(ApiError::bad_request("Identification documents not found")),
    }
}

/// `GET /us/api/v1/kyc/{userId}`: the user's contact data, KYC status, personal and identification info.
pub(crate) async fn get(State(st): State<Shared>, _: Authed, Path(raw): Path<String>) -> ApiResult {
    let user_id = extract::id(&raw, "userId")?;
    let inner = st.inner();
    let u = users::find(&inner, user_id, "userId")?;
    let mut m = Map::new();
    m.insert("userId".into(), u.id.into());
    m.insert("userType".into(), u.user_type.into());
    for (k, v) in [("email", &u.email), ("phone", &u.phone), ("countryCode", &u.country_code)] {
        if let Some(v) = v {
            m.insert(k.into(), v.clone().into());
        }
    }
    m.insert("status".into(), u.kyc.as_str().into());
    if let Some(p) = &u.personal {
        m.insert("personalInfo".into(), personal_json(u, p));
    }
    if let Some(i) = &u.identification {
        m.insert("identificationInfo".into(), identification_json(u, i));
    }
    respond::data(Value::Object(m))
}

/// Sets a user's KYC status (the admin's verdict); `false` for an unknown user.
pub(crate) fn set_status(inner: &mut Inner, user_id: i64, status: KycStatus) -> bool {
    match inner.users.get_mut(&user_id) {
        Some(u) => {
            u.kyc = status;
            true
        }
        None => false,
    }
}
