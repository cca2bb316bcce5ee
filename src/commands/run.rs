//! `piar run`: start a run now, through the job's service like the timer does.

use serde::Serialize;

use super::Ctx;
use crate::error::{Error, ExitStatus, Result};
use crate::record::{self, RunRecord};
use crate::systemd::hex;
use crate::unit;

/// What `run` (without `--wait`) prints with `--json`.
#[derive(Debug, Serialize)]
struct StartedView {
    name: String,
    unit: String,
    started: bool,
}

/// Run `piar run NAME [--wait]`.
pub fn run(ctx: &Ctx, name: &str, wait: bool) -> Result<ExitStatus> {
    let _job = super::load_job(ctx, name)?;
    let service = unit::service_name(name);
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
    let job_result = sd.start_and_wait(&service)?;
    log::debug!("{service}: start job {job_result}");
    let path = sd
        .loaded_unit(&service)?
        .ok_or_else(|| Error::failed(format!("{service} is not loaded after its run")))?;
    let invocation = hex(&sd.unit(&path)?.invocation_id()?);
    let rec = record::recent(&ctx.paths, name, 50)
        .into_iter()
        .find(|r| r.trigger_invocation_id.as_deref() == Some(invocation.as_str()))
        .ok_or_else(|| {
            Error::failed(format!(
                "{service} finished ({job_result}) but wrote no run record"
            ))
            .with_hint(format!("see `journalctl -u {service}`"))
        })?;
    print_record(ctx, &rec)?;
    Ok(ExitStatus::Job(rec.exit_status()))
}

/// Print a finished run: the record as JSON, or one line of text.
pub fn print_record(ctx: &Ctx, rec: &RunRecord) -> Result<()> {
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
