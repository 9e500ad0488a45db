//! A private, throwaway PostgreSQL server for the workspace's tests and benches (not published), and
//! ([`instances`]) the OS processes of the many-instances tests that share it.
//!
//! [`PgServer::start`] runs the machine's own `initdb` and `postgres` (found on `PATH`, under
//! `/usr/lib/postgresql/*/bin`, or in `$CARDSDK_PG_BIN`) on a data directory in a new temporary directory, a free
//! port on `127.0.0.1` and a Unix socket in that same directory, with trust authentication and `fsync` off. It is
//! stopped (`pg_ctl stop -m immediate`) and its directory removed when the [`PgServer`] is dropped — and, by a
//! small watchdog process, when the test process ends in any way (a panic, `abort`, a signal), so a server is
//! never left behind. [`PgServer::shared`] is one server per test process, for the tests that do not stop it.
//!
//! As root (CI and these machines), `initdb` refuses to run; the server then runs as an unprivileged user:
//! `$CARDSDK_PG_USER`, else `postgres` (created by Debian's package), else a `cardsdk-pg` system user created
//! with `useradd`.
//!
//! When PostgreSQL is not installed, [`PgServer::start`] fails with a message that says how to install it — and
//! installs it with `apt-get` itself when `CI` or `CARDSDK_INSTALL_POSTGRES=1` is set. A test that cannot get a
//! server therefore **fails**, unless `CARDSDK_SKIP_POSTGRES=1` is set: [`require`] then returns `None` and the
//! test returns early (saying so on stderr).
//!
//! ```no_run
//! let Some(server) = pg_harness::require() else { return };
//! let db = server.create_database("doc_example").unwrap();
//! println!("{}", server.conninfo(&db)); // host=127.0.0.1 port=… user=postgres dbname=doc_example
//! ```

pub mod instances;

use std::fmt;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The database superuser's name in every harness server.
pub const SUPERUSER: &str = "postgres";

/// Why no server could be had.
#[derive(Debug, Clone)]
pub struct HarnessError(String);

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HarnessError {}

fn err(message: impl Into<String>) -> HarnessError {
    HarnessError(message.into())
}

/// Whether the PostgreSQL tests are to be skipped (`CARDSDK_SKIP_POSTGRES=1`).
pub fn skip_requested() -> bool {
    env_flag("CARDSDK_SKIP_POSTGRES")
}

/// The shared server, or `None` when `CARDSDK_SKIP_POSTGRES=1` is set (after saying so on stderr).
///
/// # Panics
///
/// When no server can be started and skipping was not asked for: the message says why and how to install
/// PostgreSQL.
pub fn require() -> Option<&'static PgServer> {
    if skip_requested() {
        eprintln!("CARDSDK_SKIP_POSTGRES=1: skipping a test that needs PostgreSQL");
        return None;
    }
    match PgServer::shared() {
        Ok(server) => Some(server),
        Err(e) => panic!("{e}"),
    }
}

/// Like [`require`], for a test that needs a server of its own (one it stops and restarts).
///
/// # Panics
///
/// As [`require`].
pub fn require_own() -> Option<PgServer> {
    if skip_requested() {
        eprintln!("CARDSDK_SKIP_POSTGRES=1: skipping a test that needs PostgreSQL");
        return None;
    }
    match PgServer::start() {
        Ok(server) => Some(server),
        Err(e) => panic!("{e}"),
    }
}

/// For a bench: a new database (named `prefix` plus a unique suffix) on the [shared](PgServer::shared) server, as
/// a connection string — or `None`, said on stderr, when there is no PostgreSQL here: a bench then skips its
/// PostgreSQL figures, where a test would fail.
pub fn bench_database(prefix: &str) -> Option<String> {
    let made = PgServer::shared().and_then(|server| Ok(server.conninfo(&server.create_database(prefix)?)));
    match made {
        Ok(conninfo) => Some(conninfo),
        Err(e) => {
            eprintln!("no PostgreSQL ({e}): the bench's PostgreSQL figures are skipped");
            None
        }
    }
}

/// A running (or stopped, see [`PgServer::stop`]) private PostgreSQL server.
pub struct PgServer {
    bins: PathBuf,
    dir: PathBuf,
    port: u16,
    run_as: Option<String>,
    databases: Mutex<()>,
    running: Mutex<bool>,
}

impl fmt::Debug for PgServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgServer").field("port", &self.port).field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl PgServer {
    /// One server for the whole test process, started on first use; stopped by the watchdog when the process
    /// ends.
    ///
    /// # Errors
    ///
    /// As [`PgServer::start`]; the same error is returned to every later caller.
    pub fn shared() -> Result<&'static PgServer, HarnessError> {
        static SHARED: OnceLock<Result<PgServer, HarnessError>> = OnceLock::new();
        SHARED.get_or_init(PgServer::start).as_ref().map_err(Clone::clone)
    }

    /// Starts a new server of its own (initdb, then postgres), waiting until it accepts connections.
    ///
    /// # Errors
    ///
    /// When PostgreSQL is not installed (and cannot be installed here), when no unprivileged user can run it, or
    /// when it does not start (the error then quotes the end of its log).
    pub fn start() -> Result<PgServer, HarnessError> {
        let bins = find_or_install_binaries()?;
        let run_as = unprivileged_user()?;
        let dir = make_private_dir(run_as.as_deref())?;
        let mut server = PgServer { bins, dir, port: 0, run_as, databases: Mutex::new(()), running: Mutex::new(false) };
        spawn_watchdog(&server);
        server.initdb()?;
        let mut last = None;
        for _ in 0..5 {
            server.port = free_port()?;
            match server.pg_ctl_start() {
                Ok(()) => {
                    *server.running.lock().unwrap_or_else(|p| p.into_inner()) = true;
                    return Ok(server);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| err("postgres did not start")))
    }

    /// The TCP port, on `127.0.0.1`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's host: `127.0.0.1`.
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// The temporary directory (data directory `data/`, log `postgres.log`, the Unix socket).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of one of the server's programs (`pg_dump`, `psql`, …).
    pub fn bin(&self, name: &str) -> PathBuf {
        self.bins.join(name)
    }

    /// A libpq-style connection string for `dbname` (TCP, the superuser, no password).
    pub fn conninfo(&self, dbname: &str) -> String {
        format!("host={} port={} user={SUPERUSER} dbname={dbname} connect_timeout=5", self.host(), self.port)
    }

    /// A `postgresql://` URL for `dbname`.
    pub fn url(&self, dbname: &str) -> String {
        format!("postgresql://{SUPERUSER}@{}:{}/{dbname}", self.host(), self.port)
    }

    /// Creates a new, empty database named `prefix` plus a unique suffix, and returns its name.
    ///
    /// # Errors
    ///
    /// When `psql` fails (the server is stopped, say).
    pub fn create_database(&self, prefix: &str) -> Result<String, HarnessError> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let clean: String =
            prefix.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
        let clean: String = clean.chars().take(40).collect();
        let name = format!("{clean}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let _serial = self.databases.lock().unwrap_or_else(|p| p.into_inner());
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""))?;
        Ok(name)
    }

    /// Runs `sql` with `psql` on `dbname` and returns its unaligned, tuples-only output.
    ///
    /// # Errors
    ///
    /// When `psql` exits with an error (its stderr is in the message).
    pub fn psql(&self, dbname: &str, sql: &str) -> Result<String, HarnessError> {
        let output = Command::new(self.bins.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.host(), "-U", SUPERUSER])
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-d", dbname, "-c", sql])
            .env("PGCONNECT_TIMEOUT", "5")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| err(format!("cannot run psql: {e}")))?;
        if !output.status.success() {
            return Err(err(format!("psql failed: {}", String::from_utf8_lossy(&output.stderr).trim())));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// Whether the server is running (as far as this handle knows).
    pub fn is_running(&self) -> bool {
        *self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`: as a crash would), keeping its data.
    ///
    /// # Errors
    ///
    /// When `pg_ctl` fails.
    pub fn stop(&self) -> Result<(), HarnessError> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if *running {
            self.pg_ctl(&["stop", "-m", "immediate", "-w", "-t", "30"])?;
            *running = false;
        }
        Ok(())
    }

    /// Starts a stopped server again, on the same port and data.
    ///
    /// # Errors
    ///
    /// When it does not start.
    pub fn restart(&self) -> Result<(), HarnessError> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if !*running {
            self.pg_ctl_start()?;
            *running = true;
        }
        Ok(())
    }

    fn initdb(&self) -> Result<(), HarnessError> {
        let data = self.dir.join("data");
        let out = self.run(Command::new(self.bins.join("initdb")).arg("-D").arg(&data).args([
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]))?;
        if !out.status.success() {
            return Err(err(format!("initdb failed: {}{}", lossy(&out.stdout), lossy(&out.stderr))));
        }
        let settings = format!(
            "\n# pg-harness\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off\n\
             full_page_writes = off\nmax_connections = 200\nshared_buffers = 32MB\n\
             log_min_messages = warning\nlog_min_error_statement = panic\n",
            self.dir.display()
        );
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).map_err(|e| err(format!("cannot read {conf:?}: {e}")))?;
        text.push_str(&settings);
        std::fs::write(&conf, text).map_err(|e| err(format!("cannot write {conf:?}: {e}")))?;
        Ok(())
    }

    fn pg_ctl_start(&self) -> Result<(), HarnessError> {
        let log = self.dir.join("postgres.log");
        let port = self.port.to_string();
        let o = format!("-p {port}");
        let result = self.pg_ctl(&["start", "-w", "-t", "30", "-l", &log.to_string_lossy(), "-o", &o]);
        if let Err(e) = result {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(err(format!("{e}\n-- end of postgres.log --\n{}", tail.join("\n"))));
        }
        // pg_ctl -w waited for the socket; make sure TCP answers too.
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_err() {
            if Instant::now() > deadline {
                return Err(err(format!("postgres does not listen on 127.0.0.1:{port}")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), HarnessError> {
        let out = self.run(Command::new(self.bins.join("pg_ctl")).arg("-D").arg(self.dir.join("data")).args(args))?;
        if !out.status.success() {
            return Err(err(format!(
                "pg_ctl {} failed: {}{}",
                args.first().unwrap_or(&""),
                lossy(&out.stdout),
                lossy(&out.stderr)
            )));
        }
        Ok(())
    }

    /// Runs `command` as the unprivileged user (when root), with no stdin.
    fn run(&self, command: &mut Command) -> Result<Output, HarnessError> {
        let mut command = as_user(self.run_as.as_deref(), command);
        command.stdin(Stdio::null()).output().map_err(|e| err(format!("cannot run {:?}: {e}", command.get_program())))
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["stop", "-m", "immediate", "-w", "-t", "30"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `command`, wrapped in `runuser -u USER --` when a user is given.
fn as_user(user: Option<&str>, command: &Command) -> Command {
    let mut wrapped = match user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(command.get_program());
            c
        }
        None => Command::new(command.get_program()),
    };
    wrapped.args(command.get_args());
    wrapped.current_dir(std::env::temp_dir());
    wrapped
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).map(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false")).unwrap_or(false)
}

const INSTALL_HINT: &str = "PostgreSQL is needed by these tests and was not found (no initdb on PATH, under \
    /usr/lib/postgresql/*/bin or in $CARDSDK_PG_BIN). Install it with \
    `apt-get update && apt-get install -y --no-install-recommends postgresql` (Debian/Ubuntu), or set \
    CARDSDK_INSTALL_POSTGRES=1 to let the tests install it, or CARDSDK_SKIP_POSTGRES=1 to skip these tests.";

/// The directory holding `initdb`, `pg_ctl`, `postgres` and `psql`.
pub fn find_binaries() -> Option<PathBuf> {
    let complete = |dir: &Path| ["initdb", "pg_ctl", "postgres", "psql"].iter().all(|b| dir.join(b).is_file());
    if let Some(dir) = std::env::var_os("CARDSDK_PG_BIN").map(PathBuf::from) {
        return complete(&dir).then_some(dir);
    }
    // On PATH (Debian puts only psql there; other systems all of them). Follow symlinks to the real directory,
    // where pg_ctl and postgres live next to initdb.
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        let initdb = dir.join("initdb");
        if initdb.is_file() {
            let real = std::fs::canonicalize(&initdb).ok().and_then(|p| p.parent().map(Path::to_path_buf));
            for candidate in real.into_iter().chain([dir.clone()]) {
                if complete(&candidate) {
                    return Some(candidate);
                }
            }
        }
    }
    // Debian and Ubuntu: /usr/lib/postgresql/<major>/bin, the newest first.
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            Some((major, e.path().join("bin")))
        })
        .filter(|(_, bin)| complete(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn find_or_install_binaries() -> Result<PathBuf, HarnessError> {
    if let Some(dir) = find_binaries() {
        return Ok(dir);
    }
    if !(env_flag("CI") || env_flag("CARDSDK_INSTALL_POSTGRES")) {
        return Err(err(INSTALL_HINT));
    }
    static INSTALL: OnceLock<Result<(), HarnessError>> = OnceLock::new();
    INSTALL
        .get_or_init(|| {
            eprintln!("pg-harness: installing PostgreSQL with apt-get (CI or CARDSDK_INSTALL_POSTGRES is set)");
            let status = Command::new("sh")
                .args(["-c", "apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdin(Stdio::null())
                .status()
                .map_err(|e| err(format!("cannot run apt-get: {e}. {INSTALL_HINT}")))?;
            if status.success() { Ok(()) } else { Err(err(format!("apt-get failed ({status}). {INSTALL_HINT}"))) }
        })
        .clone()?;
    find_binaries().ok_or_else(|| err(format!("apt-get installed postgresql, but still no initdb. {INSTALL_HINT}")))
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn is_root() -> bool {
    command_output("id", &["-u"]).as_deref() == Some("0")
}

/// `None` when not root (the server runs as the current user), else the user to run it as.
fn unprivileged_user() -> Result<Option<String>, HarnessError> {
    if !is_root() {
        return Ok(None);
    }
    if let Ok(user) = std::env::var("CARDSDK_PG_USER") {
        return Ok(Some(user));
    }
    for user in ["postgres", "cardsdk-pg"] {
        if command_output("id", &["-u", user]).is_some() {
            return Ok(Some(user.to_owned()));
        }
    }
    static CREATE: OnceLock<Result<(), HarnessError>> = OnceLock::new();
    CREATE
        .get_or_init(|| {
            let out = Command::new("useradd")
                .args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "cardsdk-pg"])
                .stdin(Stdio::null())
                .output()
                .map_err(|e| err(format!("running as root, initdb needs an unprivileged user: useradd: {e}")))?;
            // Another process may have created it at the same moment.
            if out.status.success() || command_output("id", &["-u", "cardsdk-pg"]).is_some() {
                Ok(())
            } else {
                Err(err(format!("useradd cardsdk-pg failed: {}", lossy(&out.stderr))))
            }
        })
        .clone()?;
    Ok(Some("cardsdk-pg".to_owned()))
}

fn make_private_dir(owner: Option<&str>) -> Result<PathBuf, HarnessError> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    // Short, so that the socket path stays under the 107-byte limit.
    let base = if Path::new("/tmp").is_dir() { PathBuf::from("/tmp") } else { std::env::temp_dir() };
    let dir = base.join(format!(
        "pgh-{}-{}-{:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos & 0xffff
    ));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).map_err(|e| err(format!("cannot create {dir:?}: {e}")))?;
    #[cfg(unix)]
    if let Some(user) = owner {
        let uid = command_output("id", &["-u", user]).and_then(|s| s.parse::<u32>().ok());
        let gid = command_output("id", &["-g", user]).and_then(|s| s.parse::<u32>().ok());
        let (Some(uid), Some(gid)) = (uid, gid) else {
            return Err(err(format!("cannot find the ids of user {user}")));
        };
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
            .map_err(|e| err(format!("cannot give {dir:?} to {user}: {e}")))?;
    }
    #[cfg(not(unix))]
    let _ = owner;
    Ok(dir)
}

fn free_port() -> Result<u16, HarnessError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| err(format!("no free port: {e}")))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| err(format!("no free port: {e}")))
}

/// A detached shell that stops the server and removes its directory once this process has ended (however it
/// ended), or exits by itself when the directory is gone (the server was dropped).
fn spawn_watchdog(server: &PgServer) {
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
    let dir = quote(&server.dir);
    let stop = as_user(
        server.run_as.as_deref(),
        Command::new(server.bins.join("pg_ctl")).arg("-D").arg(server.dir.join("data")).args([
            "stop",
            "-m",
            "immediate",
        ]),
    );
    let mut stop_line = quote(Path::new(stop.get_program()));
    for arg in stop.get_args() {
        stop_line.push(' ');
        stop_line.push_str(&quote(Path::new(arg)));
    }
    let script = format!(
        "while kill -0 {pid} 2>/dev/null && [ -d {dir} ]; do sleep 0.3; done; \
         if [ -d {dir} ]; then {stop_line} >/dev/null 2>&1; rm -rf {dir}; fi",
        pid = std::process::id(),
    );
    let mut command = Command::new("setsid");
    command.args(["sh", "-c", &script]);
    if !Path::new("/usr/bin/setsid").exists() && !Path::new("/bin/setsid").exists() {
        command = Command::new("sh");
        command.args(["-c", &script]);
    }
    let _ = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
}
