//! [`Call`]: finish any generated request with `.call()` to get the body or a [`baanx::Error`](crate::Error).
//!
//! Every builder of [`api::Client`](crate::api::Client) implements it (the impls are generated with the client).
//! Compared with progenitor's `send()`, `call()`:
//! - returns the body itself, and [`Error`] with the operation id in its context;
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

use crate::api::types::ApiError;
use crate::error::Error;

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

    /// `Some(message)` when the body says `success: false` (only bodies with a `success` field).
    ///
    /// ```
    /// use baanx::Call;
    /// use baanx::api::{builder::AddWhitelistAddresses, types::SuccessResponse};
    ///
    /// let refused = SuccessResponse { success: Some(false), message: Some("Address already listed".into()) };
    /// assert_eq!(<AddWhitelistAddresses<'_> as Call>::refusal(&refused), Some(Some("Address already listed".into())));
    /// let ok = SuccessResponse { success: Some(true), message: None };
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
            match self.send_raw().await {
                Ok(response) => match Self::refusal(response.as_ref()) {
                    None => Ok(response.into_inner()),
                    Some(message) => {
                        let context = crate::error::context_from(response.status().as_u16(), response.headers());
                        Err(Error::Refused { message, context }.at(Self::OPERATION))
                    }
                },
                Err(error) => Err(Error::from(error).at(Self::OPERATION)),
            }
        }
    }
}
