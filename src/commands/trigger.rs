//! `piar trigger`: what `piar-<name>.service` runs.

use super::Ctx;
use crate::error::{ExitStatus, Result};

/// Run `piar trigger NAME`: one run, recorded; exit with the job's status.
pub fn trigger(ctx: &Ctx, name: &str) -> Result<ExitStatus> {
    let job = super::load_job(ctx, name)?;
    crate::manifest::approval::check_may_run(&job.manifest)?;
    let sd = ctx.systemd()?;
    let decision = match job.manifest.require_synced_clock {
        true => crate::defer::check(&ctx.paths, &sd, &job)?,
        false => crate::defer::Decision::Run,
    };
    let rec = match decision {
        crate::defer::Decision::Run => crate::run::trigger(&ctx.paths, &sd, &job)?,
        crate::defer::Decision::GaveUp(rec) => rec,
        crate::defer::Decision::Deferred(rec) => {
            if let Some(rec) = rec
                && (ctx.out.json || std::io::IsTerminal::is_terminal(&std::io::stdout()))
            {
                super::run::print_record(ctx, &rec)?;
            }
            return Ok(ExitStatus::Success);
        }
    };
    let keep = job
        .manifest
        .keep_runs
        .unwrap_or(crate::history::DEFAULT_KEEP_RUNS);
    match crate::history::prune(&ctx.paths, name, keep, &rec.run_id) {
        Ok(gone) if !gone.is_empty() => log::info!("{name}: pruned {} old run records", gone.len()),
        Ok(_) => {}
        Err(e) => log::warn!("{name}: cannot prune old run records: {e}"),
    }
    crate::callback::on_run_finished(&ctx.paths, &sd, &job, &rec);
    // No daemon re-arms callbacks after a reboot (transient retry timers do
    // not survive one), so every run re-arms pending deliveries that lost
    // their timer. Cheap when the outbox is empty.
    match crate::callback::rearm_all(&ctx.paths, &sd) {
        Ok(ids) if !ids.is_empty() => log::info!("re-armed callbacks: {}", ids.join(", ")),
        Ok(_) => {}
        Err(e) => log::warn!("cannot re-arm pending callbacks: {e}"),
    }
    match crate::callback::outbox::prune(&ctx.paths, jiff::Timestamp::now()) {
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
