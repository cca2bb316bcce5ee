//! `piar trigger`: what `piar-<name>.service` runs (and retry timers and
//! run watchers, with the hidden `--retry-of/--attempt` and `--watch`).

use super::Ctx;
use crate::cli::TriggerArgs;
use crate::error::{ExitStatus, Result};
use crate::record::RunStatus;

/// Run `piar trigger NAME`: one run, recorded; exit with the job's status.
/// A detached run (overlap `allow`/`replace`) exits 0 at once: its watcher
/// records it and exits with its status.
pub(super) fn trigger(ctx: &Ctx, args: &TriggerArgs) -> Result<ExitStatus> {
    let name = &args.name;
    let job = super::load_job(ctx, name)?;
    crate::model::manifest::approval::check_may_run(&job.manifest)?;
    let sd = ctx.systemd()?;
    let rec = match (&args.watch, &args.retry_of, args.attempt) {
        (Some(run), _, _) => crate::ops::trigger::run::watch(&ctx.paths, &sd, &job, run)?,
        (None, Some(first), Some(k)) => {
            crate::record::validate_run_id(first)?;
            crate::ops::trigger::run::trigger_attempt(
                &ctx.paths,
                &sd,
                &job,
                Some((first.clone(), k)),
            )?
        }
        _ => {
            let decision = match job.manifest.require_synced_clock {
                true => crate::ops::trigger::defer::check(&ctx.paths, &sd, &job)?,
                false => crate::ops::trigger::defer::Decision::Run,
            };
            match decision {
                crate::ops::trigger::defer::Decision::Run => {
                    crate::ops::trigger::run::trigger(&ctx.paths, &sd, &job)?
                }
                crate::ops::trigger::defer::Decision::GaveUp(rec) => rec,
                crate::ops::trigger::defer::Decision::Deferred(rec) => {
                    if let Some(rec) = rec
                        && (ctx.out.json || std::io::IsTerminal::is_terminal(&std::io::stdout()))
                    {
                        super::run::print_record(ctx, &rec)?;
                    }
                    return Ok(ExitStatus::Success);
                }
            }
        }
    };
    if rec.status == RunStatus::Running {
        return Ok(ExitStatus::Success);
    }
    let keep = job
        .manifest
        .keep_runs
        .unwrap_or(crate::history::DEFAULT_KEEP_RUNS);
    match crate::history::prune(&ctx.paths, name, keep, &rec.run_id) {
        Ok(gone) if !gone.is_empty() => log::info!("{name}: pruned {} old run records", gone.len()),
        Ok(_) => {}
        Err(e) => log::warn!("{name}: cannot prune old run records: {e}"),
    }
    // The callback goes out for the final attempt only: not while a retry
    // is pending.
    if !crate::ops::trigger::retry::schedule_retry(&sd, &job, &rec) {
        crate::ops::callback::on_run_finished(&ctx.paths, &sd, &job, &rec);
    }
    // No daemon re-arms callbacks after a reboot (transient retry timers do
    // not survive one), so every run re-arms pending deliveries that lost
    // their timer. Cheap when the outbox is empty.
    match crate::ops::callback::rearm_all(&ctx.paths, &sd) {
        Ok(ids) if !ids.is_empty() => log::info!("re-armed callbacks: {}", ids.join(", ")),
        Ok(_) => {}
        Err(e) => log::warn!("cannot re-arm pending callbacks: {e}"),
    }
    match crate::ops::callback::outbox::prune(&ctx.paths, jiff::Timestamp::now()) {
        Ok(ids) if !ids.is_empty() => log::info!("pruned old callbacks: {}", ids.join(", ")),
        Ok(_) => {}
        Err(e) => log::warn!("cannot prune old callbacks: {e}"),
    }
    // Under a unit stdout is the journal, where run::trigger already logged
    // the outcome; print it for a person at a terminal or for --json.
    if ctx.out.json || std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        super::run::print_record(ctx, &rec)?;
    }
    Ok(ExitStatus::Job(rec.exit_status()))
}
