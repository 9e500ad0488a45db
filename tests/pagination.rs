//! Pagination streams against a real HTTP server on 127.0.0.1, counting and timing the page requests.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baanx::api::types::{CardMccCategory, WalletType};
use baanx::pagination::PageOptions;
use baanx::{Client, Error, Region};
use common::*;
use futures_util::{StreamExt as _, TryStreamExt as _};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn tx(id: u32) -> Value {
    json!({"id": format!("tx-{id}"), "amountInTransactionCurrency": format!("{id}.01"), "sign": "DEBIT"})
}

/// Serves card transaction pages from `pages(page_number)`, recording when each page was asked for.
struct PageServer {
    server: MockServer,
    asked: Arc<Mutex<Vec<(u64, Instant)>>>,
}

impl PageServer {
    async fn start(delay: Duration, pages: impl Fn(u64) -> Vec<Value> + Send + Sync + 'static) -> Self {
        let server = MockServer::start().await;
        let asked = Arc::new(Mutex::new(Vec::new()));
        let a = asked.clone();
        Mock::given(method("GET"))
            .and(path("/v1/card/transactions"))
            .respond_with(move |r: &Request| {
                let page: u64 =
                    r.url.query_pairs().find(|(k, _)| k == "page").map(|(_, v)| v.parse().unwrap()).unwrap();
                a.lock().unwrap().push((page, Instant::now()));
                ResponseTemplate::new(200).set_body_json(Value::Array(pages(page))).set_delay(delay)
            })
            .mount(&server)
            .await;
        PageServer { server, asked }
    }

    fn client(&self) -> Client {
        client(&self.server).with_session(oauth_session("a0", "r0", Duration::from_secs(3600), Region::International))
    }

    fn pages_asked(&self) -> Vec<u64> {
        let mut pages: Vec<u64> = self.asked.lock().unwrap().iter().map(|(p, _)| *p).collect();
        pages.sort();
        pages
    }
}

async fn ids(client: &Client, options: PageOptions) -> Result<Vec<String>, Error> {
    let txs: Vec<_> = client.api().list_card_transactions().stream(options).try_collect().await?;
    Ok(txs.into_iter().map(|t| t.id.unwrap()).collect())
}

#[tokio::test]
async fn an_empty_page_ends_the_list() {
    let s = PageServer::start(Duration::ZERO, |page| {
        if page < 3 { (page as u32 * 5..page as u32 * 5 + 5).map(tx).collect() } else { vec![] }
    })
    .await;
    let got = ids(&s.client(), PageOptions::default().prefetch(0)).await.unwrap();
    assert_eq!(got.len(), 15);
    assert_eq!(got.first().unwrap(), "tx-0");
    assert_eq!(s.pages_asked(), [0, 1, 2, 3], "strictly sequential: one page past the end, no more");
    // With prefetch the same items arrive; at most `prefetch` extra pages are asked for past the end.
    let with = ids(&s.client(), PageOptions::default().prefetch(2)).await.unwrap();
    assert_eq!(with, got);
}

#[tokio::test]
async fn a_page_seen_before_ends_the_list() {
    // The docs: a page past the end returns page 0 again.
    let s = PageServer::start(Duration::ZERO, |page| {
        let page = if page >= 3 { 0 } else { page as u32 };
        (page * 4..page * 4 + 4).map(tx).collect()
    })
    .await;
    let got = ids(&s.client(), PageOptions::default().prefetch(0)).await.unwrap();
    assert_eq!(got.len(), 12, "pages 0-2 once each");
    assert_eq!(s.pages_asked(), [0, 1, 2, 3]);
}

#[tokio::test]
async fn items_shifted_across_pages_are_not_repeated() {
    // A new purchase arrives between page reads: page 1 starts with the last item of page 0.
    let s = PageServer::start(Duration::ZERO, |page| match page {
        0 => (0..5).map(tx).collect(),
        1 => (4..9).map(tx).collect(),
        2 => (8..10).map(tx).collect(),
        _ => vec![],
    })
    .await;
    let got = ids(&s.client(), PageOptions::default()).await.unwrap();
    let expected: Vec<String> = (0..10).map(|i| format!("tx-{i}")).collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn the_page_cap_ends_an_endless_list_with_an_error() {
    let s = PageServer::start(Duration::ZERO, |page| vec![tx(page as u32)]).await;
    let mut stream = s.client().api().list_card_transactions().stream(PageOptions::default().max_pages(5));
    let mut items = 0;
    let mut last = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(_) => items += 1,
            Err(e) => last = Some(e),
        }
    }
    assert_eq!(items, 5);
    assert!(matches!(last, Some(Error::PageLimit { pages: 5, .. })), "{last:?}");
    assert_eq!(s.pages_asked(), [0, 1, 2, 3, 4], "never past the cap");
}

#[tokio::test]
async fn prefetch_requests_the_next_page_while_the_current_one_is_consumed() {
    let delay = Duration::from_millis(150);
    let s = PageServer::start(delay, |page| if page < 4 { vec![tx(page as u32)] } else { vec![] }).await;
    let gap = |asked: &[(u64, Instant)], a: u64, b: u64| {
        let at = |p| asked.iter().find(|(q, _)| *q == p).unwrap().1;
        at(b).saturating_duration_since(at(a))
    };

    ids(&s.client(), PageOptions::default().prefetch(0)).await.unwrap();
    let sequential = s.asked.lock().unwrap().clone();
    assert!(gap(&sequential, 0, 1) >= delay, "prefetch 0: page 1 asked only after page 0 arrived");
    s.asked.lock().unwrap().clear();

    let started = Instant::now();
    ids(&s.client(), PageOptions::default().prefetch(1)).await.unwrap();
    let elapsed = started.elapsed();
    let prefetched = s.asked.lock().unwrap().clone();
    assert!(gap(&prefetched, 0, 1) < delay / 2, "prefetch 1: page 1 in flight while page 0 is read");
    assert!(elapsed < delay * 5, "5 pages of {delay:?} in {elapsed:?}: overlapped");
}

#[tokio::test]
async fn take_and_early_drop_stop_the_requests() {
    let s =
        PageServer::start(Duration::from_millis(50), |page| (page as u32 * 3..page as u32 * 3 + 3).map(tx).collect())
            .await;
    let client = s.client();
    let first: Vec<_> =
        client.api().list_card_transactions().stream(PageOptions::default()).take(4).try_collect().await.unwrap();
    assert_eq!(first.len(), 4);
    // Dropped after 2 pages' worth: at most the pages in flight at the drop were asked for.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after_drop = s.pages_asked();
    assert!(after_drop.len() <= 3, "{after_drop:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.pages_asked(), after_drop, "no request after the drop");

    // Never polled: never requests.
    s.asked.lock().unwrap().clear();
    let unpolled = client.api().list_card_transactions().stream(PageOptions::default());
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(unpolled);
    assert!(s.pages_asked().is_empty());
}

#[tokio::test]
async fn filters_are_sent_and_checked_before_any_request() {
    let s = PageServer::start(Duration::ZERO, |_| vec![]).await;
    let client = s.client();
    let only_from = client.api().list_card_transactions().date_from("2024-10-01").stream(PageOptions::default());
    let bad_date = client
        .api()
        .list_card_transactions()
        .date_from("2024-10-01")
        .date_to("20241031")
        .stream(PageOptions::default());
    for stream in [only_from, bad_date] {
        let items: Vec<Result<_, Error>> = stream.collect().await;
        assert!(matches!(items.as_slice(), [Err(Error::InvalidRequest { .. })]), "{items:?}");
    }
    let internal = client
        .api()
        .list_wallet_history()
        .wallet_id("w1")
        .wallet_type(WalletType::Internal)
        .stream(PageOptions::default());
    let items: Vec<Result<_, Error>> = internal.collect().await;
    assert!(items[0].as_ref().unwrap_err().to_string().contains("walletCurrency"), "{items:?}");
    assert!(s.server.received_requests().await.unwrap().is_empty(), "nothing sent");

    let categories = [CardMccCategory::Food, CardMccCategory::Entertainment].map(|c| c.to_string()).join(",");
    let _: Vec<_> = client
        .api()
        .list_card_transactions()
        .date_from("2024-10-01")
        .date_to("2024-10-31")
        .search_key("PayPal")
        .mcc_categories(categories)
        .stream(PageOptions::default())
        .try_collect()
        .await
        .unwrap();
    let sent = s.server.received_requests().await.unwrap();
    assert!(!sent.is_empty());
    for request in &sent {
        let query = request.url.query().unwrap();
        for part in [
            "dateFrom=2024-10-01",
            "dateTo=2024-10-31",
            "searchKey=PayPal",
            "mccCategories=FOOD%2CENTERTAINMENT",
            "page=",
        ] {
            assert!(query.contains(part), "{part} missing from {query}: the filters are kept for every page");
        }
    }
}

#[tokio::test]
async fn a_failing_page_ends_the_stream_with_its_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/card/transactions"))
        .respond_with(|r: &Request| match r.url.query_pairs().find(|(k, _)| k == "page").unwrap().1.as_ref() {
            "0" => ResponseTemplate::new(200).set_body_json(json!([tx(1)])),
            _ => ResponseTemplate::new(500).set_body_json(json!({"message": "boom"})),
        })
        .mount(&server)
        .await;
    let client =
        client(&server).with_session(oauth_session("a0", "r0", Duration::from_secs(3600), Region::International));
    let items: Vec<Result<_, Error>> =
        client.api().list_card_transactions().stream(PageOptions::default()).collect().await;
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    assert!(matches!(&items[1], Err(Error::Api { status: 500, .. })), "{:?}", items[1]);
}

#[tokio::test]
async fn wallet_history_ends_on_a_short_page_and_consent_audit_uses_offsets() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/wallet/history"))
        .respond_with(|r: &Request| {
            let page: u32 = r.url.query_pairs().find(|(k, _)| k == "page").unwrap().1.parse().unwrap();
            let n = if page < 2 { 10 } else { 4 };
            let entries: Vec<Value> =
                (0..n).map(|i| json!({"name": format!("p{page}-{i}"), "amount": "1.00", "sign": "debit"})).collect();
            ResponseTemplate::new(200).set_body_json(entries)
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/consent/user/u1/audit"))
        .respond_with(|r: &Request| {
            let offset: u32 = r.url.query_pairs().find(|(k, _)| k == "offset").unwrap().1.parse().unwrap();
            let n = if offset < 200 { 100 } else { 7 };
            let records: Vec<Value> =
                (0..n).map(|i| json!({"auditId": format!("a{}", offset + i), "action": "created"})).collect();
            ResponseTemplate::new(200).set_body_json(json!({"userId": "u1", "auditRecords": records}))
        })
        .mount(&server)
        .await;
    let client = builder(&server).secret_key(SECRET_KEY).build().unwrap().with_session(oauth_session(
        "a0",
        "r0",
        Duration::from_secs(3600),
        Region::International,
    ));
    let entries: Vec<_> = client
        .api()
        .list_wallet_history()
        .wallet_id("w1")
        .wallet_type(WalletType::Internal)
        .wallet_currency(baanx::api::types::WalletCurrency::Usdc)
        .stream(PageOptions::default().prefetch(0))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(entries.len(), 24);
    let history = requests_to(&server, "/v1/wallet/history").await;
    assert_eq!(history.len(), 3, "the short third page ends the list without asking for a fourth");
    assert!(history[0].url.query().unwrap().contains("walletCurrency=usdc"));

    let records: Vec<_> = client
        .api()
        .get_consent_audit()
        .user_id("u1")
        .stream(PageOptions::default().prefetch(0))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(records.len(), 207);
    let audit = requests_to(&server, "/v2/consent/user/u1/audit").await;
    let offsets: Vec<String> =
        audit.iter().map(|r| r.url.query_pairs().find(|(k, _)| k == "offset").unwrap().1.into_owned()).collect();
    assert_eq!(offsets, ["0", "100", "200"]);
}

#[tokio::test]
async fn webhook_lists_are_one_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/webhooks/events"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"total": 250, "events": [{"id": "e1"}, {"id": "e2"}]})),
        )
        .mount(&server)
        .await;
    let client =
        client(&server).with_session(oauth_session("a0", "r0", Duration::from_secs(3600), Region::International));
    let events: Vec<_> = client.api().list_webhook_events().stream(PageOptions::default()).try_collect().await.unwrap();
    assert_eq!(events.len(), 2);
    let sent = requests_to(&server, "/v1/webhooks/events").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url.query(), Some("limit=100"));
}
