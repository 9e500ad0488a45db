//! Lists as streams: every paginated operation's request builder has `.stream(options)`.
//!
//! The method is generated from the operation's `x-pagination` extension in the contract, on the shared pages
//! engine ([`cardsdk_runtime::pages`]); the filters set on the builder are sent with every page. The stream is a
//! [`futures_core::Stream`] of `Result<T, Error>`: use it with `futures_util::StreamExt`/`TryStreamExt` (`next`,
//! `take`, `try_collect`, ...).
//!
//! | operation | pages | ends |
//! |---|---|---|
//! | `list_card_transactions` | `page` from 0 | empty page, repeated page, a page starting newer than the previous ended (newest first, compared as instants); de-duplicated by `id` |
//! | `list_wallet_history` | `page` from 0, 10 per page | also a short page; entries carry no id: de-duplicated by content |
//! | `get_consent_audit` | `offset`/`limit` (100, or the builder's limit) | a short page; by `auditId` |
//! | `list_webhook_events`, `list_webhook_delivery_logs` | one answer of up to 100 (or the builder's limit) | after it |
//! | `list_event_delivery_logs` | one answer | after it |
//!
//! Lists of this API have no totals and no cursors, so the engine decides where they end (see
//! [`cardsdk_runtime::pages`]): an empty or repeated page, a short page where the size is fixed, a restart, or the
//! page cap ([`PageOptions::max_pages`], default 10,000) with [`Error::PageLimit`]. While page *n* is consumed the
//! next [`PageOptions::prefetch`] pages are already requested (default 1); nothing is requested before the first
//! poll, and dropping the stream cancels what is in flight. Filters are checked before any request (the hooks'
//! checks: both dates of a date range, in order; `walletCurrency` for internal wallets).
//!
//! ```no_run
//! use baanx::pagination::PageOptions;
//! use futures_util::TryStreamExt as _;
//!
//! # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
//! let spent = client
//!     .api()
//!     .list_card_transactions()
//!     .date_from("2024-10-01")
//!     .date_to("2024-10-31")
//!     .stream(PageOptions::default())
//!     .try_fold(baanx::Decimal::ZERO, |sum, tx| async move {
//!         Ok(sum + tx.amount_in_transaction_currency.unwrap_or_default())
//!     })
//!     .await?;
//! # Ok(()) }
//! ```

pub use cardsdk_runtime::pages::{Page, PageOptions, Plan, Shape};

use crate::error::{Error, ErrorContext};

/// The items of a paginated list, as a stream (the runtime's engine with this crate's [`Error`]).
///
/// ```no_run
/// use baanx::pagination::PageOptions;
/// use futures_util::StreamExt as _;
///
/// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
/// let mut transactions = client.api().list_card_transactions().stream(PageOptions::default());
/// while let Some(tx) = transactions.next().await {
///     let tx = tx?;
///     println!("{:?} {:?} {:?}", tx.date_time, tx.merchant_name_location, tx.amount_in_transaction_currency);
/// }
/// println!("{} pages", transactions.pages_read());
/// # Ok(()) }
/// ```
pub type Pages<T> = cardsdk_runtime::pages::Pages<T, Error>;

/// Fetches one page by number (what the generated `.stream()` hands the engine).
pub type Fetch<T> = cardsdk_runtime::pages::Fetch<T, Error>;

impl cardsdk_runtime::pages::PageError for Error {
    fn page_limit(pages: usize, operation: &'static str) -> Self {
        Error::PageLimit { pages, context: ErrorContext::operation(operation) }
    }

    fn interrupted(operation: &'static str, why: String) -> Self {
        Error::Transport { message: why, source: None, context: ErrorContext::operation(operation) }
    }
}
