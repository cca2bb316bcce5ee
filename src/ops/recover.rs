//! Recovery after a crash: what `piar sync` (and, for run records, the
//! commands that read them) repair when a piar process died half-way.
//!
//! The crash points and what repairs each are enumerated in
//! `tests/integration/crash.rs`; the failpoints are in [`crate::failpoint`].
//!
//! - Runs: `piar trigger` holds a per-run lock (`<state>/runs/<job>/<run>.lock`,
//!   flock(2)) from before it writes the `running` record until the final
//!   record is written, then deletes it. A `running` record whose lock is
//!   free (its trigger is gone: the kernel drops flocks of dead processes) and
//!   whose run unit is no longer active can never be finished: [`settle`]
//!   marks it `lost`.
//! - Timers: a manifest's `enabled` is the truth; [`enablement`] enables and
//!   starts, or stops and disables, timers that disagree (a crash between
//!   writing the manifest or unit files and enabling/starting the timer).
//! - Callbacks: [`missing_callbacks`] queues the delivery of a finished run
//!   whose trigger died before writing its outbox entry.

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::ops::apply;
use crate::ops::callback::{self, outbox};
use crate::record::{self, RunRecord, RunStatus};
use crate::schedule::Schedule;
use crate::state::jobs::Store;
use crate::state::layout::Paths;
use crate::systemd::Systemd;

/// How far back [`missing_callbacks`] looks for finished runs with no outbox
/// entry: older ones are left alone (their entries may have been pruned).
pub const CALLBACK_LOOKBACK: Duration = Duration::from_secs(7 * 24 * 3600);

/// At most this many of a job's newest runs are checked by
/// [`missing_callbacks`], so `piar sync` stays cheap for jobs with long
/// histories (a crash loses at most the callback of the run in progress).
pub const CALLBACK_SCAN_MAX: usize = 100;

/// Path of a run's lock file.
fn lock_path(paths: &Paths, job: &str, run_id: &str) -> PathBuf {
    paths.runs_dir(job).join(format!("{run_id}.lock"))
}

/// The lock a live `piar trigger` holds on its run (see the module docs).
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    _file: File,
}

impl RunLock {
    /// Create and lock `<state>/runs/<job>/<run>.lock`. Call before the
    /// `running` record is written.
    pub fn take(paths: &Paths, job: &str, run_id: &str) -> Result<RunLock> {
        crate::state::fs::ensure_dir(&paths.runs_dir(job))?;
        let path = lock_path(paths, job, run_id);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("cannot open", &path, e))?;
        file.lock()
            .map_err(|e| Error::io("cannot lock", &path, e))?;
        Ok(RunLock { path, _file: file })
    }

    /// The run is recorded for good: delete the lock file (then unlock).
    pub fn release(self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            log::warn!("cannot remove {}: {e}", self.path.display());
        }
    }
}

/// Whether some process holds the job's lock (`<state>/locks/<job>.lock`,
/// taken by `piar trigger` while it decides on and starts a run).
fn job_lock_held(paths: &Paths, job: &str) -> Result<bool> {
    let path = paths.job_lock_file(job);
    match File::open(&path) {
        Ok(f) => match f.try_lock() {
            Ok(()) => Ok(false),
            Err(std::fs::TryLockError::WouldBlock) => Ok(true),
            Err(std::fs::TryLockError::Error(e)) => Err(Error::io("cannot lock", &path, e)),
        },
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io("cannot open", &path, e)),
    }
}

/// If `rec` is `running` but its trigger is gone and its run unit is not
/// active, mark it `lost` on disk and return the new record; else `None`.
/// Cheap for finished records (no I/O) and for live triggers (one flock
/// attempt); connects to the manager (`sd`, or `connect`) only for a
/// record whose trigger is gone.
pub fn settle(
    paths: &Paths,
    rec: &RunRecord,
    sd: Option<&Systemd>,
    scope: crate::state::layout::Scope,
) -> Result<Option<RunRecord>> {
    if rec.status != RunStatus::Running {
        return Ok(None);
    }
    let lock = lock_path(paths, &rec.job, &rec.run_id);
    // Hold the lock (if the file is there) while deciding, so a trigger
    // cannot be between "alive" and "finished" under us.
    let _held = match File::open(&lock) {
        Ok(f) => match f.try_lock() {
            Ok(()) => Some(f),
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::io("cannot lock", &lock, e));
            }
        },
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("cannot open", &lock, e)),
    };
    // The trigger may have finished between our read and the lock.
    let path = record::record_path(paths, &rec.job, &rec.run_id);
    let mut fresh = record::load(&path)?;
    if fresh.status != RunStatus::Running {
        return Ok(Some(fresh));
    }
    // A trigger that holds the job's lock is still starting runs of it: a
    // detached (allow/replace) run's trigger lets the run lock go before its
    // watcher takes it over, and keeps the job lock until the watcher has
    // it, so a fast run that already ended is not lost in that gap.
    if job_lock_held(paths, &rec.job)? {
        return Ok(None);
    }
    let owned;
    let sd = match sd {
        Some(s) => s,
        None => {
            owned = Systemd::connect(scope)?;
            &owned
        }
    };
    if !sd
        .list_units(crate::systemd::RUNNING_STATES, &[&fresh.unit])?
        .is_empty()
    {
        return Ok(None); // the job itself still runs; decide when it ends
    }
    let journal = crate::systemd::journal::unit_outcome(
        sd.scope,
        &fresh.unit,
        fresh.invocation_id.as_deref(),
    );
    conclude(&mut fresh, journal, jiff::Timestamp::now());
    // `crate::ops::trigger::run::cancel_marker` (not called: run.rs uses this module)
    let marker = paths
        .runs_dir(&fresh.job)
        .join(format!("{}.cancel", fresh.run_id));
    if fresh.status != RunStatus::Lost
        && let Ok(reason) = std::fs::read_to_string(&marker)
    {
        fresh.status = RunStatus::Canceled;
        let reason = reason.trim();
        fresh.reason = Some(if reason.is_empty() {
            "stopped with `piar stop`".to_string()
        } else {
            reason.to_string()
        });
    }
    let _ = std::fs::remove_file(&marker);
    record::save(paths, &fresh)?;
    let _ = std::fs::remove_file(&lock);
    log::warn!(
        "{}: run {} of a dead trigger recorded as {}",
        fresh.job,
        fresh.run_id,
        fresh.status.as_str()
    );
    Ok(Some(fresh))
}

/// The `reason` of a run whose outcome [`settle`] read from the journal.
pub const FROM_JOURNAL: &str = "its piar trigger died before recording the outcome; \
                                 the outcome was read from the journal (piar recover)";

/// Finish `rec` (a `running` record whose trigger is dead and whose run unit has ended) from
/// what the journal says about its unit (`journal`, [`crate::systemd::journal::unit_outcome`]):
///
/// - an end was logged: the TRUE outcome (`succeeded`, `failed` with the exit code or
///   signal, `timed_out`), with the unit's own start and end times, and
///   `reason` = [`FROM_JOURNAL`];
/// - the unit was seen but no end was logged (the machine lost power, or the manager died,
///   during the run): `lost`, ending when the unit was last seen (the crash, not `now`);
/// - nothing in the journal (the unit never started, or the journal was lost or rotated):
///   `lost`, ending `now`.
///
/// A `lost` run's `error` says which. Never invents success.
pub fn conclude(
    rec: &mut RunRecord,
    journal: Option<crate::systemd::journal::JournalOutcome>,
    now: jiff::Timestamp,
) {
    let at = |usec: Option<u64>| {
        usec.and_then(|u| jiff::Timestamp::from_microsecond(i64::try_from(u).ok()?).ok())
    };
    let mut end = now;
    match journal {
        Some(j) if j.result.is_some() => {
            let result = j.result.unwrap_or_default();
            rec.status = match result.as_str() {
                "success" => RunStatus::Succeeded,
                "timeout" => RunStatus::TimedOut,
                _ => RunStatus::Failed,
            };
            rec.result = Some(result);
            rec.exit_code = j.exit_code;
            rec.signal = j.signal.map(|s| {
                // journal gives `SIG<n>` for a signal it logged by number
                match s.strip_prefix("SIG").and_then(|n| n.parse::<i32>().ok()) {
                    Some(n) => record::signal_name(n),
                    None => s,
                }
            });
            if rec.signal.is_some() {
                rec.exit_code = None;
            }
            if j.invocation_id.is_some() {
                rec.invocation_id = j.invocation_id;
            }
            if let Some(t) = at(j.started_usec) {
                rec.started_at = crate::printer::rfc3339(t);
            }
            end = at(j.finished_usec).unwrap_or(now);
            rec.error = None;
            rec.reason = Some(FROM_JOURNAL.to_string());
        }
        Some(j) => {
            rec.status = RunStatus::Lost;
            let seen = at(j.last_seen_usec);
            end = seen.unwrap_or(now);
            rec.error = Some(format!(
                "the run was cut before it ended (power loss or a crash of the service \
                 manager): {} was last seen in the journal at {}; the outcome is unknown, \
                 see `piar logs`",
                rec.unit,
                seen.map_or_else(|| "an unknown time".to_string(), crate::printer::rfc3339)
            ));
        }
        None => {
            rec.status = RunStatus::Lost;
            rec.error = Some(format!(
                "the piar trigger of this run ended before recording its outcome (crash, \
                 kill or power loss) and the journal has no entry for {}: it never started, \
                 or its journal was lost or rotated; the outcome is unknown",
                rec.unit
            ));
        }
    }
    rec.finished_at = Some(crate::printer::rfc3339(end));
    rec.duration_ms = rec.started_at.parse::<jiff::Timestamp>().ok().map(|s| {
        end.as_millisecond()
            .saturating_sub(s.as_millisecond())
            .max(0) as u64
    });
}

/// [`settle`] every run that still has a lock file (a `running` record
/// always has one: it is created first and deleted last, so only lock files
/// are looked at, not every record); returns the records it finished (with their true
/// outcome, or `lost`: [`conclude`]). Lock files nobody holds whose record is final, or was
/// never written (the trigger died in between), are deleted.
pub fn dead_runs(paths: &Paths, sd: &Systemd) -> Result<Vec<RunRecord>> {
    let mut lost = Vec::new();
    for (job, dir) in crate::state::fs::dir_entries(&paths.state_dir.join("runs"))? {
        if !dir.is_dir() {
            continue;
        }
        for (file, lock) in crate::state::fs::dir_entries(&dir)? {
            let Some(id) = file.strip_suffix(".lock") else {
                continue;
            };
            let path = record::record_path(paths, &job, id);
            let rec = match record::load(&path) {
                Ok(rec) => rec,
                Err(e) if e.kind == crate::error::Kind::NotFound || !path.exists() => {
                    remove_if_free(&lock);
                    continue;
                }
                Err(e) => {
                    log::warn!("{e}");
                    continue;
                }
            };
            match settle(paths, &rec, Some(sd), sd.scope)? {
                Some(new) if rec.status == RunStatus::Running => lost.push(new),
                Some(_) => remove_if_free(&lock),
                None if rec.status != RunStatus::Running => remove_if_free(&lock),
                None => {} // its trigger or its run unit is still alive
            }
        }
    }
    Ok(lost)
}

/// Runs whose trigger died without finishing the record, as `(job, run id, what the journal
/// says)`: a lock file nobody holds whose record is missing or `running`. Reads files and
/// the journal only (no manager, writes nothing), for `piar doctor`; `piar recover` and
/// `piar sync` record them.
pub fn interrupted(paths: &Paths) -> Result<Vec<(String, String, String)>> {
    let mut found = Vec::new();
    for (job, dir) in crate::state::fs::dir_entries(&paths.state_dir.join("runs"))? {
        if !dir.is_dir() {
            continue;
        }
        for (file, lock) in crate::state::fs::dir_entries(&dir)? {
            let Some(id) = file.strip_suffix(".lock") else {
                continue;
            };
            let free = File::open(&lock).is_ok_and(|f| f.try_lock().is_ok());
            let rec = record::load(&record::record_path(paths, &job, id)).ok();
            let unfinished = rec.as_ref().is_none_or(|r| r.status == RunStatus::Running);
            if free && unfinished {
                found.push((job.clone(), id.to_string(), journal_says(paths.scope, rec)));
            }
        }
    }
    Ok(found)
}

/// What [`conclude`] would record for `rec` now, in words (`failed (exit code 3)`), from
/// the journal; without a record: that the trigger died before writing it.
fn journal_says(scope: crate::state::layout::Scope, rec: Option<RunRecord>) -> String {
    let Some(mut rec) = rec else {
        return "no run record was written".to_string();
    };
    let journal =
        crate::systemd::journal::unit_outcome(scope, &rec.unit, rec.invocation_id.as_deref());
    if journal.as_ref().is_some_and(|j| j.result.is_none()) {
        return "the journal logged no end yet (still running, or cut by a power loss)".into();
    }
    conclude(&mut rec, journal, jiff::Timestamp::now());
    let detail = match (&rec.exit_code, &rec.signal) {
        (_, Some(sig)) => format!(" (killed by {sig})"),
        (Some(c), None) => format!(" (exit code {c})"),
        (None, None) => String::new(),
    };
    match rec.status {
        RunStatus::Lost => "lost: the journal has no entry for its run unit".into(),
        s => format!("the journal says {}{detail}", s.as_str()),
    }
}

/// Delete a run's lock file if no live trigger holds it.
fn remove_if_free(lock: &std::path::Path) {
    if let Ok(f) = File::open(lock)
        && f.try_lock().is_ok()
    {
        let _ = std::fs::remove_file(lock);
    }
}

/// Make every timer agree with its manifest: [`timer_state`] with `fix` for every job.
/// Returns `(job, what was done)` per job changed.
pub fn enablement(sd: &Systemd, paths: &Paths) -> Result<Vec<(String, String)>> {
    let live = live_timers(sd)?;
    let mut done = Vec::new();
    for job in Store::new(paths).load_all()?.into_iter().flatten() {
        if let Some(what) = timer_state(sd, paths, &job, &live, true)? {
            done.push((job.name().to_string(), what));
        }
    }
    Ok(done)
}

/// The `ActiveState` of every loaded `piar-*.timer`, by name.
pub fn live_timers(sd: &Systemd) -> Result<std::collections::HashMap<String, String>> {
    Ok(sd
        .list_units(&[], &["piar-*.timer"])?
        .into_iter()
        .map(|u| (u.0, u.3))
        .collect())
}

/// Whether `job`'s timer agrees with its manifest: a timer that is wanted
/// (`enabled` and approved) is enabled (its `timers.target.wants/` link exists) and active
/// (an `@reboot` timer only enabled, see [`apply::boot_only`]); an unwanted one is neither.
/// One-shot (`at`) jobs whose time has passed and jobs without a timer file are left alone.
/// `live`: [`live_timers`]. With `fix`, enables and starts, or stops and disables, and
/// returns what was done (`piar-x.timer enabled and started`); without, changes nothing and
/// returns the disagreement (`piar-x.timer is not enabled, not active, but the manifest
/// says enabled`). `None`: they agree.
pub fn timer_state(
    sd: &Systemd,
    paths: &Paths,
    job: &crate::model::manifest::Job,
    live: &std::collections::HashMap<String, String>,
    fix: bool,
) -> Result<Option<String>> {
    let timer = crate::units::names::timer(job.name());
    let path = paths.unit_file(&timer);
    if job.schedule == Schedule::Manual || !path.exists() {
        return Ok(None);
    }
    let linked = apply::enablement_link(paths, &timer)
        .symlink_metadata()
        .is_ok();
    let active = live.get(&timer).is_some_and(|s| s == "active");
    let wanted = job.manifest.timer_wanted();
    let mut what = Vec::new();
    let mut wrong = Vec::new();
    if wanted {
        if let Schedule::At { at, .. } = &job.schedule
            && *at < jiff::Timestamp::now()
        {
            return Ok(None);
        }
        let boot_only = apply::boot_only(&std::fs::read_to_string(&path).unwrap_or_default());
        if !linked {
            wrong.push("not enabled");
            if fix {
                sd.enable(&[&timer])?;
                what.push("enabled");
            }
        }
        if !active && !boot_only {
            wrong.push("not active");
            if fix {
                sd.start(&timer)?;
                what.push("started");
            }
        }
    } else {
        if active {
            wrong.push("active");
            if fix {
                sd.stop(&timer)?;
                what.push("stopped");
            }
        }
        if linked {
            wrong.push("enabled");
            if fix {
                sd.disable(&[&timer])?;
                what.push("disabled");
            }
        }
    }
    if wrong.is_empty() {
        return Ok(None);
    }
    Ok(Some(if fix {
        format!("{timer} {}", what.join(" and "))
    } else {
        format!(
            "{timer} is {} but the manifest says {}",
            wrong.join(", "),
            if wanted {
                "enabled"
            } else if job.manifest.enabled {
                "awaiting approval"
            } else {
                "paused"
            }
        )
    }))
}

/// Converge one job to its manifest, so that re-running a command interrupted at any point
/// repairs what the crash left (issue 12 point 3): unit files that are missing, changed or
/// stale are rewritten and applied ([`crate::ops::drift::job_drift`], [`apply::apply`],
/// which also enables/starts or stops/disables the timer); otherwise units systemd has not
/// reloaded are reloaded and the timer is made to agree ([`timer_state`]). Call with the
/// store lock held. Returns what was repaired (empty: nothing to do).
pub fn converge(
    sd: &Systemd,
    paths: &Paths,
    job: &crate::model::manifest::Job,
) -> Result<Vec<String>> {
    let mut done = Vec::new();
    if job.manifest.is_rejected() {
        return Ok(done);
    }
    let drift = crate::ops::drift::job_drift(paths, job)?;
    if !drift.is_empty() {
        let rendered = apply::render(job, paths)?;
        apply::apply(sd, paths, job, &rendered)?;
        done.push(format!(
            "rewrote {}",
            drift
                .iter()
                .map(|d| format!("{} ({})", d.unit, d.problem))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        return Ok(done);
    }
    let service = crate::units::names::service(job.name());
    let timer = crate::units::names::timer(job.name());
    if sd.needs_reload(&[&service, &timer])? {
        sd.reload()?;
        done.push("reloaded systemd (units changed on disk)".to_string());
    }
    if let Some(what) = timer_state(sd, paths, job, &live_timers(sd)?, true)? {
        done.push(what);
    }
    Ok(done)
}

/// Queue the callbacks that finished runs want but never got (their
/// trigger died between the final record and the outbox entry; or a run
/// marked `lost`): runs finished after the manifest was last changed, within
/// [`CALLBACK_LOOKBACK`], among the newest [`CALLBACK_SCAN_MAX`]. Returns the delivery ids queued (pending;
/// [`callback::rearm_all`] schedules them).
pub fn missing_callbacks(paths: &Paths, scope: crate::state::layout::Scope) -> Result<Vec<String>> {
    let mut queued = Vec::new();
    let horizon = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::try_from(CALLBACK_LOOKBACK).unwrap_or_default())
        .unwrap_or(jiff::Timestamp::MIN);
    for job in Store::new(paths).load_all()?.into_iter().flatten() {
        let Some(spec) = &job.manifest.callback else {
            continue;
        };
        let since = job
            .manifest
            .updated
            .as_deref()
            .and_then(|u| u.parse::<jiff::Timestamp>().ok())
            // `updated` is rounded to the second (output::now_rfc3339)
            .and_then(|u| u.checked_sub(jiff::SignedDuration::from_secs(1)).ok())
            .map_or(horizon, |u| u.max(horizon));
        for id in record::run_ids(paths, job.name())
            .iter()
            .rev()
            .take(CALLBACK_SCAN_MAX)
        {
            let Ok(rec) = record::load(&record::record_path(paths, job.name(), id)) else {
                continue;
            };
            let finished = rec
                .finished_at
                .as_deref()
                .and_then(|f| f.parse::<jiff::Timestamp>().ok());
            let Some(finished) = finished else { continue };
            if finished < since {
                break; // ids sort by start time: older runs follow
            }
            if !callback::wanted(spec.on, rec.status) || retry_due(&job, &rec) {
                continue; // a retry's last attempt gets the callback
            }
            let delivery = callback::delivery_id(&rec);
            match outbox::load(paths, &delivery) {
                Ok(_) => continue,
                Err(e) if e.kind == crate::error::Kind::NotFound => {}
                Err(e) => return Err(e),
            }
            queued.push(callback::enqueue(paths, scope, &job, spec, &rec)?);
        }
    }
    Ok(queued)
}

/// One thing [`recover_all`] repaired (the rows of `piar recover` and part of `piar sync`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Repair {
    /// The job concerned (`-` for a leftover file of no job).
    pub job: String,
    /// `repaired` (a timer enabled/started/stopped/disabled as its manifest says),
    /// `run-settled` (a run of a dead trigger, finished with its true outcome from the
    /// journal), `run-lost` (one whose outcome is unknown), `retry-rearmed`,
    /// `defer-rearmed`, `callback-queued`, `callback-rearmed`, `tmp-removed` (a temporary
    /// file left by an interrupted atomic write).
    pub action: &'static str,
    /// Details: the run, the timer, the file.
    pub detail: String,
}

/// Everything piar repairs on its own after a crash or a power cut, without a person:
/// `piar recover` (run at boot by `piar-recover.service`) and the last step of `piar sync`.
/// Call with the store lock held. In order: leftover temporary files removed
/// ([`leftover_tmp`]), timers as their manifests say ([`enablement`]), runs of dead
/// triggers finished with their true outcome ([`dead_runs`], [`conclude`]), retries of
/// failed runs whose retry timer vanished re-armed ([`lost_retries`]), deferrals whose timer
/// vanished re-armed ([`lost_deferrals`]), callbacks never queued queued
/// ([`missing_callbacks`]), pending callbacks without a timer re-armed
/// ([`callback::rearm_all`]). Running it twice changes nothing the second time.
pub fn recover_all(sd: &Systemd, paths: &Paths) -> Result<Vec<Repair>> {
    let mut done = Vec::new();
    let mut push = |job: &str, action: &'static str, detail: String| {
        log::info!("recover: {job}: {action}: {detail}");
        done.push(Repair {
            job: job.to_string(),
            action,
            detail,
        });
    };
    for path in leftover_tmp(paths, TMP_MIN_AGE)? {
        crate::durable::remove_file(&path)?;
        push("-", "tmp-removed", path.display().to_string());
    }
    for (name, what) in enablement(sd, paths)? {
        push(&name, "repaired", what);
    }
    for rec in dead_runs(paths, sd)? {
        let (action, detail) = match rec.status {
            RunStatus::Lost => (
                "run-lost",
                format!(
                    "run {}: lost: {}",
                    rec.run_id,
                    rec.error.as_deref().unwrap_or("")
                ),
            ),
            s => {
                let how = match (&rec.exit_code, &rec.signal) {
                    (_, Some(sig)) => format!(", killed by {sig}"),
                    (Some(c), None) => format!(", exit code {c}"),
                    _ => String::new(),
                };
                (
                    "run-settled",
                    format!("run {}: {}{how} (from the journal)", rec.run_id, s.as_str()),
                )
            }
        };
        push(&rec.job, action, detail);
    }
    for (job, timer) in lost_retries(paths, sd)? {
        push(&job, "retry-rearmed", timer);
    }
    for (job, timer) in lost_deferrals(paths, sd)? {
        push(&job, "defer-rearmed", timer);
    }
    // `pause --until` / `resume --at` timers are transient: gone after a reboot
    for (name, what) in crate::ops::resume_timer::rearm_all(sd, paths)? {
        push(&name, "repaired", what);
    }
    for id in missing_callbacks(paths, sd.scope)? {
        push(&job_of_delivery(&id), "callback-queued", id);
    }
    for id in callback::rearm_all(paths, sd)? {
        push(&job_of_delivery(&id), "callback-rearmed", id);
    }
    Ok(done)
}

/// The job of a delivery id (`piar-<job>-<run-id>-<event>`, the run id being
/// `YYYYMMDD-HHMMSS-xxxx`); the id itself if it has another shape.
pub fn job_of_delivery(id: &str) -> String {
    let parts: Vec<&str> = id.rsplitn(5, '-').collect();
    match parts.as_slice() {
        [_, _, _, _, rest] => rest.strip_prefix("piar-").unwrap_or(rest).to_string(),
        _ => id.to_string(),
    }
}

/// The newest run record of `job`, if any.
fn newest_run(paths: &Paths, job: &str) -> Option<RunRecord> {
    let id = record::run_ids(paths, job).into_iter().next_back()?;
    record::load(&record::record_path(paths, job, &id)).ok()
}

/// Whether `rec` ended after `since` (its `finished_at`).
fn finished_after(rec: &RunRecord, since: jiff::Timestamp) -> bool {
    rec.finished_at
        .as_deref()
        .and_then(|f| f.parse::<jiff::Timestamp>().ok())
        .is_some_and(|f| f >= since)
}

/// `now - d`, or the beginning of time.
fn ago(d: Duration) -> jiff::Timestamp {
    jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::try_from(d).unwrap_or_default())
        .unwrap_or(jiff::Timestamp::MIN)
}

/// Whether a retry of `rec` is due under `job`'s policy: it failed or timed out with
/// attempts left (then its callback waits for the last attempt).
pub fn retry_due(job: &crate::model::manifest::Job, rec: &RunRecord) -> bool {
    crate::model::policy::parse(&job.manifest).is_ok_and(|p| {
        matches!(rec.status, RunStatus::Failed | RunStatus::TimedOut)
            && rec.attempt.unwrap_or(1) <= p.retries
    })
}

/// Re-arm the retry of each job whose newest run failed with retries left, finished within
/// [`CALLBACK_LOOKBACK`] and after the manifest's last change, and has no retry timer loaded
/// (transient timers do not survive a reboot; a trigger that died after the final record
/// never armed one). The retry is armed with the job's backoff from now
/// ([`crate::ops::trigger::retry::schedule_retry`]). Returns `(job, timer)` per re-armed
/// retry.
pub fn lost_retries(paths: &Paths, sd: &Systemd) -> Result<Vec<(String, String)>> {
    let mut armed = Vec::new();
    for job in Store::new(paths).load_all()?.into_iter().flatten() {
        let Some(rec) = newest_run(paths, job.name()) else {
            continue;
        };
        if !retry_due(&job, &rec) || !finished_after(&rec, since_change(&job)) {
            continue;
        }
        let retries = crate::units::names::Family::retries(job.name());
        let loaded = sd.list_units(&[], &retries.globs())?;
        let pending = retries.select(loaded.iter().map(|u| u.0.as_str()), |u| {
            paths.unit_file(u).exists()
        });
        if !pending.is_empty() {
            continue;
        }
        if crate::ops::trigger::retry::schedule_retry(sd, &job, &rec) {
            let first = rec.retry_of.clone().unwrap_or_else(|| rec.run_id.clone());
            let next = rec.attempt.unwrap_or(1) + 1;
            let stem = crate::units::names::retry_stem(job.name(), &first, next);
            armed.push((job.name().to_string(), format!("{stem}.timer")));
        }
    }
    Ok(armed)
}

/// Re-arm the deferral of each job that requires a synchronised clock whose newest run is
/// `deferred`, was deferred less than the deferral's whole budget ago
/// ([`crate::ops::trigger::defer::RETRY_EVERY`] x `MAX_ATTEMPTS`), and has no deferral
/// timer loaded (they do not survive a reboot). Returns `(job, timer)` per re-armed one.
pub fn lost_deferrals(paths: &Paths, sd: &Systemd) -> Result<Vec<(String, String)>> {
    use crate::ops::trigger::defer;
    let budget = defer::RETRY_EVERY * defer::MAX_ATTEMPTS;
    let mut armed = Vec::new();
    for job in Store::new(paths).load_all()?.into_iter().flatten() {
        if !job.manifest.require_synced_clock || !job.manifest.enabled {
            continue;
        }
        let Some(rec) = newest_run(paths, job.name()) else {
            continue;
        };
        if rec.status != RunStatus::Deferred || !finished_after(&rec, ago(budget)) {
            continue;
        }
        if let Some(timer) = defer::rearm(paths, sd, &job)? {
            armed.push((job.name().to_string(), timer));
        }
    }
    Ok(armed)
}

/// When `job`'s manifest last changed (`updated`, rounded down to the second), or
/// [`CALLBACK_LOOKBACK`] ago if later or unknown.
fn since_change(job: &crate::model::manifest::Job) -> jiff::Timestamp {
    let horizon = ago(CALLBACK_LOOKBACK);
    job.manifest
        .updated
        .as_deref()
        .and_then(|u| u.parse::<jiff::Timestamp>().ok())
        // `updated` is rounded to the second (printer::now_rfc3339)
        .and_then(|u| u.checked_sub(jiff::SignedDuration::from_secs(1)).ok())
        .map_or(horizon, |u| u.max(horizon))
}

/// A temporary file younger than this is left alone by [`leftover_tmp`]: it may belong to a
/// write in progress (a trigger writing a run record holds no store lock).
pub const TMP_MIN_AGE: Duration = Duration::from_secs(60);

/// Temporary files left by interrupted atomic writes (`state::fs::write_atomic` writes
/// `.tmpXXXXXX` next to its target, then renames it): every `.tmp*` file in the state
/// directory and its subdirectories (two levels: `runs/<job>/`), and in the unit directory
/// those whose text starts with piar's `# Generated by piar` header (other programs' files
/// there are not piar's to remove), at least `min_age` old. Sorted.
pub fn leftover_tmp(paths: &Paths, min_age: Duration) -> Result<Vec<PathBuf>> {
    let old_enough = |p: &std::path::Path| {
        p.symlink_metadata()
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= min_age)
    };
    let mut found = Vec::new();
    let mut dirs = vec![(paths.state_dir.clone(), 0)];
    while let Some((dir, depth)) = dirs.pop() {
        for (name, path) in crate::state::fs::dir_entries(&dir)? {
            let is_dir = path.symlink_metadata().is_ok_and(|m| m.is_dir());
            if is_dir && depth < 2 {
                dirs.push((path, depth + 1));
            } else if name.starts_with(".tmp") && old_enough(&path) {
                found.push(path);
            }
        }
    }
    for (name, path) in crate::state::fs::dir_entries(&paths.unit_dir)? {
        if name.starts_with(".tmp") && old_enough(&path) && is_piar_generated(&path) {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// Whether `path` starts with the header of a piar-generated unit file.
fn is_piar_generated(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 64];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    String::from_utf8_lossy(&head[..n])
        .lines()
        .take(3)
        .any(|l| l.starts_with(crate::ops::drift::MARKER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::systemd::journal::JournalOutcome;

    fn running() -> RunRecord {
        RunRecord {
            version: record::VERSION,
            job: "j".into(),
            run_id: "20260101-000000-abcd".into(),
            unit: "piar-j.run-20260101-000000-abcd.service".into(),
            status: RunStatus::Running,
            command: vec!["/bin/true".into()],
            invocation_id: None,
            trigger_invocation_id: None,
            result: None,
            exit_code: None,
            signal: None,
            started_at: "2026-01-01T00:00:00Z".into(),
            finished_at: None,
            duration_ms: None,
            error: None,
            scheduled_for: None,
            artifact: None,
            attempt: None,
            retry_of: None,
            reason: None,
            trigger: None,
        }
    }

    const T0: u64 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z in µs

    #[test]
    fn a_logged_end_is_the_true_outcome() {
        let mut rec = running();
        let j = JournalOutcome {
            result: Some("exit-code".into()),
            exit_code: Some(3),
            finished_usec: Some(T0 + 2_000_000),
            ..Default::default()
        };
        conclude(&mut rec, Some(j), jiff::Timestamp::now());
        assert_eq!(rec.status, RunStatus::Failed);
        assert_eq!(rec.exit_code, Some(3));
        assert_eq!(rec.duration_ms, Some(2000));
        assert_eq!(rec.reason.as_deref(), Some(FROM_JOURNAL));
        let mut rec = running();
        let j = JournalOutcome {
            result: Some("success".into()),
            exit_code: Some(0),
            ..Default::default()
        };
        conclude(&mut rec, Some(j), jiff::Timestamp::now());
        assert_eq!(rec.status, RunStatus::Succeeded);
        let mut rec = running();
        let j = JournalOutcome {
            result: Some("signal".into()),
            signal: Some("SIG9".into()),
            ..Default::default()
        };
        conclude(&mut rec, Some(j), jiff::Timestamp::now());
        assert_eq!(rec.signal.as_deref(), Some("SIGKILL"));
    }

    #[test]
    fn no_logged_end_is_lost_at_the_crash_never_success() {
        let mut rec = running();
        let j = JournalOutcome {
            last_seen_usec: Some(T0 + 5_000_000),
            ..Default::default()
        };
        conclude(&mut rec, Some(j), jiff::Timestamp::now());
        assert_eq!(rec.status, RunStatus::Lost);
        assert_eq!(rec.duration_ms, Some(5000), "ends when last seen, not now");
        assert!(rec.error.as_deref().unwrap().contains("last seen"));
        let mut rec = running();
        conclude(&mut rec, None, jiff::Timestamp::now());
        assert_eq!(rec.status, RunStatus::Lost);
        assert!(rec.error.as_deref().unwrap().contains("no entry"));
    }

    #[test]
    fn delivery_ids_map_back_to_jobs() {
        assert_eq!(
            job_of_delivery("piar-a-b-20260101-000000-abcd-completed"),
            "a-b"
        );
        assert_eq!(job_of_delivery("odd"), "odd");
    }

    #[test]
    fn finds_old_tmp_files_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("state");
        let units = dir.path().join("units");
        std::fs::create_dir_all(state.join("runs/j")).unwrap();
        std::fs::create_dir_all(&units).unwrap();
        std::fs::write(state.join("runs/j/.tmpAbC123"), "{").unwrap();
        std::fs::write(state.join("jobs.toml"), "x").unwrap();
        std::fs::write(units.join(".tmpX1"), "# Generated by piar 0.1; x\n").unwrap();
        std::fs::write(units.join(".tmpX2"), "[Unit]\n").unwrap();
        let paths = Paths {
            scope: crate::state::layout::Scope::System,
            unit_dir: units.clone(),
            state_dir: state.clone(),
        };
        assert!(
            leftover_tmp(&paths, Duration::from_secs(3600))
                .unwrap()
                .is_empty()
        );
        let found = leftover_tmp(&paths, Duration::ZERO).unwrap();
        assert_eq!(
            found,
            vec![state.join("runs/j/.tmpAbC123"), units.join(".tmpX1")]
        );
    }
}
