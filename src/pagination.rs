//! Lists as streams: every item of a paginated operation, page after page, with bounded prefetch.
//!
//! [`Pages`] is a [`futures_core::Stream`] of `Result<T, Error>`; use it with `futures_util::StreamExt`/
//! `TryStreamExt` (`next`, `take`, `try_collect`, ...). Lists of this API have no totals and no cursors, so the
//! stream decides where they end:
//!
//! - an **empty page** ends the list;
//! - a page **equal to one already seen** ends it (the docs say a page past the end returns page 0 again), and so
//!   does a page that starts with something newer than where the previous page ended (page 0 again, shifted by
//!   new purchases), for the lists ordered newest first;
//! - a **short page** ends it where the page size is fixed (wallet history: 10), and a list served in one answer
//!   (webhook events and logs: at most 100, no way to ask for more) is one page;
//! - items are **de-duplicated** by id across all pages read (new purchases shift pages while you read, by one
//!   page or more); the stream remembers an 8-byte hash per item yielded;
//! - a **page cap** ([`PageOptions::max_pages`], default 10,000) ends a list that never does, with
//!   [`Error::PageLimit`].
//!
//! **Prefetch**: while you consume page *n*, the next pages are already requested, up to
//! [`PageOptions::prefetch`] pages ahead (default 1; 0 = strictly one request at a time). Memory stays
//! O(page size × (prefetch + 1)). Nothing is requested before the first poll, and dropping the stream cancels what
//! is in flight: no request starts after the drop. Filters are checked before any request.
//!
//! ```no_run
//! use baanx::pagination::{PageOptions, TransactionFilter};
//! use futures_util::TryStreamExt as _;
//!
//! # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
//! let filter = TransactionFilter::new().dates("2024-10-01", "2024-10-31");
//! let spent = client
//!     .card_transactions(filter, PageOptions::default())?
//!     .try_fold(baanx::Decimal::ZERO, |sum, tx| async move {
//!         Ok(sum + tx.amount_in_transaction_currency.unwrap_or_default())
//!     })
//!     .await?;
//! # Ok(()) }
//! ```

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::future::Future as _;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::future::BoxFuture;
use tokio::task::JoinHandle;

use crate::api::types::{
    CardMccCategory, CardTransaction, ConsentAuditRecord, WalletCurrency, WalletHistoryEntry, WalletType,
    WebhookDeliveryLog, WebhookEvent, WebhookEventStatus,
};
use crate::call::Call;
use crate::client::Client;
use crate::error::{Error, ErrorContext};
use cardsdk_runtime::Timestamp;

/// How a list is read.
///
/// ```
/// use baanx::pagination::{PageOptions, TransactionFilter};
/// # let client = baanx::Client::builder().client_key("pk_test").build().unwrap();
///
/// let options = PageOptions::default().prefetch(0).max_pages(20); // one request at a time, 20 pages at most
/// let transactions = client.card_transactions(TransactionFilter::new(), options)?; // nothing sent until polled
/// assert_eq!(transactions.pages_read(), 0);
/// # Ok::<(), baanx::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageOptions {
    prefetch: usize,
    max_pages: usize,
}

impl Default for PageOptions {
    fn default() -> Self {
        PageOptions { prefetch: 1, max_pages: 10_000 }
    }
}

impl PageOptions {
    /// Pages requested ahead of the one being consumed (default 1; 0 = one request at a time).
    ///
    /// ```
    /// use baanx::pagination::PageOptions;
    ///
    /// assert_eq!(PageOptions::default().prefetch(1), PageOptions::default()); // one page ahead by default
    /// let one_at_a_time = PageOptions::default().prefetch(0);
    /// let eager = PageOptions::default().prefetch(4); // up to 5 pages in memory
    /// ```
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.prefetch = pages;
        self
    }

    /// The most pages read before the stream gives up with [`Error::PageLimit`] (default 10,000).
    ///
    /// ```
    /// use baanx::pagination::PageOptions;
    ///
    /// assert_eq!(PageOptions::default().max_pages(10_000), PageOptions::default());
    /// assert_eq!(PageOptions::default().max_pages(0), PageOptions::default().max_pages(1)); // at least one page
    /// ```
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.max_pages = pages.max(1);
        self
    }
}

type Fetch<T> = Arc<dyn Fn(u64) -> BoxFuture<'static, Result<Vec<T>, Error>> + Send + Sync>;

/// How a list's pages end, beyond an empty or repeated page.
#[derive(Clone, Copy, Debug)]
enum Shape {
    /// Page numbers with no known size.
    Open,
    /// A fixed page size: a shorter page is the last.
    Fixed(usize),
    /// Everything in one answer.
    Single,
}

/// The items of a paginated list, as a stream. See the [module docs](self).
///
/// ```no_run
/// use baanx::pagination::{PageOptions, TransactionFilter};
/// use futures_util::StreamExt as _;
///
/// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
/// let mut transactions = client.card_transactions(TransactionFilter::new(), PageOptions::default())?;
/// while let Some(tx) = transactions.next().await {
///     let tx = tx?;
///     println!("{:?} {:?} {:?}", tx.date_time, tx.merchant_name_location, tx.amount_in_transaction_currency);
/// }
/// # Ok(()) }
/// ```
pub struct Pages<T> {
    operation: &'static str,
    fetch: Fetch<T>,
    key: fn(&T) -> String,
    /// For lists ordered newest first: the item's time (compared as instants, never as text: offsets and precision
    /// vary between items).
    newest_first: Option<fn(&T) -> Option<Timestamp>>,
    /// That time of the last item of the previous page.
    previous_last: Option<Timestamp>,
    shape: Shape,
    options: PageOptions,
    next_page: u64,
    inflight: VecDeque<JoinHandle<Result<Vec<T>, Error>>>,
    buffer: VecDeque<T>,
    seen_pages: HashSet<u64>,
    /// Hashes of every item key yielded so far (8 bytes each): duplicates are dropped wherever they reappear.
    seen_keys: HashSet<u64>,
    pages_read: usize,
    finished: bool,
    capped: bool,
}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("operation", &self.operation)
            .field("options", &self.options)
            .field("pages_read", &self.pages_read)
            .field("in_flight", &self.inflight.len())
            .field("buffered", &self.buffer.len())
            .field("finished", &self.finished)
            .finish()
    }
}

impl<T: Send + 'static> Pages<T> {
    fn new(
        operation: &'static str,
        shape: Shape,
        key: fn(&T) -> String,
        options: PageOptions,
        fetch: Fetch<T>,
    ) -> Self {
        Pages {
            operation,
            fetch,
            key,
            newest_first: None,
            previous_last: None,
            shape,
            options,
            next_page: 0,
            inflight: VecDeque::new(),
            buffer: VecDeque::new(),
            seen_pages: HashSet::new(),
            seen_keys: HashSet::new(),
            pages_read: 0,
            finished: false,
            capped: false,
        }
    }

    fn newest_first(mut self, time: fn(&T) -> Option<Timestamp>) -> Self {
        self.newest_first = Some(time);
        self
    }

    /// How many pages have been read so far.
    ///
    /// ```no_run
    /// use futures_util::{StreamExt as _, TryStreamExt as _};
    ///
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// let mut trail = client.consent_audit("user-123", Default::default());
    /// let first: Vec<_> = trail.by_ref().take(150).try_collect().await?;
    /// println!("{} records from {} page(s)", first.len(), trail.pages_read());
    /// # Ok(()) }
    /// ```
    pub fn pages_read(&self) -> usize {
        self.pages_read
    }

    /// Keeps `prefetch + 1` pages requested (never past the page cap, and one page for single-answer lists).
    fn launch(&mut self) {
        let window = match self.shape {
            Shape::Single => 1,
            _ => self.options.prefetch + 1,
        };
        while !self.finished && self.inflight.len() < window && (self.next_page as usize) < self.options.max_pages {
            if matches!(self.shape, Shape::Single) && self.next_page > 0 {
                break;
            }
            let fetch = self.fetch.clone();
            let page = self.next_page;
            self.inflight.push_back(tokio::spawn(async move { fetch(page).await }));
            self.next_page += 1;
        }
    }

    fn finish(&mut self) {
        self.finished = true;
        for task in self.inflight.drain(..) {
            task.abort();
        }
    }

    /// Takes in one page; returns whether the list ends with it.
    fn accept(&mut self, page: Vec<T>) -> bool {
        self.pages_read += 1;
        if page.is_empty() {
            return true;
        }
        let keys: Vec<String> = page.iter().map(self.key).collect();
        let mut hasher = DefaultHasher::new();
        keys.hash(&mut hasher);
        if !self.seen_pages.insert(hasher.finish()) {
            return true;
        }
        let len = page.len();
        let seen = &mut self.seen_keys;
        let fresh: Vec<T> = page
            .into_iter()
            .zip(keys)
            .filter(|(_, k)| {
                let mut hasher = DefaultHasher::new();
                k.hash(&mut hasher);
                seen.insert(hasher.finish())
            })
            .map(|(item, _)| item)
            .collect();
        if let Some(time) = self.newest_first {
            // Newer than where the previous page ended (shifted duplicates aside): the list started over.
            if let (Some(first), Some(last)) = (fresh.first().and_then(time), &self.previous_last)
                && &first > last
            {
                return true;
            }
            if let Some(last) = fresh.last().and_then(time) {
                self.previous_last = Some(last);
            }
        }
        self.buffer.extend(fresh);
        match self.shape {
            Shape::Single => true,
            Shape::Fixed(size) => len < size,
            Shape::Open => false,
        }
    }
}

// Items are only moved in and out of the buffer, never pinned.
impl<T> Unpin for Pages<T> {}

impl<T> Drop for Pages<T> {
    fn drop(&mut self) {
        for task in self.inflight.drain(..) {
            task.abort();
        }
    }
}

impl<T: Send + 'static> Stream for Pages<T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            if this.capped {
                this.capped = false;
                this.finished = true;
                let pages = this.pages_read;
                return Poll::Ready(Some(Err(Error::PageLimit {
                    pages,
                    context: ErrorContext::operation(this.operation),
                })));
            }
            if this.finished {
                return Poll::Ready(None);
            }
            this.launch();
            let Some(head) = this.inflight.front_mut() else {
                // Nothing left to request: the cap was reached without the list ending.
                this.capped = true;
                continue;
            };
            let joined = match Pin::new(head).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(joined) => joined,
            };
            this.inflight.pop_front();
            match joined {
                Err(e) => {
                    this.finish();
                    let context = ErrorContext::operation(this.operation);
                    return Poll::Ready(Some(Err(Error::Transport {
                        message: format!("page task: {e}"),
                        source: None,
                        context,
                    })));
                }
                Ok(Err(e)) => {
                    this.finish();
                    return Poll::Ready(Some(Err(e)));
                }
                Ok(Ok(page)) => {
                    if this.accept(page) {
                        this.finish();
                    }
                }
            }
        }
    }
}

/// Filters of the card transactions list, checked before any request.
///
/// ```
/// use baanx::api::types::CardMccCategory;
/// use baanx::pagination::{PageOptions, TransactionFilter};
/// # let client = baanx::Client::builder().client_key("pk_test").build().unwrap();
///
/// let filter = TransactionFilter::new().dates("2024-10-01", "2024-10-31").search("coffee");
/// let filter = filter.categories([CardMccCategory::Food]);
/// let october = client.card_transactions(filter, PageOptions::default())?; // checked here, sent when polled
/// # Ok::<(), baanx::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct TransactionFilter {
    date_from: Option<String>,
    date_to: Option<String>,
    search: Option<String>,
    categories: Vec<CardMccCategory>,
}

impl TransactionFilter {
    /// No filter: every transaction, newest first.
    ///
    /// ```
    /// use baanx::pagination::{PageOptions, TransactionFilter};
    /// # let client = baanx::Client::builder().client_key("pk_test").build().unwrap();
    ///
    /// let everything = client.card_transactions(TransactionFilter::new(), PageOptions::default());
    /// assert!(everything.is_ok());
    /// ```
    pub fn new() -> Self {
        TransactionFilter::default()
    }

    /// Transactions from `from` to `to`, both `YYYY-MM-DD` (the API takes them only as a pair).
    ///
    /// ```
    /// use baanx::pagination::{PageOptions, TransactionFilter};
    /// # let client = baanx::Client::builder().client_key("pk_test").build().unwrap();
    ///
    /// let october = TransactionFilter::new().dates("2024-10-01", "2024-10-31");
    /// assert!(client.card_transactions(october, PageOptions::default()).is_ok());
    /// let reversed = TransactionFilter::new().dates("2024-10-31", "2024-10-01");
    /// let err = client.card_transactions(reversed, PageOptions::default()).unwrap_err();
    /// assert!(err.to_string().contains("dateFrom 2024-10-31 is after dateTo 2024-10-01"));
    /// ```
    pub fn dates(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        self.date_from = Some(from.into());
        self.date_to = Some(to.into());
        self
    }

    /// Only `from` (invalid alone: the API needs both dates; kept to report it before sending).
    ///
    /// ```
    /// use baanx::pagination::{PageOptions, TransactionFilter};
    /// # let client = baanx::Client::builder().client_key("pk_test").build().unwrap();
    ///
    /// let from = TransactionFilter::new().date_from("2024-10-01");
    /// assert!(client.card_transactions(from.clone(), PageOptions::default()).is_err()); // dateTo missing
    /// assert!(client.card_transactions(from.date_to("2024-10-31"), PageOptions::default()).is_ok());
    /// ```
    pub fn date_from(mut self, from: impl Into<String>) -> Self {
        self.date_from = Some(from.into());
        self
    }

    /// Only `to` (invalid alone, see [`date_from`](Self::date_from)).
    ///
    /// ```
    /// use baanx::pagination::{PageOptions, TransactionFilter};
    /// # let client = baanx::Client::builder().client_key("pk_test").build().unwrap();
    ///
    /// let filter = TransactionFilter::new().date_from("2024-10-01").date_to("31/10/2024");
    /// let err = client.card_transactions(filter, PageOptions::default()).unwrap_err();
    /// assert!(err.to_string().contains(r#"dateTo "31/10/2024" is not a YYYY-MM-DD date"#));
    /// ```
    pub fn date_to(mut self, to: impl Into<String>) -> Self {
        self.date_to = Some(to.into());
        self
    }

    /// Merchant name or location, case-insensitive substring.
    ///
    /// ```
    /// use baanx::pagination::{PageOptions, TransactionFilter};
    /// # let client = baanx::Client::builder().client_key("pk_test").build().unwrap();
    ///
    /// let coffee = TransactionFilter::new().search("coffee"); // matches "Blue Bottle Coffee, Oakland"
    /// let stream = client.card_transactions(coffee, PageOptions::default())?;
    /// # Ok::<(), baanx::Error>(())
    /// ```
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }

    /// Only these categories (sent comma-separated as `mccCategories`).
    ///
    /// ```
    /// use baanx::api::types::CardMccCategory;
    /// use baanx::pagination::{PageOptions, TransactionFilter};
    /// # let client = baanx::Client::builder().client_key("pk_test").build().unwrap();
    ///
    /// let going_out = TransactionFilter::new().categories([CardMccCategory::Food, CardMccCategory::Entertainment]);
    /// let stream = client.card_transactions(going_out, PageOptions::default())?; // mccCategories=FOOD,ENTERTAINMENT
    /// # Ok::<(), baanx::Error>(())
    /// ```
    pub fn categories(mut self, categories: impl IntoIterator<Item = CardMccCategory>) -> Self {
        self.categories = categories.into_iter().collect();
        self
    }

    fn check(&self) -> Result<(), String> {
        match (&self.date_from, &self.date_to) {
            (Some(_), None) | (None, Some(_)) => return Err("dateFrom and dateTo must be given together".into()),
            (Some(from), Some(to)) => {
                for (name, date) in [("dateFrom", from), ("dateTo", to)] {
                    if !is_iso_date(date) {
                        return Err(format!("{name} {date:?} is not a YYYY-MM-DD date"));
                    }
                }
                if from > to {
                    return Err(format!("dateFrom {from} is after dateTo {to}"));
                }
            }
            (None, None) => {}
        }
        Ok(())
    }
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return false;
    }
    let month: u32 = s[5..7].parse().unwrap_or(0);
    let day: u32 = s[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// Which wallet's history to read.
///
/// ```
/// use baanx::api::types::{WalletCurrency, WalletType};
/// use baanx::pagination::{PageOptions, WalletHistoryQuery};
/// # let client = baanx::Client::builder().client_key("pk_test").build().unwrap();
///
/// let query = WalletHistoryQuery::new("wallet-1", WalletType::Internal).currency(WalletCurrency::Usdc);
/// let history = client.wallet_history(query, PageOptions::default())?; // nothing sent until polled
/// # Ok::<(), baanx::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct WalletHistoryQuery {
    wallet_id: String,
    wallet_type: WalletType,
    currency: Option<WalletCurrency>,
}

impl WalletHistoryQuery {
    /// The history of wallet `wallet_id` (the `id` of the credit, reward or internal wallet).
    ///
    /// ```
    /// use baanx::api::types::WalletType;
    /// use baanx::pagination::{PageOptions, WalletHistoryQuery};
    /// # let client = baanx::Client::builder().client_key("pk_test").build().unwrap();
    ///
    /// let credit = WalletHistoryQuery::new("wallet-1", WalletType::Credit); // no currency needed
    /// assert!(client.wallet_history(credit, PageOptions::default()).is_ok());
    /// let blank = WalletHistoryQuery::new(" ", WalletType::Reward);
    /// assert!(client.wallet_history(blank, PageOptions::default()).is_err());
    /// ```
    pub fn new(wallet_id: impl Into<String>, wallet_type: WalletType) -> Self {
        WalletHistoryQuery { wallet_id: wallet_id.into(), wallet_type, currency: None }
    }

    /// The currency (required for [`WalletType::Internal`]).
    ///
    /// ```
    /// use baanx::api::types::{WalletCurrency, WalletType};
    /// use baanx::pagination::{PageOptions, WalletHistoryQuery};
    /// # let client = baanx::Client::builder().client_key("pk_test").build().unwrap();
    ///
    /// let internal = WalletHistoryQuery::new("wallet-1", WalletType::Internal);
    /// assert!(client.wallet_history(internal.clone(), PageOptions::default()).is_err());
    /// assert!(client.wallet_history(internal.currency(WalletCurrency::Eth), PageOptions::default()).is_ok());
    /// ```
    pub fn currency(mut self, currency: WalletCurrency) -> Self {
        self.currency = Some(currency);
        self
    }
}

fn invalid(operation: &str, message: String) -> Error {
    Error::InvalidRequest { message, context: ErrorContext::operation(operation) }
}

impl Client {
    /// Every card transaction matching `filter`, newest first (0-based pages, de-duplicated by `id`).
    ///
    /// ```
    /// use baanx::pagination::{PageOptions, TransactionFilter};
    /// # let client = baanx::Client::builder().client_key("pk_test").build().unwrap();
    ///
    /// let lone = TransactionFilter::new().date_from("2024-10-01"); // dateTo missing
    /// let err = client.card_transactions(lone, PageOptions::default()).unwrap_err(); // no request made
    /// assert!(matches!(err, baanx::Error::InvalidRequest { .. }));
    /// assert_eq!(err.operation(), Some("list_card_transactions"));
    /// ```
    pub fn card_transactions(
        &self,
        filter: TransactionFilter,
        options: PageOptions,
    ) -> Result<Pages<CardTransaction>, Error> {
        const OPERATION: &str = "list_card_transactions";
        filter.check().map_err(|m| invalid(OPERATION, m))?;
        let (client, filter) = (self.clone(), Arc::new(filter));
        let fetch: Fetch<CardTransaction> = Arc::new(move |page| {
            let (client, filter) = (client.clone(), filter.clone());
            Box::pin(async move {
                let mut request = client.api().list_card_transactions().page(page as i64);
                if let (Some(from), Some(to)) = (&filter.date_from, &filter.date_to) {
                    request = request.date_from(from.clone()).date_to(to.clone());
                }
                if let Some(search) = &filter.search {
                    request = request.search_key(search.clone());
                }
                if !filter.categories.is_empty() {
                    let list: Vec<&str> = filter.categories.iter().map(|c| c.as_str()).collect();
                    request = request.mcc_categories(list.join(","));
                }
                request.call().await
            })
        });
        let key = |tx: &CardTransaction| tx.id.clone().unwrap_or_else(|| format!("{tx:?}"));
        Ok(Pages::new(OPERATION, Shape::Open, key, options, fetch).newest_first(|tx| tx.date_time.clone()))
    }

    /// A wallet's history, newest first (pages of 10). `walletCurrency` is checked for internal wallets before any
    /// request.
    ///
    /// ```
    /// use baanx::api::types::WalletType;
    /// use baanx::pagination::{PageOptions, WalletHistoryQuery};
    /// # let client = baanx::Client::builder().client_key("pk_test").build().unwrap();
    ///
    /// let no_currency = WalletHistoryQuery::new("wallet-1", WalletType::Internal);
    /// let err = client.wallet_history(no_currency, PageOptions::default()).unwrap_err(); // no request made
    /// assert!(err.to_string().contains("walletCurrency is required for INTERNAL wallets"));
    /// assert_eq!(err.operation(), Some("list_wallet_history"));
    /// ```
    pub fn wallet_history(
        &self,
        query: WalletHistoryQuery,
        options: PageOptions,
    ) -> Result<Pages<WalletHistoryEntry>, Error> {
        const OPERATION: &str = "list_wallet_history";
        if query.wallet_type == WalletType::Internal && query.currency.is_none() {
            return Err(invalid(OPERATION, "walletCurrency is required for INTERNAL wallets".into()));
        }
        if query.wallet_id.trim().is_empty() {
            return Err(invalid(OPERATION, "walletId is empty".into()));
        }
        let (client, query) = (self.clone(), Arc::new(query));
        let fetch: Fetch<WalletHistoryEntry> = Arc::new(move |page| {
            let (client, query) = (client.clone(), query.clone());
            Box::pin(async move {
                let mut request = client
                    .api()
                    .list_wallet_history()
                    .wallet_id(query.wallet_id.clone())
                    .wallet_type(query.wallet_type.clone())
                    .page(page.to_string());
                if let Some(currency) = &query.currency {
                    request = request.wallet_currency(currency.clone());
                }
                request.call().await
            })
        });
        // History entries carry no id: the whole entry is the key.
        let key = |e: &WalletHistoryEntry| serde_json::to_string(e).unwrap_or_default();
        Ok(Pages::new(OPERATION, Shape::Fixed(10), key, options, fetch))
    }

    /// A user's consent audit trail (pages of 100 via `limit`/`offset`).
    ///
    /// ```no_run
    /// use baanx::pagination::PageOptions;
    /// use futures_util::TryStreamExt as _;
    ///
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// let records: Vec<_> = client.consent_audit("user-123", PageOptions::default()).try_collect().await?;
    /// println!("{} consent changes", records.len());
    /// # Ok(()) }
    /// ```
    pub fn consent_audit(&self, user_id: impl Into<String>, options: PageOptions) -> Pages<ConsentAuditRecord> {
        const LIMIT: i64 = 100;
        let (client, user_id) = (self.clone(), Arc::new(user_id.into()));
        let fetch: Fetch<ConsentAuditRecord> = Arc::new(move |page| {
            let (client, user_id) = (client.clone(), user_id.clone());
            Box::pin(async move {
                let trail = client
                    .api()
                    .get_consent_audit()
                    .user_id(user_id.as_str())
                    .limit(LIMIT)
                    .offset(page as i64 * LIMIT)
                    .call()
                    .await?;
                Ok(trail.audit_records.unwrap_or_default())
            })
        });
        let key = |r: &ConsentAuditRecord| r.audit_id.clone().unwrap_or_else(|| format!("{r:?}"));
        Pages::new("get_consent_audit", Shape::Fixed(LIMIT as usize), key, options, fetch)
    }

    /// Webhook events, newest first: the API serves at most 100 in one answer and has no way to ask for more.
    ///
    /// ```no_run
    /// use baanx::api::types::WebhookEventStatus;
    /// use futures_util::TryStreamExt as _;
    ///
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// let failed: Vec<_> = client.webhook_events(Some(WebhookEventStatus::Failed)).try_collect().await?;
    /// for event_id in failed.iter().filter_map(|event| event.event_id.as_deref()) {
    ///     client.webhooks().retry(event_id, "wh_123").await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn webhook_events(&self, status: Option<WebhookEventStatus>) -> Pages<WebhookEvent> {
        let client = self.clone();
        let fetch: Fetch<WebhookEvent> = Arc::new(move |_| {
            let (client, status) = (client.clone(), status.clone());
            Box::pin(async move {
                let mut request = client.api().list_webhook_events().limit(100);
                if let Some(status) = status {
                    request = request.status(status);
                }
                Ok(request.call().await?.events.unwrap_or_default())
            })
        });
        let key = |e: &WebhookEvent| e.id.clone().or(e.event_id.clone()).unwrap_or_default();
        Pages::new("list_webhook_events", Shape::Single, key, PageOptions::default(), fetch)
    }

    /// A webhook endpoint's delivery logs (at most 100, in one answer).
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt as _;
    ///
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// let logs: Vec<_> = client.webhook_delivery_logs("wh_123").try_collect().await?;
    /// for log in logs.iter().filter(|log| log.response_status.is_none_or(|status| status >= 300)) {
    ///     println!("{:?} attempt {:?}: {:?}", log.event_id, log.attempt_number, log.error_message);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn webhook_delivery_logs(&self, webhook_id: impl Into<String>) -> Pages<WebhookDeliveryLog> {
        let (client, id) = (self.clone(), Arc::new(webhook_id.into()));
        let fetch: Fetch<WebhookDeliveryLog> = Arc::new(move |_| {
            let (client, id) = (client.clone(), id.clone());
            Box::pin(async move {
                let logs = client.api().list_webhook_delivery_logs().id(id.as_str()).limit(100).call().await?;
                Ok(logs.logs.unwrap_or_default())
            })
        });
        let key = |l: &WebhookDeliveryLog| l.id.clone().unwrap_or_default();
        Pages::new("list_webhook_delivery_logs", Shape::Single, key, PageOptions::default(), fetch)
    }

    /// One event's delivery attempts (in one answer).
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt as _;
    ///
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// let attempts: Vec<_> = client.event_delivery_logs("evt_123").try_collect().await?;
    /// for attempt in &attempts {
    ///     let (number, status) = (attempt.attempt_number, attempt.response_status);
    ///     println!("attempt {number:?}: HTTP {status:?} in {:?} ms", attempt.duration_ms);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn event_delivery_logs(&self, event_id: impl Into<String>) -> Pages<WebhookDeliveryLog> {
        let (client, id) = (self.clone(), Arc::new(event_id.into()));
        let fetch: Fetch<WebhookDeliveryLog> = Arc::new(move |_| {
            let (client, id) = (client.clone(), id.clone());
            Box::pin(async move {
                let logs = client.api().list_event_delivery_logs().event_id(id.as_str()).call().await?;
                Ok(logs.logs.unwrap_or_default())
            })
        });
        let key = |l: &WebhookDeliveryLog| l.id.clone().unwrap_or_default();
        Pages::new("list_event_delivery_logs", Shape::Single, key, PageOptions::default(), fetch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked() {
        assert!(TransactionFilter::new().check().is_ok());
        assert!(TransactionFilter::new().dates("2024-10-01", "2024-10-31").check().is_ok());
        assert!(TransactionFilter::new().date_from("2024-10-01").check().unwrap_err().contains("together"));
        assert!(TransactionFilter::new().date_to("2024-10-01").check().is_err());
        assert!(TransactionFilter::new().dates("2024-13-01", "2024-10-31").check().is_err());
        assert!(TransactionFilter::new().dates("24-10-01", "2024-10-31").check().is_err());
        assert!(TransactionFilter::new().dates("2024-10-31", "2024-10-01").check().unwrap_err().contains("after"));
    }
}
