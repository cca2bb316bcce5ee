//! Applying a job's units to the manager, with rollback; and removing them.
//!
//! Order of [`apply`]: write unit files atomically -> `Reload()` only if an
//! already-loaded unit's file changed (a never-loaded unit is picked up by
//! `LoadUnit` without a full reload; reload cost grows with the number of
//! units) -> load and check the units (systemd drops `OnCalendar=` lines it
//! cannot parse, so the accepted count is compared) -> enable and (re)start
//! the timer. Any failure restores the previous unit files and enablement.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::manifest::Job;
use crate::state::fs::ensure_dir;
use crate::state::fs::write_atomic;
use crate::state::layout::Paths;
use crate::systemd::Systemd;
use crate::units::names::Family;
use crate::units::render;

/// A job's rendered unit files.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// `piar-<name>.service`.
    pub service_name: String,
    /// Its text.
    pub service: String,
    /// `piar-<name>.timer`.
    pub timer_name: String,
    /// Its text; `None` for manual jobs (no timer).
    pub timer: Option<String>,
    /// How many `OnCalendar=` lines the timer has.
    pub calendar_lines: usize,
}

/// Render both unit files of `job` for `paths`' scope.
pub fn render(job: &Job, paths: &Paths) -> Result<Rendered> {
    // The lean run-path binary (piar-trigger) when installed: units written by an older
    // piar (ExecStart=/usr/bin/piar ... trigger) show as drift and `piar sync` rewrites them.
    let exe = crate::units::self_exe::helper_path()?;
    let manifest_path = paths.manifest(job.name());
    let service = render::render_service(job, &exe, paths.scope, &manifest_path)?;
    let spec = job.schedule.timer_spec();
    let timer = match &spec {
        Some(spec) => Some(render::render_timer(job, spec, &manifest_path)?),
        None => None,
    };
    Ok(Rendered {
        service_name: crate::units::names::service(job.name()),
        service,
        timer_name: crate::units::names::timer(job.name()),
        timer,
        calendar_lines: spec.map(|s| s.on_calendar.len()).unwrap_or(0),
    })
}

/// The `timers.target.wants/` symlink that enabling a timer creates.
pub fn enablement_link(paths: &Paths, timer: &str) -> PathBuf {
    paths.unit_dir.join("timers.target.wants").join(timer)
}

/// A unit file's content before a change, for rollback.
struct Snapshot {
    path: PathBuf,
    old: Option<Vec<u8>>,
}

impl Snapshot {
    fn take(path: PathBuf) -> Snapshot {
        let old = std::fs::read(&path).ok();
        Snapshot { path, old }
    }

    fn restore(&self) {
        let res = match &self.old {
            Some(bytes) => write_atomic(&self.path, bytes, 0o644),
            None => remove_file(&self.path),
        };
        if let Err(e) = res {
            log::error!("rollback of {}: {e}", self.path.display());
        }
    }
}

/// Remove a file durably (crate::durable); a missing file is fine.
fn remove_file(path: &Path) -> Result<()> {
    crate::durable::remove_file(path)
}

/// Write and apply `rendered` for `job`; on failure restore what was there.
/// [`apply_many`] of one job.
pub fn apply(sd: &Systemd, paths: &Paths, job: &Job, rendered: &Rendered) -> Result<()> {
    apply_many(sd, paths, &[(job, rendered)])
        .pop()
        .unwrap_or_else(|| Err(Error::failed("apply: no result")))
}

/// One job of [`apply_many`] while it is being applied.
struct Pending<'a> {
    job: &'a Job,
    rendered: &'a Rendered,
    service_path: PathBuf,
    timer_path: PathBuf,
    snaps: [Snapshot; 2],
    was_enabled: bool,
    /// `(unit, object path, LoadState)` of the units loaded in step 2.
    loaded: Vec<(String, zbus::zvariant::OwnedObjectPath, String)>,
    failed: Option<Error>,
}

impl Pending<'_> {
    fn ok(&self) -> bool {
        self.failed.is_none()
    }

    fn fail(&mut self, e: Error) {
        if self.failed.is_none() {
            self.failed = Some(e);
        }
    }
}

/// Write and apply the units of several jobs as ONE batch; one result per
/// job, in order. A job that fails has its unit files and enablement
/// restored; the others are applied (so `piar sync` of 1000 drop-ins with one
/// bad file applies 999).
///
/// Steps, each for all jobs before the next (so the cost that grows with
/// the number of unit files on disk is paid once per batch, not per job):
/// 1. write every unit file (atomically, `state::fs::write_atomic`);
/// 2. `LoadUnit` each unit (systemd rebuilds its unit-name map once, at the
///    first load after the unit directory changed: systemd's
///    `manager_unit_cache_should_retry_load()` / `unit_file_build_name_map()`),
///    and `Reload()` once if a unit was loaded from an older file
///    (`NeedDaemonReload=yes`) or is still `not-found`;
/// 3. check the load state and that systemd accepted every `OnCalendar=` line
///    (it drops lines it cannot parse);
/// 4. one `EnableUnitFiles` for every timer to enable and one
///    `DisableUnitFiles` for every timer to disable, then at most one reload
///    ([`Systemd::change_enablement`]; systemd >= 254 needs one after any
///    install change);
/// 5. restart the enabled timers and wait for all their jobs at once
///    ([`Systemd::restart_many`]).
///
/// Round trips for a batch of N new jobs with timers: `ListUnitsByPatterns`
/// and `ListUnitsByNames` once, one `TimersCalendar` read and one
/// `RestartUnit` per job, one `EnableUnitFiles`, and the reload systemd asks
/// for after it (systemd >= 254).
pub fn apply_many(sd: &Systemd, paths: &Paths, items: &[(&Job, &Rendered)]) -> Vec<Result<()>> {
    if let Err(e) = ensure_dir(&paths.unit_dir) {
        return items.iter().map(|_| Err(e.clone())).collect();
    }
    let mut jobs: Vec<Pending> = items
        .iter()
        .map(|(job, rendered)| {
            let service_path = paths.unit_file(&rendered.service_name);
            let timer_path = paths.unit_file(&rendered.timer_name);
            Pending {
                job,
                rendered,
                snaps: [
                    Snapshot::take(service_path.clone()),
                    Snapshot::take(timer_path.clone()),
                ],
                was_enabled: enablement_link(paths, &rendered.timer_name)
                    .symlink_metadata()
                    .is_ok(),
                service_path,
                timer_path,
                loaded: Vec::new(),
                failed: None,
            }
        })
        .collect();

    // 1) unit files: staged for all jobs, then made durable with one flush (state::batch)
    let mut files = crate::state::batch::Batch::new();
    for p in jobs.iter_mut() {
        if let Err(e) = stage_units(sd, p, &mut files) {
            p.fail(e);
        }
    }
    if let Err(e) = files.commit() {
        for p in jobs.iter_mut() {
            p.fail(e.clone());
        }
    }
    crate::failpoint::hit("apply.after-unit-files");

    // 2) load, and one reload if a unit is stale
    if let Err(e) = load_all(sd, &mut jobs) {
        for p in jobs.iter_mut() {
            p.fail(e.clone());
        }
    }
    crate::failpoint::hit("apply.after-reload");

    // 3) load states and calendar lines (one property read per timer, over
    // CHECK_WORKERS threads sharing the connection for big batches, as `piar list`)
    let checks = check_all(sd, &jobs);
    for (p, r) in jobs.iter_mut().zip(checks) {
        if let Err(e) = r {
            p.fail(e);
        }
    }

    // 4) enablement. Paused jobs and jobs pending approval keep their timer disabled.
    // @reboot: enabled, started by timers.target at the next boot. Starting it now would
    // fire at once (a fresh timer whose OnBootSec= has passed elapses immediately), but
    // cron runs @reboot jobs at boot only, never when installed.
    let mut enable: Vec<usize> = Vec::new();
    let mut disable: Vec<usize> = Vec::new();
    let mut restart: Vec<usize> = Vec::new();
    for (i, p) in jobs.iter_mut().enumerate().filter(|(_, p)| p.ok()) {
        let Some(text) = p.rendered.timer.as_deref() else {
            continue;
        };
        let timer = p.rendered.timer_name.as_str();
        if p.job.manifest.timer_wanted() {
            if boot_only(text) {
                if let Err(e) = sd.stop(timer) {
                    p.fail(e);
                    continue;
                }
            } else {
                restart.push(i);
            }
            enable.push(i);
        } else {
            if let Err(e) = sd.stop(timer) {
                p.fail(e);
                continue;
            }
            disable.push(i);
        }
    }
    let names = |idx: &[usize], jobs: &[Pending]| -> Vec<String> {
        idx.iter()
            .filter(|i| jobs[**i].ok())
            .map(|i| jobs[*i].rendered.timer_name.clone())
            .collect()
    };
    let (en, dis) = (names(&enable, &jobs), names(&disable, &jobs));
    if let Err(batch) = sd.change_enablement(&refs(&en), &refs(&dis)) {
        // Find which job systemd refused: one call each.
        log::debug!("batched enablement failed ({batch}); retrying one timer at a time");
        for (idx, on) in [(&enable, true), (&disable, false)] {
            for &i in idx.iter() {
                if !jobs[i].ok() {
                    continue;
                }
                let timer = jobs[i].rendered.timer_name.clone();
                let r = match on {
                    true => sd.change_enablement(&[&timer], &[]),
                    false => sd.change_enablement(&[], &[&timer]),
                };
                if let Err(e) = r {
                    jobs[i].fail(e);
                }
            }
        }
    }
    crate::failpoint::hit("apply.after-enable");

    // 5) start the enabled timers, waiting for all their jobs at once
    let restart: Vec<usize> = restart.into_iter().filter(|i| jobs[*i].ok()).collect();
    let timers: Vec<String> = restart
        .iter()
        .map(|i| jobs[*i].rendered.timer_name.clone())
        .collect();
    for (i, r) in restart.iter().zip(sd.restart_many(&refs(&timers))) {
        if let Err(e) = r {
            jobs[*i].fail(e);
        }
    }
    if !timers.is_empty() {
        crate::failpoint::hit("apply.after-timer-start");
    }

    // roll the failed jobs back
    let mut results = Vec::with_capacity(jobs.len());
    for p in jobs {
        match p.failed.clone() {
            None => results.push(Ok(())),
            Some(e) => {
                log::warn!("{}: rolling back: {e}", p.job.name());
                rollback(sd, paths, &p);
                results.push(Err(e));
            }
        }
    }
    results
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Step 1 of [`apply_many`] for one job: its unit files staged in `files`
/// (a manual job's left-over timer is stopped, disabled and removed at once).
fn stage_units(sd: &Systemd, p: &Pending, files: &mut crate::state::batch::Batch) -> Result<()> {
    files.stage(&p.service_path, p.rendered.service.as_bytes(), 0o644)?;
    match &p.rendered.timer {
        Some(text) => files.stage(&p.timer_path, text.as_bytes(), 0o644)?,
        None => {
            // Manual job: a timer left from an earlier schedule must go.
            if p.timer_path.exists() {
                sd.stop(&p.rendered.timer_name)?;
                sd.disable(&[&p.rendered.timer_name])?;
                remove_file(&p.timer_path)?;
            }
        }
    }
    Ok(())
}

/// Step 2 of [`apply_many`]: load every unit of the jobs still ok with ONE
/// `ListUnitsByNames` call, and `Reload()` once if a unit that was already
/// loaded before (one `ListUnitsByPatterns` call tells which) reports
/// `NeedDaemonReload=yes` (it was loaded from an older file), or a unit is
/// still `not-found`; then load them again. A unit loaded just now from the
/// new file never needs a reload, so a new job costs no property read here.
/// Errors: a bus error (fails the whole batch).
fn load_all(sd: &Systemd, jobs: &mut [Pending]) -> Result<()> {
    let mut names: Vec<String> = Vec::new();
    for p in jobs.iter().filter(|p| p.ok()) {
        names.push(p.rendered.service_name.clone());
        if p.rendered.timer.is_some() {
            names.push(p.rendered.timer_name.clone());
        }
    }
    let names = refs(&names);
    let before = sd.loaded_among(&names)?;
    let mut loaded = sd.load_units(&names)?;
    let mut stale = loaded.iter().any(|(_, _, state)| state == "not-found");
    for (name, path, _) in &loaded {
        if stale {
            break;
        }
        if before.contains(name) {
            stale |= sd.unit(path)?.need_daemon_reload()?;
        }
    }
    if stale {
        sd.reload()?;
        loaded = sd.load_units(&names)?;
    }
    let mut by_name: std::collections::HashMap<String, (zbus::zvariant::OwnedObjectPath, String)> =
        loaded
            .into_iter()
            .map(|(n, path, state)| (n, (path, state)))
            .collect();
    for p in jobs.iter_mut().filter(|p| p.ok()) {
        let mut units = vec![p.rendered.service_name.clone()];
        if p.rendered.timer.is_some() {
            units.push(p.rendered.timer_name.clone());
        }
        for u in units {
            match by_name.remove(&u) {
                Some((path, state)) => p.loaded.push((u, path, state)),
                None => p.fail(Error::failed(format!("systemd did not load {u}"))),
            }
        }
    }
    Ok(())
}

/// Step 3 of [`apply_many`] for every job still ok (others: `Ok`, untouched):
/// [`check_units`], over up to 4 threads when there are many jobs (systemd
/// serves one call at a time, but the round trips overlap).
fn check_all(sd: &Systemd, jobs: &[Pending]) -> Vec<Result<()>> {
    const WORKERS: usize = 4;
    const SERIAL_BELOW: usize = 16;
    let one = |p: &Pending| match p.ok() {
        true => check_units(sd, p),
        false => Ok(()),
    };
    if jobs.len() < SERIAL_BELOW {
        return jobs.iter().map(one).collect();
    }
    let chunk = jobs.len().div_ceil(WORKERS);
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .zip(jobs.chunks(chunk))
            .flat_map(|(h, part)| {
                h.join().unwrap_or_else(|_| {
                    part.iter()
                        .map(|_| Err(Error::failed("a unit check thread panicked")))
                        .collect()
                })
            })
            .collect()
    })
}

/// Step 3 of [`apply_many`] for one job: every unit `loaded` (exit 2 when
/// systemd refused the file: `bad-setting`, `error`, `not-found`), and every
/// `OnCalendar=` line accepted.
fn check_units(sd: &Systemd, p: &Pending) -> Result<()> {
    for (name, _, state) in &p.loaded {
        if state != "loaded" {
            return Err(
                Error::invalid(format!("systemd refused {name} (load state {state})")).with_hint(
                    format!("see `journalctl -b -u {name}` for systemd's reason"),
                ),
            );
        }
    }
    if p.rendered.timer.is_none() {
        return Ok(());
    }
    let Some((_, timer_obj, _)) = p
        .loaded
        .iter()
        .find(|(u, _, _)| *u == p.rendered.timer_name)
    else {
        return Err(Error::failed(format!(
            "{} was not loaded",
            p.rendered.timer_name
        )));
    };
    let accepted = sd.timer(timer_obj)?.timers_calendar()?.len();
    if accepted != p.rendered.calendar_lines {
        return Err(Error::invalid(format!(
            "schedule: systemd accepted {accepted} of {} OnCalendar= lines",
            p.rendered.calendar_lines
        ))
        .with_hint("check each spec with `systemd-analyze calendar SPEC`"));
    }
    Ok(())
}

/// Restore one failed job of [`apply_many`]: its unit files, its timer's
/// enablement, and the manager's view of them. Best effort (logged).
fn rollback(sd: &Systemd, paths: &Paths, p: &Pending) {
    for s in &p.snaps {
        s.restore();
    }
    let rendered = p.rendered;
    let units = [rendered.service_name.as_str(), rendered.timer_name.as_str()];
    let timer_existed = p.snaps[1].old.is_some();
    if timer_existed && p.was_enabled {
        let _ = sd.enable(&[&rendered.timer_name]);
    } else {
        let _ = sd.stop(&rendered.timer_name);
        if enablement_link(paths, &rendered.timer_name)
            .symlink_metadata()
            .is_ok()
        {
            let _ = sd.disable(&[&rendered.timer_name]);
        }
        // The link may outlive a timer file we just removed again.
        let _ = remove_file(&enablement_link(paths, &rendered.timer_name));
    }
    if sd.needs_reload(&units).unwrap_or(false) {
        let _ = sd.reload();
    }
    if timer_existed && p.was_enabled {
        let _ = sd.restart(&rendered.timer_name);
    }
}

/// Stop and remove a job's units: timer stopped, active runs stopped,
/// Persistent= stamp cleaned, timer disabled, unit files deleted. Returns the
/// unit files removed. Missing pieces are not errors (rm is idempotent).
/// [`uninstall_many`] of one job.
pub fn uninstall(sd: &Systemd, paths: &Paths, name: &str) -> Result<Vec<String>> {
    Ok(uninstall_many(sd, paths, &[name])?
        .pop()
        .unwrap_or_default())
}

/// [`uninstall`] of several jobs as one batch: each step for all jobs before
/// the next, one `ListUnitsByPatterns` for their transient units, one
/// `DisableUnitFiles` for all timers (so at most one reload on systemd >= 254)
/// and one `fsync` of the unit directory for all removed files. Returns, per
/// job in order, the unit files removed. Errors: the first systemd or file
/// error (the jobs are then partly removed; running it again finishes).
pub fn uninstall_many(sd: &Systemd, paths: &Paths, names: &[&str]) -> Result<Vec<Vec<String>>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let services: Vec<String> = names
        .iter()
        .map(|n| crate::units::names::service(n))
        .collect();
    let timers: Vec<String> = names
        .iter()
        .map(|n| crate::units::names::timer(n))
        .collect();
    for timer in &timers {
        sd.stop(timer)?;
    }
    crate::failpoint::hit("uninstall.after-timer-stop");
    // Active runs, pending retries of a deferred run (crate::ops::trigger::defer), and the
    // trigger units of `piar run` (one still setting up would start a run). One job: its
    // families' globs; several: every loaded piar unit at once, split by job here.
    let is_unit_file = |u: &str| paths.unit_file(u).exists();
    let families = |name: &str| {
        [
            Family::runs(name),
            Family::defers(name),
            Family::manuals(name),
        ]
    };
    let broad = match names {
        [_] => None,
        _ => Some(sd.list_units(&[], &["piar-*"])?),
    };
    for name in names {
        let prefix = crate::units::names::service(name);
        let prefix = prefix.trim_end_matches(".service");
        for family in families(name) {
            let units = match &broad {
                Some(all) => all
                    .iter()
                    .filter(|u| u.0.starts_with(prefix))
                    .cloned()
                    .collect(),
                None => sd.list_units(&[], &family.globs())?,
            };
            for u in family.select(units.iter().map(|u| u.0.as_str()), is_unit_file) {
                sd.stop(&u.unit)?;
            }
        }
    }
    for (service, timer) in services.iter().zip(&timers) {
        sd.stop(service)?;
        sd.clean_state(timer);
    }
    let with_file: Vec<&str> = timers
        .iter()
        .filter(|t| paths.unit_file(t).exists())
        .map(String::as_str)
        .collect();
    sd.change_enablement(&[], &with_file)?;
    let mut links = Vec::new();
    for timer in &timers {
        links.push(enablement_link(paths, timer));
    }
    remove_files(&links)?;
    crate::failpoint::hit("uninstall.after-disable");
    let mut removed = vec![Vec::new(); names.len()];
    let mut files = Vec::new();
    for (i, (service, timer)) in services.iter().zip(&timers).enumerate() {
        for unit_name in [service, timer] {
            let path = paths.unit_file(unit_name);
            if path.exists() {
                files.push(path);
                removed[i].push(unit_name.clone());
            }
        }
    }
    remove_files(&files)?;
    crate::failpoint::hit("uninstall.after-unit-files-removed");
    for service in &services {
        sd.reset_failed(service);
    }
    Ok(removed)
}

/// Remove `files` (missing ones are fine), then `fsync` each directory that
/// lost an entry once (crate::durable): a batch of N removals costs one
/// flush per directory, not N. Errors name the path.
pub fn remove_files(files: &[PathBuf]) -> Result<()> {
    let mut dirs: Vec<&Path> = Vec::new();
    for f in files {
        match std::fs::remove_file(f) {
            Ok(()) => {
                if let Some(d) = f.parent()
                    && !dirs.contains(&d)
                {
                    dirs.push(d);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("cannot remove", f, e)),
        }
    }
    for d in dirs {
        crate::durable::sync_dir(d)?;
    }
    Ok(())
}

/// Pause: stop and disable the timer (the manifest records `enabled = false`).
pub fn pause(sd: &Systemd, paths: &Paths, name: &str) -> Result<()> {
    let timer = crate::units::names::timer(name);
    sd.stop(&timer)?;
    crate::failpoint::hit("pause.after-timer-stop");
    if paths.unit_file(&timer).exists() {
        sd.disable(&[&timer])?;
    }
    Ok(())
}

/// Resume: enable and start the timer (if the job has one; an `@reboot` timer is only
/// enabled, see [`boot_only`]). The timer's `Persistent=` stamp is removed first
/// (`CleanUnit`), so slots missed while paused are not caught up: resuming never runs the
/// job at once (`piar resume --now` does, with [`start_run_now`]).
pub fn resume(sd: &Systemd, paths: &Paths, name: &str) -> Result<()> {
    let timer = crate::units::names::timer(name);
    let path = paths.unit_file(&timer);
    if path.exists() {
        if sd.needs_reload(&[&timer])? {
            sd.reload()?;
        }
        sd.stop(&timer)?;
        sd.clean_state(&timer);
        sd.enable(&[&timer])?;
        crate::failpoint::hit("resume.after-enable");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if !boot_only(&text) {
            sd.restart(&timer)?;
        }
    }
    Ok(())
}

/// Start one run of the job now through its service (`piar-<name>.service`, which runs
/// `piar trigger`), without waiting: the first run of a new interval job
/// ([`start_first_run`]) and `piar resume --now`.
pub fn start_run_now(sd: &Systemd, name: &str) -> Result<()> {
    sd.start(&crate::units::names::service(name)).map(|_| ())
}

/// The first run of a newly submitted (or approved) interval job whose timer is anchored
/// calendar lines (`Schedule::is_calendar_interval`): their first slot is one interval
/// after submit, so the run "soon after submit" is started here. Other jobs: nothing.
pub fn start_first_run(sd: &Systemd, job: &Job) -> Result<()> {
    if job.manifest.timer_wanted() && job.schedule.is_calendar_interval() {
        start_run_now(sd, job.name())?;
    }
    Ok(())
}

/// Whether a rendered timer fires only at boot (`OnBootSec=`, from `@reboot`): such a
/// timer is enabled but not started by submit/resume, because a freshly started timer
/// whose `OnBootSec=` already passed elapses at once (systemd's timer.c only skips a
/// passed boot trigger once the timer has triggered before).
pub fn boot_only(timer_text: &str) -> bool {
    let has = |key: &str| timer_text.lines().any(|l| l.starts_with(key));
    has("OnBootSec=")
        && ![
            "OnCalendar=",
            "OnActiveSec=",
            "OnUnitActiveSec=",
            "OnStartupSec=",
        ]
        .iter()
        .any(|k| has(k))
}
