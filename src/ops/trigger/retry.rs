//! Retries: exponential backoff, armed as transient timers.

use std::time::Duration;

use crate::error::Result;
use crate::model::manifest::Job;
use crate::model::policy::{RETRY_DELAY_CAP, parse};
use crate::record::{RunRecord, RunStatus};
use crate::state::layout::Paths;
use crate::systemd::Systemd;
use crate::units::names::Family;
use crate::units::self_exe::SelfTimer;

/// Delay before attempt `next` (2-based: the first retry is attempt 2):
/// `base * 2^(next-2)`, at most [`RETRY_DELAY_CAP`].
pub fn backoff(base: Duration, next: u32) -> Duration {
    let factor = 1u32 << next.saturating_sub(2).min(20);
    base.saturating_mul(factor).min(RETRY_DELAY_CAP)
}

/// After a finished attempt: if it failed or timed out and retries are left,
/// arm a transient `piar-<job>.retry-<first>-<next>.timer` (an absolute `OnCalendar=`,
/// the backoff) whose service runs `piar trigger <job> --retry-of <first>
/// --attempt <next>`. Returns whether a retry was armed (then the callback
/// waits for the final attempt). Errors are logged, never returned.
pub fn schedule_retry(sd: &Systemd, job: &Job, rec: &RunRecord) -> bool {
    let Ok(p) = parse(&job.manifest) else {
        return false;
    };
    let attempt = rec.attempt.unwrap_or(1);
    if !matches!(rec.status, RunStatus::Failed | RunStatus::TimedOut) || attempt > p.retries {
        return false;
    }
    let next = attempt + 1;
    let first = rec.retry_of.clone().unwrap_or_else(|| rec.run_id.clone());
    let delay = backoff(p.retry_delay, next);
    match arm_retry(sd, job.name(), &first, next, delay) {
        Ok(()) => {
            log::info!(
                "{}: attempt {attempt} {}; attempt {next} in {}s",
                job.name(),
                rec.status.as_str(),
                delay.as_secs()
            );
            true
        }
        Err(e) => {
            log::error!("{}: cannot schedule retry {next}: {e}", job.name());
            false
        }
    }
}

/// Stop the pending retry timers of `job` (for `piar rm`), and with
/// `watchers` also the watchers of its detached runs, waiting for them (for
/// `rm --purge`: nothing may write a run record after the purge). Errors
/// are logged.
pub fn stop_retries(paths: &Paths, sd: &Systemd, job: &str, watchers: bool) {
    let mut families = vec![Family::retries(job)];
    if watchers {
        families.push(Family::watchers(job));
    }
    for family in families {
        let units = match sd.list_units(&[], &family.globs()) {
            Ok(units) => units,
            Err(e) => {
                log::warn!("{job}: cannot list retry timers and watchers: {e}");
                continue;
            }
        };
        let is_unit_file = |u: &str| paths.unit_file(u).exists();
        for u in family.select(units.iter().map(|u| u.0.as_str()), is_unit_file) {
            if let Err(e) = sd.stop_and_wait(&u.unit, Duration::from_secs(30)) {
                log::warn!("{job}: cannot stop {}: {e}", u.unit);
            }
        }
    }
}

fn arm_retry(sd: &Systemd, job: &str, first: &str, next: u32, delay: Duration) -> Result<()> {
    let stem = crate::units::names::retry_stem(job, first, next);
    SelfTimer {
        stem,
        delay,
        accuracy: Duration::from_micros(1),
        args: vec![
            "trigger".into(),
            job.to_string(),
            "--retry-of".into(),
            first.to_string(),
            "--attempt".into(),
            next.to_string(),
        ],
        env: Vec::new(),
        service_description: format!("piar job {job}: attempt {next} of run {first}"),
        timer_description: format!("piar job {job}: retry {next} of run {first}"),
    }
    .start(sd)?;
    Ok(())
}
