//! The OS processes of a many-instances test or bench.
//!
//! - Tests: the test binary re-executed ([`spawn`]), each copy running one `#[ignore]`d entry test (which reads
//!   its role from the environment) and reporting on stdout in lines marked `@@` ([`finish`], [`marked`],
//!   [`figures`]).
//! - Benches: [`Worker`], the bench binary re-executed once and kept up across rounds (so that process start is
//!   not measured), taking orders on stdin and answering on stdout, a line each.
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
