//! What the client knows about each operation of the contract, generated from `openapi.json`.
//!
//! The generated methods tell the hooks only an operation id; this table gives the rest: which credentials the
//! operation takes, whether it is safe to send twice, and the docs' quirks the client works around.
//!
//! ```
//! use baanx::operation::{Operation, Scheme};
//!
//! let op = Operation::find("exchange_oauth_token").unwrap();
//! assert_eq!(op.path, "/v1/auth/oauth/token");
//! // Clients disagree on whether the token exchange takes the secret key: sent when configured, not required.
//! assert!(op.accepts(Scheme::SecretKey));
//! assert!(!op.requires(Scheme::SecretKey));
//! assert!(Operation::find("create_onboarding_consent").unwrap().requires(Scheme::SecretKey));
//! ```

/// An HTTP method of the contract.
///
/// ```
/// use baanx::operation::{Method, Operation};
///
/// assert_eq!(Operation::find("get_card_status").unwrap().method, Method::GET);
/// assert_eq!(Operation::find("freeze_card").unwrap().method, Method::POST);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    GET,
    /// `PUT`
    PUT,
    /// `POST`
    POST,
    /// `PATCH`
    PATCH,
    /// `DELETE`
    DELETE,
}

impl Method {
    /// The method's name.
    ///
    /// ```
    /// use baanx::operation::{Method, Operation};
    ///
    /// assert_eq!(Method::DELETE.as_str(), "DELETE");
    /// let op = Operation::find("delete_webhook").unwrap();
    /// assert_eq!(format!("{} {}", op.method.as_str(), op.path), "DELETE /v1/webhooks/{id}");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Method::GET => "GET",
            Method::PUT => "PUT",
            Method::POST => "POST",
            Method::PATCH => "PATCH",
            Method::DELETE => "DELETE",
        }
    }
}

/// A credential an operation is sent with (the contract's security schemes).
///
/// ```
/// use baanx::operation::{Operation, Scheme};
///
/// let op = Operation::find("get_card_status").unwrap();
/// assert!(op.requires(Scheme::Bearer) && op.requires(Scheme::ClientKey));
/// assert!(!op.accepts(Scheme::SecretKey));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// The public client key, header `x-client-key`.
    ClientKey,
    /// The user's access token, `Authorization: Bearer`.
    Bearer,
    /// The private secret key, header `x-secret-key` (server side only).
    SecretKey,
}

/// One operation of the contract.
///
/// ```
/// use baanx::operation::{Method, Operation};
///
/// let op = Operation::find("get_card_status").unwrap();
/// assert_eq!((op.method, op.path, op.tag), (Method::GET, "/v1/card/status", "card"));
/// assert!(op.idempotent); // a GET: retried automatically
/// assert!(!Operation::find("freeze_card").unwrap().idempotent);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// The `operationId`, also the generated method's name.
    pub id: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path template, e.g. `/v1/webhooks/{id}`.
    pub path: &'static str,
    /// The docs group (`auth`, `card`, `wallet`, ...).
    pub tag: &'static str,
    /// The docs page, e.g. `api-reference/card/status` (under `https://docs.baanx.com/`).
    pub doc_page: &'static str,
    /// Alternatives of credentials sent together (OpenAPI `security`): any one alternative suffices.
    pub security: &'static [&'static [Scheme]],
    /// Safe to send twice: a GET, or marked `x-idempotent` in the contract.
    pub idempotent: bool,
    /// Used by production apps but absent from the docs index.
    pub undocumented: bool,
    /// The docs page puts `x-us-env` in the query string rather than a header: the client sends both.
    pub us_env_query: bool,
    /// The docs page names the client key header `X-Client-ID`: the client sends both names.
    pub client_id_header: bool,
    /// The success answer is raw bytes (a statement, a page), streamed to the caller rather than decoded.
    pub raw_body: bool,
}

static OPERATIONS: &[Operation] = include!(concat!(env!("OUT_DIR"), "/operations.rs"));

impl Operation {
    /// Every operation of the contract, sorted by id.
    ///
    /// ```
    /// use baanx::operation::Operation;
    ///
    /// let all = Operation::all();
    /// assert_eq!(all.len(), 80);
    /// assert!(all.windows(2).all(|pair| pair[0].id < pair[1].id)); // sorted by id
    /// ```
    pub fn all() -> &'static [Operation] {
        OPERATIONS
    }

    /// The operation with this id.
    ///
    /// ```
    /// use baanx::operation::Operation;
    ///
    /// assert_eq!(Operation::find("freeze_card").unwrap().path, "/v1/card/freeze");
    /// assert!(Operation::find("freezeCard").is_none()); // ids are snake_case
    /// ```
    pub fn find(id: &str) -> Option<&'static Operation> {
        OPERATIONS.binary_search_by(|op| op.id.cmp(id)).ok().map(|i| &OPERATIONS[i])
    }

    /// Whether some alternative of the operation's security includes `scheme` (it is sent when configured).
    ///
    /// ```
    /// use baanx::operation::{Operation, Scheme};
    ///
    /// let settings = Operation::find("get_registration_settings").unwrap();
    /// assert!(settings.accepts(Scheme::ClientKey));
    /// assert!(!settings.accepts(Scheme::Bearer)); // no user needed
    /// ```
    pub fn accepts(&self, scheme: Scheme) -> bool {
        self.security.iter().any(|alt| alt.contains(&scheme))
    }

    /// Whether every alternative includes `scheme` (the call cannot succeed without it).
    ///
    /// ```
    /// use baanx::operation::{Operation, Scheme};
    ///
    /// assert!(Operation::find("create_onboarding_consent").unwrap().requires(Scheme::SecretKey)); // backends only
    /// let token = Operation::find("exchange_oauth_token").unwrap();
    /// assert!(token.accepts(Scheme::SecretKey) && !token.requires(Scheme::SecretKey));
    /// ```
    pub fn requires(&self, scheme: Scheme) -> bool {
        !self.security.is_empty() && self.security.iter().all(|alt| alt.contains(&scheme))
    }

    /// The operation's docs page URL.
    ///
    /// ```
    /// use baanx::operation::Operation;
    ///
    /// let op = Operation::find("get_card_status").unwrap();
    /// assert_eq!(op.doc_url(), "https://docs.baanx.com/api-reference/card/status");
    /// ```
    pub fn doc_url(&self) -> String {
        format!("https://docs.baanx.com/{}", self.doc_page)
    }
}
