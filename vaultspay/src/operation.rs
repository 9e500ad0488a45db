//! What the client knows about each operation of the contract, generated from `openapi.json`: whether it is sent
//! with the access token, whether it is safe to send twice, and whether its answer is a `{data}` envelope.
//!
//! ```
//! use vaultspay::operation::Operation;
//!
//! let login = Operation::find("saas_login").unwrap();
//! assert!(!login.bearer && !login.enveloped);
//! let transfer = Operation::find("create_direct_transfer").unwrap();
//! assert_eq!((transfer.method.as_str(), transfer.path), ("POST", "/tc/api/v1/direct-transfer"));
//! assert!(transfer.bearer && !transfer.idempotent, "money moves once");
//! assert!(Operation::find("get_card_pan").unwrap().idempotent, "a read done through POST");
//! assert_eq!(Operation::all().len(), 53);
//! ```

pub use http::Method;

/// One operation of the contract.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// `operationId` (snake_case; the generated method's name).
    pub id: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The path template (`/be/api/v1/accounts/{id}`).
    pub path: &'static str,
    /// The service tag (`as`, `us`, `be`, `tc`, `tme`, `pcs`, `re`, `system`).
    pub tag: &'static str,
    /// The docs page (`accounts/get-accounts`).
    pub doc_page: &'static str,
    /// Sent with `Authorization: Bearer <accessToken>` (all but the two token calls).
    pub bearer: bool,
    /// Safe to send twice (a GET, or a read done through POST marked `x-idempotent`): only these are retried.
    pub idempotent: bool,
    /// The answer is `{data, pagination?}` (else a bare object: SaaS Login, Update KYC Personal Info).
    pub enveloped: bool,
    /// The list is paginated (`page`/`perPage`): its builder has `.stream(options)`.
    pub paginated: bool,
}

static OPERATIONS: &[Operation] = include!(concat!(env!("OUT_DIR"), "/operations.rs"));

impl Operation {
    /// The operation with this id.
    ///
    /// ```
    /// assert!(vaultspay::operation::Operation::find("list_accounts").unwrap().paginated);
    /// assert!(vaultspay::operation::Operation::find("no_such_thing").is_none());
    /// ```
    pub fn find(id: &str) -> Option<&'static Operation> {
        OPERATIONS.binary_search_by(|op| op.id.cmp(id)).ok().map(|i| &OPERATIONS[i])
    }

    /// Every operation, sorted by id.
    ///
    /// ```
    /// let ids: Vec<&str> = vaultspay::operation::Operation::all().iter().map(|op| op.id).collect();
    /// assert!(ids.windows(2).all(|w| w[0] < w[1]));
    /// ```
    pub fn all() -> &'static [Operation] {
        OPERATIONS
    }
}
