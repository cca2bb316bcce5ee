//! `piar run`: start a run now: `piar trigger NAME` (what the job's timer
//! runs) in a transient unit of its own, `piar-<job>.manual-<id>.service`.
//!
//! Why not start `piar-<job>.service` like the timer does: while that
//! service is still activating (its trigger sets up, waits for a `forbid`
//! run, or records), systemd merges a new start job into the running one
//! (systemd.unit(5), "start jobs"): nothing new runs, nothing is recorded,
//! and `replace` never replaces. A unit per start cannot merge; the overlap
//! policy (forbid: a `skipped` record; allow; replace) stays the trigger's.

use std::time::{Duration, Instant};

use super::Ctx;
use crate::error::{Error, ExitStatus, Result};
use crate::record::{self, RunRecord, RunStatus};
use crate::units::self_exe::{SelfExe, manual_trigger_properties};

/// How long `piar run` waits for the trigger to write the run's first
/// record (`running`, or `skipped` under overlap `forbid`).
const RECORD_WITHIN: Duration = Duration::from_secs(60);

/// How many fresh ids to try when a manual trigger unit of that name exists
/// already (two starts in one second drawing the same 64 random bits).
const NAME_ATTEMPTS: usize = 3;

/// A fresh id for a manual trigger unit: `YYYYMMDD-HHMMSS-` and 16 random
/// hex digits (the sub-second clock when getrandom fails).
fn manual_id() -> String {
    let now = jiff::Timestamp::now();
    let mut rnd = [0u8; 8];
    if getrandom::fill(&mut rnd).is_err() {
        // The low 64 bits of the nanosecond clock.
        rnd.copy_from_slice(&now.as_nanosecond().to_be_bytes()[8..]);
    }
    format!(
        "{}-{}",
        now.strftime("%Y%m%d-%H%M%S"),
        crate::systemd::hex(&rnd)
    )
}

/// Run `piar run NAME [--wait]`.
///
/// piar chooses the run id, starts the manual trigger unit with it
/// (`piar trigger --run-id ID NAME`) and waits until the trigger has
/// written the run's first record, so the answer names the run at once:
/// status `running`, or `skipped` when an overlap `forbid` run is still
/// active (exit 0 either way). With `--wait` it then follows the run to
/// its end, and through armed retries to the final attempt
/// ([`super::poll::follow`]), and exits with that run's status. The
/// trigger itself (overlap policy, recording) is the timer's.
///
/// Errors: the job is missing (3), pending approval (4), its service unit
/// file is gone or the trigger ended without recording the run (1).
pub(super) fn run(ctx: &Ctx, name: &str, wait: bool) -> Result<ExitStatus> {
    let job = super::load_job(ctx, name)?;
    crate::model::manifest::approval::check_may_run(&job.manifest)?;
    let service = crate::units::names::service(name);
    if !ctx.paths.unit_file(&service).exists() {
        return Err(Error::failed(format!(
            "{service} is missing from {}",
            ctx.paths.unit_dir.display()
        ))
        .with_hint(format!(
            "recreate the units with `piar submit --replace --file {}`",
            ctx.paths.manifest(name).display()
        )));
    }
    let sd = ctx.systemd()?;
    let exe = SelfExe::current(sd.scope)?;
    let mut run_id = record::new_run_id();
    while record::record_path(&ctx.paths, name, &run_id).exists() {
        run_id = record::new_run_id();
    }
    let props = manual_trigger_properties(&exe, name, &run_id, wait);
    let mut attempt = 0;
    let (unit, started) = loop {
        attempt += 1;
        let unit = crate::units::names::manual(name, &manual_id());
        match sd.start_transient(&unit, &props) {
            Ok(started) => break (unit, started),
            Err(e)
                if attempt < NAME_ATTEMPTS
                    && (e.message.contains("UnitExists")
                        || e.message.contains("already exists")) =>
            {
                log::debug!("{unit}: {e}; trying another name");
            }
            Err(e) => return Err(e),
        }
    };
    if wait {
        // The trigger's own end first: it sends the callback and arms a
        // retry after the final record.
        let outcome = started.wait()?;
        log::debug!("{unit}: {} ({})", outcome.result, outcome.invocation_id);
    } else {
        drop(started);
    }
    let rec = first_record(ctx, &sd, name, &run_id, &unit)?;
    if !wait {
        if ctx.out.json {
            ctx.out.json(&super::poll::view(ctx, &rec, false))?;
        } else if rec.status == RunStatus::Running {
            ctx.out.line(format!(
                "started run {run_id} of {name}; follow it with `piar wait {run_id}` or `piar logs -f {name}`"
            ))?;
        } else {
            super::poll::print_record(ctx, &rec)?;
        }
        return Ok(ExitStatus::Success);
    }
    let rec = super::poll::follow(ctx, rec, None)?.ok_or_else(|| Error::failed("wait ended"))?;
    super::poll::print_run(ctx, &rec)?;
    Ok(ExitStatus::Job(rec.exit_status()))
}

/// Poll until the trigger in `unit` has written record `run_id` (at most
/// [`RECORD_WITHIN`]). Errors (exit 1): the unit ended without writing it
/// (for example a clock-sync deferral was already pending), or the time ran
/// out.
fn first_record(
    ctx: &Ctx,
    sd: &crate::systemd::Systemd,
    name: &str,
    run_id: &str,
    unit: &str,
) -> Result<RunRecord> {
    let path = record::record_path(&ctx.paths, name, run_id);
    let deadline = Instant::now() + RECORD_WITHIN;
    let mut polls = 0u32;
    loop {
        if let Ok(rec) = record::load(&path) {
            return Ok(rec);
        }
        polls += 1;
        // Every ~second: is the trigger still there?
        if polls.is_multiple_of(20) && sd.list_units(&[], &[unit])?.is_empty() && !path.exists() {
            return Err(Error::failed(format!(
                "{unit} ended without recording run {run_id} of {name}"
            ))
            .with_hint(format!(
                "see `piar logs {name}` (a clock-sync deferral may be pending)"
            )));
        }
        if Instant::now() >= deadline {
            return Err(Error::failed(format!(
                "run {run_id} of {name} was not recorded within {}s",
                RECORD_WITHIN.as_secs()
            ))
            .with_hint(format!("see `journalctl -u {unit}`")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
