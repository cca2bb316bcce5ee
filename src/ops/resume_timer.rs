//! The timed resume of a paused job (`piar pause --until`, `piar resume
//! --at`): a transient timer `piar-<job>.resume-<unix-seconds>.timer`
//! (`crate::units::names::resume_stem`, a [`SelfTimer`]) runs `piar resume
//! <job>` at the manifest's `paused_until`. No daemon waits meanwhile.
//!
//! Transient units do not survive a reboot; [`rearm_all`] (run by `piar
//! sync`) puts back the timer of every job still paused until a future time
//! and resumes the jobs whose time passed while no timer was there.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::state::jobs::Store;
use crate::state::layout::Paths;
use crate::systemd::Systemd;
use crate::units::names::{Family, resume_stem};
use crate::units::self_exe::SelfTimer;

/// The timer name for a resume of `job` at `at`; errors (exit 2) for a time
/// outside what the name's `u32` seconds hold (after 2106).
pub fn timer_name(job: &str, at: jiff::Timestamp) -> Result<String> {
    let secs = u32::try_from(at.as_second())
        .map_err(|_| Error::invalid(format!("{at} is out of range for a resume time")))?;
    Ok(format!("{}.timer", resume_stem(job, secs)))
}

/// Stop every pending resume timer of `job` except an active `keep` (best
/// effort: a timer that is gone meanwhile is fine; others are logged).
/// Returns whether `keep` is armed (active) and was kept.
pub fn cancel(sd: &Systemd, paths: &Paths, job: &str, keep: Option<&str>) -> bool {
    let family = Family::resumes(job);
    let units = match sd.list_units(&[], &family.globs()) {
        Ok(units) => units,
        Err(e) => {
            log::warn!("{job}: cannot list resume timers: {e}");
            return false;
        }
    };
    let kept = units
        .iter()
        .any(|u| Some(u.0.as_str()) == keep && u.3 == "active");
    let is_unit_file = |u: &str| paths.unit_file(u).exists();
    for u in family.select(units.iter().map(|u| u.0.as_str()), is_unit_file) {
        if kept && Some(u.unit.as_str()) == keep {
            continue;
        }
        if let Err(e) = sd.stop(&u.unit) {
            log::warn!("{job}: cannot stop {}: {e}", u.unit);
        }
    }
    kept
}

/// Start the transient timer that runs `piar resume <job>` at `at` (at least
/// [`crate::units::self_exe::MIN_DELAY`] from now).
pub fn arm(sd: &Systemd, job: &str, at: jiff::Timestamp) -> Result<()> {
    let stem = timer_name(job, at)?.trim_end_matches(".timer").to_string();
    let delay =
        Duration::try_from(at.duration_since(jiff::Timestamp::now())).unwrap_or(Duration::ZERO);
    SelfTimer {
        stem,
        delay,
        accuracy: Duration::from_secs(1),
        args: vec!["resume".into(), job.to_string()],
        env: Vec::new(),
        service_description: format!("piar job {job}: resume (paused until {at})"),
        timer_description: format!("piar job {job}: resume at {at}"),
    }
    .start(sd)?;
    Ok(())
}

/// For every job paused with a `paused_until`: re-arm its resume timer when
/// none is active (after a reboot), or start `piar resume` at once when the
/// time has passed. Returns (job, what was done) for `piar sync`'s report.
/// The caller holds the store lock; the resume itself runs as its own
/// process (it takes the lock), through the same transient timer.
pub fn rearm_all(sd: &Systemd, paths: &Paths) -> Result<Vec<(String, String)>> {
    let mut done = Vec::new();
    for job in Store::new(paths).load_all()?.into_iter().flatten() {
        let m = &job.manifest;
        let Some(text) = m.paused_until.as_deref().filter(|_| !m.enabled) else {
            continue;
        };
        let Ok(at) = text.parse::<jiff::Timestamp>() else {
            continue;
        };
        let name = timer_name(job.name(), at)?;
        if cancel(sd, paths, job.name(), Some(&name)) {
            continue;
        }
        // A time already past: the timer elapses at once (MIN_DELAY) and resumes it.
        arm(sd, job.name(), at)?;
        let what = if at <= jiff::Timestamp::now() {
            format!("paused until {text}, which passed: resuming")
        } else {
            format!("re-armed {name}")
        };
        done.push((job.name().to_string(), what));
    }
    Ok(done)
}
