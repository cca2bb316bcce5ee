//! Polling mode for callers that cannot receive webhooks: `piar wait` and
//! `piar result`, and the run following that `piar run --wait` shares.

use std::time::{Duration, Instant};

use super::Ctx;
use crate::cli::WaitArgs;
use crate::error::{Error, ExitStatus, Kind, Result};
use crate::record::{self, Run, RunRecord, RunStatus};
use crate::schedule::Schedule;

/// How often `wait` re-reads the run records.
const POLL_EVERY: Duration = Duration::from_millis(250);

/// How long a failed attempt's retry may take to appear (its timer is armed
/// by the trigger just after it wrote the final record) before `wait`
/// concludes that none was armed.
const RETRY_ARM_GRACE: Duration = Duration::from_secs(10);

/// How old a `running` record must be before `wait`/`result` may read it
/// as `lost` ([`crate::ops::recover::settle`]).
const SETTLE_AFTER: Duration = Duration::from_secs(5);

/// How long after a one-shot job's time `wait NAME` still waits for its
/// run to appear before it says the job will not run.
const ONE_SHOT_GRACE: Duration = Duration::from_secs(60);

/// The Run (`docs/schemas/run.json`) of `rec`, with the job's metadata and,
/// with `tail`, the output tail read from the journal (and the artifact).
pub(super) fn view(ctx: &Ctx, rec: &RunRecord, tail: bool) -> Run {
    let job = ctx.store().load(&rec.job).ok();
    let run = Run::from_record(rec, job.as_ref().map(|j| &j.manifest.metadata));
    match tail {
        true => run.with_tail(crate::ops::trigger::artifact::output_tails(ctx.scope, rec)),
        false => run,
    }
}

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
        .with_hint("`piar history NAME` lists a job's runs"))
}

/// `piar result RUN`: the Run, with its output tail, whatever its status
/// (exit 0; a `running` run is shown as it is).
pub(super) fn result(ctx: &Ctx, id: &str) -> Result<ExitStatus> {
    let rec = settle(ctx, find_run(ctx, id)?);
    if ctx.out.json {
        ctx.out.json(&view(ctx, &rec, true))?;
    } else {
        print_record(ctx, &rec)?;
    }
    Ok(ExitStatus::Success)
}

/// A `running` record whose trigger died, as `lost`; any other as it is.
/// A record younger than [`SETTLE_AFTER`] is left alone: a detached run's
/// trigger lets its run lock go before its watcher takes it.
fn settle(ctx: &Ctx, rec: RunRecord) -> RunRecord {
    let young = rec.started_at.parse::<jiff::Timestamp>().is_ok_and(|t| {
        jiff::Timestamp::now().duration_since(t)
            < jiff::SignedDuration::try_from(SETTLE_AFTER).unwrap_or_default()
    });
    if young {
        return rec;
    }
    match crate::ops::recover::settle(&ctx.paths, &rec, None, ctx.scope) {
        Ok(Some(new)) => new,
        _ => rec,
    }
}

/// The attempt that follows `rec` if the job retries it: `(first attempt's
/// run id, next attempt number)`; `None` when `rec` is final (succeeded,
/// not retryable, or out of retries; [`crate::ops::trigger::retry::schedule_retry`]'s rule).
fn next_attempt(ctx: &Ctx, rec: &RunRecord) -> Option<(String, u32)> {
    if !matches!(rec.status, RunStatus::Failed | RunStatus::TimedOut) {
        return None;
    }
    let job = ctx.store().load(&rec.job).ok()?;
    let policy = crate::model::policy::parse(&job.manifest).ok()?;
    let attempt = rec.attempt.unwrap_or(1);
    if attempt > policy.retries {
        return None;
    }
    let first = rec.retry_of.clone().unwrap_or_else(|| rec.run_id.clone());
    Some((first, attempt + 1))
}

/// Is a retry timer (or its service) for attempt `next` of `first` loaded?
fn retry_pending(ctx: &Ctx, job: &str, first: &str, next: u32) -> bool {
    let stem = crate::units::names::retry_stem(job, first, next);
    let Ok(sd) = ctx.systemd() else {
        return false;
    };
    [".timer", ".service"].iter().any(|ext| {
        sd.list_units(&[], &[&format!("{stem}{ext}")])
            .is_ok_and(|u| !u.is_empty())
    })
}

/// Follow `rec` to its final state: a `running` run until it ends (a dead
/// trigger's run reads as `lost`), then, while the job retries it, each
/// retry (found by `retry_of` and `attempt`) to the final attempt. A retry
/// that was due but whose timer is gone and whose record did not appear
/// within [`RETRY_ARM_GRACE`] ends the following with the attempt so far.
/// `Ok(None)`: `deadline` passed first.
pub(super) fn follow(
    ctx: &Ctx,
    mut rec: RunRecord,
    deadline: Option<Instant>,
) -> Result<Option<RunRecord>> {
    let mut final_since: Option<Instant> = None;
    loop {
        rec = settle(ctx, rec);
        if rec.status != RunStatus::Running {
            let Some((first, next)) = next_attempt(ctx, &rec) else {
                return Ok(Some(rec));
            };
            let retry = record::run_ids(&ctx.paths, &rec.job)
                .into_iter()
                .rev()
                .filter(|id| *id > rec.run_id)
                .filter_map(|id| record::load(&record::record_path(&ctx.paths, &rec.job, &id)).ok())
                .find(|r| r.retry_of.as_deref() == Some(first.as_str()) && r.attempt == Some(next));
            if let Some(r) = retry {
                rec = r;
                final_since = None;
                continue;
            }
            let since = *final_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= RETRY_ARM_GRACE && !retry_pending(ctx, &rec.job, &first, next) {
                return Ok(Some(rec));
            }
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
        std::thread::sleep(POLL_EVERY);
        if rec.status == RunStatus::Running {
            let path = record::record_path(&ctx.paths, &rec.job, &rec.run_id);
            rec = record::load(&path)?;
        }
    }
}

/// The runs of `job` that are still `running` (settled), newest first.
fn running_runs(ctx: &Ctx, job: &str) -> Vec<RunRecord> {
    record::run_ids(&ctx.paths, job)
        .into_iter()
        .rev()
        .filter_map(|id| record::load(&record::record_path(&ctx.paths, job, &id)).ok())
        .filter(|r| r.status == RunStatus::Running)
        .map(|r| settle(ctx, r))
        .filter(|r| r.status == RunStatus::Running)
        .collect()
}

/// `piar wait NAME|RUN [--next] [--timeout D]`: block until a run has
/// finished (through retries to the final attempt), print it and exit with
/// its status.
///
/// - `RUN`: that run.
/// - `NAME`: the run in progress, if there is one (the newest); else the
///   job's next run (one that starts after `wait` was called). `--next`
///   always waits for the next run.
/// - `NAME` of a one-shot (`at`) job whose time has passed: its last run
///   (the one it had at its time) instead of waiting for a run that never
///   comes; if it has none a minute after its time: exit 3.
///
/// A timeout is the error `timeout`, exit 75 (stdout empty).
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
    let job = match crate::model::manifest::validate::validate_name(&args.target) {
        Ok(()) if ctx.store().exists(&args.target) => Some(ctx.store().load(&args.target)?),
        _ => None,
    };
    let timed_out = || {
        Error::new(
            Kind::Timeout,
            format!(
                "timed out waiting for {} after {}",
                args.target,
                args.timeout.as_deref().unwrap_or("-")
            ),
        )
        .with_hint(format!(
            "the run goes on: wait again, or poll `piar result RUN` / `piar history {}`",
            job.as_ref().map_or("NAME", |j| j.name())
        ))
    };
    let rec = match &job {
        None => {
            if args.next {
                return Err(Error::not_found(format!(
                    "--next: no job named {:?}",
                    args.target
                )));
            }
            find_run(ctx, &args.target)?
        }
        Some(job) => {
            let name = job.name();
            let known = record::run_ids(&ctx.paths, name);
            let current = match args.next {
                true => None,
                false => running_runs(ctx, name).into_iter().next(),
            };
            match current {
                Some(rec) => rec,
                None => match one_shot_done(ctx, job)? {
                    Some(rec) if !args.next => rec,
                    _ => loop {
                        let new = record::run_ids(&ctx.paths, name)
                            .into_iter()
                            .filter(|id| !known.contains(id))
                            .find_map(|id| {
                                record::load(&record::record_path(&ctx.paths, name, &id)).ok()
                            });
                        if let Some(rec) = new {
                            break rec;
                        }
                        if !args.next
                            && let Some(rec) = one_shot_done(ctx, job)?
                        {
                            break rec;
                        }
                        if deadline.is_some_and(|d| Instant::now() >= d) {
                            return Err(timed_out());
                        }
                        std::thread::sleep(POLL_EVERY);
                    },
                },
            }
        }
    };
    match follow(ctx, rec, deadline)? {
        Some(rec) => {
            print_run(ctx, &rec)?;
            Ok(ExitStatus::Job(rec.exit_status()))
        }
        None => Err(timed_out()),
    }
}

/// For a one-shot (`at`) job whose time has passed: its newest run that
/// started at (or after) its time, once that run exists. Errors (exit 3):
/// the time passed over [`ONE_SHOT_GRACE`] ago and no such run exists (the
/// job will not run again). `None` for other jobs, or while the time has
/// not come.
fn one_shot_done(ctx: &Ctx, job: &crate::model::manifest::Job) -> Result<Option<RunRecord>> {
    let Schedule::At { at, .. } = &job.schedule else {
        return Ok(None);
    };
    let now = jiff::Timestamp::now();
    if now < *at {
        return Ok(None);
    }
    let since = at
        .checked_sub(jiff::SignedDuration::from_secs(1))
        .unwrap_or(*at);
    let last = crate::history::chronological(&ctx.paths, job.name())
        .into_iter()
        .rev()
        .find(|r| {
            r.started_at
                .parse::<jiff::Timestamp>()
                .is_ok_and(|t| t >= since)
        });
    match last {
        Some(rec) => Ok(Some(rec)),
        None if now.duration_since(*at)
            > jiff::SignedDuration::try_from(ONE_SHOT_GRACE).unwrap_or_default() =>
        {
            Err(Error::not_found(format!(
                "one-shot job {} was due at {} and has no run from then on; it will not run again",
                job.name(),
                crate::printer::rfc3339(*at)
            ))
            .with_hint(format!(
                "`piar history {0}` shows its runs; `piar run --wait {0}` runs it now",
                job.name()
            )))
        }
        None => Ok(None),
    }
}

/// Print a finished run with its output tail: the Run as JSON
/// (`docs/schemas/run.json`), or one line of text.
pub(super) fn print_run(ctx: &Ctx, rec: &RunRecord) -> Result<()> {
    if ctx.out.json {
        return ctx.out.json(&view(ctx, rec, true));
    }
    print_record(ctx, rec)
}

/// Print a run: the Run as JSON without the output tail, or one line of
/// text.
pub(super) fn print_record(ctx: &Ctx, rec: &RunRecord) -> Result<()> {
    if ctx.out.json {
        return ctx.out.json(&view(ctx, rec, false));
    }
    let detail = match (&rec.exit_code, &rec.signal, &rec.error) {
        (_, Some(sig), _) => format!(" by {sig}"),
        (Some(c), None, _) => format!(" with exit code {c}"),
        (None, None, Some(e)) => format!(": {e}"),
        _ => String::new(),
    };
    ctx.out.line(format!(
        "run {} of {}: {}{detail}{}",
        rec.run_id,
        rec.job,
        rec.status.as_str(),
        rec.duration_ms
            .map(|d| format!(" after {d} ms"))
            .unwrap_or_default()
    ))
}
