//! "Run piar again later": the run-path binary ([`helper_path`]: the lean
//! `piar-trigger` when it is installed) as an `ExecStart=`, and the
//! transient timer + oneshot service pair that runs it after a delay (used by
//! clock-sync deferrals, retries, callback attempts; the watcher, the
//! manual trigger unit of `piar run` ([`manual_trigger_properties`]) and the
//! job's `piar-<job>.service` use [`SelfExe`] alone).

use std::path::PathBuf;
use std::time::Duration;

use zbus::zvariant::Value;

use crate::error::{Error, Result};
use crate::scope::Scope;
use crate::systemd::Systemd;

/// The run-path piar binary ([`helper_path`]) plus what a unit needs to run
/// it in the same scope and state directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfExe {
    /// Absolute path of the binary, without the ` (deleted)` that
    /// `/proc/self/exe` shows after a package upgrade replaced the file
    /// (proc(5)): the new binary at that path is the one to run.
    pub path: String,
    /// `--system` or `--user`.
    pub scope_flag: &'static str,
    /// `PIAR_STATE_DIR=<dir>` when set (tests and private state dirs), as
    /// `Environment=` entries.
    pub env: Vec<String>,
}

/// The path of the running binary, ` (deleted)` trimmed (see [`SelfExe::path`]).
/// Errors (exit 1): `/proc/self/exe` cannot be read.
pub fn current_path() -> Result<PathBuf> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::failed(format!("cannot find the piar executable: {e}")))?;
    match exe.to_str().and_then(|s| s.strip_suffix(" (deleted)")) {
        Some(trimmed) => Ok(PathBuf::from(trimmed)),
        None => Ok(exe),
    }
}

/// File name of the lean run-path binary (`src/bin/piar-trigger.rs`,
/// `crate::run_path`).
pub const HELPER_NAME: &str = "piar-trigger";

/// Where the Debian package installs [`HELPER_NAME`] (beside `piar-mcp`).
pub const INSTALLED_HELPER: &str = "/usr/lib/piar/piar-trigger";

/// The binary piar's units run on the run path (a job's `piar-<job>.service`,
/// watchers, retries, deferrals, callback attempts, `piar run`'s trigger
/// unit), as an absolute path: `piar-trigger` beside the running binary (the
/// running binary itself when it is `piar-trigger`), else
/// [`INSTALLED_HELPER`] if it exists, else the running binary, whose
/// `trigger` and `callback` verbs take the same arguments (so a piar built or
/// installed without the helper still works). Issue 18: the helper maps a
/// fraction of the full CLI's pages per timer elapse.
/// Errors (exit 1): `/proc/self/exe` cannot be read.
pub fn helper_path() -> Result<PathBuf> {
    let me = current_path()?;
    if me.file_name().is_some_and(|n| n == HELPER_NAME) {
        return Ok(me);
    }
    let sibling = me.with_file_name(HELPER_NAME);
    if is_executable(&sibling) {
        return Ok(sibling);
    }
    let installed = PathBuf::from(INSTALLED_HELPER);
    if is_executable(&installed) {
        return Ok(installed);
    }
    Ok(me)
}

/// The full CLI binary, for units that run a verb the run-path helper does
/// not have (`resume` of `pause --until`): the running binary, or, when that
/// is [`HELPER_NAME`], `piar` beside it, else `/usr/bin/piar`.
/// Errors (exit 1): `/proc/self/exe` cannot be read.
pub fn cli_path() -> Result<PathBuf> {
    let me = current_path()?;
    if me.file_name().is_none_or(|n| n != HELPER_NAME) {
        return Ok(me);
    }
    let sibling = me.with_file_name("piar");
    if is_executable(&sibling) {
        return Ok(sibling);
    }
    Ok(PathBuf::from("/usr/bin/piar"))
}

/// Whether `args` (piar's arguments after the scope flag) are a run-path verb
/// that [`HELPER_NAME`] parses (`trigger`, `callback`; `crate::run_path`).
pub fn is_run_path(args: &[String]) -> bool {
    matches!(
        args.first().map(String::as_str),
        Some("trigger" | "callback")
    )
}

fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

impl SelfExe {
    /// The run-path binary ([`helper_path`]) for units of `scope`.
    pub fn current(scope: Scope) -> Result<SelfExe> {
        let path = helper_path()?.to_string_lossy().into_owned();
        let env = std::env::var_os("PIAR_STATE_DIR")
            .map(|s| vec![format!("PIAR_STATE_DIR={}", s.to_string_lossy())])
            .unwrap_or_default();
        Ok(SelfExe {
            path,
            scope_flag: scope.flag(),
            env,
        })
    }

    /// `ExecStart=` of `piar --system|--user ARGS...` in D-Bus form
    /// (`a(sasb)`: path, argv, ignore-failure).
    pub fn exec_start(&self, args: &[String]) -> Value<'static> {
        let mut argv = vec![self.path.clone(), self.scope_flag.to_string()];
        argv.extend(args.iter().cloned());
        Value::from(vec![(self.path.clone(), argv, false)])
    }
}

/// Environment variable set (to `1`) in the manual trigger unit's
/// environment: the trigger it runs was started by `piar run`, not by the
/// job's timer, so the run gets no `scheduled_for` (`crate::model::template`).
pub const MANUAL_START_ENV: &str = "PIAR_MANUAL_START";

/// The properties of `piar-<job>.manual-<id>.service` (see
/// `crate::units::names::manual`), the transient unit `piar run` starts:
/// what the job's `piar-<job>.service` gives the trigger (`Type=oneshot`,
/// `ExecStart=piar --system|--user trigger <job>`, default dependencies, no
/// start timeout) plus [`SelfExe::env`], [`MANUAL_START_ENV`]`=1`,
/// `CollectMode=inactive-or-failed` (a failed trigger leaves no unit behind)
/// and `SyslogIdentifier=piar-<job>` for what the trigger writes to stdout
/// and stderr (its log lines carry `PIAR_JOB=<job>` themselves,
/// `crate::logging`). `add_ref`:
/// `AddRef=true`, pinning the unit until the caller disconnects so its
/// outcome (invocation ID) can be read after it ended.
pub fn manual_trigger_properties(
    exe: &SelfExe,
    job: &str,
    run_id: &str,
    add_ref: bool,
) -> Vec<(&'static str, Value<'static>)> {
    let mut env = exe.env.clone();
    env.push(format!("{MANUAL_START_ENV}=1"));
    let mut props: Vec<(&'static str, Value<'static>)> = vec![
        (
            "Description",
            Value::from(format!("piar job {job}: manual run (piar run)")),
        ),
        ("Type", Value::from("oneshot")),
        (
            "ExecStart",
            exe.exec_start(&[
                "trigger".to_string(),
                job.to_string(),
                "--run-id".to_string(),
                run_id.to_string(),
            ]),
        ),
        ("Environment", Value::from(env)),
        ("CollectMode", Value::from("inactive-or-failed")),
        ("SyslogIdentifier", Value::from(format!("piar-{job}"))),
    ];
    if add_ref {
        props.push(("AddRef", Value::from(true)));
    }
    props
}

/// The shortest delay a [`SelfTimer`] uses: enough for StartTransientUnit to
/// reach the manager before the elapse time.
pub const MIN_DELAY: Duration = Duration::from_millis(500);

/// The `OnCalendar=` spec for `now + max(delay, MIN_DELAY)`: a UTC timestamp
/// with microseconds (`2026-12-02 03:50:30.250000 UTC`, systemd.time(7)).
/// Errors: the time is beyond what a timestamp can hold (a delay of
/// thousands of years).
pub fn elapse_spec(now: jiff::Timestamp, delay: Duration) -> Result<String> {
    let delay = jiff::SignedDuration::try_from(delay.max(MIN_DELAY))
        .map_err(|_| Error::failed("a timer delay is too large"))?;
    let at = now
        .checked_add(delay)
        .map_err(|_| Error::failed("a timer delay is too large"))?;
    Ok(at.strftime("%Y-%m-%d %H:%M:%S%.6f UTC").to_string())
}

/// A transient `<stem>.timer` whose `<stem>.service` (oneshot, collected when
/// it ends) runs `piar ARGS...` once, `delay` from now.
///
/// The timer elapses at an absolute wall-clock time (`OnCalendar=` with the
/// UTC timestamp, microseconds kept), not `OnActiveSec=`: a monotonic timer
/// relative to its own activation is re-armed by every `daemon-reload`
/// (systemd issues 16186, 31914), so on a busy machine (apt upgrades, piar's
/// own reloads on systemd 254+) a 30 s retry could be pushed back again and
/// again. A calendar time does not move on reload.
#[derive(Debug, Clone)]
pub struct SelfTimer {
    /// Unit-name stem from `crate::units::names`.
    pub stem: String,
    /// Delay from now; at least [`MIN_DELAY`] is used, so the elapse time is
    /// still ahead when the manager loads the timer (a calendar time already
    /// past at that moment would never elapse).
    pub delay: Duration,
    /// `AccuracySec=` of the timer.
    pub accuracy: Duration,
    /// piar's arguments after the scope flag.
    pub args: Vec<String>,
    /// Extra `Environment=` entries of the service (`K=V`).
    pub env: Vec<String>,
    /// `Description=` of the service.
    pub service_description: String,
    /// `Description=` of the timer.
    pub timer_description: String,
}

impl SelfTimer {
    /// Start the pair on `sd`'s manager (StartTransientUnit with the service
    /// as an auxiliary unit, org.freedesktop.systemd1(5)). Returns the
    /// timer's name. Errors: the binary's path, or the manager refused.
    pub fn start(&self, sd: &Systemd) -> Result<String> {
        let mut exe = SelfExe::current(sd.scope)?;
        if !is_run_path(&self.args) {
            // e.g. `resume`: only the full CLI has it
            exe.path = cli_path()?.to_string_lossy().into_owned();
        }
        let mut env = exe.env.clone();
        env.extend(self.env.iter().cloned());
        let service: Vec<(&str, Value)> = vec![
            ("Description", Value::from(self.service_description.clone())),
            ("Type", Value::from("oneshot")),
            ("ExecStart", exe.exec_start(&self.args)),
            ("Environment", Value::from(env)),
            ("CollectMode", Value::from("inactive-or-failed")),
        ];
        let elapse = elapse_spec(jiff::Timestamp::now(), self.delay)?;
        let accuracy = u64::try_from(self.accuracy.as_micros()).unwrap_or(u64::MAX);
        let timer: Vec<(&str, Value)> = vec![
            ("Description", Value::from(self.timer_description.clone())),
            (
                "TimersCalendar",
                Value::from(vec![("OnCalendar".to_string(), elapse)]),
            ),
            ("AccuracyUSec", Value::from(accuracy)),
            ("RemainAfterElapse", Value::from(false)),
        ];
        let service_name = format!("{}.service", self.stem);
        let timer_name = format!("{}.timer", self.stem);
        let aux: Vec<(&str, &[(&str, Value)])> = vec![(service_name.as_str(), service.as_slice())];
        sd.manager()
            .start_transient_unit(&timer_name, "fail", &timer, &aux)
            .map_err(crate::systemd::classify_bus_error)?;
        Ok(timer_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapse_is_an_absolute_utc_time_at_least_min_delay_ahead() {
        let now: jiff::Timestamp = "2026-12-02T03:50:00.123456Z".parse().unwrap();
        assert_eq!(
            elapse_spec(now, Duration::from_secs(30)).unwrap(),
            "2026-12-02 03:50:30.123456 UTC"
        );
        assert_eq!(
            elapse_spec(now, Duration::ZERO).unwrap(),
            "2026-12-02 03:50:00.623456 UTC"
        );
        assert!(elapse_spec(now, Duration::from_secs(u64::MAX)).is_err());
    }
}
