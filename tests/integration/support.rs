//! Shared helpers for piar's integration tests.
//!
//! The tests run as root inside the project's throw-away systemd box (`scripts/test`, see
//! docs/testing.md), so they talk to a real systemd: they submit real units, wait for real
//! timers and read the real journal. Rules of the house:
//!
//! - every test calls [`require_box`] (the [`Piar`] builder does it for you), so a run outside
//!   the box fails loudly instead of touching the host's systemd or silently skipping;
//! - job names come from [`unique`], so tests can run in parallel and re-runs never collide;
//! - waiting is always [`poll_until`] with a timeout, never a fixed sleep.
//!
//! Running piar follows casey/just's consuming builder:
//!
//! ```ignore
//! let name = unique("every");
//! Piar::new()
//!     .args(["submit", "--name", &name, "--every", "2s", "--", "echo", "hi"])
//!     .run()
//!     .success();
//! let jobs: serde_json::Value = Piar::new().args(["list", "--json"]).run().success().json();
//! ```

// Each test module uses a different subset of these helpers.
#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long one piar invocation may take before the test fails (a hung D-Bus call must not
/// hang the suite).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Panics unless this process runs under a real systemd (PID 1 is systemd and
/// `/run/systemd/system` exists), i.e. inside the box that `scripts/test` boots.
pub fn require_box() {
    let pid1 = std::fs::read_to_string("/proc/1/comm").unwrap_or_default();
    let booted = Path::new("/run/systemd/system").is_dir();
    if pid1.trim() != "systemd" || !booted {
        panic!(
            "integration tests need a real systemd: run scripts/test \
             (PID 1 is {:?}, /run/systemd/system exists: {booted}, PIAR_TEST_BOX={:?})",
            pid1.trim(),
            std::env::var("PIAR_TEST_BOX").ok(),
        );
    }
}

/// The piar binary Cargo built for this test run.
pub fn piar_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_piar"))
}

/// A job name unique to this test: `prefix-<pid>-<counter>`, lowercased to `[a-z0-9-]` and at
/// most 40 characters, which is a valid piar job name and a short unit name.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let suffix = format!("-{}-{n}", std::process::id());
    let mut head: String = prefix
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    // names must start with [a-z0-9]
    if !head.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        head.insert(0, 't');
    }
    head.truncate(40 - suffix.len());
    let head = head.trim_end_matches('-');
    format!("{head}{suffix}")
}

/// Calls `f` every 100 ms until it returns `Some`, and returns that value; panics naming
/// `what` once `timeout` has passed. Use it for every wait (timers, journal lines, files).
pub fn poll_until<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = f() {
            return value;
        }
        if start.elapsed() >= timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Output of `journalctl --no-pager -o cat ARGS...` (run as root: the system journal and
/// every user's). An empty string when nothing matches.
pub fn journal(args: &[&str]) -> String {
    let out = Command::new("journalctl")
        .args(["--no-pager", "-o", "cat"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("cannot run journalctl");
    assert!(
        out.status.success(),
        "journalctl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// systemd's own answer for when a timer with these `OnCalendar=` specs fires next:
/// `systemd-analyze calendar --iterations=1 [--base-time=BASE] SPEC...` under `TZ=UTC`,
/// returning the earliest `Next elapse:` text, e.g. `"Mon 2025-01-06 09:00:00 UTC"`, or
/// `"never"`. Several specs model one timer with several `OnCalendar=` lines (cron's
/// day-of-month OR day-of-week). Parse it with [`parse_systemd_utc`].
pub fn systemd_analyze_next(specs: &[String], base: Option<&str>) -> String {
    assert!(
        !specs.is_empty(),
        "systemd_analyze_next needs at least one spec"
    );
    let mut cmd = Command::new("systemd-analyze");
    cmd.args(["calendar", "--iterations=1"]).env("TZ", "UTC");
    if let Some(base) = base {
        cmd.arg(format!("--base-time={base}"));
    }
    let out = cmd
        .arg("--")
        .args(specs)
        .stdin(Stdio::null())
        .output()
        .expect("cannot run systemd-analyze");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "systemd-analyze calendar {specs:?} failed: {}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    // "Www YYYY-MM-DD HH:MM:SS UTC": all in UTC, so the text from the date on sorts by time
    stdout
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Next elapse:"))
        .map(str::trim)
        .filter(|next| *next != "never")
        .min_by_key(|next| {
            next.split_once(' ')
                .map_or(*next, |(_, rest)| rest)
                .to_owned()
        })
        .unwrap_or("never")
        .to_owned()
}

/// Parses a `systemd-analyze` time in UTC (`"Mon 2025-01-06 09:00:00 UTC"`, weekday
/// optional) into a timestamp.
pub fn parse_systemd_utc(text: &str) -> jiff::Timestamp {
    let words: Vec<&str> = text.split_whitespace().collect();
    let (date, time) = match words.as_slice() {
        [_, date, time, "UTC"] | [date, time, "UTC"] => (*date, *time),
        _ => panic!("not a systemd UTC time: {text:?}"),
    };
    let civil: jiff::civil::DateTime = format!("{date}T{time}")
        .parse()
        .unwrap_or_else(|e| panic!("not a systemd UTC time: {text:?}: {e}"));
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
        .timestamp()
}

/// One piar invocation, built up and then consumed by [`Piar::run`].
#[must_use]
pub struct Piar {
    args: Vec<OsString>,
    user: Option<TestUser>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
}

impl Default for Piar {
    fn default() -> Self {
        Self::new()
    }
}

impl Piar {
    /// `piar` with no arguments, as root (system scope), stdin empty, 60 s timeout.
    pub fn new() -> Self {
        Self {
            args: Vec::new(),
            user: None,
            env: Vec::new(),
            stdin: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Runs piar as this user (user scope, through its lingering user manager) instead of root.
    pub fn user(mut self, user: Option<&TestUser>) -> Self {
        self.user = user.cloned();
        self
    }

    /// Sets an environment variable for piar.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Feeds these bytes to piar's stdin (default: empty stdin, as in CI).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// Fails the test if piar has not exited after `timeout` (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs piar, waits for it (killing it on timeout) and returns what it did.
    pub fn run(self) -> Output {
        require_box();
        let mut cmd = match &self.user {
            Some(user) => user.command(piar_bin()),
            None => {
                let mut cmd = Command::new(piar_bin());
                // root talks to the system manager; never inherit a session bus
                cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
                    .env_remove("XDG_RUNTIME_DIR");
                cmd
            }
        };
        cmd.args(&self.args);
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        let command = format!(
            "{}piar {}",
            self.user
                .as_ref()
                .map_or(String::new(), |u| format!("[as {}] ", u.name)),
            self.args
                .iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" ")
        );
        let (status, stdout, stderr) = run_with_timeout(cmd, self.stdin, self.timeout, &command);
        Output {
            status,
            stdout,
            stderr,
            command,
        }
    }
}

/// Runs `cmd` with piped stdio; returns (exit status, stdout, stderr). A signal death is
/// reported as 128 + signal, like a shell.
fn run_with_timeout(
    mut cmd: Command,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
    what: &str,
) -> (i32, String, String) {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let writer = stdin.map(|input| {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        // a child that does not read its stdin closes the pipe: that is not our failure
        thread::spawn(move || drop(pipe.write_all(&input)))
    });
    let reader = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = reader(Box::new(child.stdout.take().expect("stdout is piped")));
    let err = reader(Box::new(child.stderr.take().expect("stderr is piped")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for piar") {
            break status;
        }
        if start.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`{what}` did not exit within {timeout:?}\n--- stdout\n{}\n--- stderr\n{}",
                out.join().unwrap_or_default(),
                err.join().unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(10));
    };
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    let code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    (
        code,
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    )
}

/// What one piar invocation did.
#[derive(Debug)]
pub struct Output {
    /// Exit status (128 + N if killed by signal N).
    pub status: i32,
    /// Everything piar wrote to stdout.
    pub stdout: String,
    /// Everything piar wrote to stderr.
    pub stderr: String,
    /// The command line, for failure messages.
    command: String,
}

impl Output {
    /// Asserts exit status 0, printing both streams otherwise.
    #[track_caller]
    pub fn success(self) -> Self {
        self.code(0)
    }

    /// Asserts exit status `code`, printing both streams otherwise.
    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert!(
            self.status == code,
            "`{}` exited {} (expected {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.command,
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Parses stdout as JSON into `T` (use `#[serde(deny_unknown_fields)]` mirror structs).
    #[track_caller]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`{}`: stdout is not the expected JSON: {e}\n--- stdout\n{}\n--- stderr\n{}",
                self.command, self.stdout, self.stderr
            )
        })
    }

    /// Parses stdout as any JSON value.
    #[track_caller]
    pub fn json_value(&self) -> serde_json::Value {
        self.json()
    }
}

/// The box's unprivileged, lingering test user, whose user manager runs piar's user scope.
#[derive(Clone, Debug)]
pub struct TestUser {
    /// Login name (`piartest`).
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Home directory (created by `useradd -m`).
    pub home: PathBuf,
}

impl TestUser {
    /// Login name of the test user.
    pub const NAME: &'static str = "piartest";

    /// The test user, created once per test process: `useradd -m`, `loginctl enable-linger`,
    /// then waits (up to 20 s) for `user@UID.service` and its bus `/run/user/UID/bus`.
    /// Also checks that the user can execute the piar binary under test.
    pub fn get() -> &'static TestUser {
        static USER: OnceLock<TestUser> = OnceLock::new();
        USER.get_or_init(|| {
            require_box();
            let user = Self::create();
            user.check_can_run_piar();
            user
        })
    }

    fn create() -> TestUser {
        let name = Self::NAME;
        if lookup_user(name).is_none() {
            let out = root_cmd("useradd", &["-m", "-s", "/bin/bash", name]);
            // 9: created meanwhile by another process
            assert!(
                matches!(out.status.code(), Some(0 | 9)),
                "useradd {name} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let user = lookup_user(name).unwrap_or_else(|| panic!("user {name} missing after useradd"));
        let out = root_cmd("loginctl", &["enable-linger", name]);
        assert!(
            out.status.success(),
            "loginctl enable-linger {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let unit = format!("user@{}.service", user.uid);
        let bus = user.runtime_dir().join("bus");
        poll_until(
            &format!("{unit} to be active and {} to exist", bus.display()),
            Duration::from_secs(20),
            || {
                let active = root_cmd("systemctl", &["is-active", "-q", &unit])
                    .status
                    .success();
                (active && bus.exists()).then_some(())
            },
        );
        user
    }

    /// The user's tests run piar from the target dir: every parent must be o+x, the binary o+rx.
    fn check_can_run_piar(&self) {
        let bin = piar_bin();
        let blocked: Vec<&Path> = bin
            .ancestors()
            .skip(1)
            .filter(|dir| std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o001 == 0))
            .collect();
        let file_ok =
            std::fs::metadata(&bin).is_ok_and(|m| m.permissions().mode() & 0o005 == 0o005);
        assert!(
            blocked.is_empty() && file_ok,
            "test user {} cannot execute {} (directories without o+x: {blocked:?}); \
             scripts/test builds in /var/lib/piar-test/target in that case, \
             or set CARGO_TARGET_DIR to a world-readable place",
            self.name,
            bin.display()
        );
    }

    /// `/run/user/UID`.
    pub fn runtime_dir(&self) -> PathBuf {
        PathBuf::from(format!("/run/user/{}", self.uid))
    }

    /// A command that runs `program` as this user (`setpriv --reuid --regid --init-groups`)
    /// with a clean environment that reaches the user manager: HOME, USER, LOGNAME,
    /// XDG_RUNTIME_DIR, DBUS_SESSION_BUS_ADDRESS and PATH; working directory HOME.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new("setpriv");
        cmd.env_clear()
            .env("HOME", &self.home)
            .env("USER", &self.name)
            .env("LOGNAME", &self.name)
            .env("XDG_RUNTIME_DIR", self.runtime_dir())
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}/bus", self.runtime_dir().display()),
            )
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .current_dir(&self.home)
            .arg(format!("--reuid={}", self.uid))
            .arg(format!("--regid={}", self.gid))
            .arg("--init-groups")
            .arg("--")
            .arg(program);
        cmd
    }
}

/// Runs a helper command as root with empty stdin and returns its output.
fn root_cmd(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

/// The passwd entry of `name`, if it exists.
fn lookup_user(name: &str) -> Option<TestUser> {
    let out = root_cmd("getent", &["passwd", name]);
    if !out.status.success() {
        return None;
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = line.trim().split(':').collect();
    match fields.as_slice() {
        [name, _, uid, gid, _, home, ..] => Some(TestUser {
            name: (*name).to_owned(),
            uid: uid.parse().ok()?,
            gid: gid.parse().ok()?,
            home: PathBuf::from(home),
        }),
        _ => None,
    }
}

/// `systemctl is-active UNIT` (system manager): `active`, `inactive`, `failed`, ...
pub fn unit_active_state(unit: &str) -> String {
    let out = Command::new("systemctl")
        .args(["is-active", unit])
        .stdin(Stdio::null())
        .output()
        .expect("systemctl is-active");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// What [`PrivateState::assert_consistent`] found a job to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// No manifest and no unit files.
    Gone,
    /// Manifest `enabled`, its timer enabled and active (or a manual job).
    Enabled,
    /// Manifest `enabled = false`, its timer stopped and disabled.
    Paused,
}

/// A system-scope state directory of its own (`PIAR_STATE_DIR`) with its own drop-in
/// directory (`PIAR_DROPIN_DIR`): a `piar sync` of another test never touches its jobs, and
/// its syncs never touch theirs (sync only claims units owned by its own jobs directory).
/// Jobs here must not fire on a timer: the generated service runs `piar trigger` with the
/// default state directory. Removed (with its jobs' units left to the caller) on drop.
pub struct PrivateState {
    /// `/var/lib/piar-test-<unique>`.
    pub dir: PathBuf,
}

impl PrivateState {
    /// A fresh private state directory.
    pub fn new(prefix: &str) -> PrivateState {
        let dir = PathBuf::from(format!("/var/lib/piar-test-{}", unique(prefix)));
        std::fs::create_dir_all(dir.join("jobs.d")).expect("create the private state dir");
        PrivateState { dir }
    }

    /// `piar` with this state and drop-in directory.
    pub fn piar(&self) -> Piar {
        Piar::new()
            .env("PIAR_STATE_DIR", &self.dir)
            .env("PIAR_DROPIN_DIR", self.dropins())
    }

    /// The drop-in directory.
    pub fn dropins(&self) -> PathBuf {
        self.dir.join("jobs.d")
    }

    /// A job's stored manifest.
    pub fn manifest(&self, name: &str) -> PathBuf {
        self.dir.join(format!("jobs/{name}.toml"))
    }

    /// A job's run records, oldest first, as JSON.
    pub fn runs(&self, name: &str) -> Vec<serde_json::Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join(format!("runs/{name}")))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).expect("read run record");
                serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{} is not a run record: {e}\n{text}", p.display()))
            })
            .collect()
    }

    /// Asserts that job `name` is consistent: either no manifest and no unit file, link or
    /// active timer; or a manifest that parses and loads, unit files byte-for-byte what
    /// `piar submit --dry-run --file MANIFEST` renders for it (no more, no fewer), the timer
    /// enabled and active exactly when the manifest says `enabled`, and no run record
    /// `running` unless its run unit is active.
    #[track_caller]
    pub fn assert_consistent(&self, name: &str) -> JobState {
        let unit_dir = Path::new("/etc/systemd/system");
        let service = format!("piar-{name}.service");
        let timer = format!("piar-{name}.timer");
        let link = unit_dir.join("timers.target.wants").join(&timer);
        let manifest = self.manifest(name);
        for rec in self.runs(name) {
            if rec["status"] == "running" {
                let unit = rec["unit"].as_str().unwrap();
                let state = unit_active_state(unit);
                assert!(
                    matches!(state.as_str(), "active" | "activating" | "deactivating"),
                    "{name}: run record says running but {unit} is {state}: {rec}"
                );
            }
        }
        if !manifest.exists() {
            for u in [&service, &timer] {
                assert!(
                    !unit_dir.join(u).exists(),
                    "{name}: no manifest but {u} exists (orphan)"
                );
            }
            assert!(
                link.symlink_metadata().is_err(),
                "{name}: no manifest but {} exists",
                link.display()
            );
            assert_ne!(
                unit_active_state(&timer),
                "active",
                "{name}: orphaned timer"
            );
            return JobState::Gone;
        }
        let text = std::fs::read_to_string(&manifest).expect("read manifest");
        let table: toml::Table = toml::from_str(&text)
            .unwrap_or_else(|e| panic!("{name}: half-written manifest? {e}\n{text}"));
        self.piar().args(["show", name, "--json"]).run().success();
        let dry = self
            .piar()
            .args(["submit", "--dry-run", "--json", "--file"])
            .arg(&manifest)
            .run()
            .success()
            .json_value();
        let units = dry["units"].as_object().expect("dry-run units");
        for u in [&service, &timer] {
            let have = std::fs::read_to_string(unit_dir.join(u)).ok();
            let want = units.get(u.as_str()).and_then(|v| v.as_str());
            assert_eq!(
                have.as_deref(),
                want,
                "{name}: {u} does not match the manifest"
            );
        }
        let enabled = table
            .get("enabled")
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        if units.contains_key(&timer) {
            assert_eq!(
                link.symlink_metadata().is_ok(),
                enabled,
                "{name}: enablement link vs manifest enabled = {enabled}"
            );
            let state = unit_active_state(&timer);
            assert_eq!(
                state == "active",
                enabled,
                "{name}: {timer} is {state} but the manifest says enabled = {enabled}"
            );
        }
        if enabled {
            JobState::Enabled
        } else {
            JobState::Paused
        }
    }
}

impl Drop for PrivateState {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
