//! [`Call`]: finish any generated request with `.call()` to get the body or a [`baanx::Error`](crate::Error).
//!
//! Every builder of [`api::Client`](crate::api::Client) implements it (the impls are generated with the client).
//! Compared with progenitor's `send()`, `call()`:
//! - returns the body itself, and [`Error`] with the operation id in its context;
//! - treats **every 2xx as a success**: a status the contract does not declare (200 for a documented 201, 202, 204)
//!   is decoded like the declared one, and an empty body reads as an empty object (or list);
//! - reports a body that fits no lossless reading as [`Error::Decode`] naming the JSON path of the offending value
//!   (`[3].mcc`);
//! - turns an HTTP 200 carrying `success: false` into [`Error::Refused`].
//!
//! ```no_run
//! use baanx::Call;
//!
//! # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
//! let card = client.api().get_card_status().call().await?;
//! println!("card {:?} is {:?}", card.pan_last4, card.status);
//! # Ok(()) }
//! ```

use std::future::Future;

use progenitor_client::ResponseValue;
use serde::de::DeserializeOwned;

use crate::api::types::ApiError;
use crate::error::{Error, ErrorContext};

/// A generated request, ready to send.
///
/// ```
/// use baanx::Call;
///
/// // Sends any generated request, logging which operation failed.
/// async fn logged<C: Call>(request: C) -> Result<C::Output, baanx::Error> {
///     request.call().await.inspect_err(|err| eprintln!("{} failed: {err}", C::OPERATION))
/// }
/// ```
pub trait Call: Sized + Send {
    /// The success body.
    ///
    /// ```no_run
    /// use baanx::Call;
    ///
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// let card: baanx::api::types::Card = client.api().get_card_status().call().await?;
    /// # Ok(()) }
    /// ```
    type Output: Send;
    /// The `operationId`.
    ///
    /// ```
    /// use baanx::Call;
    /// use baanx::api::builder::GetCardStatus;
    ///
    /// assert_eq!(<GetCardStatus<'_> as Call>::OPERATION, "get_card_status");
    /// ```
    const OPERATION: &'static str;

    /// progenitor's `send()`.
    ///
    /// ```no_run
    /// use baanx::Call;
    ///
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// let response = client.api().get_card_status().send_raw().await?; // progenitor's error converts with `?`
    /// println!("HTTP {}, request id {:?}", response.status(), response.headers().get("x-request-id"));
    /// let card = response.into_inner();
    /// # Ok(()) }
    /// ```
    fn send_raw(
        self,
    ) -> impl Future<Output = Result<ResponseValue<Self::Output>, progenitor_client::Error<ApiError>>> + Send;

    /// Reads a 2xx answer whose status the contract does not declare (progenitor's `UnexpectedResponse`), as the
    /// declared success would be read.
    ///
    /// ```no_run
    /// use baanx::Call;
    /// use baanx::api::builder::GetCardStatus;
    ///
    /// # async fn demo(response: reqwest::Response) -> Result<(), baanx::Error> {
    /// // e.g. a 202 where the contract declares 200
    /// let card = <GetCardStatus<'_> as Call>::undeclared_success(response).await?.into_inner();
    /// # Ok(()) }
    /// ```
    fn undeclared_success(
        response: reqwest::Response,
    ) -> impl Future<Output = Result<ResponseValue<Self::Output>, Error>> + Send;

    /// A declared success whose body progenitor could not decode, read again: an empty body reads as an empty
    /// value, anything else that does not fit is [`Error::Decode`] naming the JSON path of the offending value.
    ///
    /// ```
    /// use baanx::Call;
    /// use baanx::api::builder::ListCardTransactions;
    ///
    /// let body = br#"[{"id": "1", "mcc": "5814"}, {"id": "2", "mcc": 5999}, {"id": "3", "mcc": "coffee"}]"#;
    /// let error = serde_json::from_slice::<serde::de::IgnoredAny>(b"x").unwrap_err();
    /// let err = <ListCardTransactions<'_> as Call>::invalid_payload(body, error).unwrap_err();
    /// assert!(err.to_string().contains("[2].mcc"), "{err}");
    /// ```
    fn invalid_payload(body: &[u8], error: serde_json::Error) -> Result<Self::Output, Error> {
        Err(Error::decode_at(ErrorContext::operation(Self::OPERATION), None, error, body))
    }

    /// `Some(message)` when the body says `success: false` (only bodies with a `success` field).
    ///
    /// ```
    /// use baanx::Call;
    /// use baanx::api::{builder::AddWhitelistAddresses, types::SuccessResponse};
    ///
    /// let refused = SuccessResponse::builder().success(false).message("Address already listed".to_string());
    /// let refused = SuccessResponse::try_from(refused).unwrap();
    /// assert_eq!(<AddWhitelistAddresses<'_> as Call>::refusal(&refused), Some(Some("Address already listed".into())));
    /// let ok = SuccessResponse::try_from(SuccessResponse::builder().success(true)).unwrap();
    /// assert_eq!(<AddWhitelistAddresses<'_> as Call>::refusal(&ok), None);
    /// ```
    fn refusal(_output: &Self::Output) -> Option<Option<String>> {
        None
    }

    /// Sends the request and returns the body.
    ///
    /// ```no_run
    /// use baanx::Call;
    ///
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// match client.api().get_card_status().call().await {
    ///     Ok(card) => println!("card {:?} is {:?}", card.pan_last4, card.status),
    ///     Err(baanx::Error::NotFound { .. }) => println!("no card yet: order one"),
    ///     Err(other) => return Err(other),
    /// }
    /// # Ok(()) }
    /// ```
    fn call(self) -> impl Future<Output = Result<Self::Output, Error>> + Send {
        async move {
            let response = match self.send_raw().await {
                Ok(response) => response,
                Err(progenitor_client::Error::UnexpectedResponse(response)) if response.status().is_success() => {
                    Self::undeclared_success(response).await.map_err(|e| e.at(Self::OPERATION))?
                }
                Err(progenitor_client::Error::InvalidResponsePayload(body, error)) => {
                    // progenitor keeps no status here: only a success reaches this point (error bodies are made
                    // canonical by the hooks), so the answer was a declared 2xx.
                    let value = Self::invalid_payload(&body, error).map_err(|e| e.at(Self::OPERATION))?;
                    ResponseValue::new(value, reqwest::StatusCode::OK, reqwest::header::HeaderMap::new())
                }
                Err(error) => return Err(Error::from(error).at(Self::OPERATION)),
            };
            match Self::refusal(response.as_ref()) {
                None => Ok(response.into_inner()),
                Some(message) => {
                    let context = crate::error::context_from(response.status().as_u16(), response.headers());
                    Err(Error::Refused { message, context }.at(Self::OPERATION))
                }
            }
        }
    }
}

/// Decodes a success body as `T`: an empty body reads as `{}` (or `[]`, or `null`, whichever `T` accepts); a body
/// that fits no lossless reading is [`Error::Decode`] with the JSON path of the offending value.
pub(crate) fn decode_success<T: DeserializeOwned>(body: &[u8], context: ErrorContext) -> Result<T, Error> {
    cardsdk_runtime::decode::success(body)
        .map_err(|failure| Error::decode_at(context, failure.path, failure.error, body))
}

/// [`Call::undeclared_success`] for operations with a JSON body.
#[doc(hidden)]
pub async fn json_success<T: DeserializeOwned + Send>(response: reqwest::Response) -> Result<ResponseValue<T>, Error> {
    let status = response.status();
    let headers = response.headers().clone();
    let context = crate::error::context_from(status.as_u16(), &headers);
    let body = crate::body::read_all(response, &context).await?;
    let value = decode_success::<T>(&body, context)?;
    Ok(ResponseValue::new(value, status, headers))
}

/// [`Call::invalid_payload`] for operations with a JSON body.
#[doc(hidden)]
pub fn reread<T: DeserializeOwned>(body: &[u8], operation: &'static str) -> Result<T, Error> {
    decode_success(body, ErrorContext::operation(operation))
}
