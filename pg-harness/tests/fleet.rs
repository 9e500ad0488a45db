//! `instances::{Fleet, serve}` for real: this binary re-executed as 3 workers, orders over stdin, answers over
//! stdout. A custom harness (a worker is this binary run without arguments, so libtest's own output would mix
//! with its answers); it answers `--list` as libtest does, so that cargo-nextest can run it too.

use std::time::Duration;

use pg_harness::instances::{Fleet, serve};

const ROLE: &str = "PG_HARNESS_FLEET_TEST_ROLE";
const NAME: &str = "rounds_sum_every_workers_figures";

fn main() {
    if std::env::var_os(ROLE).is_some() {
        // A worker: per order, figures (1, the order's length, the configured number).
        let number: u64 = std::env::var("PG_HARNESS_FLEET_NUMBER").unwrap().parse().unwrap();
        serve(|order| {
            let length = order.len() as u64;
            move || {
                std::thread::sleep(Duration::from_millis(20));
                vec![1, length, number]
            }
        });
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        if !args.iter().any(|a| a == "--ignored") {
            println!("{NAME}: test");
        }
        return;
    }
    if args.iter().any(|a| !a.starts_with('-') && !NAME.contains(a.as_str())) {
        println!("running 0 tests (filtered out)");
        return;
    }
    let mut fleet = Fleet::start(3, &[(ROLE, "worker".to_string()), ("PG_HARNESS_FLEET_NUMBER", "7".to_string())]);
    let round = fleet.round("abc");
    assert_eq!(round.figures, [3, 9, 21], "summed position by position over the 3 workers");
    assert!(round.took >= Duration::from_millis(20), "timed from go to the last done: {:?}", round.took);
    let round = fleet.round("a longer order");
    assert_eq!(round.figures, [3, 42, 21]);
    drop(fleet); // closes the workers' stdin: each order loop ends and the worker exits (else this hangs)
    println!("test {NAME} ... ok");
}
