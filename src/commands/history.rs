//! `piar history NAME [-n N]`: a job's past runs, newest first.

use serde::Serialize;

use super::Ctx;
use crate::error::{Error, ExitStatus, Result};
use crate::printer::human_time;
use crate::record::{RunRecord, RunStatus};

/// What `history --json` prints.
#[derive(Debug, Serialize)]
struct HistoryView {
    name: String,
    /// The job's retention (`keep_runs`, default 100); `null` when the job
    /// itself is gone and only its records are left.
    keep_runs: Option<u32>,
    /// Newest first.
    runs: Vec<HistoryRow>,
}

/// One run.
#[derive(Debug, Serialize)]
struct HistoryRow {
    run_id: String,
    status: RunStatus,
    started_at: String,
    finished_at: Option<String>,
    duration_ms: Option<u64>,
    exit_code: Option<i32>,
    signal: Option<String>,
    /// systemd's `Result` of the run unit.
    result: Option<String>,
    error: Option<String>,
    /// The file the run's output was saved to (`--output`), if any.
    artifact: Option<String>,
    /// When the timer was due (RFC 3339, UTC); `null` for manual runs.
    scheduled_for: Option<String>,
    /// Attempt number (retries, `--retries`); `null` = the first.
    attempt: Option<u32>,
    /// Run id of the first attempt, when this run is a retry.
    retry_of: Option<String>,
    /// Why a `canceled` run was stopped.
    reason: Option<String>,
}

impl From<RunRecord> for HistoryRow {
    fn from(r: RunRecord) -> HistoryRow {
        HistoryRow {
            run_id: r.run_id,
            status: r.status,
            started_at: r.started_at,
            finished_at: r.finished_at,
            duration_ms: r.duration_ms,
            exit_code: r.exit_code,
            signal: r.signal,
            result: r.result,
            error: r.error,
            artifact: r.artifact,
            scheduled_for: r.scheduled_for,
            attempt: r.attempt,
            retry_of: r.retry_of,
            reason: r.reason,
        }
    }
}

/// Run `piar history NAME -n N`. Works for a removed job whose records were
/// kept (`rm` without `--purge`); exit 3 if there is neither job nor record.
pub(super) fn history(ctx: &Ctx, name: &str, n: usize) -> Result<ExitStatus> {
    crate::model::manifest::validate::validate_name(name)?;
    let keep_runs = match ctx.store().load(name) {
        Ok(job) => Some(
            job.manifest
                .keep_runs
                .unwrap_or(crate::history::DEFAULT_KEEP_RUNS),
        ),
        Err(e) if e.kind == crate::error::Kind::NotFound => {
            if !ctx.paths.runs_dir(name).is_dir() {
                return Err(
                    Error::not_found(format!("no job named {name:?} and no runs of it"))
                        .with_hint("`piar list` shows the jobs"),
                );
            }
            None
        }
        Err(e) => return Err(e),
    };
    let runs: Vec<HistoryRow> = crate::history::chronological(&ctx.paths, name)
        .into_iter()
        .rev()
        .take(n)
        .map(HistoryRow::from)
        .collect();
    if ctx.out.json {
        return ctx
            .out
            .json(&HistoryView {
                name: name.to_string(),
                keep_runs,
                runs,
            })
            .map(|()| ExitStatus::Success);
    }
    if runs.is_empty() {
        ctx.out.line(format!("{name} has no runs yet"))?;
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let started = r
                .started_at
                .parse::<jiff::Timestamp>()
                .map(human_time)
                .unwrap_or_else(|_| r.started_at.clone());
            let exit = match (&r.exit_code, &r.signal) {
                (_, Some(sig)) => sig.clone(),
                (Some(c), None) => c.to_string(),
                _ => "-".into(),
            };
            vec![
                r.run_id.clone(),
                started,
                r.status.as_str().to_string(),
                r.duration_ms
                    .map(|d| format!("{:.1}s", d as f64 / 1000.0))
                    .unwrap_or_else(|| "-".into()),
                exit,
                r.artifact.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    ctx.out.table(
        &["RUN", "STARTED", "RESULT", "DURATION", "EXIT", "ARTIFACT"],
        &rows,
    )?;
    Ok(ExitStatus::Success)
}
