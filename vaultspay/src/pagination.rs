//! Lists as streams: `list_accounts` and `list_transactions` have `.stream(options)`.
//!
//! Generated from the operations' `x-pagination` on the shared pages engine ([`cardsdk_runtime::pages`]): `page`
//! from 1 with the builder's `perPage`, ending at `pagination.totalPages`, on an empty page, or after the first page
//! when the answer carries no `pagination` object. The builder's other filters are sent with every page.
//!
//! ```no_run
//! use vaultspay::pagination::PageOptions;
//! use futures_util::TryStreamExt as _;
//!
//! # async fn demo(client: vaultspay::Client) -> Result<(), vaultspay::Error> {
//! let accounts: Vec<_> = client.api().list_accounts().currency_code("AED").per_page(100)
//!     .stream(PageOptions::default()).try_collect().await?;
//! println!("{} AED accounts", accounts.len());
//! # Ok(()) }
//! ```

pub use cardsdk_runtime::pages::{Page, PageOptions, Plan, Shape};

use crate::error::Error;

/// The items of a paginated list, as a stream of `Result<T, Error>`.
pub type Pages<T> = cardsdk_runtime::pages::Pages<T, Error>;

/// Fetches one page by number (what the generated `.stream()` hands the engine).
pub type Fetch<T> = cardsdk_runtime::pages::Fetch<T, Error>;
