//! Users: created by e-mail or by phone (`countryCode` + `phone`), always under the SaaS app's agent user, KYC
//! status PENDING until the admin's verdict (a control call).

use axum::extract::State;
use cardsdk_sandbox_kit::Obj;
use serde_json::{Map, Value};

use crate::KycStatus;
use crate::errors::{ApiError, ApiResult};
use crate::extract::{Authed, Body};
use crate::respond;
use crate::state::{Inner, Shared, User, next};

/// The user statuses of Create User.
const STATUSES: [&str; 3] = ["ACTIVE", "PENDING", "BLOCK"];

/// A user by id, or 422 / 1000 naming `key` ("User does not exist with this id").
pub(crate) fn find<'a>(inner: &'a Inner, id: i64, key: &str) -> ApiResult<&'a User> {
    inner.users.get(&id).ok_or_else(|| ApiError::unknown(key, "User"))
}

/// A user by id, mutable.
pub(crate) fn find_mut<'a>(inner: &'a mut Inner, id: i64, key: &str) -> ApiResult<&'a mut User> {
    inner.users.get_mut(&id).ok_or_else(|| ApiError::unknown(key, "User"))
}

fn put(m: &mut Map<String, Value>, key: &str, v: Option<&String>) {
    if let Some(v) = v {
        m.insert(key.to_string(), Value::from(v.clone()));
    }
}

/// The user's fields shared by the user and its `parent`.
fn basic(u: &User) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), u.id.into());
    m.insert("firstName".into(), u.first_name.clone().into());
    m.insert("lastName".into(), u.last_name.clone().into());
    m.insert("userType".into(), u.user_type.into());
    put(&mut m, "email", u.email.as_ref());
    m.insert("username".into(), u.username.clone().into());
    put(&mut m, "countryCode", u.country_code.as_ref());
    put(&mut m, "phone", u.phone.as_ref());
    m.insert("status".into(), u.status.clone().into());
    m.insert("fullName".into(), format!("{} {}", u.first_name, u.last_name).into());
    if let (Some(cc), Some(p)) = (&u.country_code, &u.phone) {
        m.insert("phoneNumber".into(), format!("{cc}{p}").into());
    }
    m
}

/// The user object of Create User: the user with `parentId` and its `parent`.
pub(crate) fn json(inner: &Inner, u: &User) -> Value {
    let mut m = basic(u);
    m.insert("parentId".into(), u.parent_id.into());
    if let Some(p) = inner.users.get(&u.parent_id) {
        m.insert("parent".into(), Value::Object(basic(p)));
    }
    Value::Object(m)
}

fn well_formed_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.contains(char::is_whitespace)
}

fn digits(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_digit())
}

/// What a new user is made of.
pub(crate) struct NewUser {
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) email: Option<String>,
    pub(crate) country_code: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) status: String,
}

fn read(b: &Obj) -> ApiResult<NewUser> {
    let first_name = b.str("firstName")?;
    let last_name = b.str("lastName")?;
    let email = b.opt_str("email")?.map(|e| e.trim().to_string());
    if let Some(e) = &email
        && !well_formed_email(e)
    {
        return Err(ApiError::invalid_payload("email", "must be a well-formed email address"));
    }
    let country_code = b.opt_str("countryCode")?.map(|c| c.trim().trim_start_matches('+').to_string());
    let phone = b.opt_str("phone")?.map(|p| p.trim().to_string());
    match (&country_code, &phone) {
        (Some(_), None) => {
            return Err(ApiError::invalid_payload("phone", "must not be blank when countryCode is given"));
        }
        (None, Some(_)) => {
            return Err(ApiError::invalid_payload("countryCode", "must not be blank when phone is given"));
        }
        (Some(cc), Some(p)) => {
            if !digits(cc, 1, 4) {
                return Err(ApiError::invalid_payload(
                    "countryCode",
                    "must be a dial code of 1 to 4 digits, without +",
                ));
            }
            if !digits(p, 6, 14) {
                return Err(ApiError::invalid_payload("phone", "must be 6 to 14 digits, without the country code"));
            }
        }
        (None, None) if email.is_none() => {
            return Err(ApiError::invalid_payload("email", "email, or countryCode and phone, must be given"));
        }
        (None, None) => {}
    }
    let status = b.str("status")?;
    if !STATUSES.contains(&status.as_str()) {
        return Err(ApiError::invalid_payload("status", "must be one of ACTIVE, PENDING, BLOCK"));
    }
    Ok(NewUser { first_name, last_name, email, country_code, phone, status })
}

/// Adds a user under `parent_id` (duplicate e-mail or phone: 500 / 1010 "User already exists").
pub(crate) fn create(inner: &mut Inner, parent_id: i64, user_type: &'static str, n: NewUser) -> ApiResult<i64> {
    let taken = inner.users.values().any(|u| {
        let same_email = matches!((&u.email, &n.email), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b));
        let same_phone = n.phone.is_some() && u.phone == n.phone && u.country_code == n.country_code;
        same_email || same_phone
    });
    if taken {
        return Err(ApiError::bad_request("User already exists"));
    }
    let id = next(&mut inner.ids.user);
    let username = format!(
        "{}.{}.{id}",
        n.first_name.to_ascii_lowercase().replace(' ', ""),
        n.last_name.to_ascii_lowercase().replace(' ', "")
    );
    inner.users.insert(
        id,
        User {
            id,
            parent_id,
            user_type,
            first_name: n.first_name,
            last_name: n.last_name,
            email: n.email,
            country_code: n.country_code,
            phone: n.phone,
            status: n.status,
            username,
            kyc: KycStatus::Pending,
            personal: None,
            identification: None,
        },
    );
    Ok(id)
}

/// `POST /as/api/v1/users`: by e-mail or by phone; `parentId` is ignored (the SaaS app's agent is the parent).
pub(crate) async fn create_user(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let n = read(&b)?;
    let mut inner = st.inner();
    let id = create(&mut inner, st.seeded.agent.user_id, "USER", n)?;
    let u = find(&inner, id, "id")?;
    respond::data(json(&inner, u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phones() {
        assert!(well_formed_email("khalidraza@gmail.com"));
        assert!(!well_formed_email("khalid@gmail") && !well_formed_email("@x.com") && !well_formed_email("a b@x.com"));
        assert!(digits("3329465636", 6, 14) && !digits("33-29", 1, 14));
    }
}
