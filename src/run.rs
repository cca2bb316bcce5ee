//! One run of a job: start it as a transient unit, wait, record the result.
//!
//! This is what `piar trigger` does (and so what every timer firing and
//! every `piar run` does): see [`trigger`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use zbus::zvariant::Value;

use crate::error::{Error, Result};
use crate::manifest::Job;
use crate::paths::{Paths, Scope};
use crate::record::{self, RunRecord, RunStatus};
use crate::systemd::{Systemd, UnitOutcome};
use crate::unit;

/// PATH used to find a bare command name, and given to the run unless the
/// job sets its own: systemd's default for services (systemd.exec(5),
/// "Environment variables in spawned processes").
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Active states in which a run unit counts as still running (systemd.unit(5)).
pub const ACTIVE_STATES: &[&str] = &["active", "activating", "deactivating", "reloading"];

/// Resolve argv[0] of `command` to an absolute path: as is if it contains a
/// `/` (relative paths against `workdir`), else searched in `path` (a
/// colon-separated list). Errors (exit 2): not found or not executable.
pub fn resolve_program(command: &[String], path: &str, workdir: Option<&Path>) -> Result<PathBuf> {
    let prog = command
        .first()
        .ok_or_else(|| Error::invalid("command: expected at least the program name"))?;
    let is_exec = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    if prog.contains('/') {
        let p = Path::new(prog);
        let abs = match (p.is_absolute(), workdir) {
            (true, _) => p.to_path_buf(),
            (false, Some(w)) => w.join(p),
            (false, None) => std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_default(),
        };
        if is_exec(&abs) {
            return Ok(abs);
        }
        return Err(Error::invalid(format!(
            "command: {} is not an executable file",
            abs.display()
        )));
    }
    path.split(':')
        .filter(|d| d.starts_with('/'))
        .map(|d| Path::new(d).join(prog))
        .find(|p| is_exec(p))
        .ok_or_else(|| {
            Error::invalid(format!("command: {prog:?} not found in PATH ({path})"))
                .with_hint("give an absolute path, or set PATH with --env PATH=...")
        })
}

/// The PATH a job's command is searched in and run with.
pub fn job_path_var(job: &Job) -> String {
    job.manifest
        .env
        .get("PATH")
        .cloned()
        .unwrap_or_else(|| DEFAULT_PATH.to_string())
}

/// Run `job` once: the body of `piar trigger`.
///
/// Holds the job's run lock while checking for an active run and starting
/// the transient unit, so two triggers never both start. If a run is still
/// active the new run is recorded as `skipped`. Otherwise the run record is
/// written as `running`, the unit started and awaited, and the record
/// rewritten with the outcome. Returns the final record; errors only when
/// nothing could be recorded at all.
pub fn trigger(paths: &Paths, sd: &Systemd, job: &Job) -> Result<RunRecord> {
    let name = job.name();
    let run_id = record::new_run_id();
    let unit_name = unit::run_unit_name(name, &run_id);
    let started = jiff::Timestamp::now();
    let mut rec = RunRecord {
        version: record::VERSION,
        job: name.to_string(),
        run_id: run_id.clone(),
        unit: unit_name.clone(),
        status: RunStatus::Running,
        command: job.manifest.command.clone(),
        invocation_id: None,
        trigger_invocation_id: std::env::var("INVOCATION_ID").ok(),
        result: None,
        exit_code: None,
        signal: None,
        started_at: started.to_string(),
        finished_at: None,
        duration_ms: None,
        error: None,
    };

    let lock_path = paths.job_lock_file(name);
    crate::paths::ensure_dir(lock_path.parent().unwrap_or(Path::new("/")))?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::io("cannot open", &lock_path, e))?;
    lock.lock()
        .map_err(|e| Error::io("cannot lock", &lock_path, e))?;

    let active = sd.list_units(ACTIVE_STATES, &[&unit::run_unit_pattern(name)])?;
    if let Some(other) = active.first() {
        log::warn!("{name}: run {} is still active; skipping this run", other.0);
        rec.status = RunStatus::Skipped;
        rec.error = Some(format!(
            "{} was still active (overlap policy: forbid)",
            other.0
        ));
        finish(&mut rec, started);
        record::save(paths, &rec)?;
        return Ok(rec);
    }

    let program = match resolve_program(
        &job.manifest.command,
        &job_path_var(job),
        job.workdir.as_deref(),
    ) {
        Ok(p) => p,
        Err(e) => {
            log::error!("{name}: {e}");
            rec.status = RunStatus::Failed;
            rec.error = Some(e.message.clone());
            finish(&mut rec, started);
            record::save(paths, &rec)?;
            return Ok(rec);
        }
    };
    rec.command[0] = program.to_string_lossy().into_owned();
    // Held until the final record is written: a `running` record whose lock
    // is free belongs to a dead trigger (crate::recover::settle).
    let run_lock = crate::recover::RunLock::take(paths, name, &run_id)?;
    record::save(paths, &rec)?;
    crate::failpoint::hit("trigger.after-running-record");

    let props = transient_properties(job, sd.scope, &run_id, &program);
    log::info!("{name}: starting run {run_id} as {unit_name}");
    // The lock is released once the unit exists, so a concurrent trigger sees it.
    let outcome = {
        let guard = lock;
        let started_unit = sd.start_transient(&unit_name, &props);
        drop(guard);
        if started_unit.is_ok() {
            crate::failpoint::hit("trigger.after-unit-start");
        }
        started_unit.and_then(|u| u.wait())
    };
    match outcome {
        Ok(out) => apply_outcome(&mut rec, &out),
        Err(e) => {
            log::error!("{name}: run {run_id}: {e}");
            rec.status = RunStatus::Failed;
            rec.error = Some(e.message.clone());
        }
    }
    finish(&mut rec, started);
    record::save(paths, &rec)?;
    run_lock.release();
    crate::failpoint::hit("trigger.after-finished-record");
    log::info!(
        "{name}: run {run_id} {} (result {})",
        rec.status.as_str(),
        rec.result.as_deref().unwrap_or("-")
    );
    Ok(rec)
}

/// The properties of a run's transient unit (org.freedesktop.systemd1(5);
/// the same names systemd-run uses).
fn transient_properties<'a>(
    job: &'a Job,
    scope: Scope,
    run_id: &str,
    program: &Path,
) -> Vec<(&'static str, Value<'a>)> {
    let name = job.name();
    let mut env: Vec<String> = Vec::with_capacity(job.manifest.env.len() + 3);
    if !job.manifest.env.contains_key("PATH") {
        env.push(format!("PATH={DEFAULT_PATH}"));
    }
    env.extend(job.manifest.env.iter().map(|(k, v)| format!("{k}={v}")));
    env.push(format!("PIAR_JOB={name}"));
    env.push(format!("PIAR_RUN={run_id}"));
    // ExecStartEx with "no-env-expand" passes argv verbatim: no $VAR expansion
    // (systemd.service(5), the ":" prefix).
    let exec: Vec<(String, Vec<String>, Vec<String>)> = vec![(
        program.to_string_lossy().into_owned(),
        job.manifest.command.clone(),
        vec!["no-env-expand".to_string()],
    )];
    let mut props: Vec<(&'static str, Value<'a>)> = vec![
        (
            "Description",
            Value::from(format!("piar run {run_id} of job {name}")),
        ),
        ("Type", Value::from("exec")),
        ("ExecStartEx", Value::from(exec)),
        ("Environment", Value::from(env)),
        ("SyslogIdentifier", Value::from(format!("piar-{name}"))),
        ("CollectMode", Value::from("inactive-or-failed")),
        ("AddRef", Value::from(true)),
    ];
    match (&job.workdir, scope) {
        (Some(w), _) => props.push((
            "WorkingDirectory",
            Value::from(w.to_string_lossy().into_owned()),
        )),
        (None, Scope::User) => props.push(("WorkingDirectory", Value::from("~"))),
        (None, Scope::System) => {}
    }
    if let Some(t) = job.timeout {
        props.push(("RuntimeMaxUSec", Value::from(duration_usec(t))));
    }
    if scope == Scope::System {
        // User managers drop LogExtraFields (systemd#29956); there the
        // SyslogIdentifier and unit name tag the lines instead.
        let fields: Vec<Vec<u8>> = vec![
            format!("PIAR_JOB={name}").into_bytes(),
            format!("PIAR_RUN={run_id}").into_bytes(),
        ];
        props.push(("LogExtraFields", Value::from(fields)));
    }
    props
}

fn duration_usec(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Fill a record from the unit's outcome.
fn apply_outcome(rec: &mut RunRecord, out: &UnitOutcome) {
    rec.result = Some(out.result.clone());
    if !out.invocation_id.is_empty() {
        rec.invocation_id = Some(out.invocation_id.clone());
    }
    match out.exec_main_code {
        1 => rec.exit_code = Some(out.exec_main_status),
        2 | 3 => rec.signal = Some(record::signal_name(out.exec_main_status)),
        _ => {}
    }
    rec.status = match out.result.as_str() {
        "success" => RunStatus::Succeeded,
        "timeout" => RunStatus::TimedOut,
        _ => RunStatus::Failed,
    };
    if out.started_usec > 0
        && let Ok(t) = jiff::Timestamp::from_microsecond(out.started_usec as i64)
    {
        rec.started_at = t.to_string();
    }
    if out.exited_usec > 0
        && let Ok(t) = jiff::Timestamp::from_microsecond(out.exited_usec as i64)
    {
        rec.finished_at = Some(t.to_string());
    }
}

/// Set finished_at (if unset) and the duration.
fn finish(rec: &mut RunRecord, started: jiff::Timestamp) {
    let end = rec
        .finished_at
        .as_deref()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .unwrap_or_else(jiff::Timestamp::now);
    let begin = rec.started_at.parse::<jiff::Timestamp>().unwrap_or(started);
    rec.finished_at = Some(end.to_string());
    let ms = end.as_millisecond().saturating_sub(begin.as_millisecond());
    rec.duration_ms = Some(ms.max(0) as u64);
}
