//! `piar stop NAME|RUN`: stop running runs; they are recorded as `canceled`.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::Ctx;
use crate::error::{Error, ExitStatus, Result};
use crate::record::{self, RunStatus};
use crate::units::names::Family;

/// How long to wait for systemd to stop a run (its `TimeoutStopSec=`, 90 s
/// by default, bounds it in systemd too).
const STOP_TIMEOUT: Duration = Duration::from_secs(120);

/// How long to wait for the trigger to record the end after the unit stopped.
const RECORD_TIMEOUT: Duration = Duration::from_secs(10);

/// One stopped run, as `stop --json` prints it (in a list).
#[derive(Debug, Serialize)]
struct StoppedView {
    job: String,
    run_id: String,
    unit: String,
    /// The run record's status after the stop (`canceled`; `running` if
    /// the trigger did not record the end within 10 s).
    status: Option<RunStatus>,
}

/// Run `piar stop TARGET`: `TARGET` is a job (every running run of it) or a
/// run id. Each run gets a cancel marker ([`crate::history::mark_canceled`]),
/// then `StopUnit` on its transient unit; then we wait for the trigger to
/// record the end. Exit 3 when nothing matching runs.
pub(super) fn stop(ctx: &Ctx, target: &str) -> Result<ExitStatus> {
    let sd = ctx.systemd()?;
    let is_job = crate::model::manifest::validate::validate_name(target).is_ok()
        && (ctx.store().exists(target) || ctx.paths.runs_dir(target).is_dir());
    let family = if is_job {
        Family::runs(target)
    } else {
        record::validate_run_id(target).map_err(|_| {
            Error::not_found(format!("no job or run named {target:?}"))
                .with_hint("`piar list` shows the jobs, `piar history NAME` their runs")
        })?;
        Family::run_id(target)
    };
    let units = sd.list_units(crate::systemd::RUNNING_STATES, &family.globs())?;
    let runs: Vec<(String, String, String)> = family
        .select(units.iter().map(|u| u.0.as_str()), |u| {
            ctx.paths.unit_file(u).exists()
        })
        .into_iter()
        .filter_map(|n| Some((n.job.clone(), n.run_id()?.to_string(), n.unit)))
        .collect();
    if runs.is_empty() {
        let what = if is_job {
            format!("no run of job {target:?} is running")
        } else {
            format!("run {target:?} is not running")
        };
        return Err(Error::not_found(what).with_hint(format!(
            "`piar history {}` shows finished runs",
            if is_job { target } else { "NAME" }
        )));
    }
    let mut stopped = Vec::new();
    for (job, run_id, unit) in runs {
        crate::history::mark_canceled(&ctx.paths, &job, &run_id)?;
        log::info!("{job}: stopping run {run_id} ({unit})");
        sd.stop_and_wait(&unit, STOP_TIMEOUT)?;
        let status = wait_recorded(ctx, &job, &run_id);
        stopped.push(StoppedView {
            job,
            run_id,
            unit,
            status,
        });
    }
    if ctx.out.json {
        ctx.out.json(&stopped)?;
    } else {
        for s in &stopped {
            ctx.out.line(format!(
                "stopped run {} of {} ({})",
                s.run_id,
                s.job,
                s.status.map(RunStatus::as_str).unwrap_or("no record")
            ))?;
        }
    }
    Ok(ExitStatus::Success)
}

/// Poll the run record until the trigger recorded the end (or give up).
fn wait_recorded(ctx: &Ctx, job: &str, run_id: &str) -> Option<RunStatus> {
    let path = record::record_path(&ctx.paths, job, run_id);
    let deadline = Instant::now() + RECORD_TIMEOUT;
    loop {
        let status = record::load(&path).ok().map(|r| r.status);
        if status.is_some_and(|s| s != RunStatus::Running) || Instant::now() >= deadline {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
