//! A job's live status: its state, next and last run, combining the
//! manager's view (one `ListUnitsByPatterns` call for all jobs, then the
//! timer's properties per job) with the last run record.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use zbus::zvariant::OwnedObjectPath;

use crate::error::Result;
use crate::model::manifest::Job;
use crate::printer::usec_to_timestamp;
use crate::record;
use crate::schedule::Schedule;
use crate::state::layout::Paths;
use crate::systemd::Systemd;
use crate::units::names::{Family, Kind, UnitName};

/// What the manager says about every piar unit, from one D-Bus call.
pub struct Live {
    /// Loaded `piar-*.timer` units: name -> (active state, sub state, object path).
    timers: HashMap<String, (String, String, OwnedObjectPath)>,
    /// Jobs that have a run unit that is active or activating.
    running: HashSet<String>,
}

impl Live {
    /// Ask the manager once for all piar timers and run units.
    pub fn query(paths: &Paths, sd: &Systemd) -> Result<Live> {
        let runs = Family::all_runs();
        let mut globs = vec!["piar-*.timer"];
        globs.extend(runs.globs());
        Ok(Live::from_units(sd.list_units(&[], &globs)?, |u| {
            paths.unit_file(u).exists()
        }))
    }

    /// Ask the manager once for one job's timer and run units: what `submit`
    /// and `show` need, at a cost that does not grow with the number of jobs
    /// (`ListUnitsByPatterns` with `piar-*` returns every job's timer).
    /// `name` is a validated job name (`[a-z0-9_-]`, no glob characters).
    pub fn query_job(paths: &Paths, sd: &Systemd, name: &str) -> Result<Live> {
        let timer = crate::units::names::timer(name);
        let runs = Family::runs(name);
        let mut globs = vec![timer.as_str()];
        globs.extend(runs.globs());
        Ok(Live::from_units(sd.list_units(&[], &globs)?, |u| {
            paths.unit_file(u).exists()
        }))
    }

    /// Sort `ListUnitsByPatterns` entries into timers and running jobs.
    fn from_units(
        units: Vec<crate::systemd::proxies::UnitListEntry>,
        is_unit_file: impl Fn(&str) -> bool,
    ) -> Live {
        let mut timers = HashMap::new();
        let mut running = HashSet::new();
        for u in units {
            let (name, _, _, active, sub, _, path, ..) = u;
            let parsed = crate::units::names::parse(&name);
            if let Some(UnitName {
                job,
                kind: Kind::Timer,
                ..
            }) = parsed
            {
                timers.insert(job, (active, sub, path));
            } else if crate::systemd::is_running(&active)
                && let Some(run) = Family::all_runs()
                    .select([name.as_str()], &is_unit_file)
                    .pop()
            {
                running.insert(run.job);
            }
        }
        Live { timers, running }
    }
}

/// [`summarize`] every job of `jobs`, in order. The per-job D-Bus reads (a
/// timer's next elapse) are round trips that systemd answers in microseconds,
/// so they are spread over a few threads sharing the one connection: with
/// 1000 jobs, `piar list` waited on 2000 sequential round trips before.
pub fn summarize_all(
    sd: &Systemd,
    live: &Live,
    paths: &Paths,
    jobs: &[Job],
) -> Result<Vec<JobSummary>> {
    /// Threads for the reads; more gains little, as systemd serves one at a time.
    const WORKERS: usize = 4;
    /// Below this many jobs the threads cost more than they save.
    const SERIAL_BELOW: usize = 16;
    if jobs.len() < SERIAL_BELOW {
        return jobs.iter().map(|j| summarize(sd, live, paths, j)).collect();
    }
    let chunk = jobs.len().div_ceil(WORKERS);
    let parts: Vec<Result<Vec<JobSummary>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|j| summarize(sd, live, paths, j))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(crate::error::Error::failed(
                        "a status reader thread panicked",
                    ))
                })
            })
            .collect()
    });
    let mut rows = Vec::with_capacity(jobs.len());
    for part in parts {
        rows.extend(part?);
    }
    Ok(rows)
}

/// One row of `piar list` (and the head of `piar show`).
#[derive(Debug, Clone, Serialize)]
pub struct JobSummary {
    /// Job name.
    pub name: String,
    /// The schedule as written (`cron */5 * * * * UTC`, `every 6h`, ...).
    pub schedule: String,
    /// `at`, `every`, `cron`, `on_calendar`, `manual`.
    pub kind: &'static str,
    /// The schedule in English (`At 09:00, Monday through Friday (Europe/Berlin)`), see
    /// [`crate::schedule::describe`].
    pub schedule_description: String,
    /// Next time the timer elapses (RFC 3339, UTC), if any.
    pub next_run: Option<String>,
    /// Start of the last run (RFC 3339, UTC), if any.
    pub last_run: Option<String>,
    /// Status of the last run (`succeeded`, `failed`, `timed_out`, `skipped`, `deferred`,
    /// `canceled`, `running`, `lost`).
    pub result: Option<String>,
    /// `waiting` (also: an `@reboot` job waiting for the next boot),
    /// `running`, `paused`, `manual`, `pending-approval`, `rejected`,
    /// `completed`/`failed` (a one-shot job after its run), `done` (one-shot
    /// elapsed, no run recorded), `inactive` (timer not running although
    /// enabled: see `piar show`).
    pub state: &'static str,
    /// The job's description.
    pub description: String,
}

/// The next elapse of a loaded timer, as an instant.
pub fn next_elapse(sd: &Systemd, path: &OwnedObjectPath) -> Result<Option<jiff::Timestamp>> {
    let (real, mono) = sd.timer_next_elapses(path)?;
    let real = usec_to_timestamp(real);
    let mono = if mono == 0 || mono == u64::MAX {
        None
    } else {
        // CLOCK_MONOTONIC µs -> wall clock: now + (elapse - monotonic now).
        let now_mono = monotonic_usec();
        let delta = mono as i64 - now_mono as i64;
        jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_micros(delta))
            .ok()
    };
    Ok(match (real, mono) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

fn monotonic_usec() -> u64 {
    // Not a struct literal: with 64-bit time_t on 32-bit targets (the armhf
    // package) libc's timespec has a private padding field.
    // SAFETY: timespec is plain old data; all zeroes is a valid value.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: ts is a valid, writable timespec; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

/// The end state of a one-shot (`at`) job once it has a finished run:
/// `completed` if that run succeeded, `failed` otherwise (failed, timed out,
/// canceled). A skipped run, or one started before the job's time (a `piar
/// run`), does not end it. One-shot jobs stay listed in
/// that state until `piar rm`.
fn one_shot_end(job: &Job, last: Option<&record::RunRecord>) -> Option<&'static str> {
    let Schedule::At { at, .. } = &job.schedule else {
        return None;
    };
    let last = last?;
    // A `piar run` before the time does not end the job: its timer still waits.
    let started = last.started_at.parse::<jiff::Timestamp>().ok()?;
    if started < at.checked_sub(jiff::SignedDuration::from_secs(1)).ok()? {
        return None;
    }
    match last.status {
        record::RunStatus::Succeeded => Some("completed"),
        record::RunStatus::Running | record::RunStatus::Skipped => None,
        _ => Some("failed"),
    }
}

/// Build a job's summary from the manager's view and its run records.
pub fn summarize(sd: &Systemd, live: &Live, paths: &Paths, job: &Job) -> Result<JobSummary> {
    let name = job.name();
    let last = record::recent(paths, name, 1).into_iter().next().map(|r| {
        // A dead trigger's `running` record reads as `lost` (one flock attempt).
        match crate::ops::recover::settle(paths, &r, Some(sd), sd.scope) {
            Ok(Some(new)) => new,
            _ => r,
        }
    });
    let timer = live.timers.get(name);
    let mut next_run = None;
    let state = if job.manifest.is_rejected() {
        "rejected"
    } else if live.running.contains(name) {
        "running"
    } else if !job.manifest.is_approved() {
        "pending-approval"
    } else if let Some(end) = one_shot_end(job, last.as_ref()) {
        end
    } else if !job.manifest.enabled {
        "paused"
    } else if job.schedule == Schedule::Manual {
        "manual"
    } else if matches!(&job.schedule, Schedule::Cron { parsed, .. } if parsed.reboot()) {
        // Enabled, started by timers.target at boot (apply::boot_only).
        "waiting"
    } else {
        match timer {
            Some((active, sub, _)) if active == "active" => match sub.as_str() {
                "elapsed" => "done",
                "running" => "running",
                _ => "waiting",
            },
            _ => "inactive",
        }
    };
    if job.manifest.timer_wanted()
        && let Some((active, _, path)) = timer
        && active == "active"
    {
        next_run = next_elapse(sd, path)?.map(|t| t.to_string());
    }
    Ok(JobSummary {
        name: name.to_string(),
        schedule: job.schedule.display(),
        kind: job.schedule.kind(),
        schedule_description: crate::schedule::describe::describe(&job.schedule),
        next_run,
        last_run: last.as_ref().map(|r| r.started_at.clone()),
        result: last.as_ref().map(|r| r.status.as_str().to_string()),
        state,
        description: job.manifest.description.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `ListUnitsByPatterns` entry with `name` in `active` state.
    fn entry(name: &str, active: &str) -> crate::systemd::proxies::UnitListEntry {
        let path = OwnedObjectPath::try_from("/org/freedesktop/systemd1/unit/x").unwrap();
        (
            name.into(),
            String::new(),
            "loaded".into(),
            active.into(),
            "running".into(),
            String::new(),
            path.clone(),
            0,
            String::new(),
            path,
        )
    }

    #[test]
    fn a_job_named_like_another_jobs_run_is_not_running() {
        let units = vec![
            entry("piar-nightly.timer", "active"),
            entry("piar-nightly-run-backup.timer", "active"),
            entry(
                "piar-nightly-run-backup.run-20260101-000000-abcd.service",
                "active",
            ),
            entry("piar-nightly-run-backup.service", "active"),
        ];
        let files = ["piar-nightly-run-backup.service", "piar-nightly.timer"];
        let live = Live::from_units(units, |u| files.contains(&u));
        assert!(!live.running.contains("nightly"), "{:?}", live.running);
        assert!(live.running.contains("nightly-run-backup"));
        assert!(live.timers.contains_key("nightly"));
        assert!(live.timers.contains_key("nightly-run-backup"));
    }

    #[test]
    fn legacy_runs_count_and_inactive_runs_do_not() {
        let units = vec![
            entry("piar-a-run-20260101-000000-abcd.service", "activating"),
            entry("piar-b.run-20260101-000000-abcd.service", "inactive"),
            entry("piar-c.run-20260101-000000-abcd.service", "deactivating"),
        ];
        let live = Live::from_units(units, |_| false);
        let mut running: Vec<_> = live.running.iter().map(String::as_str).collect();
        running.sort_unstable();
        assert_eq!(running, ["a", "c"]);
    }
}
