//! [`Call`]: finish any generated request with `.call()` to get what is inside the answer's `data`, or a
//! [`vaultspay::Error`](crate::Error).
//!
//! Every builder of [`api::Client`](crate::api::Client) implements it (the impls are generated with the client).
//! Compared with progenitor's `send()`, `call()`:
//! - returns the payload itself: the `data` of a `{data}` envelope ([`Envelope`]), or a bare answer as it is
//!   (SaaS Login, Update KYC Personal Info). The hooks accept both shapes from the server whichever the contract
//!   declares, so an envelope that the docs did not show, or one missing, does not fail the call;
//!   [`Call::call_envelope`] keeps the whole answer (its `pagination`);
//! - treats every 2xx as a success, and reports a body that fits no lossless reading as [`Error::Decode`]
//!   naming the JSON path of the offending value (`data[3].balance`);
//! - classifies errors by VaultsPay's `code`, not by the HTTP status ([`Error`]).
//!
//! ```no_run
//! use vaultspay::Call;
//!
//! # async fn demo(client: vaultspay::Client) -> Result<(), vaultspay::Error> {
//! let tiers = client.api().list_card_tiers().call().await?; // Vec<CardTier>, from {"data": [...]}
//! println!("{} card tiers", tiers.len());
//! # Ok(()) }
//! ```

use std::future::Future;

use progenitor_client::ResponseValue;
use serde::de::DeserializeOwned;

use crate::api::types::ApiError;
use crate::error::{Error, ErrorContext};

/// An answer type and what [`Call::call`] returns from it: the `data` of an envelope, or the answer itself.
///
/// A list comes back as a `Vec` (empty when `data` is `null` or absent); an object as an `Option` (`None` when
/// the answer's `data` is `null` or absent: the contract cannot promise a payload the docs examples do not always
/// show).
///
/// ```
/// use vaultspay::Envelope;
/// use vaultspay::api::types::{ListCardTiersResponse, SaasSession};
///
/// let answer: ListCardTiersResponse = serde_json::from_str(r#"{"data": [{"id": 1, "name": "Debit"}]}"#).unwrap();
/// assert_eq!(answer.into_data().len(), 1);
/// let session: SaasSession = serde_json::from_str(r#"{"accessToken": "t"}"#).unwrap();
/// let same: SaasSession = session.clone().into_data();
/// assert_eq!(same, session);
/// ```
pub trait Envelope {
    /// What the answer carries.
    type Data;
    /// Takes the payload out.
    fn into_data(self) -> Self::Data;
}

/// A generated request, ready to send.
///
/// ```
/// use vaultspay::Call;
///
/// // Sends any generated request, logging which operation failed.
/// async fn logged<C: Call>(request: C) -> Result<vaultspay::Data<C>, vaultspay::Error> {
///     request.call().await.inspect_err(|err| eprintln!("{} failed: {err}", C::OPERATION))
/// }
/// ```
pub trait Call: Sized + Send {
    /// The whole success answer (the envelope, where there is one).
    type Output: Envelope<Data: Send> + Send;
    /// The `operationId`.
    ///
    /// ```
    /// use vaultspay::Call;
    /// use vaultspay::api::builder::ListCardTiers;
    ///
    /// assert_eq!(<ListCardTiers<'_> as Call>::OPERATION, "list_card_tiers");
    /// ```
    const OPERATION: &'static str;

    /// progenitor's `send()`.
    fn send_raw(
        self,
    ) -> impl Future<Output = Result<ResponseValue<Self::Output>, progenitor_client::Error<ApiError>>> + Send;

    /// Reads a 2xx answer whose status the contract does not declare, as the declared success would be read.
    fn undeclared_success(
        response: reqwest::Response,
    ) -> impl Future<Output = Result<ResponseValue<Self::Output>, Error>> + Send;

    /// A declared success whose body progenitor could not decode, read again: an empty body reads as an empty
    /// value, anything else that does not fit is [`Error::Decode`] naming the JSON path of the offending value.
    ///
    /// ```
    /// use vaultspay::Call;
    /// use vaultspay::api::builder::ListAccounts;
    ///
    /// let body = br#"{"data": [{"id": 1, "balance": 10.5}, {"id": 2, "balance": "ten"}]}"#;
    /// let error = serde_json::from_slice::<serde::de::IgnoredAny>(b"x").unwrap_err();
    /// let err = <ListAccounts<'_> as Call>::invalid_payload(body, error).unwrap_err();
    /// assert!(err.to_string().contains("data[1].balance"), "{err}");
    /// ```
    fn invalid_payload(_body: &[u8], error: serde_json::Error) -> Result<Self::Output, Error> {
        Err(Error::decode(ErrorContext::operation(Self::OPERATION), None, &error))
    }

    /// Whether a 2xx answer is a refusal (no VaultsPay operation has one: always `None`).
    fn refusal(_output: &Self::Output) -> Option<Option<String>> {
        None
    }

    /// Sends the request and returns the whole answer (the envelope, with its `pagination`).
    ///
    /// ```no_run
    /// use vaultspay::Call;
    ///
    /// # async fn demo(client: vaultspay::Client) -> Result<(), vaultspay::Error> {
    /// let page = client.api().list_accounts().page(1).per_page(50).call_envelope().await?;
    /// let total = page.pagination.and_then(|p| p.total_pages);
    /// println!("{} accounts on page 1 of {total:?}", page.data.map_or(0, |d| d.len()));
    /// # Ok(()) }
    /// ```
    fn call_envelope(self) -> impl Future<Output = Result<Self::Output, Error>> + Send {
        async move {
            match self.send_raw().await {
                Ok(response) => Ok(response.into_inner()),
                Err(progenitor_client::Error::UnexpectedResponse(response)) if response.status().is_success() => {
                    Ok(Self::undeclared_success(response).await.map_err(|e| e.at(Self::OPERATION))?.into_inner())
                }
                Err(progenitor_client::Error::InvalidResponsePayload(body, error)) => {
                    Self::invalid_payload(&body, error).map_err(|e| e.at(Self::OPERATION))
                }
                Err(error) => Err(Error::from(error).at(Self::OPERATION)),
            }
        }
    }

    /// Sends the request and returns the payload (the `data` of the answer's envelope).
    ///
    /// ```no_run
    /// use vaultspay::{Call, Error};
    ///
    /// # async fn demo(client: vaultspay::Client) -> Result<(), vaultspay::Error> {
    /// match client.api().get_account().id(42).call().await {
    ///     Ok(Some(account)) => println!("balance {:?} {:?}", account.balance, account.currency_code),
    ///     Ok(None) => println!("an answer without data"),
    ///     Err(Error::Validation { errors, .. }) => println!("refused: {errors:?}"),
    ///     Err(other) => return Err(other),
    /// }
    /// # Ok(()) }
    /// ```
    fn call(self) -> impl Future<Output = Result<<Self::Output as Envelope>::Data, Error>> + Send {
        async move { self.call_envelope().await.map(Envelope::into_data) }
    }
}

/// What [`Call::call`] returns for the request `C`.
pub type Data<C> = <<C as Call>::Output as Envelope>::Data;

/// Decodes a success body as `T` (an empty body as `{}`, `[]` or `null`, whichever `T` accepts).
pub(crate) fn decode_success<T: DeserializeOwned>(body: &[u8], context: ErrorContext) -> Result<T, Error> {
    cardsdk_runtime::decode::success(body).map_err(|failure| Error::decode(context, failure.path, &failure.error))
}

/// [`Call::undeclared_success`] for operations with a JSON body.
#[doc(hidden)]
pub async fn json_success<T: DeserializeOwned + Send>(response: reqwest::Response) -> Result<ResponseValue<T>, Error> {
    let status = response.status();
    let headers = response.headers().clone();
    let context = crate::error::context_from(status.as_u16(), &headers);
    let body = cardsdk_runtime::body::read_all(response).await.map_err(|e| Error::from_reqwest(e, context.clone()))?;
    let value = decode_success::<T>(&body, context)?;
    Ok(ResponseValue::new(value, status, headers))
}

/// [`Call::invalid_payload`] for operations with a JSON body.
#[doc(hidden)]
pub fn reread<T: DeserializeOwned>(body: &[u8], operation: &'static str) -> Result<T, Error> {
    decode_success(body, ErrorContext::operation(operation))
}
