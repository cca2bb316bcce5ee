//! `piar doctor`: checks of the environment piar depends on, each `ok`,
//! `warn` or `fail` with a fix.
//!
//! Checks, in order: the manager (reachable, systemd >= 252), write access to
//! the unit and state directories, lingering (user scope), clock
//! synchronisation (timedate1 `NTPSynchronized`) and
//! `systemd-time-wait-sync.service` (calendar timers wait for `time-sync.target`,
//! which means a synchronised clock only when that service is enabled), drift
//! between manifests and unit files ([`crate::ops::drift`]), runs left by a dead trigger,
//! timers that disagree with their manifests, units awaiting a daemon-reload and failed piar
//! units, temporary files of interrupted writes, and free space in the state directory. A check that cannot be carried out is a `warn` saying so.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use zbus::proxy;

use crate::ops::drift;
use crate::state::layout::{Paths, Scope};
use crate::systemd::Systemd;

/// The oldest systemd piar supports (Debian 12 / Raspberry Pi OS bookworm).
pub const MIN_SYSTEMD: u32 = 252;

/// Free space below this in the state directory is a `fail` (bytes, 10 MiB).
pub const DISK_FAIL_BYTES: u64 = 10 * 1024 * 1024;

/// Free space below this in the state directory is a `warn` (bytes, 100 MiB).
pub const DISK_WARN_BYTES: u64 = 100 * 1024 * 1024;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but something will bite (or the check could not be made).
    Warn,
    /// piar cannot work like this.
    Fail,
}

impl Status {
    /// `OK`, `WARN`, `FAIL` for the text output.
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        }
    }
}

/// One check's result (the JSON shape of an element of `checks`).
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable identifier: `systemd`, `unit-dir`, `state-dir`, `linger`,
    /// `clock-sync`, `time-wait-sync`, `drift`, `callbacks`, `interrupted-runs`, `timers`,
    /// `tmp-files`, `disk-space`.
    pub name: &'static str,
    /// ok, warn or fail.
    pub status: Status,
    /// What was found.
    pub message: String,
    /// How to fix it (`null` when ok).
    pub fix: Option<String>,
}

fn check(name: &'static str, status: Status, message: String, fix: Option<String>) -> Check {
    Check {
        name,
        status,
        message,
        fix,
    }
}

/// `org.freedesktop.timedate1` (systemd-timedated, activated on demand).
#[proxy(
    interface = "org.freedesktop.timedate1",
    default_service = "org.freedesktop.timedate1",
    default_path = "/org/freedesktop/timedate1",
    gen_async = false
)]
trait Timedate {
    /// Whether the kernel reports the clock as synchronised (NTP).
    #[zbus(property(emits_changed_signal = "false"), name = "NTPSynchronized")]
    fn ntp_synchronized(&self) -> zbus::Result<bool>;
}

/// The systemd manager's unit-file query used by the time-wait-sync check.
#[proxy(
    interface = "org.freedesktop.systemd1.Manager",
    default_service = "org.freedesktop.systemd1",
    default_path = "/org/freedesktop/systemd1",
    gen_async = false
)]
trait UnitFiles {
    /// `enabled`, `disabled`, `static`, `masked`, ... of a unit file.
    fn get_unit_file_state(&self, file: &str) -> zbus::Result<String>;
}

/// Run every check for `paths`' scope.
pub fn run_checks(paths: &Paths) -> Vec<Check> {
    let mut checks = vec![systemd_check(paths.scope)];
    checks.push(dir_check("unit-dir", &paths.unit_dir, "unit files"));
    checks.push(dir_check(
        "state-dir",
        &paths.state_dir,
        "manifests and run records",
    ));
    if paths.scope == Scope::User {
        checks.push(linger_check());
    }
    checks.extend(clock_checks());
    checks.push(drift_check(paths));
    checks.push(callbacks_check(paths));
    checks.push(interrupted_check(paths));
    checks.push(timers_check(paths));
    checks.push(tmp_check(paths));
    checks.push(disk_check(&paths.state_dir));
    checks
}

/// Runs whose `piar trigger` died before recording the outcome
/// ([`crate::ops::recover::interrupted`]): WARN, fixed by `piar sync`.
fn interrupted_check(paths: &Paths) -> Check {
    match crate::ops::recover::interrupted(paths) {
        Ok(runs) if runs.is_empty() => check(
            "interrupted-runs",
            Status::Ok,
            "no run was left unfinished by a crashed trigger".into(),
            None,
        ),
        Ok(runs) => check(
            "interrupted-runs",
            Status::Warn,
            format!(
                "{} run(s) left unfinished by a crashed trigger: {}",
                runs.len(),
                runs.iter()
                    .map(|(job, id, says)| format!("{job} {id} ({says})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some("run `piar recover` (or `piar sync`) to record their outcome from the journal, or lost when it has none, and queue their callbacks and retries".into()),
        ),
        Err(e) => check(
            "interrupted-runs",
            Status::Warn,
            format!("cannot read the run records: {}", e.message),
            Some(e.hint.unwrap_or_else(|| {
                "check that you may read the state directory (system scope: run as root)".into()
            })),
        ),
    }
}

/// Jobs whose timer disagrees with the manifest (enablement or activation drift, e.g. after
/// a crash between writing the manifest and enabling the timer), piar units changed on disk
/// that systemd has not reloaded, and failed piar units: WARN, fixed by `piar sync` (or the
/// interrupted command run again; failed units: `systemctl reset-failed`).
fn timers_check(paths: &Paths) -> Check {
    const NAME: &str = "timers";
    let problems = (|| -> crate::error::Result<Vec<String>> {
        let sd = Systemd::connect(paths.scope)?;
        let live = crate::ops::recover::live_timers(&sd)?;
        let mut problems = Vec::new();
        let mut stale = Vec::new();
        for job in crate::state::jobs::Store::new(paths)
            .load_all()?
            .into_iter()
            .flatten()
        {
            if let Some(p) = crate::ops::recover::timer_state(&sd, paths, &job, &live, false)? {
                problems.push(p);
            }
            let units = [
                crate::units::names::service(job.name()),
                crate::units::names::timer(job.name()),
            ];
            for u in units {
                if paths.unit_file(&u).exists() && sd.needs_reload(&[&u])? {
                    stale.push(u);
                }
            }
        }
        if !stale.is_empty() {
            problems.push(format!(
                "changed on disk but not reloaded by systemd: {}",
                stale.join(", ")
            ));
        }
        let failed: Vec<String> = sd
            .list_units(&["failed"], &["piar-*"])?
            .into_iter()
            .map(|u| u.0)
            .collect();
        if !failed.is_empty() {
            problems.push(format!("failed units: {}", failed.join(", ")));
        }
        Ok(problems)
    })();
    match problems {
        Ok(p) if p.is_empty() => check(
            NAME,
            Status::Ok,
            "every timer is enabled and active as its manifest says".into(),
            None,
        ),
        Ok(p) => check(
            NAME,
            Status::Warn,
            p.join("; "),
            Some(
                "run `piar sync` (or the interrupted command again) to enable/start or \
                 stop/disable timers as their manifests say and reload systemd; see failed \
                 units with `systemctl status UNIT`, clear them with `systemctl reset-failed`"
                    .into(),
            ),
        ),
        Err(e) => check(
            NAME,
            Status::Warn,
            format!(
                "cannot compare the timers with their manifests: {}",
                e.message
            ),
            e.hint,
        ),
    }
}

/// Temporary files left by interrupted atomic writes ([`crate::ops::recover::leftover_tmp`]):
/// WARN, removed by `piar sync` / `piar recover`.
fn tmp_check(paths: &Paths) -> Check {
    const NAME: &str = "tmp-files";
    match crate::ops::recover::leftover_tmp(paths, crate::ops::recover::TMP_MIN_AGE) {
        Ok(found) if found.is_empty() => check(
            NAME,
            Status::Ok,
            "no temporary files left by interrupted writes".into(),
            None,
        ),
        Ok(found) => check(
            NAME,
            Status::Warn,
            format!(
                "{} temporary file(s) left by interrupted writes: {}",
                found.len(),
                found
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some("run `piar sync` or `piar recover` to remove them".into()),
        ),
        Err(e) => check(NAME, Status::Warn, e.message, e.hint),
    }
}

/// Undelivered callbacks: dead letters (WARN, with the retry command) and
/// pending deliveries (OK, reported with their count).
fn callbacks_check(paths: &Paths) -> Check {
    use crate::ops::callback::outbox::{self, State};
    let all = match outbox::load_all(paths) {
        Ok(all) => all,
        Err(e) => return check("callbacks", Status::Warn, e.message, e.hint),
    };
    let count = |s: State| all.iter().filter(|d| d.state == s).count();
    let (pending, dead) = (count(State::Pending), count(State::Dead));
    if dead > 0 {
        return check(
            "callbacks",
            Status::Warn,
            format!("{dead} callback(s) dead-lettered, {pending} pending"),
            Some(
                "see `piar callbacks --failed`; redeliver with `piar callbacks retry --all`".into(),
            ),
        );
    }
    check(
        "callbacks",
        Status::Ok,
        format!("no dead-lettered callbacks ({pending} pending)"),
        None,
    )
}

/// The leading number of a systemd version string (`252.38-1~deb12u1` -> 252).
pub fn major_version(version: &str) -> Option<u32> {
    let digits: String = version.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn systemd_check(scope: Scope) -> Check {
    let sd = match Systemd::connect(scope) {
        Ok(sd) => sd,
        Err(e) => return check("systemd", Status::Fail, e.message, e.hint),
    };
    match sd.version() {
        Ok(v) => match major_version(&v) {
            Some(n) if n >= MIN_SYSTEMD => check(
                "systemd",
                Status::Ok,
                format!("{} manager reachable, systemd {v}", scope.as_str()),
                None,
            ),
            _ => check(
                "systemd",
                Status::Warn,
                format!("systemd {v} is older than {MIN_SYSTEMD}, the oldest piar is tested with"),
                Some("upgrade to Debian 12 / Raspberry Pi OS bookworm or later".into()),
            ),
        },
        Err(e) => check("systemd", Status::Fail, e.message, e.hint),
    }
}

/// The directory itself, or its nearest existing ancestor (which piar would
/// create it under).
fn existing_ancestor(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find(|p| p.exists()).map(Path::to_path_buf)
}

/// `access(2)` with W_OK|X_OK: what the kernel would allow this process.
fn writable(dir: &Path) -> bool {
    let Ok(c) = CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

fn dir_check(name: &'static str, dir: &Path, what: &str) -> Check {
    let Some(existing) = existing_ancestor(dir) else {
        return check(
            name,
            Status::Fail,
            format!("{} has no existing parent", dir.display()),
            None,
        );
    };
    let shown = dir.display();
    if writable(&existing) {
        let how = if existing == dir {
            "writable"
        } else {
            "can be created"
        };
        check(name, Status::Ok, format!("{shown} ({what}) {how}"), None)
    } else {
        check(
            name,
            Status::Fail,
            format!("cannot write {} ({what} go to {shown})", existing.display()),
            Some("system scope needs root: run with sudo, or use --user".into()),
        )
    }
}

/// The calling user's name and uid, from `$USER`/`$LOGNAME` else `getpwuid`.
fn user_name() -> Option<String> {
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    // SAFETY: getpwuid returns NULL or a pointer to static storage valid until the next call;
    // the name is copied out immediately.
    let pw = unsafe { libc::getpwuid(uid) };
    if pw.is_null() {
        return std::env::var("USER").ok();
    }
    // SAFETY: pw is non-null, pw_name is a NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr((*pw).pw_name) };
    Some(name.to_string_lossy().into_owned())
}

fn linger_check() -> Check {
    let Some(user) = user_name() else {
        return check(
            "linger",
            Status::Warn,
            "cannot tell who you are".into(),
            Some("run piar doctor --user as a user with an entry in /etc/passwd".into()),
        );
    };
    // logind keeps one file per lingering user here (loginctl(1) enable-linger).
    if Path::new("/var/lib/systemd/linger").join(&user).exists() {
        check(
            "linger",
            Status::Ok,
            format!("lingering is enabled for {user}"),
            None,
        )
    } else {
        check(
            "linger",
            Status::Warn,
            format!("lingering is off for {user}: your jobs stop when you log out"),
            Some(format!("loginctl enable-linger {user}")),
        )
    }
}

fn clock_checks() -> Vec<Check> {
    let conn = match zbus::blocking::Connection::system() {
        Ok(c) => c,
        Err(e) => {
            let msg = format!("cannot reach the system bus to ask about the clock: {e}");
            let hint = "check that dbus is running: systemctl status dbus.service".to_string();
            return vec![check("clock-sync", Status::Warn, msg, Some(hint))];
        }
    };
    let sync = match TimedateProxy::new(&conn).and_then(|p| p.ntp_synchronized()) {
        Ok(true) => check(
            "clock-sync",
            Status::Ok,
            "the clock is synchronised (NTP)".into(),
            None,
        ),
        Ok(false) => check(
            "clock-sync",
            Status::Warn,
            "the clock is not synchronised: calendar jobs may fire at the wrong time".into(),
            Some("enable NTP: timedatectl set-ntp true (systemd-timesyncd)".into()),
        ),
        Err(e) => check(
            "clock-sync",
            Status::Warn,
            format!(
                "cannot ask systemd-timedated whether the clock is synchronised: {}",
                bus_error_text(&e)
            ),
            Some(
                "install systemd-timesyncd (or another NTP client) and check `timedatectl`".into(),
            ),
        ),
    };
    let unit = "systemd-time-wait-sync.service";
    let wait = match UnitFilesProxy::new(&conn).and_then(|p| p.get_unit_file_state(unit)) {
        Ok(state) if state == "enabled" => check(
            "time-wait-sync",
            Status::Ok,
            format!("{unit} is enabled: timers wait for a synchronised clock at boot"),
            None,
        ),
        Ok(state) => check(
            "time-wait-sync",
            Status::Warn,
            format!(
                "{unit} is {state}: after boot, calendar timers may fire on a stale clock \
                 (a Pi without RTC boots with the last saved time)"
            ),
            Some(format!("systemctl enable {unit}")),
        ),
        Err(e) if is_file_not_found(&e) => check(
            "time-wait-sync",
            Status::Warn,
            format!(
                "{unit} is not installed: after boot, calendar timers may fire on a stale \
                 clock (a Pi without RTC boots with the last saved time)"
            ),
            Some(format!(
                "apt install systemd-timesyncd && systemctl enable {unit} (Debian 13 / \
                 Raspberry Pi OS trixie ship {unit} in systemd-timesyncd; Debian 12 in systemd)"
            )),
        ),
        Err(e) => check(
            "time-wait-sync",
            Status::Warn,
            format!("cannot read the state of {unit}: {}", bus_error_text(&e)),
            Some(format!("check it by hand: systemctl is-enabled {unit}")),
        ),
    };
    vec![sync, wait]
}

/// Whether systemd answered "no such unit file" (`GetUnitFileState` of a
/// unit that is not installed: `org.freedesktop.DBus.Error.FileNotFound` on
/// 257, `org.freedesktop.systemd1.NoSuchUnit` in some versions).
fn is_file_not_found(e: &zbus::Error) -> bool {
    matches!(e, zbus::Error::MethodError(name, _, _)
        if name.as_str().ends_with(".FileNotFound") || name.as_str().ends_with(".NoSuchUnit"))
}

/// A D-Bus error as a sentence: the error's own message without the error
/// name (`FileNotFound: ...` reads like a crash in doctor's table).
fn bus_error_text(e: &zbus::Error) -> String {
    match e {
        zbus::Error::MethodError(name, Some(msg), _) => format!("{msg} ({})", name.as_str()),
        other => other.to_string(),
    }
}

fn drift_check(paths: &Paths) -> Check {
    let report = match drift::scan(paths) {
        Ok(r) => r,
        Err(e) => {
            return check(
                "drift",
                Status::Warn,
                format!("cannot compare: {}", e.message),
                Some(e.hint.unwrap_or_else(|| {
                    "check that you may read the state and unit directories".into()
                })),
            );
        }
    };
    if report.is_clean() {
        return check(
            "drift",
            Status::Ok,
            "every job's units match its manifest".into(),
            None,
        );
    }
    let mut parts = Vec::new();
    for u in &report.orphaned {
        parts.push(format!("{} is orphaned (no {})", u.unit, u.owner.display()));
    }
    for d in &report.drifted {
        parts.push(format!("{} of job {} is {}", d.unit, d.job, d.problem));
    }
    for (name, msg) in &report.invalid {
        parts.push(format!("manifest {name} is invalid: {msg}"));
    }
    check(
        "drift",
        Status::Warn,
        parts.join("; "),
        Some("run `piar sync` to rewrite missing or changed units and remove orphaned ones".into()),
    )
}

fn disk_check(state_dir: &Path) -> Check {
    let Some(dir) = existing_ancestor(state_dir) else {
        return check(
            "disk-space",
            Status::Warn,
            "no existing directory to measure".into(),
            Some(format!("create {} (piar submit does)", state_dir.display())),
        );
    };
    let Ok(c) = CString::new(dir.as_os_str().as_bytes()) else {
        return check(
            "disk-space",
            Status::Warn,
            "path contains a NUL byte".into(),
            Some("set PIAR_STATE_DIR to a plain path".into()),
        );
    };
    // SAFETY: statvfs is plain old data; zeroed is a valid value.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c is a valid path, st a valid out pointer.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        let e = std::io::Error::last_os_error();
        return check(
            "disk-space",
            Status::Warn,
            format!("statvfs {}: {e}", dir.display()),
            Some(format!("check the file system: df -h {}", dir.display())),
        );
    }
    #[allow(clippy::unnecessary_cast)] // the field types differ between architectures
    let free = (st.f_bavail as u64).saturating_mul(st.f_frsize as u64);
    let mib = free / (1024 * 1024);
    let msg = format!("{mib} MiB free for {}", state_dir.display());
    let fix = || {
        Some(format!(
            "free space on the file system of {}",
            dir.display()
        ))
    };
    if free < DISK_FAIL_BYTES {
        check("disk-space", Status::Fail, msg, fix())
    } else if free < DISK_WARN_BYTES {
        check("disk-space", Status::Warn, msg, fix())
    } else {
        check("disk-space", Status::Ok, msg, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_version_reads_debian_and_plain_versions() {
        assert_eq!(major_version("252.38-1~deb12u1"), Some(252));
        assert_eq!(major_version("257"), Some(257));
        assert_eq!(major_version("v1"), None);
    }

    #[test]
    fn statuses_order_fail_worst() {
        assert!(Status::Fail > Status::Warn && Status::Warn > Status::Ok);
    }
}
