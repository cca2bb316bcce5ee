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

/// What `stop --json` prints.
#[derive(Debug, Serialize)]
struct StopView {
    /// The runs stopped, in the Run shape (`docs/schemas/run.json`):
    /// `canceled`, or still `running` if the trigger did not record the end
    /// within 10 s. Empty when nothing was running.
    stopped: Vec<crate::record::Run>,
}

/// Run `piar stop TARGET`: `TARGET` is a job (every running run of it) or a
/// run id. Each run gets a cancel marker ([`crate::history::mark_canceled`]),
/// then `StopUnit` on its transient unit; then we wait for the trigger to
/// record the end. Idempotent: when nothing of `TARGET` runs, exit 0 with
/// `{"stopped": []}`. Exit 3 only when `TARGET` is neither a job nor a
/// valid run id.
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
        if ctx.out.json {
            ctx.out.json(&StopView { stopped: vec![] })?;
        } else if is_job {
            ctx.out.line(format!(
                "no run of job {target} is running; nothing to stop"
            ))?;
        } else {
            ctx.out
                .line(format!("run {target} is not running; nothing to stop"))?;
        }
        return Ok(ExitStatus::Success);
    }
    let mut stopped = Vec::new();
    for (job, run_id, unit) in runs {
        crate::history::mark_canceled(&ctx.paths, &job, &run_id)?;
        log::info!("{job}: stopping run {run_id} ({unit})");
        sd.stop_and_wait(&unit, STOP_TIMEOUT)?;
        match wait_recorded(ctx, &job, &run_id) {
            Some(rec) => stopped.push(super::poll::view(ctx, &rec, false)),
            None => log::warn!("{job}: run {run_id} ({unit}) has no run record"),
        }
    }
    if ctx.out.json {
        ctx.out.json(&StopView { stopped })?;
    } else {
        for s in &stopped {
            ctx.out.line(format!(
                "stopped run {} of {} ({})",
                s.id,
                s.job,
                s.status.as_str()
            ))?;
        }
    }
    Ok(ExitStatus::Success)
}

/// Poll the run record until the trigger recorded the end (or give up):
/// the record as it is then, `None` if there is none.
fn wait_recorded(ctx: &Ctx, job: &str, run_id: &str) -> Option<record::RunRecord> {
    let path = record::record_path(&ctx.paths, job, run_id);
    let deadline = Instant::now() + RECORD_TIMEOUT;
    loop {
        let rec = record::load(&path).ok();
        if rec.as_ref().is_some_and(|r| r.status != RunStatus::Running)
            || Instant::now() >= deadline
        {
            return rec;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
