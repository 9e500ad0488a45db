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
pub trait Call: Sized + Send {
    /// The success body.
    type Output: Send;
    /// The `operationId`.
    const OPERATION: &'static str;

    /// progenitor's `send()`.
    fn send_raw(
        self,
    ) -> impl Future<Output = Result<ResponseValue<Self::Output>, progenitor_client::Error<ApiError>>> + Send;

    /// `Some(message)` when the body says `success: false` (only bodies with a `success` field).
    fn refusal(_output: &Self::Output) -> Option<Option<String>> {
        None
    }

    /// Sends the request and returns the body.
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
