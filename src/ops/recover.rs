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
    fresh.status = RunStatus::Lost;
    fresh.error = Some(
        "the piar trigger of this run ended before recording its outcome (crash or kill); \
         the outcome is unknown: see `piar logs`"
            .to_string(),
    );
    let now = jiff::Timestamp::now();
    fresh.finished_at = Some(now.to_string());
    fresh.duration_ms = fresh.started_at.parse::<jiff::Timestamp>().ok().map(|s| {
        now.as_millisecond()
            .saturating_sub(s.as_millisecond())
            .max(0) as u64
    });
    record::save(paths, &fresh)?;
    let _ = std::fs::remove_file(&lock);
    log::warn!("{}: run {} marked lost", fresh.job, fresh.run_id);
    Ok(Some(fresh))
}

/// [`settle`] every run that still has a lock file (a `running` record
/// always has one: it is created first and deleted last, so only lock files
/// are looked at, not every record); returns the records marked lost. Lock
/// files nobody holds whose record is final, or was never written (the
/// trigger died in between), are deleted.
pub fn lost_runs(paths: &Paths, sd: &Systemd) -> Result<Vec<RunRecord>> {
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
                Some(new) if new.status == RunStatus::Lost => lost.push(new),
                Some(_) => remove_if_free(&lock),
                None if rec.status != RunStatus::Running => remove_if_free(&lock),
                None => {} // its trigger or its run unit is still alive
            }
        }
    }
    Ok(lost)
}

/// Runs whose trigger died without finishing the record, as `(job, run id)`:
/// a lock file nobody holds whose record is missing or `running`. Reads
/// files only (no manager), for `piar doctor`; `piar sync` repairs them.
pub fn interrupted(paths: &Paths) -> Result<Vec<(String, String)>> {
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
            let unfinished = record::load(&record::record_path(paths, &job, id))
                .map_or(true, |r| r.status == RunStatus::Running);
            if free && unfinished {
                found.push((job.clone(), id.to_string()));
            }
        }
    }
    Ok(found)
}

/// Delete a run's lock file if no live trigger holds it.
fn remove_if_free(lock: &std::path::Path) {
    if let Ok(f) = File::open(lock)
        && f.try_lock().is_ok()
    {
        let _ = std::fs::remove_file(lock);
    }
}

/// Make every timer agree with its manifest's `enabled`: enabled jobs get
/// their timer enabled and started, paused ones stopped and disabled.
/// Returns `(job, what was done)` per job changed. One-shot (`at`) jobs whose
/// time has passed are not started again.
pub fn enablement(sd: &Systemd, paths: &Paths) -> Result<Vec<(String, String)>> {
    let live: std::collections::HashMap<String, String> = sd
        .list_units(&[], &["piar-*.timer"])?
        .into_iter()
        .map(|u| (u.0, u.3))
        .collect();
    let mut done = Vec::new();
    for job in Store::new(paths).load_all()?.into_iter().flatten() {
        let timer = crate::units::names::timer(job.name());
        if job.schedule == Schedule::Manual || !paths.unit_file(&timer).exists() {
            continue;
        }
        let linked = apply::enablement_link(paths, &timer)
            .symlink_metadata()
            .is_ok();
        let active = live.get(&timer).is_some_and(|s| s == "active");
        let mut what = Vec::new();
        if job.manifest.enabled {
            if let Schedule::At { at, .. } = &job.schedule
                && *at < jiff::Timestamp::now()
            {
                continue;
            }
            if !linked {
                sd.enable(&[&timer])?;
                what.push("enabled");
            }
            if !active {
                sd.start(&timer)?;
                what.push("started");
            }
        } else {
            if active {
                sd.stop(&timer)?;
                what.push("stopped");
            }
            if linked {
                sd.disable(&[&timer])?;
                what.push("disabled");
            }
        }
        if !what.is_empty() {
            done.push((
                job.name().to_string(),
                format!("{timer} {}", what.join(" and ")),
            ));
        }
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
            if !callback::wanted(spec.on, rec.status) {
                continue;
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
