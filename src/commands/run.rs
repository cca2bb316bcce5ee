//! `piar run`: start a run now, through the job's service like the timer does.

use serde::Serialize;

use super::Ctx;
use crate::error::{Error, ExitStatus, Result};
use crate::record::{self, RunRecord};

/// What `run` (without `--wait`) prints with `--json`.
#[derive(Debug, Serialize)]
struct StartedView {
    name: String,
    unit: String,
    started: bool,
}

/// Run `piar run NAME [--wait]`.
pub(super) fn run(ctx: &Ctx, name: &str, wait: bool) -> Result<ExitStatus> {
    let job = super::load_job(ctx, name)?;
    crate::manifest::approval::check_may_run(&job.manifest)?;
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
    // Not a timer firing: the run gets no scheduled_for (crate::template).
    crate::template::note_manual_start(&ctx.paths, name);
    if !wait {
        sd.start(&service)?;
        if ctx.out.json {
            ctx.out.json(&StartedView {
                name: name.to_string(),
                unit: service,
                started: true,
            })?;
        } else {
            ctx.out.line(format!(
                "started {name} ({service}); follow it with `piar logs -f {name}`"
            ))?;
        }
        return Ok(ExitStatus::Success);
    }
    // The service may be garbage-collected as soon as it finished (a manual
    // job has no timer holding it), so find the run by the records it wrote:
    // systemd runs one start job of the service at a time, so the newest new
    // record written by a service invocation is ours.
    let before: std::collections::HashSet<String> =
        record::run_ids(&ctx.paths, name).into_iter().collect();
    let job_result = sd.start_and_wait(&service)?;
    log::debug!("{service}: start job {job_result}");
    let rec = record::run_ids(&ctx.paths, name)
        .into_iter()
        .rev()
        .filter(|id| !before.contains(id))
        .filter_map(|id| record::load(&record::record_path(&ctx.paths, name, &id)).ok())
        .find(|r| r.trigger_invocation_id.is_some())
        .ok_or_else(|| {
            Error::failed(format!(
                "{service} finished ({job_result}) but wrote no run record"
            ))
            .with_hint(format!("see `journalctl -u {service}`"))
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
