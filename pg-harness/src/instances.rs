//! The OS processes of a many-instances test or bench.
//!
//! - Tests: the test binary re-executed ([`spawn`]), each copy running one `#[ignore]`d entry test (which reads
//!   its role from the environment) and reporting on stdout in lines marked `@@` ([`finish`], [`marked`],
//!   [`figures`]).
//! - Benches: [`Worker`], the bench binary re-executed once and kept up across rounds (so that process start is
//!   not measured), taking orders on stdin and answering on stdout, a line each; a [`Fleet`] of them run in
//!   timed rounds (the workers' side: [`serve`]); [`paired`] compares kinds of round; [`bench_rounds`] runs
//!   the instances benches' three kinds ([`Kind`]) under criterion and paired.
//!
//! ```no_run
//! use pg_harness::instances;
//!
//! let children: Vec<_> =
//!     (0..4).map(|i| instances::spawn("child", [("ROLE", "calls".to_string()), ("INDEX", i.to_string())])).collect();
//! for stdout in instances::finish(children, false) {
//!     let figures = instances::figures(&stdout); // from the child's `@@RESULT ok=250 failed=0` line
//!     assert_eq!(figures["failed"], 0);
//! }
//! ```

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts this test binary's `#[ignore]`d test `entry` (alone, output not captured) in a child process with
/// `env` added to this process's environment; its stdout and stderr are piped.
///
/// # Panics
///
/// When the child cannot be started (a test harness: there is nothing else to do).
pub fn spawn<K, V>(entry: &str, env: impl IntoIterator<Item = (K, V)>) -> Child
where
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    let exe = std::env::current_exe().expect("the test binary's path");
    Command::new(exe)
        .args([entry, "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("a child test process")
}

/// Waits for every child and returns each one's stdout, in order.
///
/// # Panics
///
/// When a child failed: it exited unsuccessfully or — unless `may_end_early` (a child that exits on purpose
/// before its test harness reports) — its test did not report `1 passed`. The message quotes the child's stdout
/// and stderr.
pub fn finish(children: Vec<Child>, may_end_early: bool) -> Vec<String> {
    children
        .into_iter()
        .enumerate()
        .map(|(i, child)| {
            let out = child.wait_with_output().expect("a child test process's output");
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                out.status.success() && (may_end_early || stdout.contains("1 passed")),
                "child {i} failed: {}\n{stdout}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            stdout
        })
        .collect()
}

/// The text after `@@` of each marked line of a child's stdout (the test harness writes `test child ... `
/// before the first line the test prints, on the same line).
///
/// ```
/// let stdout = "running 1 test\ntest child ... @@WIN 3\n@@CONFLICT\nok\n";
/// assert_eq!(pg_harness::instances::marked(stdout), ["WIN 3", "CONFLICT"]);
/// ```
pub fn marked(stdout: &str) -> Vec<String> {
    stdout.lines().filter_map(|l| l.find("@@").map(|at| l[at + 2..].to_owned())).collect()
}

/// The figures of a child's `@@RESULT name=value …` line.
///
/// ```
/// let figures = pg_harness::instances::figures("test child ... @@RESULT ok=250 failed=0\nok\n");
/// assert_eq!((figures["ok"], figures["failed"]), (250, 0));
/// ```
///
/// # Panics
///
/// When there is no such line or a figure is not `name=<unsigned number>`.
pub fn figures(stdout: &str) -> BTreeMap<String, u64> {
    let line = marked(stdout)
        .into_iter()
        .find_map(|l| l.strip_prefix("RESULT ").map(str::to_owned))
        .unwrap_or_else(|| panic!("no @@RESULT line in: {stdout}"));
    line.split_whitespace()
        .map(|figure| {
            let (name, value) = figure.split_once('=').unwrap_or_else(|| panic!("not name=value: {figure:?}"));
            (name.to_string(), value.parse().unwrap_or_else(|_| panic!("not a count: {figure:?}")))
        })
        .collect()
}

/// A long-lived child process of a bench: this binary again, without arguments (the bench's own `main` picks the
/// worker's part from `env`), taking orders on stdin and answering on stdout, a line each; its stderr is this
/// process's. Dropping it closes its stdin (its order loop ends) and waits for it.
///
/// ```no_run
/// # fn bench() {}
/// # fn worker() {}
/// fn main() {
///     if std::env::var_os("MY_BENCH_ROLE").is_some() {
///         // The worker: answers each order until stdin closes.
///         for order in std::io::stdin().lines() {
///             println!("done {}", order.unwrap());
///         }
///         return;
///     }
///     let mut worker = pg_harness::instances::Worker::spawn([("MY_BENCH_ROLE", "worker")]);
///     worker.send("round 1");
///     assert_eq!(worker.answer(), "done round 1");
/// }
/// ```
#[derive(Debug)]
pub struct Worker {
    child: Child,
    orders: Option<ChildStdin>,
    answers: BufReader<ChildStdout>,
}

impl Worker {
    /// Starts the worker with `env` added to this process's environment.
    ///
    /// # Panics
    ///
    /// When it cannot be started.
    pub fn spawn<K, V>(env: impl IntoIterator<Item = (K, V)>) -> Worker
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let exe = std::env::current_exe().expect("the bench binary's path");
        let mut child = Command::new(exe)
            .envs(env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("a worker process");
        let orders = child.stdin.take();
        let answers = BufReader::new(child.stdout.take().expect("the worker's piped stdout"));
        Worker { child, orders, answers }
    }

    /// Sends one order line.
    ///
    /// # Panics
    ///
    /// When the worker is gone.
    pub fn send(&mut self, line: &str) {
        let orders = self.orders.as_mut().expect("the worker's stdin");
        writeln!(orders, "{line}").and_then(|()| orders.flush()).expect("the worker takes orders");
    }

    /// Reads the next answer line (without its line end).
    ///
    /// # Panics
    ///
    /// When the worker ended (its stdout closed).
    pub fn answer(&mut self) -> String {
        let mut line = String::new();
        let read = self.answers.read_line(&mut line).expect("the worker's answer");
        assert!(read > 0, "the worker ended (see its stderr above)");
        line.trim_end().to_string()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.orders.take());
        let _ = self.child.wait();
    }
}

/// [`Worker`]s driven in rounds: every worker prepares, then all start at once on "go"; the round's time runs
/// from "go" to the last "done". The worker's side is [`serve`].
#[derive(Debug)]
pub struct Fleet {
    workers: Vec<Worker>,
}

/// What a [`Fleet::round`] measured.
#[derive(Debug, Clone)]
pub struct Round {
    /// From "go" to the last worker's "done".
    pub took: Duration,
    /// The figures of the workers' "done" answers, summed position by position.
    pub figures: Vec<u64>,
}

impl Fleet {
    /// Starts `count` workers with `env` and waits until each is up.
    ///
    /// # Panics
    ///
    /// When a worker cannot be started or ends before it is up.
    pub fn start(count: usize, env: &[(&str, String)]) -> Fleet {
        let mut workers: Vec<Worker> = (0..count).map(|_| Worker::spawn(env.iter().cloned())).collect();
        for worker in &mut workers {
            assert_eq!(worker.answer(), "up", "a worker's first answer");
        }
        Fleet { workers }
    }

    /// One round: `prepare <order>` to every worker; once each answered "ready", "go" to each; then every
    /// worker's "done <figures…>".
    ///
    /// # Panics
    ///
    /// When a worker ends or answers out of turn.
    pub fn round(&mut self, order: &str) -> Round {
        for worker in &mut self.workers {
            worker.send(&format!("prepare {order}"));
        }
        for worker in &mut self.workers {
            assert_eq!(worker.answer(), "ready");
        }
        let started = Instant::now();
        for worker in &mut self.workers {
            worker.send("go");
        }
        let answers: Vec<String> = self.workers.iter_mut().map(Worker::answer).collect();
        let took = started.elapsed();
        let mut figures: Vec<u64> = Vec::new();
        for answer in answers {
            let done = answer.strip_prefix("done").unwrap_or_else(|| panic!("not a done answer: {answer:?}"));
            for (i, figure) in done.split_whitespace().enumerate() {
                let figure: u64 = figure.parse().unwrap_or_else(|_| panic!("not a count: {answer:?}"));
                match figures.get_mut(i) {
                    Some(sum) => *sum += figure,
                    None => figures.push(figure),
                }
            }
        }
        Round { took, figures }
    }
}

/// The worker's side of a [`Fleet`]: answers "up", then for each `prepare <order>` calls `prepare(order)`,
/// answers "ready", waits for "go", runs the round `prepare` returned and answers "done" with its figures.
/// Returns when stdin closes.
///
/// # Panics
///
/// On an order out of turn, or when stdin or stdout fail.
pub fn serve<R: FnOnce() -> Vec<u64>>(mut prepare: impl FnMut(&str) -> R) {
    println!("up");
    let mut lines = std::io::stdin().lines().map(|line| line.expect("an order from the parent"));
    while let Some(order) = lines.next() {
        let order = order.strip_prefix("prepare ").unwrap_or_else(|| panic!("not a prepare order: {order:?}"));
        let round = prepare(order);
        println!("ready");
        assert_eq!(lines.next().as_deref(), Some("go"), "the go order");
        let figures: Vec<String> = round().iter().map(u64::to_string).collect();
        println!("done {}", figures.join(" "));
    }
}

/// The paired comparison of kinds of round: [`paired`]'s result.
#[derive(Debug, Clone)]
pub struct Paired {
    /// The cycles run.
    pub cycles: usize,
    /// The baseline's (the first kind's) median time.
    pub baseline: Duration,
    /// For every other kind, in order: its time over the baseline's in the same cycle, as (median, min, max).
    pub ratios: Vec<(f64, f64, f64)>,
}

/// Runs `cycles` cycles of every kind in turn (so that the machine's drift hits all alike) and compares each
/// kind after the first with the first, cycle by cycle.
///
/// ```
/// use std::time::Duration;
///
/// let paired = pg_harness::instances::paired(5, &[1u32, 2, 3], |k| Duration::from_millis(10 * u64::from(k)));
/// assert_eq!(paired.baseline, Duration::from_millis(10));
/// assert_eq!(paired.ratios, [(2.0, 2.0, 2.0), (3.0, 3.0, 3.0)]);
/// ```
///
/// # Panics
///
/// When `cycles` or `kinds` is empty.
pub fn paired<K: Copy>(cycles: usize, kinds: &[K], mut run: impl FnMut(K) -> Duration) -> Paired {
    assert!(cycles > 0 && !kinds.is_empty(), "at least one cycle of at least one kind");
    let mut baselines = Vec::with_capacity(cycles);
    let mut ratios: Vec<Vec<f64>> = vec![Vec::with_capacity(cycles); kinds.len() - 1];
    for _ in 0..cycles {
        let baseline = run(kinds[0]);
        for (i, kind) in kinds[1..].iter().enumerate() {
            ratios[i].push(run(*kind).as_secs_f64() / baseline.as_secs_f64());
        }
        baselines.push(baseline);
    }
    baselines.sort();
    let ratios = ratios
        .into_iter()
        .map(|mut r| {
            r.sort_by(f64::total_cmp);
            (r[r.len() / 2], r[0], r[r.len() - 1])
        })
        .collect();
    Paired { cycles, baseline: baselines[cycles / 2], ratios }
}

/// The kinds of round the instances benches compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The baseline: raw reqwest + serde_json, the stored access token as bearer.
    Raw,
    /// The SDK, the stored token fresh.
    Fresh,
    /// The SDK, the stored token expired as the round starts.
    Expired,
}

impl Kind {
    /// Every kind, the baseline first.
    pub const ALL: [Kind; 3] = [Kind::Raw, Kind::Fresh, Kind::Expired];

    /// The kind's word in a round's order.
    ///
    /// ```
    /// use pg_harness::instances::Kind;
    ///
    /// assert!(Kind::ALL.iter().all(|k| Kind::from_word(k.word()) == Some(*k)));
    /// ```
    pub fn word(self) -> &'static str {
        match self {
            Kind::Raw => "raw",
            Kind::Fresh => "fresh",
            Kind::Expired => "expired",
        }
    }

    /// The kind a word names.
    pub fn from_word(word: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.word() == word)
    }

    /// The criterion function's name.
    pub fn bench_name(self) -> &'static str {
        match self {
            Kind::Raw => "raw_reqwest",
            Kind::Fresh => "fresh_token",
            Kind::Expired => "expired_token",
        }
    }
}

/// Runs an instances bench: the criterion group `four_processes` (flat sampling, 10 samples, a round's `calls`
/// as its throughput, so that criterion reports calls/s) with one function per [`Kind`], then 31 paired cycles,
/// whose median ratios against raw it prints. `round(kind)` runs one round and returns its time.
pub fn bench_rounds(c: &mut criterion::Criterion, calls: u64, mut round: impl FnMut(Kind) -> Duration) {
    let mut group = c.benchmark_group("four_processes");
    group
        .sampling_mode(criterion::SamplingMode::Flat)
        .sample_size(10)
        .throughput(criterion::Throughput::Elements(calls));
    for kind in Kind::ALL {
        group.bench_function(kind.bench_name(), |b| b.iter_custom(|rounds| (0..rounds).map(|_| round(kind)).sum()));
    }
    group.finish();
    let paired = paired(31, &Kind::ALL, round);
    let [(fresh, fresh_min, fresh_max), (expired, expired_min, expired_max)] = paired.ratios[..] else {
        unreachable!("two kinds after the baseline")
    };
    let raw_rate = calls as f64 / paired.baseline.as_secs_f64();
    println!(
        "paired, {} cycles of {calls} calls: raw {raw_rate:.0} calls/s (median); time against raw: fresh token \
         {fresh:.3}x (min {fresh_min:.3}, max {fresh_max:.3}), expired token {expired:.3}x (min {expired_min:.3}, \
         max {expired_max:.3})",
        paired.cycles
    );
}
