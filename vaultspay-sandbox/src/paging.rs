//! Page-based lists: `?page=` (1-indexed, default 1) and `?perPage=` (default 20, at most 100), answered with a
//! sibling `pagination {currentPage, perPage, totalPages, totalCount, sort}`. Lists are sorted `id: DESC`.

use cardsdk_sandbox_kit::Query;
use serde::Serialize;

use crate::errors::{ApiError, ApiResult};

/// Default page size (every example of the docs shows 20).
pub(crate) const DEFAULT_PER_PAGE: usize = 20;
/// Largest page size accepted.
pub(crate) const MAX_PER_PAGE: usize = 100;

/// The `pagination` object.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Pagination {
    pub(crate) current_page: usize,
    pub(crate) per_page: usize,
    pub(crate) total_pages: usize,
    pub(crate) total_count: usize,
    pub(crate) sort: &'static str,
}

/// The requested page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageRequest {
    pub(crate) page: usize,
    pub(crate) per_page: usize,
}

fn positive(q: &Query, name: &str, default: usize, max: usize) -> ApiResult<usize> {
    match q.non_empty(name) {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid_payload(name, format!("must be an integer between 1 and {max}"))),
        },
    }
}

/// Reads `page` and `perPage` (422 / 1000 naming the parameter when out of range).
pub(crate) fn request(q: &Query) -> ApiResult<PageRequest> {
    Ok(PageRequest {
        page: positive(q, "page", 1, usize::MAX)?,
        per_page: positive(q, "perPage", DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
    })
}

/// One page of `items` (already in order); a page past the end is empty.
pub(crate) fn slice<T>(items: Vec<T>, p: PageRequest) -> (Vec<T>, Pagination) {
    let total = items.len();
    let pages = total.div_ceil(p.per_page);
    let start = (p.page - 1).saturating_mul(p.per_page);
    let page: Vec<T> = items.into_iter().skip(start).take(p.per_page).collect();
    (
        page,
        Pagination {
            current_page: p.page,
            per_page: p.per_page,
            total_pages: pages,
            total_count: total,
            sort: "id: DESC",
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        let q = Query::parse(Some("page=2&perPage=3"));
        let (items, p) = slice((1..=7).collect::<Vec<_>>(), request(&q).unwrap());
        assert_eq!(items, [4, 5, 6]);
        assert_eq!((p.total_pages, p.total_count, p.current_page), (3, 7, 2));
        let (items, _) = slice((1..=7).collect::<Vec<_>>(), PageRequest { page: 9, per_page: 3 });
        assert!(items.is_empty());
        assert!(request(&Query::parse(Some("page=0"))).is_err());
        assert!(request(&Query::parse(Some("perPage=101"))).is_err());
        assert_eq!(request(&Query::parse(None)).unwrap(), PageRequest { page: 1, per_page: 20 });
    }
}
