//! The pages engine: every item of a paginated list, page after page, as a stream with bounded prefetch.
//!
//! [`Pages`] is a [`futures_core::Stream`] of `Result<T, E>`. An SDK gives it a [`Plan`] (how the list is shaped
//! and where it ends) and a fetch function (page number → one page); the generated `.stream(options)` of every
//! paginated request builder does exactly that, keeping the builder's filters for every page.
//!
//! Where a list ends:
//! - an **empty page** ends it;
//! - a page **equal to one already seen** ends it (a page past the end may return page 0 again), and so does a
//!   page that starts with something newer than where the previous page ended (page 0 again, shifted by new
//!   items), for the lists ordered newest first — compared as instants ([`Timestamp`]), never as text;
//! - a **short page** ends it where the page size is fixed, and a list served in one answer is one page;
//! - the answer's own count (**total pages**) ends it when it gives one;
//! - items are **de-duplicated** by key across all pages read (the stream keeps an 8-byte hash per item);
//! - a **page cap** ([`PageOptions::max_pages`], default 10,000) ends a list that never does, with the SDK's
//!   page-limit error.
//!
//! **Prefetch**: while page *n* is consumed, the next pages are already requested, up to
//! [`PageOptions::prefetch`] pages ahead (default 1; 0 = strictly one request at a time). Memory stays
//! O(page size × (prefetch + 1)). Nothing is requested before the first poll, and dropping the stream cancels what
//! is in flight: no request starts after the drop.
//!
//! ```
//! use std::sync::Arc;
//! use cardsdk_runtime::pages::{Page, PageError, PageOptions, Pages, Plan, Shape};
//! use futures_util::TryStreamExt as _;
//!
//! #[derive(Debug)]
//! struct Failed(String);
//! impl PageError for Failed {
//!     fn page_limit(pages: usize, _: &'static str) -> Self { Failed(format!("{pages} pages")) }
//!     fn interrupted(_: &'static str, why: String) -> Self { Failed(why) }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // Pages 1.. of three numbers each; the answer says there are 3 pages.
//! let fetch = Arc::new(|page: u64| -> futures_util::future::BoxFuture<'static, Result<Page<u64>, Failed>> {
//!     Box::pin(async move { Ok(Page::new((page * 10..page * 10 + 3).collect()).total_pages(3)) })
//! });
//! let plan = Plan::new("list_numbers", Shape::Open).first_page(1);
//! let all: Vec<u64> = Pages::new(plan, PageOptions::default(), fetch).try_collect().await.unwrap();
//! assert_eq!(all, [10, 11, 12, 20, 21, 22, 30, 31, 32]);
//! # });
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

use crate::Timestamp;

/// How a list is read.
///
/// ```
/// use cardsdk_runtime::pages::PageOptions;
///
/// let options = PageOptions::default().prefetch(0).max_pages(20); // one request at a time, 20 pages at most
/// assert_eq!(PageOptions::default().max_pages(0), PageOptions::default().max_pages(1)); // at least one page
/// # let _ = options;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
    /// use cardsdk_runtime::pages::PageOptions;
    ///
    /// assert_eq!(PageOptions::default().prefetch(1), PageOptions::default()); // one page ahead by default
    /// let eager = PageOptions::default().prefetch(4); // up to 5 pages in memory
    /// # let _ = eager;
    /// ```
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.prefetch = pages;
        self
    }

    /// The most pages read before the stream gives up with the page-limit error (default 10,000).
    ///
    /// ```
    /// use cardsdk_runtime::pages::PageOptions;
    ///
    /// assert_eq!(PageOptions::default().max_pages(10_000), PageOptions::default());
    /// ```
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.max_pages = pages.max(1);
        self
    }
}

/// How a list's pages end, beyond an empty or repeated page.
///
/// ```
/// use cardsdk_runtime::pages::Shape;
///
/// let wallet_history = Shape::Fixed(10); // a page shorter than 10 is the last
/// # let _ = wallet_history;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shape {
    /// Page numbers with no known size.
    Open,
    /// A fixed page size: a shorter page is the last.
    Fixed(usize),
    /// Everything in one answer.
    Single,
}

/// One page as fetched: its items, and the total page count when the answer gives one.
///
/// ```
/// use cardsdk_runtime::pages::Page;
///
/// let page = Page::new(vec![1, 2]).total_pages(5);
/// assert_eq!(page.items(), &[1, 2]);
/// ```
#[derive(Clone, Debug)]
pub struct Page<T> {
    items: Vec<T>,
    total_pages: Option<u64>,
}

impl<T> Page<T> {
    /// A page of `items`.
    ///
    /// ```
    /// let page = cardsdk_runtime::pages::Page::new(vec!["a"]);
    /// assert_eq!(page.items().len(), 1);
    /// ```
    pub fn new(items: Vec<T>) -> Self {
        Page { items, total_pages: None }
    }

    /// The number of pages the answer says the list has (counted from the first page).
    ///
    /// ```
    /// let page = cardsdk_runtime::pages::Page::new(vec![1]).total_pages(1);
    /// # let _ = page;
    /// ```
    pub fn total_pages(mut self, total: u64) -> Self {
        self.total_pages = Some(total);
        self
    }

    /// The items.
    ///
    /// ```
    /// assert!(cardsdk_runtime::pages::Page::<u8>::new(vec![]).items().is_empty());
    /// ```
    pub fn items(&self) -> &[T] {
        &self.items
    }
}

impl<T> From<Vec<T>> for Page<T> {
    fn from(items: Vec<T>) -> Self {
        Page::new(items)
    }
}

/// The errors the engine itself raises, in the SDK's error type.
///
/// ```
/// use cardsdk_runtime::pages::PageError;
///
/// #[derive(Debug)]
/// enum MyError { Cap(usize), Broken(String) }
/// impl PageError for MyError {
///     fn page_limit(pages: usize, _operation: &'static str) -> Self { MyError::Cap(pages) }
///     fn interrupted(_operation: &'static str, why: String) -> Self { MyError::Broken(why) }
/// }
/// ```
pub trait PageError: Sized + Send + 'static {
    /// The list did not end within the page cap; `pages` were read.
    fn page_limit(pages: usize, operation: &'static str) -> Self;
    /// A page's task failed (it panicked or its runtime stopped).
    fn interrupted(operation: &'static str, why: String) -> Self;
}

/// How one paginated list is read: its operation, first page number, shape, item key and order.
///
/// ```
/// use cardsdk_runtime::pages::{Plan, Shape};
///
/// let plan = Plan::<String>::new("list_card_transactions", Shape::Open).key(|id| id.clone());
/// # let _ = plan;
/// ```
pub struct Plan<T> {
    operation: &'static str,
    first: u64,
    shape: Shape,
    key: Option<fn(&T) -> String>,
    newest_first: Option<fn(&T) -> Option<Timestamp>>,
}

impl<T> Plan<T> {
    /// A plan for `operation` (its id), pages numbered from 0.
    ///
    /// ```
    /// let plan = cardsdk_runtime::pages::Plan::<u8>::new("list_things", cardsdk_runtime::pages::Shape::Single);
    /// # let _ = plan;
    /// ```
    pub fn new(operation: &'static str, shape: Shape) -> Self {
        Plan { operation, first: 0, shape, key: None, newest_first: None }
    }

    /// The first page's number (1 for 1-indexed lists).
    ///
    /// ```
    /// let plan = cardsdk_runtime::pages::Plan::<u8>::new("list_things", cardsdk_runtime::pages::Shape::Open).first_page(1);
    /// # let _ = plan;
    /// ```
    pub fn first_page(mut self, first: u64) -> Self {
        self.first = first;
        self
    }

    /// The key items are de-duplicated by (default: none, no de-duplication).
    ///
    /// ```
    /// let plan = cardsdk_runtime::pages::Plan::<(u8, char)>::new("l", cardsdk_runtime::pages::Shape::Open).key(|t| t.0.to_string());
    /// # let _ = plan;
    /// ```
    pub fn key(mut self, key: fn(&T) -> String) -> Self {
        self.key = Some(key);
        self
    }

    /// For lists ordered newest first: the item's time. A page that starts newer than where the previous one ended
    /// means the list started over.
    ///
    /// ```
    /// let plan = cardsdk_runtime::pages::Plan::<cardsdk_runtime::Timestamp>::new("l", cardsdk_runtime::pages::Shape::Open)
    ///     .newest_first(|t| Some(t.clone()));
    /// # let _ = plan;
    /// ```
    pub fn newest_first(mut self, time: fn(&T) -> Option<Timestamp>) -> Self {
        self.newest_first = Some(time);
        self
    }
}

/// Fetches one page by number.
pub type Fetch<T, E> = Arc<dyn Fn(u64) -> BoxFuture<'static, Result<Page<T>, E>> + Send + Sync>;

/// The items of a paginated list, as a stream. See the [module docs](self).
pub struct Pages<T, E> {
    plan: Plan<T>,
    fetch: Fetch<T, E>,
    /// That time of the last item of the previous page.
    previous_last: Option<Timestamp>,
    options: PageOptions,
    /// Pages requested so far (the next one is `plan.first + requested`).
    requested: u64,
    /// The total the answers gave, once known.
    total: Option<u64>,
    inflight: VecDeque<JoinHandle<Result<Page<T>, E>>>,
    buffer: VecDeque<T>,
    seen_pages: HashSet<u64>,
    seen_keys: HashSet<u64>,
    pages_read: usize,
    finished: bool,
    capped: bool,
}

impl<T, E> fmt::Debug for Pages<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("operation", &self.plan.operation)
            .field("options", &self.options)
            .field("pages_read", &self.pages_read)
            .field("in_flight", &self.inflight.len())
            .field("buffered", &self.buffer.len())
            .field("finished", &self.finished)
            .finish()
    }
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

impl<T: Send + 'static, E: PageError> Pages<T, E> {
    /// A stream reading the list `plan` describes with `fetch`. Nothing is requested before the first poll.
    pub fn new(plan: Plan<T>, options: PageOptions, fetch: Fetch<T, E>) -> Self {
        Pages {
            plan,
            fetch,
            previous_last: None,
            options,
            requested: 0,
            total: None,
            inflight: VecDeque::new(),
            buffer: VecDeque::new(),
            seen_pages: HashSet::new(),
            seen_keys: HashSet::new(),
            pages_read: 0,
            finished: false,
            capped: false,
        }
    }

    /// How many pages have been read so far.
    pub fn pages_read(&self) -> usize {
        self.pages_read
    }

    /// Keeps `prefetch + 1` pages requested (never past the page cap or the known total, one page for
    /// single-answer lists).
    fn launch(&mut self) {
        let window = match self.plan.shape {
            Shape::Single => 1,
            _ => self.options.prefetch + 1,
        };
        while !self.finished && self.inflight.len() < window && (self.requested as usize) < self.options.max_pages {
            if matches!(self.plan.shape, Shape::Single) && self.requested > 0 {
                break;
            }
            if self.total.is_some_and(|total| self.requested >= total) {
                break;
            }
            let fetch = self.fetch.clone();
            let page = self.plan.first + self.requested;
            self.inflight.push_back(tokio::spawn(async move { fetch(page).await }));
            self.requested += 1;
        }
    }

    fn finish(&mut self) {
        self.finished = true;
        for task in self.inflight.drain(..) {
            task.abort();
        }
    }

    /// Takes in one page; returns whether the list ends with it.
    fn accept(&mut self, page: Page<T>) -> bool {
        self.pages_read += 1;
        if let Some(total) = page.total_pages {
            self.total = Some(total);
        }
        let last_by_total = self.total.is_some_and(|total| self.pages_read as u64 >= total);
        let items = page.items;
        if items.is_empty() {
            return true;
        }
        let len = items.len();
        if let Some(key) = self.plan.key {
            let keys: Vec<String> = items.iter().map(key).collect();
            if !self.seen_pages.insert(hash_of(&keys)) {
                return true;
            }
        }
        let (key, seen) = (self.plan.key, &mut self.seen_keys);
        let fresh: Vec<T> =
            items.into_iter().filter(|item| key.is_none_or(|key| seen.insert(hash_of(&key(item))))).collect();
        if let Some(time) = self.plan.newest_first {
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
        last_by_total
            || match self.plan.shape {
                Shape::Single => true,
                Shape::Fixed(size) => len < size,
                Shape::Open => false,
            }
    }
}

// Items are only moved in and out of the buffer, never pinned.
impl<T, E> Unpin for Pages<T, E> {}

impl<T, E> Drop for Pages<T, E> {
    fn drop(&mut self) {
        for task in self.inflight.drain(..) {
            task.abort();
        }
    }
}

impl<T: Send + 'static, E: PageError> Stream for Pages<T, E> {
    type Item = Result<T, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            if this.capped {
                this.capped = false;
                this.finished = true;
                return Poll::Ready(Some(Err(E::page_limit(this.pages_read, this.plan.operation))));
            }
            if this.finished {
                return Poll::Ready(None);
            }
            this.launch();
            let Some(head) = this.inflight.front_mut() else {
                if this.total.is_some_and(|total| this.pages_read as u64 >= total) {
                    this.finished = true;
                    continue;
                }
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
                    return Poll::Ready(Some(Err(E::interrupted(this.plan.operation, format!("page task: {e}")))));
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
