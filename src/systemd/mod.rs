//! Talking to the systemd manager over D-Bus (org.freedesktop.systemd1(5)).
//!
//! [`Systemd`] wraps one bus connection to the system or user manager and the
//! handful of calls piar makes. Proxies never cache properties (piar reads a
//! property once, when it needs it), so creating one costs no round trip.

mod error;
pub mod journal;
pub mod proxies;

pub use error::classify_bus_error;

use std::time::Duration;

use zbus::blocking::Connection;
use zbus::proxy::CacheProperties;
use zbus::zvariant::{OwnedObjectPath, Value};

use crate::error::{Error, Kind, Result};
use crate::scope::Scope;
use proxies::{ManagerProxy, ServiceProxy, TimerProxy, UnitListEntry, UnitProxy};

/// The `ActiveState=` values of a unit that is running or changing state
/// (org.freedesktop.systemd1(5)): the state filter for `ListUnitsByPatterns`
/// when looking for live runs, watchers and retry attempts.
pub const RUNNING_STATES: &[&str] = &["active", "activating", "deactivating", "reloading"];

/// Whether `active_state` (a unit's `ActiveState=`) is one of [`RUNNING_STATES`].
pub fn is_running(active_state: &str) -> bool {
    RUNNING_STATES.contains(&active_state)
}

/// Whether a zbus error is systemd's `NoSuchUnit` (the unit is not loaded).
fn is_no_such_unit(e: &zbus::Error) -> bool {
    matches!(e, zbus::Error::MethodError(name, _, _) if name.as_str().ends_with("NoSuchUnit"))
}

/// A connection to one systemd manager.
pub struct Systemd {
    /// Which manager this is.
    pub scope: Scope,
    conn: Connection,
    manager: ManagerProxy<'static>,
}

/// How a run unit ended, as read from its Service properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitOutcome {
    /// systemd's `Result` (`success`, `exit-code`, `signal`, `timeout`, ...).
    pub result: String,
    /// siginfo code: 1 exited, 2 killed, 3 dumped core (0 = never ran).
    pub exec_main_code: i32,
    /// Exit status, or the signal number when killed/dumped.
    pub exec_main_status: i32,
    /// Invocation ID, 32 lowercase hex digits (empty if unknown).
    pub invocation_id: String,
    /// CLOCK_REALTIME µs the main process started (0 = it never did).
    pub started_usec: u64,
    /// CLOCK_REALTIME µs the main process exited (0 = unknown).
    pub exited_usec: u64,
}

/// Connect to the system bus, retrying for about 3 s: a bus that is up can still refuse a
/// connection for a moment (dbus-daemon allows 256 connections per user and refuses the
/// next ones; issue 12 point 6). The error says which of the two cases it was: no bus at
/// all, or a bus that refused piar (exit 5 either way).
fn system_bus() -> Result<Connection> {
    let mut delay = std::time::Duration::from_millis(50);
    let mut last = None;
    for _ in 0..6 {
        match Connection::system() {
            Ok(c) => return Ok(c),
            Err(e) => last = Some(e),
        }
        std::thread::sleep(delay);
        delay *= 2;
    }
    let e = last.map(|e| e.to_string()).unwrap_or_default();
    let socket = std::path::Path::new("/run/dbus/system_bus_socket");
    Err(if socket.exists() {
        Error::new(
            Kind::Unreachable,
            format!("the system bus is up but refused the connection (retried for 3 s): {e}"),
        )
        .with_hint("too many D-Bus connections at once? dbus-daemon allows 256 per user; retry when fewer commands run")
    } else {
        Error::new(
            Kind::Unreachable,
            format!("cannot reach the system bus: {e}"),
        )
        .with_hint(
            "is systemd running as PID 1 and dbus installed? (`systemctl is-system-running`)",
        )
    })
}

impl Systemd {
    /// Connect to the manager of `scope`: the system bus, or the user's
    /// session bus (`DBUS_SESSION_BUS_ADDRESS`, else `$XDG_RUNTIME_DIR/bus`).
    ///
    /// Errors (exit 5): no bus; the error says how to get one (lingering,
    /// `XDG_RUNTIME_DIR` when coming from sudo/su/ssh).
    pub fn connect(scope: Scope) -> Result<Systemd> {
        let conn = match scope {
            Scope::System => system_bus()?,
            Scope::User => {
                if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none()
                    && std::env::var_os("XDG_RUNTIME_DIR").is_none()
                {
                    return Err(user_bus_error(
                        "neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set",
                    ));
                }
                Connection::session().map_err(|e| user_bus_error(&e.to_string()))?
            }
        };
        let manager = ManagerProxy::builder(&conn)
            .cache_properties(CacheProperties::No)
            .build()
            .map_err(classify_bus_error)?;
        Ok(Systemd {
            scope,
            conn,
            manager,
        })
    }

    /// The manager proxy, for calls this wrapper does not cover.
    pub fn manager(&self) -> &ManagerProxy<'static> {
        &self.manager
    }

    /// The manager's version string (e.g. `252.38-1~deb12u1`).
    pub fn version(&self) -> Result<String> {
        Ok(self.manager.version()?)
    }

    /// Object path of a loaded unit, `None` if it is not loaded.
    pub fn loaded_unit(&self, name: &str) -> Result<Option<OwnedObjectPath>> {
        match self.manager.get_unit(name) {
            Ok(p) => Ok(Some(p)),
            Err(e) if is_no_such_unit(&e) => Ok(None),
            Err(e) => Err(classify_bus_error(e)),
        }
    }

    /// Load a unit from disk (if not loaded) and return (path, LoadState).
    pub fn load_unit(&self, name: &str) -> Result<(OwnedObjectPath, String)> {
        let path = self.manager.load_unit(name)?;
        let state = self.unit(&path)?.load_state()?;
        Ok((path, state))
    }

    /// Load each of `names` from disk if it is not loaded, in ONE round trip
    /// (`ListUnitsByNames`), and return `(name, object path, LoadState)` for
    /// each, in the order systemd answers (the order asked).
    pub fn load_units(&self, names: &[&str]) -> Result<Vec<(String, OwnedObjectPath, String)>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .manager
            .list_units_by_names(names)?
            .into_iter()
            .map(|e| (e.0, e.6, e.2))
            .collect())
    }

    /// Which of `names` are loaded right now (without loading any): one
    /// `ListUnitsByPatterns` round trip. Up to 16 names are passed as exact
    /// patterns; more as one glob of their common prefix (systemd matches
    /// every loaded unit against every pattern, so 2000 exact patterns would
    /// cost it millions of fnmatch(3) calls), filtered here.
    pub fn loaded_among(&self, names: &[&str]) -> Result<std::collections::HashSet<String>> {
        if names.is_empty() {
            return Ok(Default::default());
        }
        let glob;
        let patterns: Vec<&str> = if names.len() <= 16 {
            names.to_vec()
        } else {
            glob = format!("{}*", glob_safe_prefix(names));
            vec![glob.as_str()]
        };
        let wanted: std::collections::HashSet<&str> = names.iter().copied().collect();
        Ok(self
            .list_units(&[], &patterns)?
            .into_iter()
            .map(|e| e.0)
            .filter(|n| wanted.contains(n.as_str()))
            .collect())
    }

    /// Load a unit from disk (if not loaded) and return `(path, LoadState,
    /// NeedDaemonReload)`: three round trips, and no `GetUnit` first (the
    /// object path comes from `LoadUnit` itself). A unit that was already
    /// loaded from an older version of its file reports `NeedDaemonReload=true`;
    /// one loaded just now never does.
    pub fn load_unit_checked(&self, name: &str) -> Result<(OwnedObjectPath, String, bool)> {
        let path = self.manager.load_unit(name)?;
        let unit = self.unit(&path)?;
        let state = unit.load_state()?;
        let stale = unit.need_daemon_reload()?;
        Ok((path, state, stale))
    }

    /// A non-caching proxy for the Unit interface at `path`.
    pub fn unit(&self, path: &OwnedObjectPath) -> Result<UnitProxy<'static>> {
        Ok(UnitProxy::builder(&self.conn)
            .path(path.clone())?
            .cache_properties(CacheProperties::No)
            .build()?)
    }

    /// A non-caching proxy for the Service interface at `path`.
    pub fn service(&self, path: &OwnedObjectPath) -> Result<ServiceProxy<'static>> {
        Ok(ServiceProxy::builder(&self.conn)
            .path(path.clone())?
            .cache_properties(CacheProperties::No)
            .build()?)
    }

    /// A non-caching proxy for the Timer interface at `path`.
    pub fn timer(&self, path: &OwnedObjectPath) -> Result<TimerProxy<'static>> {
        Ok(TimerProxy::builder(&self.conn)
            .path(path.clone())?
            .cache_properties(CacheProperties::No)
            .build()?)
    }

    /// A timer's next elapses, `(NextElapseUSecRealtime, NextElapseUSecMonotonic)`
    /// in µs (0 = none), from ONE `Properties.GetAll` round trip instead of two
    /// `Get`s (what `systemctl list-timers` does too; `piar list` calls this per job).
    pub fn timer_next_elapses(&self, path: &OwnedObjectPath) -> Result<(u64, u64)> {
        let props = zbus::blocking::fdo::PropertiesProxy::builder(&self.conn)
            .destination("org.freedesktop.systemd1")?
            .path(path.clone())?
            .cache_properties(CacheProperties::No)
            .build()?;
        let iface =
            zbus::names::InterfaceName::from_static_str_unchecked("org.freedesktop.systemd1.Timer");
        let mut all = props
            .get_all(iface)
            .map_err(|e| classify_bus_error(e.into()))?;
        let mut take = |key: &str| -> Result<u64> {
            let v = all.remove(key).ok_or_else(|| {
                Error::failed(format!("systemd: timer {path} has no property {key}"))
            })?;
            u64::try_from(v).map_err(|e| {
                Error::failed(format!("systemd: timer {path}: {key} is not a u64: {e}"))
            })
        };
        Ok((
            take("NextElapseUSecRealtime")?,
            take("NextElapseUSecMonotonic")?,
        ))
    }

    /// `daemon-reload`: re-read every unit file. Cost grows with the number of
    /// units, so piar calls it only when a loaded unit's file changed.
    pub fn reload(&self) -> Result<()> {
        log::info!("reloading the {} manager", self.scope.as_str());
        Ok(self.manager.reload()?)
    }

    /// Whether any of `units` is loaded with a changed file on disk.
    pub fn needs_reload(&self, units: &[&str]) -> Result<bool> {
        for u in units {
            if let Some(path) = self.loaded_unit(u)? {
                let unit = self.unit(&path)?;
                if unit.need_daemon_reload()? || unit.load_state()? != "loaded" {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Enable unit files (create their `[Install]` symlinks), fsync the links
    /// (crate::durable), then
    /// [`Systemd::reload_after_install_change`].
    pub fn enable(&self, units: &[&str]) -> Result<()> {
        let (_, changes) = self.manager.enable_unit_files(units, false, true)?;
        crate::durable::sync_unit_file_changes(&changes)?;
        self.reload_after_install_change(&changes)
    }

    /// Disable unit files (remove their `[Install]` symlinks), fsync the
    /// removals (crate::durable), then
    /// [`Systemd::reload_after_install_change`].
    pub fn disable(&self, units: &[&str]) -> Result<()> {
        let changes = self.manager.disable_unit_files(units, false)?;
        crate::durable::sync_unit_file_changes(&changes)?;
        self.reload_after_install_change(&changes)
    }

    /// Enable `enable` and disable `disable` (each ONE `EnableUnitFiles` /
    /// `DisableUnitFiles` call for all its units; an empty list makes no call),
    /// fsync the links (crate::durable), then at most one
    /// [`Systemd::reload_after_install_change`] for both: `piar sync` of N jobs
    /// costs one install scan and (systemd >= 254) one reload, not N.
    /// Errors: the first call systemd refused (nothing is rolled back here).
    pub fn change_enablement(&self, enable: &[&str], disable: &[&str]) -> Result<()> {
        let mut changes = Vec::new();
        if !enable.is_empty() {
            let (_, c) = self.manager.enable_unit_files(enable, false, true)?;
            crate::durable::sync_unit_file_changes(&c)?;
            changes.extend(c);
        }
        if !disable.is_empty() {
            let c = self.manager.disable_unit_files(disable, false)?;
            crate::durable::sync_unit_file_changes(&c)?;
            changes.extend(c);
        }
        self.reload_after_install_change(&changes)
    }

    /// What `systemctl enable`/`disable` does after the D-Bus call, but only
    /// when systemd asks for it: `Reload()` if a unit whose dependencies the
    /// change touched (the `X` of a `.../X.wants/` link, e.g. `timers.target`)
    /// now reports `NeedDaemonReload=yes`.
    ///
    /// systemctl reloads after EVERY enable/disable unless `--no-reload`
    /// (src/systemctl/systemctl-enable.c). Since systemd 254 (so on trixie's
    /// 257) a modifying `EnableUnitFiles`/`DisableUnitFiles` sets the
    /// manager-wide `unit_file_state_outdated` flag and every loaded unit
    /// reports `NeedDaemonReload=yes` until a reload (`systemctl start` warns
    /// "changed on disk"): piar reloads there. systemd 252 has no such flag
    /// and reports no unit as changed, so piar skips the reload there and a
    /// submit stays without a full reload (issue 15; docs/performance.md).
    /// `changes` is the `(type, file, destination)` list the call returned;
    /// an empty list (nothing changed) never reloads.
    pub fn reload_after_install_change(&self, changes: &[(String, String, String)]) -> Result<()> {
        let mut asked: Vec<String> = Vec::new();
        for (_, file, _) in changes {
            let Some(owner) = std::path::Path::new(file)
                .parent()
                .and_then(|d| d.file_name())
                .and_then(|d| d.to_str())
                .and_then(|d| {
                    [".wants", ".requires", ".upholds"]
                        .iter()
                        .find_map(|s| d.strip_suffix(s))
                })
            else {
                continue;
            };
            if asked.iter().any(|a| a == owner) {
                continue;
            }
            asked.push(owner.to_string());
            if self.needs_reload(&[owner])? {
                log::debug!("{owner} reports NeedDaemonReload=yes after an install change");
                return self.reload();
            }
        }
        Ok(())
    }

    /// Start a unit (mode `replace`); returns the job path.
    pub fn start(&self, name: &str) -> Result<OwnedObjectPath> {
        Ok(self.manager.start_unit(name, "replace")?)
    }

    /// Restart a unit (mode `replace`) and wait until its job finished, so
    /// the unit's state (a timer's next elapse) is settled on return.
    pub fn restart(&self, name: &str) -> Result<()> {
        let signals = self.job_removed_stream()?;
        let job = self.manager.restart_unit(name, "replace")?;
        wait_job(signals, &job, far_future()).map(|_| ())
    }

    /// Restart each of `names` (mode `replace`) and wait until all their jobs
    /// finished; one result per name, in order. One `JobRemoved` subscription
    /// for all; the calls go out in chunks of [`RESTART_CHUNK`] whose jobs are
    /// awaited before the next chunk, because zbus queues at most 64 unread
    /// signals per stream and then stops reading the socket (method replies
    /// included): issuing 1000 calls before reading any signal would deadlock.
    pub fn restart_many(&self, names: &[&str]) -> Vec<Result<()>> {
        let mut results: Vec<Result<()>> = Vec::with_capacity(names.len());
        let mut signals = match self.job_removed_stream() {
            Ok(s) => s,
            Err(e) => return names.iter().map(|_| Err(e.clone())).collect(),
        };
        for chunk in names.chunks(RESTART_CHUNK) {
            let base = results.len();
            let mut pending: Vec<(String, usize)> = Vec::new();
            for (i, name) in chunk.iter().enumerate() {
                match self.manager.restart_unit(name, "replace") {
                    Ok(job) => {
                        pending.push((job.as_str().to_string(), base + i));
                        results.push(Ok(()));
                    }
                    Err(e) => results.push(Err(classify_bus_error(e))),
                }
            }
            while !pending.is_empty() {
                let Some(sig) = signals.next() else {
                    for (job, i) in pending.drain(..) {
                        results[i] = Err(Error::new(
                            Kind::Unreachable,
                            format!("lost the connection to systemd while waiting for job {job}"),
                        ));
                    }
                    break;
                };
                let Ok(args) = sig.args() else { continue };
                pending.retain(|(job, _)| job.as_str() != args.job.as_str());
            }
        }
        results
    }

    /// Stop a unit if it is loaded; a unit that is not loaded is not an error.
    pub fn stop(&self, name: &str) -> Result<()> {
        match self.manager.stop_unit(name, "replace") {
            Ok(_) => Ok(()),
            Err(e) if is_no_such_unit(&e) => Ok(()),
            Err(e) => Err(classify_bus_error(e)),
        }
    }

    /// Stop a unit and wait (up to `timeout`) until its stop job finished.
    pub fn stop_and_wait(&self, name: &str, timeout: Duration) -> Result<()> {
        let signals = self.job_removed_stream()?;
        let job = match self.manager.stop_unit(name, "replace") {
            Ok(j) => j,
            Err(e) if is_no_such_unit(&e) => return Ok(()),
            Err(e) => return Err(classify_bus_error(e)),
        };
        let deadline = std::time::Instant::now() + timeout;
        wait_job(signals, &job, deadline).map(|_| ())
    }

    /// Forget a unit's failed state (not loaded or not failed: no error).
    pub fn reset_failed(&self, name: &str) {
        if let Err(e) = self.manager.reset_failed_unit(name) {
            log::debug!("reset-failed {name}: {e}");
        }
    }

    /// Remove a timer's `Persistent=` stamp (`CleanUnit` with mask `state`).
    /// Errors are logged, not returned: a timer that never fired has no stamp.
    pub fn clean_state(&self, name: &str) {
        if let Err(e) = self.manager.clean_unit(name, &["state"]) {
            log::debug!("clean {name}: {e}");
        }
    }

    /// Units matching `patterns` whose active state is one of `states` (empty: any loaded).
    pub fn list_units(&self, states: &[&str], patterns: &[&str]) -> Result<Vec<UnitListEntry>> {
        Ok(self.manager.list_units_by_patterns(states, patterns)?)
    }

    /// Subscribe to `JobRemoved` before starting anything, so no signal is missed.
    ///
    /// systemd answers a second `Subscribe()` on the same connection with
    /// `org.freedesktop.systemd1.AlreadySubscribed`; that is success (one
    /// process, e.g. `piar sync`, restarts many timers over one connection).
    fn job_removed_stream(&self) -> Result<proxies::JobRemovedIterator> {
        let it = self.manager.receive_job_removed()?;
        self.subscribe()?;
        Ok(it)
    }

    /// `Subscribe()`, once per connection: a second call answers
    /// `AlreadySubscribed`, which is fine.
    fn subscribe(&self) -> Result<()> {
        match self.manager.subscribe() {
            Ok(()) => Ok(()),
            Err(zbus::Error::MethodError(name, _, _))
                if name.as_str().ends_with("AlreadySubscribed") =>
            {
                Ok(())
            }
            Err(e) => Err(classify_bus_error(e)),
        }
    }

    /// Start `name` and wait until its start job is done; returns the job
    /// result (`done`, `failed`, ...). For a `Type=oneshot` service the start
    /// job ends when the service's process exited.
    pub fn start_and_wait(&self, name: &str) -> Result<String> {
        let signals = self.job_removed_stream()?;
        let job = self.manager.start_unit(name, "replace")?;
        wait_job(signals, &job, far_future())
    }

    /// Start a transient service unit with `properties` (see systemd-run(1)
    /// and org.freedesktop.systemd1(5) "StartTransientUnit"); pin it with
    /// `AddRef=true` in `properties` so it stays loaded until we read how it
    /// ended. Returns once the unit exists; [`StartedUnit::wait`] waits for it.
    pub fn start_transient<'s>(
        &'s self,
        name: &str,
        properties: &[(&str, Value<'_>)],
    ) -> Result<StartedUnit<'s>> {
        let signals = self.job_removed_stream()?;
        let job = self
            .manager
            .start_transient_unit(name, "fail", properties, &[])?;
        Ok(StartedUnit {
            sd: self,
            name: name.to_string(),
            signals,
            job,
        })
    }

    /// Block until the unit at `path` is `inactive` or `failed`, driven by
    /// its `PropertiesChanged` signals (no polling).
    pub fn wait_inactive(&self, path: &OwnedObjectPath) -> Result<()> {
        let props = zbus::blocking::fdo::PropertiesProxy::builder(&self.conn)
            .destination("org.freedesktop.systemd1")?
            .path(path.clone())?
            .cache_properties(CacheProperties::No)
            .build()?;
        let mut changes = props.receive_properties_changed()?;
        let unit = self.unit(path)?;
        loop {
            let state = unit.active_state()?;
            if state == "inactive" || state == "failed" {
                return Ok(());
            }
            if changes.next().is_none() {
                return Err(Error::new(
                    Kind::Unreachable,
                    "lost the connection to systemd while waiting for the run",
                ));
            }
        }
    }

    /// Wait for a unit someone else started: subscribe, take a reference on
    /// it (`RefUnit`, so it is not collected before we read its outcome),
    /// call `ready`, then wait until it is inactive and read how it ended.
    /// Errors: the unit is not loaded (exit 3), bus errors.
    pub fn watch_unit(&self, name: &str, ready: impl FnOnce()) -> Result<UnitOutcome> {
        self.subscribe()?;
        self.manager.ref_unit(name).map_err(classify_bus_error)?;
        ready();
        let path = self
            .loaded_unit(name)?
            .ok_or_else(|| Error::failed(format!("unit {name} vanished")))?;
        self.wait_inactive(&path)?;
        self.outcome(&path)
    }

    /// Read how a service unit ended.
    pub fn outcome(&self, path: &OwnedObjectPath) -> Result<UnitOutcome> {
        let svc = self.service(path)?;
        let unit = self.unit(path)?;
        Ok(UnitOutcome {
            result: svc.result()?,
            exec_main_code: svc.exec_main_code()?,
            exec_main_status: svc.exec_main_status()?,
            invocation_id: hex(&unit.invocation_id()?),
            started_usec: svc.exec_main_start_timestamp()?,
            exited_usec: svc.exec_main_exit_timestamp()?,
        })
    }
}

/// A transient unit whose start job was queued by [`Systemd::start_transient`].
pub struct StartedUnit<'s> {
    sd: &'s Systemd,
    name: String,
    signals: proxies::JobRemovedIterator,
    job: OwnedObjectPath,
}

impl StartedUnit<'_> {
    /// Wait only for the start job; returns its result (`done`, `failed`, ...).
    pub fn wait_started(self) -> Result<String> {
        wait_job(self.signals, &self.job, far_future())
    }

    /// Wait for the start job, then until the unit is inactive or failed, and
    /// return how it ended.
    pub fn wait(self) -> Result<UnitOutcome> {
        let job_result = wait_job(self.signals, &self.job, far_future())?;
        log::debug!("start job of {}: {job_result}", self.name);
        let path = self
            .sd
            .loaded_unit(&self.name)?
            .ok_or_else(|| Error::failed(format!("transient unit {} vanished", self.name)))?;
        self.sd.wait_inactive(&path)?;
        self.sd.outcome(&path)
    }
}

/// How many `RestartUnit` calls [`Systemd::restart_many`] has in flight before
/// it reads their `JobRemoved` signals (well below zbus's queue of 64).
pub const RESTART_CHUNK: usize = 16;

fn far_future() -> std::time::Instant {
    std::time::Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}

/// Wait for the `JobRemoved` signal of `job`; returns its result string.
fn wait_job(
    signals: proxies::JobRemovedIterator,
    job: &OwnedObjectPath,
    deadline: std::time::Instant,
) -> Result<String> {
    for sig in signals {
        let args = sig.args()?;
        if args.job.as_str() == job.as_str() {
            return Ok(args.result.clone());
        }
        if std::time::Instant::now() > deadline {
            break;
        }
    }
    Err(Error::new(
        Kind::Unreachable,
        format!("gave up waiting for systemd job {}", job.as_str()),
    ))
}

/// The longest common prefix of `names`, cut before the first character that
/// fnmatch(3) would not take literally (`*?[\\`).
fn glob_safe_prefix<'a>(names: &[&'a str]) -> &'a str {
    let first = names.first().copied().unwrap_or("");
    let mut len = first.find(['*', '?', '[', '\\']).unwrap_or(first.len());
    for n in names {
        len = first
            .bytes()
            .zip(n.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count();
    }
    while !first.is_char_boundary(len) {
        len -= 1;
    }
    &first[..len]
}

/// Lowercase hex of bytes (invocation IDs).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn user_bus_error(detail: &str) -> Error {
    Error::new(
        Kind::Unreachable,
        format!("cannot reach your user manager's bus: {detail}"),
    )
    .with_hint(
        "user scope talks to `systemd --user` over $XDG_RUNTIME_DIR/bus. From sudo/su/ssh set \
         XDG_RUNTIME_DIR=/run/user/$(id -u); to run jobs while logged out enable lingering: \
         `loginctl enable-linger $USER`. Or use --system as root.",
    )
}

#[cfg(test)]
mod tests {
    use super::glob_safe_prefix;

    #[test]
    fn the_common_prefix_stops_at_glob_characters() {
        assert_eq!(
            glob_safe_prefix(&["piar-a.service", "piar-ab.timer", "piar-b.timer"]),
            "piar-"
        );
        assert_eq!(glob_safe_prefix(&["piar-x.timer"]), "piar-x.timer");
        assert_eq!(
            glob_safe_prefix(&["a\\x2db.service", "a\\x2dc.service"]),
            "a"
        );
        assert_eq!(glob_safe_prefix(&["abc", "xyz"]), "");
    }
}
