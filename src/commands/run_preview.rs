//! `piar run NAME --dry-run` and the slot of `--date`/`--scheduled-for`
//! (parachute-runner's habits, issue 13): render a run's templates without
//! running it, and pick the slot a backfill renders for.
//!
//! A backfill run reaches the trigger through the manual trigger unit's
//! environment ([`BACKFILL_ENV`]); `crate::ops::trigger::slot::scheduled_for` reads it
//! only in a trigger that `piar run` started.

use serde::Serialize;

use super::Ctx;
use crate::cli::RunArgs;
use crate::error::{Error, ExitStatus, Result};
use crate::model::manifest::Job;

/// Environment variable of the manual trigger unit that carries the slot of
/// `piar run --date/--scheduled-for` (RFC 3339, UTC) to the trigger; the
/// name is shared with `crate::ops::trigger::slot` (which defines it).
pub(super) use crate::ops::trigger::slot::BACKFILL_ENV;

/// What `piar run --dry-run --json` prints (docs/schemas/run-dry-run.json).
#[derive(Debug, Serialize)]
struct PreviewView {
    name: String,
    dry_run: bool,
    /// The slot the templates were rendered for (RFC 3339, UTC): `--date`,
    /// `--scheduled-for`, or now.
    scheduled_for: String,
    /// The argv the run would execute (rendered when `template_args`).
    command: Vec<String>,
    /// The rendered standard input (UTF-8, lossy), if the job has `stdin`.
    stdin: Option<String>,
    /// Where the artifact would be saved (absolute), if the job has `output`.
    output: Option<String>,
}

/// The slot of `--date`/`--scheduled-for` for `job`, if one was given.
/// `--date D`: the job's first scheduled time on day D in its zone (as
/// systemd computes the timer), else midnight of D there. `--scheduled-for
/// T`: RFC 3339, or a civil `YYYY-MM-DD HH:MM[:SS]` in the job's zone. Errors
/// (exit 2, naming the flag): unparsable text, a nonexistent wall time.
pub(super) fn slot(job: &Job, args: &RunArgs) -> Result<Option<jiff::Timestamp>> {
    let zone = crate::model::template::job_zone(&job.manifest);
    if let Some(text) = &args.scheduled_for {
        let t = text.trim();
        if let Ok(ts) = t.parse::<jiff::Timestamp>() {
            return Ok(Some(ts));
        }
        let civil: jiff::civil::DateTime = t.replace(' ', "T").parse().map_err(|e| {
            Error::invalid(format!(
                "--scheduled-for: expected RFC 3339 or 'YYYY-MM-DD HH:MM[:SS]', got {t:?}: {e}"
            ))
        })?;
        let ts = civil
            .to_zoned(zone)
            .map_err(|e| Error::invalid(format!("--scheduled-for: {t:?}: {e}")))?
            .timestamp();
        return Ok(Some(ts));
    }
    let Some(text) = &args.date else {
        return Ok(None);
    };
    let day: jiff::civil::Date = text
        .trim()
        .parse()
        .map_err(|e| Error::invalid(format!("--date: expected YYYY-MM-DD, got {text:?}: {e}")))?;
    let start = day
        .to_zoned(zone.clone())
        .map_err(|e| Error::invalid(format!("--date: {text:?}: {e}")))?;
    let end = start
        .tomorrow()
        .map_err(|e| Error::invalid(format!("--date: {text:?}: {e}")))?;
    let midnight = start.timestamp();
    let first = job
        .schedule
        .timer_spec_from(midnight)
        .filter(|t| !t.on_calendar.is_empty())
        .map(|t| {
            crate::schedule::preview::next_elapses(
                &t.on_calendar,
                1,
                midnight
                    .checked_sub(jiff::SignedDuration::from_secs(1))
                    .ok(),
            )
        })
        .transpose()?
        .and_then(|v| v.into_iter().next())
        .filter(|t| *t < end.timestamp());
    Ok(Some(first.unwrap_or(midnight)))
}

/// The backfill slot of a real `piar run NAME --date/--scheduled-for`
/// (`None` without those flags), checked before anything starts.
pub(super) fn backfill_slot(ctx: &Ctx, args: &RunArgs) -> Result<Option<jiff::Timestamp>> {
    if args.date.is_none() && args.scheduled_for.is_none() {
        return Ok(None);
    }
    let job = super::load_job(ctx, &args.name)?;
    slot(&job, args)
}

/// Run `piar run NAME --dry-run [--date D | --scheduled-for T]`: render the
/// run as the trigger would (`crate::model::template::prepare`) and print it; no
/// unit is started, nothing is written. A job pending approval can be
/// previewed. Errors: no such job (3), bad flags (2), a template that fails
/// for that slot (1, as the run would).
pub(super) fn preview(ctx: &Ctx, args: &RunArgs) -> Result<ExitStatus> {
    let job = super::load_job(ctx, &args.name)?;
    let now = jiff::Timestamp::now();
    let slot = slot(&job, args)?;
    let run_id = crate::record::new_run_id();
    let input =
        crate::model::template::prepare(&ctx.paths.artifacts_dir(), &job, &run_id, slot, now)?;
    let scheduled_for =
        crate::printer::rfc3339(slot.unwrap_or(now).round(jiff::Unit::Second).unwrap_or(now));
    let view = PreviewView {
        name: job.name().to_string(),
        dry_run: true,
        scheduled_for,
        command: input.command.clone(),
        stdin: input
            .stdin
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned()),
        output: input.output.as_ref().map(|t| t.dest.display().to_string()),
    };
    if ctx.out.json {
        ctx.out.json(&view)?;
        return Ok(ExitStatus::Success);
    }
    ctx.out.line(format!(
        "# {} (dry run: nothing started), scheduled for {}",
        view.name, view.scheduled_for
    ))?;
    ctx.out.line(format!(
        "command: {}",
        view.command
            .iter()
            .map(|a| format!("{a:?}"))
            .collect::<Vec<_>>()
            .join(" ")
    ))?;
    ctx.out.line(format!(
        "output:  {}",
        view.output.as_deref().unwrap_or("- (journal)")
    ))?;
    match &view.stdin {
        Some(text) => {
            ctx.out.line("stdin:")?;
            ctx.out.raw(text)?;
            if !text.ends_with('\n') {
                ctx.out.line("")?;
            }
        }
        None => ctx.out.line("stdin:   - (none)")?,
    }
    Ok(ExitStatus::Success)
}
