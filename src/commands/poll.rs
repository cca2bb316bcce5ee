//! Polling mode for callers that cannot receive webhooks: `piar wait` and
//! `piar result`.

use std::time::{Duration, Instant};

use super::Ctx;
use crate::cli::WaitArgs;
use crate::error::{Error, ExitStatus, Result};
use crate::ops::callback::payload;
use crate::record::{self, RunRecord, RunStatus};

/// How often `wait` re-reads the run records.
const POLL_EVERY: Duration = Duration::from_millis(250);

/// Find run `id` under any job: `<state>/runs/*/<id>.json`. Errors: invalid
/// id (exit 2), no such run (exit 3).
fn find_run(ctx: &Ctx, id: &str) -> Result<RunRecord> {
    record::validate_run_id(id)?;
    let runs = ctx.paths.state_dir.join("runs");
    let dirs = std::fs::read_dir(&runs).into_iter().flatten().flatten();
    for d in dirs {
        let p = d.path().join(format!("{id}.json"));
        if p.is_file() {
            return record::load(&p);
        }
    }
    Err(Error::not_found(format!("no run with id {id:?}"))
        .with_hint("`piar show NAME` lists a job's recent runs"))
}

/// `piar result RUN`: the run as a callback's `data` (same JSON shape).
pub(super) fn result(ctx: &Ctx, id: &str) -> Result<ExitStatus> {
    let rec = find_run(ctx, id)?;
    let job = ctx.store().load(&rec.job).ok();
    let data = payload::run_data(
        job.as_ref(),
        &rec,
        crate::systemd::journal::output_tail(ctx.scope, &rec.run_id, &rec.unit),
    );
    if ctx.out.json {
        ctx.out.json(&data)?;
    } else {
        super::run::print_record(ctx, &rec)?;
    }
    Ok(ExitStatus::Success)
}

/// `piar wait NAME|RUN [--timeout D]`: block until the run (or the job's next
/// run, one that starts after `wait` was called) has finished, then print it
/// and exit with its status. A timeout exits 1.
pub(super) fn wait(ctx: &Ctx, args: &WaitArgs) -> Result<ExitStatus> {
    let deadline = match &args.timeout {
        Some(t) => Some(
            Instant::now()
                + humantime::parse_duration(t).map_err(|e| {
                    Error::invalid(format!("--timeout: {e} (expected e.g. 30s, 10m)"))
                })?,
        ),
        None => None,
    };
    let is_job = crate::model::manifest::validate::validate_name(&args.target).is_ok()
        && ctx.store().exists(&args.target);
    let known: Vec<String> = if is_job {
        record::run_ids(&ctx.paths, &args.target)
    } else {
        // Fail early (exit 2/3) on a bad or unknown run id.
        find_run(ctx, &args.target)?;
        Vec::new()
    };
    loop {
        let rec = if is_job {
            record::run_ids(&ctx.paths, &args.target)
                .into_iter()
                .filter(|id| !known.contains(id))
                .find_map(|id| {
                    record::load(&record::record_path(&ctx.paths, &args.target, &id)).ok()
                })
        } else {
            Some(find_run(ctx, &args.target)?)
        };
        // A run whose trigger died reads as `lost` instead of waiting forever.
        let rec = rec.map(
            |r| match crate::ops::recover::settle(&ctx.paths, &r, None, ctx.scope) {
                Ok(Some(new)) => new,
                _ => r,
            },
        );
        if let Some(rec) = rec
            && rec.status != RunStatus::Running
        {
            super::run::print_record(ctx, &rec)?;
            return Ok(ExitStatus::Job(rec.exit_status()));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Error::failed(format!(
                "timed out waiting for {}",
                args.target
            )));
        }
        std::thread::sleep(POLL_EVERY);
    }
}
