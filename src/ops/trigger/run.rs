//! One run of a job: start it as a transient unit, wait, record the result.
//!
//! This is what `piar trigger` does (and so what every timer firing and
//! every `piar run` does): see [`trigger`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use zbus::zvariant::Value;

use crate::error::{Error, Result};
use crate::model::manifest::Job;
use crate::model::policy::Overlap;
use crate::ops::overlap::Decision;
use crate::record::{self, RunRecord, RunStatus};
use crate::state::layout::{Paths, Scope};
use crate::systemd::{Systemd, UnitOutcome};
use crate::units::names::{Family, UnitName};
use crate::units::self_exe::SelfExe;

/// PATH used to find a bare command name, and given to the run unless the
/// job sets its own: systemd's default for services (systemd.exec(5),
/// "Environment variables in spawned processes").
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Resolve `argv[0]` of `command` to an absolute path: as is if it contains a
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

/// Run `job` once: the body of `piar trigger` (a first attempt).
pub fn trigger(paths: &Paths, sd: &Systemd, job: &Job) -> Result<RunRecord> {
    trigger_attempt(paths, sd, job, None)
}

/// Run `job` once as attempt `retry.1` of the run `retry.0` (`None`: a first
/// attempt).
///
/// Holds the job's run lock while applying the overlap policy and starting
/// the transient unit, so two triggers never both decide on a stale view:
/// `forbid` records the new run as `skipped` if a run is still active;
/// `replace` stops the active runs first (their records end `canceled`);
/// `allow` starts regardless. The run record is written as `running`, then:
///
/// - `forbid`: the unit is awaited here and the record rewritten with the
///   outcome (the trigger's own service stays active meanwhile, so systemd
///   coalesces timer elapses during a run);
/// - `allow`/`replace`: a watcher unit `piar-<job>.watch-<run>.service`
///   (running `piar trigger <job> --watch <run>`) takes over the waiting and
///   the record is returned still `running`, so the trigger's service ends at
///   once and the next timer elapse can start another run.
///
/// Errors only when nothing could be recorded at all.
pub fn trigger_attempt(
    paths: &Paths,
    sd: &Systemd,
    job: &Job,
    retry: Option<(String, u32)>,
) -> Result<RunRecord> {
    let name = job.name();
    let run_id = record::new_run_id();
    let unit_name = crate::units::names::run(name, &run_id);
    let started = jiff::Timestamp::now();
    let (retry_of, attempt) = match retry {
        Some((first, k)) => (Some(first), Some(k)),
        None => (None, None),
    };
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
        scheduled_for: None,
        artifact: None,
        attempt,
        retry_of,
        reason: None,
    };
    // Templated input (crate::model::template): when the timer was due.
    let scheduled = crate::ops::trigger::slot::scheduled_for(sd, job);
    rec.scheduled_for = scheduled.map(|t| t.to_string());

    let lock_path = paths.job_lock_file(name);
    crate::state::fs::ensure_dir(lock_path.parent().unwrap_or(Path::new("/")))?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::io("cannot open", &lock_path, e))?;
    lock.lock()
        .map_err(|e| Error::io("cannot lock", &lock_path, e))?;

    let fail = |rec: &mut RunRecord, e: Error| -> Result<RunRecord> {
        log::error!("{name}: run {run_id}: {e}");
        rec.status = RunStatus::Failed;
        rec.error = Some(e.message.clone());
        finish(rec, started);
        record::save(paths, rec)?;
        Ok(rec.clone())
    };
    let policy = match crate::model::policy::parse(&job.manifest)
        .and_then(|p| crate::ops::policy::check_scope(&job.manifest, sd.scope, paths).map(|_| p))
    {
        Ok(p) => p,
        Err(e) => return fail(&mut rec, e),
    };

    let active = active_runs(paths, sd, name)?;
    match crate::ops::overlap::decide(policy.overlap, &active) {
        Decision::Skip { active: other } => {
            log::warn!(
                "{name}: run {} is still active; skipping this run",
                other.unit
            );
            rec.status = RunStatus::Skipped;
            rec.error = Some(format!(
                "{} was still active (overlap policy: forbid)",
                other.unit
            ));
            finish(&mut rec, started);
            record::save(paths, &rec)?;
            return Ok(rec);
        }
        Decision::ReplaceThenStart(others) => {
            for other in others {
                replace(paths, sd, name, other, &run_id);
            }
        }
        Decision::Start => {}
    }

    let program = match resolve_program(
        &job.manifest.command,
        &job_path_var(job),
        job.workdir.as_deref(),
    ) {
        Ok(p) => p,
        Err(e) => return fail(&mut rec, e),
    };
    // Templated input and artifacts (crate::model::template, crate::ops::trigger::artifact).
    let (input, stdio) = match crate::model::template::prepare(
        &paths.artifacts_dir(),
        job,
        &run_id,
        scheduled,
        started,
    )
    .and_then(|input| crate::ops::trigger::artifact::properties(&input).map(|p| (input, p)))
    {
        Ok(v) => v,
        Err(e) => return fail(&mut rec, e),
    };
    rec.command = input.command.clone();
    rec.command[0] = program.to_string_lossy().into_owned();
    // Held until the final record is written: a `running` record whose lock
    // is free belongs to a dead trigger (crate::ops::recover::settle).
    let run_lock = crate::ops::recover::RunLock::take(paths, name, &run_id)?;
    record::save(paths, &rec)?;
    crate::failpoint::hit("trigger.after-running-record");

    let mut props = transient_properties(job, sd.scope, &run_id, &program, &input);
    props.extend(stdio);
    let env_keys: Vec<String> = run_environment(job, &run_id, &input.scheduled_for)
        .iter()
        .filter_map(|kv| kv.split_once('=').map(|(k, _)| k.to_string()))
        .collect();
    match crate::ops::policy::properties(&policy, job, sd, paths, &env_keys) {
        Ok(p) => props.extend(p),
        Err(e) => return fail(&mut rec, e),
    }
    log::info!("{name}: starting run {run_id} as {unit_name}");
    if policy.overlap != Overlap::Forbid {
        // Detached: the unit and its watcher are started under the lock; the
        // watcher takes its own reference on the run unit before it reports
        // ready, so the unit cannot be collected unseen when we exit. The
        // watcher finds the artifact target in a sidecar file.
        if let Some(t) = &input.output
            && let Err(e) = crate::ops::trigger::artifact::save_target(paths, name, &run_id, t)
        {
            return fail(&mut rec, e);
        }
        // The watcher takes the run lock over (it records the end).
        drop(run_lock);
        let started_unit = sd.start_transient(&unit_name, &props).map(|_| ());
        let watched = started_unit.and_then(|_| {
            start_watcher(sd, name, &run_id).inspect_err(|_| {
                // Nobody would record it: do not leave it running.
                let _ = sd.stop(&unit_name);
            })
        });
        drop(lock);
        if let Err(e) = watched {
            return fail(&mut rec, e);
        }
        return Ok(rec);
    }
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
    record_outcome(
        paths,
        sd.scope,
        &mut rec,
        outcome,
        started,
        input.output.as_ref(),
        Some(run_lock),
    )?;
    Ok(rec)
}

/// Fill `rec` from the unit's outcome (or the error waiting for it), apply a
/// cancel marker, and save it as final.
/// `output`: where the run's stdout was captured (`--output`), saved as
/// the artifact (or a failure note) before the record. `run_lock`: the
/// run's lock ([`crate::ops::recover::RunLock`]), released once the final record
/// is saved.
fn record_outcome(
    paths: &Paths,
    scope: Scope,
    rec: &mut RunRecord,
    outcome: Result<UnitOutcome>,
    started: jiff::Timestamp,
    output: Option<&crate::model::output::Target>,
    run_lock: Option<crate::ops::recover::RunLock>,
) -> Result<()> {
    match outcome {
        Ok(out) => apply_outcome(rec, &out),
        Err(e) => {
            log::error!("{}: run {}: {e}", rec.job, rec.run_id);
            rec.status = RunStatus::Failed;
            rec.error = Some(e.message.clone());
        }
    }
    let marker = cancel_marker(paths, &rec.job, &rec.run_id);
    if let Ok(reason) = std::fs::read_to_string(&marker) {
        rec.status = RunStatus::Canceled;
        let reason = reason.trim();
        rec.reason = Some(if reason.is_empty() {
            "stopped with `piar stop`".to_string()
        } else {
            reason.to_string()
        });
        let _ = std::fs::remove_file(&marker);
    }
    finish(rec, started);
    if let Some(t) = output {
        crate::ops::trigger::artifact::finish_target(scope, t, rec);
    }
    record::save(paths, rec)?;
    if let Some(lock) = run_lock {
        lock.release();
    }
    crate::failpoint::hit("trigger.after-finished-record");
    log::info!(
        "{}: run {} {} (result {})",
        rec.job,
        rec.run_id,
        rec.status.as_str(),
        rec.result.as_deref().unwrap_or("-")
    );
    Ok(())
}

/// `<runs>/<job>/<run>.cancel`: written before piar stops a run on purpose;
/// holds the reason, and turns the run's final status into `canceled`.
pub fn cancel_marker(paths: &Paths, job: &str, run_id: &str) -> PathBuf {
    paths.runs_dir(job).join(format!("{run_id}.cancel"))
}

/// The active run units of job `name` (current and legacy names, see
/// [`crate::units::names`]).
pub fn active_runs(paths: &Paths, sd: &Systemd, name: &str) -> Result<Vec<UnitName>> {
    let runs = Family::runs(name);
    let units = sd.list_units(crate::systemd::RUNNING_STATES, &runs.globs())?;
    Ok(runs.select(units.iter().map(|u| u.0.as_str()), |u| {
        paths.unit_file(u).exists()
    }))
}

/// Stop the active run unit `old` for the replacing run `by` (overlap
/// policy `replace`), waiting up to 2 minutes for it to stop.
fn replace(paths: &Paths, sd: &Systemd, job: &str, old: &UnitName, by: &str) {
    let unit_name = old.unit.as_str();
    let old = old.run_id().unwrap_or_default();
    let reason = format!("replaced by run {by} (overlap policy: replace)");
    if let Err(e) = std::fs::write(cancel_marker(paths, job, old), &reason) {
        log::warn!("{job}: cannot mark run {old} canceled: {e}");
    }
    log::info!("{job}: stopping {unit_name} (overlap policy: replace)");
    if let Err(e) = sd.stop_and_wait(unit_name, Duration::from_secs(120)) {
        log::warn!("{job}: cannot stop {unit_name}: {e}");
    }
    // A run that ended on its own just before the stop was recorded without
    // the marker: do not leave it behind.
    if record::load(&record::record_path(paths, job, old))
        .is_ok_and(|r| !matches!(r.status, RunStatus::Running | RunStatus::Canceled))
    {
        let _ = std::fs::remove_file(cancel_marker(paths, job, old));
    }
}

/// Start `piar-<job>.watch-<run>.service` (Type=notify) running `piar
/// trigger <job> --watch <run>`, and wait until it is ready (it holds a
/// reference on the run unit).
fn start_watcher(sd: &Systemd, job: &str, run_id: &str) -> Result<()> {
    let exe = SelfExe::current(sd.scope)?;
    let args = vec![
        "trigger".into(),
        job.to_string(),
        "--watch".into(),
        run_id.to_string(),
    ];
    let props: Vec<(&str, Value)> = vec![
        (
            "Description",
            Value::from(format!("piar watcher of run {run_id} of job {job}")),
        ),
        ("Type", Value::from("notify")),
        ("ExecStart", exe.exec_start(&args)),
        ("Environment", Value::from(exe.env.clone())),
        ("CollectMode", Value::from("inactive-or-failed")),
    ];
    let result = sd
        .start_transient(&crate::units::names::watch(job, run_id), &props)?
        .wait_started()?;
    if result != "done" {
        return Err(Error::failed(format!(
            "the watcher of run {run_id} did not start ({result})"
        )));
    }
    Ok(())
}

/// `piar trigger <job> --watch <run>`: wait for the already started run
/// unit, then record its outcome. Tells systemd it is ready (sd_notify
/// `READY=1`) once it holds its own reference on the run unit.
pub fn watch(paths: &Paths, sd: &Systemd, job: &Job, run_id: &str) -> Result<RunRecord> {
    record::validate_run_id(run_id)?;
    let mut rec = record::load(&record::record_path(paths, job.name(), run_id))?;
    let started = jiff::Timestamp::now();
    let output = crate::ops::trigger::artifact::take_target(paths, job.name(), run_id);
    // The trigger that started the run has let go of its lock (or is about
    // to: take blocks until then); hold it until the end is recorded.
    let run_lock = crate::ops::recover::RunLock::take(paths, job.name(), run_id)?;
    let outcome = sd.watch_unit(&rec.unit, notify_ready);
    record_outcome(
        paths,
        sd.scope,
        &mut rec,
        outcome,
        started,
        output.as_ref(),
        Some(run_lock),
    )?;
    Ok(rec)
}

/// Send `READY=1` to `$NOTIFY_SOCKET` (sd_notify(3)); no socket: nothing.
fn notify_ready() {
    use std::os::unix::net::UnixDatagram;
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let sent = UnixDatagram::unbound().and_then(|sock| {
        let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str());
        if let Some(name) = bytes.strip_prefix(b"@") {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
            sock.send_to_addr(b"READY=1", &addr)
        } else {
            sock.send_to(b"READY=1", &path)
        }
    });
    if let Err(e) = sent {
        log::warn!("cannot notify systemd: {e}");
    }
}

/// The run's whole environment (`K=V`): the documented minimal set
/// (piar.toml(5), "ENVIRONMENT") plus the manifest's `env`; everything else
/// the manager would pass is removed by [`crate::ops::policy::properties`]
/// (`UnsetEnvironment=`).
fn run_environment(job: &Job, run_id: &str, scheduled_for: &str) -> Vec<String> {
    let name = job.name();
    let mut env: Vec<String> = Vec::with_capacity(job.manifest.env.len() + 6);
    let declared = &job.manifest.env;
    if !declared.contains_key("PATH") {
        env.push(format!("PATH={DEFAULT_PATH}"));
    }
    if !declared.contains_key("HOME") {
        let policy = crate::model::policy::parse(&job.manifest).unwrap_or_default();
        env.push(format!("HOME={}", crate::ops::policy::run_home(&policy)));
    }
    if !declared.contains_key("LANG") {
        env.push(format!("LANG={}", crate::model::policy::DEFAULT_LANG));
    }
    env.extend(declared.iter().map(|(k, v)| format!("{k}={v}")));
    env.push(format!("PIAR_JOB={name}"));
    env.push(format!("PIAR_RUN={run_id}"));
    env.push(format!("PIAR_SCHEDULED_FOR={scheduled_for}"));
    env
}

/// The properties of a run's transient unit (org.freedesktop.systemd1(5);
/// the same names systemd-run uses).
fn transient_properties<'a>(
    job: &'a Job,
    scope: Scope,
    run_id: &str,
    program: &Path,
    input: &crate::model::output::RunInput,
) -> Vec<(&'static str, Value<'a>)> {
    let name = job.name();
    let env = run_environment(job, run_id, &input.scheduled_for);
    // ExecStartEx with "no-env-expand" passes argv verbatim: no $VAR expansion
    // (systemd.service(5), the ":" prefix).
    let exec: Vec<(String, Vec<String>, Vec<String>)> = vec![(
        program.to_string_lossy().into_owned(),
        input.command.clone(),
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
