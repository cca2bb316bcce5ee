//! `require_synced_clock = true`: do not run a job on a clock that is not synchronised.
//!
//! A Raspberry Pi has no real-time clock: it boots with the time of its last shutdown
//! (fake-hwclock) until NTP corrects it, and a calendar timer may fire on that stale time.
//! For a job that opts in, `piar trigger` first asks whether the clock is synchronised:
//!
//! - **yes**: the run happens; pending retry timers of the job are stopped.
//! - **no**: the run is recorded with status `deferred` and retried by a transient
//!   `piar-<job>.defer-<n>.timer` ([`RETRY_EVERY`] later, an absolute `OnCalendar=`) whose
//!   service runs `piar trigger <job>` again with `PIAR_DEFER_ATTEMPT=<n>`. Retries that
//!   defer again write no new record. A calendar tick while a retry is pending does not
//!   start a second chain. After [`MAX_ATTEMPTS`] retries (2 hours) the run is given up
//!   and recorded as `failed` (so `on = "failure"` callbacks fire).
//!
//! "Synchronised" is what systemd itself means (`timedatectl`'s `NTPSynchronized`, computed
//! by `ntp_synced()` in systemd's time-util.c): the kernel's `adjtimex(2)` reports a maximum
//! error below 16 s. piar asks the kernel directly (`adjtimex` with `modes = 0`, which
//! only reads and needs no privilege), so it works in the user scope, without D-Bus and
//! inside containers, the same on a Pi. NTP clients (systemd-timesyncd, chrony, ntpd)
//! set that state when they discipline the clock.
//!
//! Why polling rather than `time-sync.target`: that target is passive and is reached at
//! once unless `systemd-time-wait-sync.service` is enabled (design notes; `piar doctor`
//! reports it), so a unit ordered after it would not wait for a real sync on most Pis.
//! A 30 s poll of the kernel's own state works either way.
//!
//! Testing: `PIAR_CLOCK_SYNCED=1` or `=0` in the environment of `piar trigger` overrides
//! the answer. It is read only from trigger's own environment (piar renders the units and
//! never writes it into one; the retry service does not inherit it), so only someone who
//! can already run commands as the job's owner can set it.

use std::time::Duration;

use crate::error::Result;
use crate::model::manifest::Job;
use crate::record::{self, RunRecord, RunStatus};
use crate::state::layout::Paths;
use crate::systemd::Systemd;
use crate::units::names::Family;
use crate::units::self_exe::SelfTimer;

/// Time between retries of a deferred run.
pub const RETRY_EVERY: Duration = Duration::from_secs(30);

/// Retries before a deferred run is given up: 240 x 30 s = 2 hours.
pub const MAX_ATTEMPTS: u32 = 240;

/// Environment variable carrying the retry number to the retry's `piar trigger`.
pub const ATTEMPT_ENV: &str = "PIAR_DEFER_ATTEMPT";

/// Test override of the clock state (`1` synchronised, `0` not).
pub const OVERRIDE_ENV: &str = "PIAR_CLOCK_SYNCED";

/// systemd's threshold: synchronised when `adjtimex` reports `maxerror` below 16 s (µs).
const MAX_ERROR_USEC: i64 = 16_000_000;

/// Whether the clock is synchronised, and why piar thinks so (for logs and records).
pub fn clock_synchronized() -> (bool, String) {
    match std::env::var(OVERRIDE_ENV).as_deref() {
        Ok("1") => return (true, format!("{OVERRIDE_ENV}=1")),
        Ok("0") => return (false, format!("{OVERRIDE_ENV}=0")),
        _ => {}
    }
    // SAFETY: an all-zero timex is valid; modes = 0 makes adjtimex read-only.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    // SAFETY: tx is a valid, writable timex.
    let state = unsafe { libc::adjtimex(&mut tx) };
    if state < 0 {
        let e = std::io::Error::last_os_error();
        return (false, format!("adjtimex failed: {e}"));
    }
    // c_long: i64 on arm64/amd64, i32 on armhf.
    #[allow(clippy::useless_conversion)]
    let maxerror = i64::from(tx.maxerror);
    (
        maxerror < MAX_ERROR_USEC,
        format!("adjtimex maxerror {maxerror} us (synchronised below 16 s)"),
    )
}

/// What `piar trigger` should do for a job after the clock check.
#[derive(Debug)]
pub enum Decision {
    /// Run it now.
    Run,
    /// Not now: `Some(record)` when a `deferred` record was written, `None` when an
    /// earlier deferral is still pending or this retry deferred again.
    Deferred(Option<RunRecord>),
    /// Given up after [`MAX_ATTEMPTS`]: a `failed` record was written.
    GaveUp(RunRecord),
}

/// The clock check of `piar trigger` for `job` (only call it when the job requires a
/// synchronised clock). Errors: records or transient units that cannot be written.
pub fn check(paths: &Paths, sd: &Systemd, job: &Job) -> Result<Decision> {
    let name = job.name();
    let attempt: u32 = std::env::var(ATTEMPT_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let pending = pending_timers(paths, sd, name)?;
    let (synced, why) = clock_synchronized();
    if synced {
        for t in &pending {
            if let Err(e) = sd.stop(t) {
                log::warn!("{name}: cannot stop {t}: {e}");
            }
        }
        if attempt > 0 {
            log::info!("{name}: clock synchronised ({why}); running the deferred run");
        }
        return Ok(Decision::Run);
    }
    if attempt == 0 && !pending.is_empty() {
        log::warn!(
            "{name}: clock not synchronised ({why}); a deferred run is already pending ({})",
            pending.join(", ")
        );
        return Ok(Decision::Deferred(None));
    }
    if attempt >= MAX_ATTEMPTS {
        let msg = format!(
            "the clock was not synchronised within {} ({why}); run dropped (require_synced_clock)",
            humantime::format_duration(RETRY_EVERY * MAX_ATTEMPTS)
        );
        log::error!("{name}: {msg}");
        let rec = new_record(job, RunStatus::Failed, String::new(), msg);
        record::save(paths, &rec)?;
        return Ok(Decision::GaveUp(rec));
    }
    let next = attempt + 1;
    let timer = arm(sd, job, next)?;
    let msg = format!(
        "clock not synchronised ({why}); deferred, retried every {}s for up to {} by {timer}",
        RETRY_EVERY.as_secs(),
        humantime::format_duration(RETRY_EVERY * MAX_ATTEMPTS)
    );
    log::warn!("{name}: {msg}");
    if attempt > 0 {
        return Ok(Decision::Deferred(None));
    }
    let rec = new_record(job, RunStatus::Deferred, timer, msg);
    record::save(paths, &rec)?;
    Ok(Decision::Deferred(Some(rec)))
}

/// Loaded deferral timers of `job` (`piar-<job>.defer-*.timer`, see
/// [`crate::units::names`]) that have not elapsed.
fn pending_timers(paths: &Paths, sd: &Systemd, job: &str) -> Result<Vec<String>> {
    let defers = Family::defers(job);
    let units = sd.list_units(&["active"], &defers.globs())?;
    Ok(defers
        .select(units.iter().map(|u| u.0.as_str()), |u| {
            paths.unit_file(u).exists()
        })
        .into_iter()
        .map(|n| n.unit)
        .collect())
}

/// A finished record of a run that did not start.
fn new_record(job: &Job, status: RunStatus, unit: String, error: String) -> RunRecord {
    let now = jiff::Timestamp::now();
    RunRecord {
        version: record::VERSION,
        job: job.name().to_string(),
        run_id: record::new_run_id(),
        unit,
        status,
        command: job.manifest.command.clone(),
        invocation_id: None,
        trigger_invocation_id: std::env::var("INVOCATION_ID").ok(),
        result: None,
        exit_code: None,
        signal: None,
        started_at: now.to_string(),
        finished_at: Some(now.to_string()),
        duration_ms: Some(0),
        error: Some(error),
        scheduled_for: None,
        artifact: None,
        attempt: None,
        retry_of: None,
        reason: None,
    }
}

/// Start `piar-<job>.defer-<n>.timer` (an absolute `OnCalendar=` [`RETRY_EVERY`] from now, `AccuracySec=1s`)
/// with its service running `piar --system|--user trigger <job>` and
/// `PIAR_DEFER_ATTEMPT=<n>`. Returns the timer's name.
fn arm(sd: &Systemd, job: &Job, n: u32) -> Result<String> {
    let name = job.name();
    let stem = crate::units::names::defer_stem(name, n);
    let timer_name = SelfTimer {
        stem,
        delay: RETRY_EVERY,
        accuracy: Duration::from_secs(1),
        args: vec!["trigger".into(), name.to_string()],
        env: vec![format!("{ATTEMPT_ENV}={n}")],
        service_description: format!("piar job {name}: deferred run, retry {n}"),
        timer_description: format!(
            "piar job {name}: retry a run deferred for an unsynchronised clock"
        ),
    }
    .start(sd)?;
    Ok(timer_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kernel_clock_state_without_failing() {
        // Whatever the machine says, adjtimex answers (no override set in unit tests).
        if std::env::var_os(OVERRIDE_ENV).is_none() {
            let (_, why) = clock_synchronized();
            assert!(why.starts_with("adjtimex maxerror"), "{why}");
        }
        assert_eq!(RETRY_EVERY * MAX_ATTEMPTS, Duration::from_secs(2 * 3600));
    }
}
