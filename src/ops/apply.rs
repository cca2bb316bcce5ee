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
    let exe = crate::units::self_exe::current_path()?;
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
pub fn apply(sd: &Systemd, paths: &Paths, job: &Job, rendered: &Rendered) -> Result<()> {
    ensure_dir(&paths.unit_dir)?;
    let service_path = paths.unit_file(&rendered.service_name);
    let timer_path = paths.unit_file(&rendered.timer_name);
    let snaps = [
        Snapshot::take(service_path.clone()),
        Snapshot::take(timer_path.clone()),
    ];
    let was_enabled = enablement_link(paths, &rendered.timer_name)
        .symlink_metadata()
        .is_ok();
    let result = apply_inner(sd, job, rendered, &service_path, &timer_path);
    if let Err(e) = result {
        log::warn!("{}: rolling back: {e}", job.name());
        for s in &snaps {
            s.restore();
        }
        let units = [rendered.service_name.as_str(), rendered.timer_name.as_str()];
        let timer_existed = snaps[1].old.is_some();
        if timer_existed && was_enabled {
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
        if timer_existed && was_enabled {
            let _ = sd.restart(&rendered.timer_name);
        }
        return Err(e);
    }
    Ok(())
}

fn apply_inner(
    sd: &Systemd,
    job: &Job,
    rendered: &Rendered,
    service_path: &Path,
    timer_path: &Path,
) -> Result<()> {
    write_atomic(service_path, rendered.service.as_bytes(), 0o644)?;
    match &rendered.timer {
        Some(text) => write_atomic(timer_path, text.as_bytes(), 0o644)?,
        None => {
            // Manual job: a timer left from an earlier schedule must go.
            if timer_path.exists() {
                sd.stop(&rendered.timer_name)?;
                sd.disable(&[&rendered.timer_name])?;
                remove_file(timer_path)?;
            }
        }
    }
    crate::failpoint::hit("apply.after-unit-files");
    let units = [rendered.service_name.as_str(), rendered.timer_name.as_str()];
    if sd.needs_reload(&units)? {
        sd.reload()?;
    }
    crate::failpoint::hit("apply.after-reload");
    check_loaded(sd, &rendered.service_name)?;
    let Some(_) = &rendered.timer else {
        return Ok(());
    };
    let timer_obj = check_loaded(sd, &rendered.timer_name)?;
    let accepted = sd.timer(&timer_obj)?.timers_calendar()?.len();
    if accepted != rendered.calendar_lines {
        return Err(Error::invalid(format!(
            "schedule: systemd accepted {accepted} of {} OnCalendar= lines",
            rendered.calendar_lines
        ))
        .with_hint("check each spec with `systemd-analyze calendar SPEC`"));
    }
    // Paused jobs and jobs pending approval keep their timer disabled.
    if job.manifest.timer_wanted() && rendered.timer.as_deref().is_some_and(boot_only) {
        // @reboot: enabled, started by timers.target at the next boot. Starting it now
        // would fire at once (a fresh timer whose OnBootSec= has passed elapses
        // immediately), but cron runs @reboot jobs at boot only, never when installed.
        sd.stop(&rendered.timer_name)?;
        sd.enable(&[&rendered.timer_name])?;
    } else if job.manifest.timer_wanted() {
        sd.enable(&[&rendered.timer_name])?;
        crate::failpoint::hit("apply.after-enable");
        sd.restart(&rendered.timer_name)?;
        crate::failpoint::hit("apply.after-timer-start");
    } else {
        sd.stop(&rendered.timer_name)?;
        sd.disable(&[&rendered.timer_name])?;
    }
    Ok(())
}

/// Load `name`; `Reload()` once if systemd still has it as not-found.
/// Errors (exit 2) when systemd rejects the file (`bad-setting`, `error`).
fn check_loaded(sd: &Systemd, name: &str) -> Result<zbus::zvariant::OwnedObjectPath> {
    let (mut path, mut state) = sd.load_unit(name)?;
    if state == "not-found" {
        sd.reload()?;
        (path, state) = sd.load_unit(name)?;
    }
    if state != "loaded" {
        return Err(
            Error::invalid(format!("systemd refused {name} (load state {state})")).with_hint(
                format!("see `journalctl -b -u {name}` for systemd's reason"),
            ),
        );
    }
    Ok(path)
}

/// Stop and remove a job's units: timer stopped, active runs stopped,
/// Persistent= stamp cleaned, timer disabled, unit files deleted. Returns the
/// unit files removed. Missing pieces are not errors (rm is idempotent).
pub fn uninstall(sd: &Systemd, paths: &Paths, name: &str) -> Result<Vec<String>> {
    let service = crate::units::names::service(name);
    let timer = crate::units::names::timer(name);
    sd.stop(&timer)?;
    crate::failpoint::hit("uninstall.after-timer-stop");
    // Active runs, pending retries of a deferred run (crate::ops::trigger::defer), and the
    // trigger units of `piar run` (one still setting up would start a run).
    let is_unit_file = |u: &str| paths.unit_file(u).exists();
    for family in [
        Family::runs(name),
        Family::defers(name),
        Family::manuals(name),
    ] {
        let units = sd.list_units(&[], &family.globs())?;
        for u in family.select(units.iter().map(|u| u.0.as_str()), is_unit_file) {
            sd.stop(&u.unit)?;
        }
    }
    sd.stop(&service)?;
    sd.clean_state(&timer);
    let timer_path = paths.unit_file(&timer);
    if timer_path.exists() {
        sd.disable(&[&timer])?;
    }
    remove_file(&enablement_link(paths, &timer))?;
    crate::failpoint::hit("uninstall.after-disable");
    let mut removed = Vec::new();
    for (unit_name, path) in [(&service, paths.unit_file(&service)), (&timer, timer_path)] {
        if path.exists() {
            remove_file(&path)?;
            removed.push(unit_name.clone());
        }
    }
    crate::failpoint::hit("uninstall.after-unit-files-removed");
    sd.reset_failed(&service);
    Ok(removed)
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
