//! `piar run`: start a run now: `piar trigger NAME` (what the job's timer
//! runs) in a transient unit of its own, `piar-<job>.manual-<id>.service`.
//!
//! Why not start `piar-<job>.service` like the timer does: while that
//! service is still activating (its trigger sets up, waits for a `forbid`
//! run, or records), systemd merges a new start job into the running one
//! (systemd.unit(5), "start jobs"): nothing new runs, nothing is recorded,
//! and `replace` never replaces. A unit per start cannot merge; the overlap
//! policy (forbid: a `skipped` record; allow; replace) stays the trigger's.

use serde::Serialize;

use super::Ctx;
use crate::error::{Error, ExitStatus, Result};
use crate::record::{self, RunRecord};
use crate::units::self_exe::{SelfExe, manual_trigger_properties};

/// What `run` (without `--wait`) prints with `--json`.
#[derive(Debug, Serialize)]
struct StartedView {
    name: String,
    /// The manual trigger unit started (`piar-<job>.manual-<id>.service`).
    unit: String,
    started: bool,
}

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
/// Without `--wait` it returns as soon as the manager has queued the start
/// of the manual trigger unit. With `--wait` it waits for exactly that unit
/// and prints the run record its trigger wrote (found by the unit's
/// invocation ID, `trigger_invocation_id`): the run's outcome (a detached
/// `allow`/`replace` run is followed to its end), or, when an overlap
/// `forbid` run was still active, the `skipped` record, exit 0.
/// Errors: the job is missing (3), pending approval (4), its service unit
/// file is gone or the trigger wrote no record (1).
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
    let props = manual_trigger_properties(&exe, name, wait);
    // Records that exist before the start cannot be this start's.
    let before: std::collections::HashSet<String> = match wait {
        true => record::run_ids(&ctx.paths, name).into_iter().collect(),
        false => Default::default(),
    };
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
    if !wait {
        drop(started);
        if ctx.out.json {
            ctx.out.json(&StartedView {
                name: name.to_string(),
                unit,
                started: true,
            })?;
        } else {
            ctx.out.line(format!(
                "started {name} ({unit}); follow it with `piar logs -f {name}`"
            ))?;
        }
        return Ok(ExitStatus::Success);
    }
    // AddRef pins the unit until we disconnect, so its outcome is readable.
    let outcome = started.wait()?;
    log::debug!("{unit}: {} ({})", outcome.result, outcome.invocation_id);
    let rec = record::run_ids(&ctx.paths, name)
        .into_iter()
        .rev()
        .filter(|id| !before.contains(id))
        .filter_map(|id| record::load(&record::record_path(&ctx.paths, name, &id)).ok())
        .find(|r| {
            !outcome.invocation_id.is_empty()
                && r.trigger_invocation_id.as_deref() == Some(outcome.invocation_id.as_str())
        })
        .ok_or_else(|| {
            Error::failed(format!(
                "{unit} finished ({}) but wrote no run record",
                outcome.result
            ))
            .with_hint(format!("see `journalctl -u {unit}`"))
        })?;
    // A detached run (overlap allow/replace) is recorded by its watcher; a
    // record still `running` after its unit ended belongs to a trigger (or
    // watcher) that died: crate::ops::recover::settle reads it as `lost`.
    let path = record::record_path(&ctx.paths, name, &rec.run_id);
    let mut rec = rec;
    loop {
        if let Ok(Some(new)) = crate::ops::recover::settle(&ctx.paths, &rec, Some(&sd), ctx.scope) {
            rec = new;
        }
        if rec.status != record::RunStatus::Running {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
        rec = record::load(&path)?;
    }
    print_record(ctx, &rec)?;
    Ok(ExitStatus::Job(rec.exit_status()))
}

/// Print a finished run: the record as JSON, or one line of text.
pub(super) fn print_record(ctx: &Ctx, rec: &RunRecord) -> Result<()> {
    if ctx.out.json {
        return ctx.out.json(rec);
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
