//! 100,000 card transactions (1,000 pages of 100) through `list_card_transactions().stream()`, from a loopback server
//! answering each page after 5 ms:
//! - throughput with prefetch 0 (one request at a time) and prefetch 1 (the next page in flight);
//! - peak heap while streaming (printed once), against collecting the same list into a `Vec`.
//!
//! `cargo bench --bench pagination`. The server runs in the same process, so its per-request buffers count in the
//! peak too.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use baanx::auth::{Session, TokenSet};
use baanx::pagination::PageOptions;
use baanx::{Client, Environment, Region};
use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::TryStreamExt as _;
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const PAGES: u64 = 1_000;
const PER_PAGE: u64 = 100;
const LATENCY: Duration = Duration::from_millis(5);

fn page(n: u64) -> String {
    if n >= PAGES {
        return "[]".into();
    }
    let items: Vec<String> = (0..PER_PAGE)
        .map(|i| {
            let id = n * PER_PAGE + i;
            format!(
                r#"{{"id":"tx-{id:08}","cardId":"000000000050277836","panLast4":"1234","transactionId":"{id}","dateTime":"2024-10-14T10:44:36.276Z","sign":"DEBIT","merchantNameLocation":"SHOP {id}, LONDON","merchantType":"InStore","mcc":5964,"mccCategory":"MISC","transactionCurrency":"EUR","amountInTransactionCurrency":"{}.{:02}","feesInTransactionCurrency":"0","originalCurrency":"USD","amountInOriginalCurrency":"0.85","feesInOriginalCurrency":"0","billingConversionRate":"0.9294117647058824","ecbRate":"0.9161704076958315","status":"CONFIRMED","declineReason":"","fundingSources":[]}}"#,
                id % 97,
                id % 100
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

fn server(runtime: &tokio::runtime::Runtime) -> SocketAddr {
    runtime.block_on(async {
        let app = axum::Router::new().route(
            "/v1/card/transactions",
            axum::routing::get(|query: axum::extract::Query<std::collections::HashMap<String, String>>| async move {
                let n: u64 = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
                tokio::time::sleep(LATENCY).await;
                ([("content-type", "application/json")], page(n))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    })
}

fn client(addr: SocketAddr) -> Client {
    let client = Client::builder()
        .environment(Environment::Custom(format!("http://{addr}")))
        .client_key("pk_bench")
        .build()
        .unwrap();
    let tokens =
        TokenSet::new("access-bench", SystemTime::now() + Duration::from_secs(6 * 3600), Region::International);
    client.with_session(Session::from_tokens(tokens).unwrap())
}

async fn stream_all(client: &Client, prefetch: usize) -> (u64, baanx::Decimal) {
    client
        .api()
        .list_card_transactions()
        .stream(PageOptions::default().prefetch(prefetch))
        .try_fold((0u64, baanx::Decimal::ZERO), |(n, sum), tx| async move {
            Ok((n + 1, sum + tx.amount_in_transaction_currency.unwrap_or_default()))
        })
        .await
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let addr = server(&runtime);
    let client = client(addr);

    // Peak heap, measured once: streaming keeps a page or two; collecting keeps everything.
    runtime.block_on(async {
        for prefetch in [0, 1] {
            let base = HEAP.current_usage();
            HEAP.reset_peak_usage();
            let (n, sum) = stream_all(&client, prefetch).await;
            assert_eq!(n, PAGES * PER_PAGE);
            println!(
                "memory: prefetch {prefetch}: {n} transactions (total {sum}), peak heap above baseline {:.0} KiB",
                (HEAP.peak_usage().saturating_sub(base)) as f64 / 1024.0
            );
        }
        let base = HEAP.current_usage();
        HEAP.reset_peak_usage();
        let all: Vec<_> =
            client.api().list_card_transactions().stream(PageOptions::default()).try_collect().await.unwrap();
        println!(
            "memory: collecting all {} into a Vec: peak heap above baseline {:.0} KiB",
            all.len(),
            (HEAP.peak_usage().saturating_sub(base)) as f64 / 1024.0
        );
    });

    let mut group = c.benchmark_group("stream_100k_transactions_5ms_pages");
    group.sample_size(10).measurement_time(Duration::from_secs(60)).warm_up_time(Duration::from_secs(1));
    for prefetch in [0, 1] {
        group.bench_function(format!("prefetch_{prefetch}"), |b| {
            b.to_async(&runtime).iter(|| async { stream_all(&client, prefetch).await })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
