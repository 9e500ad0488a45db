//! What the hooks check before a request leaves: the rules the reference gives that a server would only answer
//! with an error (or, worse, accept), checked on the request as built — whichever way it was built.
//!
//! - every operation: a path parameter of `.`, `..` or nothing would address another resource (URL normalisation
//!   folds it away), so the path must keep the shape of the operation's template;
//! - `list_card_transactions`: `dateFrom` and `dateTo` together, each `YYYY-MM-DD`, in order;
//! - `list_wallet_history`: `walletCurrency` for `INTERNAL` wallets, a `walletId`;
//! - `complete_evm_delegation`: the EIP-4361 message's chain id and address (see [`crate::delegation`]).

use std::collections::HashMap;

/// `Err(reason)` when the request must not be sent. `path` is the request path without the base URL's own path.
pub(crate) fn before_send(
    operation: &crate::operation::Operation,
    path: &str,
    request: &reqwest::Request,
) -> Result<(), String> {
    if !path_matches(path, operation.path) {
        return Err("a path parameter cannot be empty, `.` or `..` (it would address another resource)".into());
    }
    match operation.id {
        "list_card_transactions" => dates(&query(request)),
        "list_wallet_history" => wallet_history(&query(request)),
        "complete_evm_delegation" => match request.body().and_then(|b| b.as_bytes()) {
            Some(body) => crate::delegation::check_before_send(body),
            None => Err("the post-approval has no body".into()),
        },
        _ => Ok(()),
    }
}

fn query(request: &reqwest::Request) -> HashMap<String, String> {
    request.url().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn dates(query: &HashMap<String, String>) -> Result<(), String> {
    match (query.get("dateFrom"), query.get("dateTo")) {
        (Some(_), None) | (None, Some(_)) => Err("dateFrom and dateTo must be given together".into()),
        (Some(from), Some(to)) => {
            for (name, date) in [("dateFrom", from), ("dateTo", to)] {
                if !is_iso_date(date) {
                    return Err(format!("{name} {date:?} is not a YYYY-MM-DD date"));
                }
            }
            if from > to {
                return Err(format!("dateFrom {from} is after dateTo {to}"));
            }
            Ok(())
        }
        (None, None) => Ok(()),
    }
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return false;
    }
    let month: u32 = s[5..7].parse().unwrap_or(0);
    let day: u32 = s[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

fn wallet_history(query: &HashMap<String, String>) -> Result<(), String> {
    if query.get("walletId").is_none_or(|id| id.trim().is_empty()) {
        return Err("walletId is empty".into());
    }
    let internal = query.get("walletType").is_some_and(|t| t.eq_ignore_ascii_case("INTERNAL"));
    if internal && query.get("walletCurrency").is_none_or(|c| c.trim().is_empty()) {
        return Err("walletCurrency is required for INTERNAL wallets".into());
    }
    Ok(())
}

/// Whether a request path still has the shape of the operation's template: the same number of segments, the
/// literal ones equal. A parameter of `.` or `..` (which URL normalisation folds away) or an empty one breaks it.
fn path_matches(path: &str, template: &str) -> bool {
    let mut actual = path.split('/');
    let mut expected = template.split('/');
    loop {
        match (actual.next(), expected.next()) {
            (None, None) => return true,
            (Some(a), Some(e)) if e.starts_with('{') && e.ends_with('}') => {
                if a.is_empty()
                    || a == "."
                    || a == ".."
                    || a.eq_ignore_ascii_case("%2e")
                    || a.eq_ignore_ascii_case("%2e%2e")
                {
                    return false;
                }
            }
            (Some(a), Some(e)) if a == e => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn date_ranges() {
        assert!(dates(&q(&[])).is_ok());
        assert!(dates(&q(&[("dateFrom", "2024-10-01"), ("dateTo", "2024-10-31")])).is_ok());
        assert_eq!(dates(&q(&[("dateFrom", "2024-10-01")])).unwrap_err(), "dateFrom and dateTo must be given together");
        assert!(dates(&q(&[("dateFrom", "2024-10-31"), ("dateTo", "2024-10-01")])).unwrap_err().contains("is after"));
        assert!(dates(&q(&[("dateFrom", "2024/10/01"), ("dateTo", "2024-10-31")])).unwrap_err().contains("YYYY-MM-DD"));
        assert!(dates(&q(&[("dateFrom", "2024-13-01"), ("dateTo", "2024-13-02")])).is_err());
    }

    #[test]
    fn wallets_and_paths() {
        assert!(wallet_history(&q(&[("walletId", "w"), ("walletType", "INTERNAL")])).is_err());
        assert!(
            wallet_history(&q(&[("walletId", "w"), ("walletType", "INTERNAL"), ("walletCurrency", "usdc")])).is_ok()
        );
        assert!(wallet_history(&q(&[("walletId", " "), ("walletType", "CREDIT")])).is_err());
        assert!(path_matches("/v1/webhooks/abc", "/v1/webhooks/{id}"));
        assert!(!path_matches("/v1/", "/v1/webhooks/{id}"));
        assert!(!path_matches("/v1/webhooks/", "/v1/webhooks/{id}"));
        assert!(!path_matches("/v1/webhooks/abc/logs", "/v1/webhooks/{id}"));
    }
}
