//! Callbacks: a signed POST when a run finishes, durable with no daemon.
//!
//! Flow: `piar trigger` records the run, then [`on_run_finished`] writes the
//! delivery to the [`outbox`] *before* the first attempt and makes that
//! attempt inline. A failed attempt schedules the next one as a transient
//! timer `piar-<job>.cb-<run-id>-<event>-<n>.timer` (an absolute `OnCalendar=`) whose service runs
//! `piar callback deliver <id>`; after the last attempt the delivery is
//! dead-lettered. [`rearm_all`] re-arms pending entries that lost their timer
//! (reboot, crash).
//!
//! Retry delays (Standard Webhooks' recommended schedule): 5s, 5m, 30m, 2h,
//! 5h, 10h, 10h (8 attempts over about 28 hours), each ±10% jitter; a
//! receiver's `Retry-After` (capped at 24h) replaces the delay.

pub mod http;
pub mod outbox;
pub mod payload;

pub mod sign;

use std::time::Duration;

use crate::error::{Error, Result};
use crate::model::callback::{self as config, On};
use crate::model::manifest::Job;
use crate::record::{RunRecord, RunStatus};
use crate::state::layout::{Paths, Scope};
use crate::systemd::Systemd;
use crate::units::names::Family;
use crate::units::self_exe::SelfTimer;
use outbox::{Attempt, Delivery, State};

/// Delays before attempt 2, 3, ...; the last one repeats.
pub const RETRY_DELAYS: &[Duration] = &[
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// Longest `Retry-After` honoured.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Whether a run with `status` sends a callback under `on`.
pub fn wanted(on: On, status: RunStatus) -> bool {
    match (on, status) {
        // Not finished: a deferred run is retried and calls back when it ends.
        (_, RunStatus::Running | RunStatus::Deferred) => false,
        (On::Always, _) => true,
        (On::Success, s) => s == RunStatus::Succeeded,
        (On::Failure, s) => matches!(s, RunStatus::Failed | RunStatus::TimedOut | RunStatus::Lost),
    }
}

/// The hook `piar trigger` calls after recording a run: if the job has a
/// `[callback]` that wants this run, write the delivery to the outbox and make
/// the first attempt. Never fails the run: problems are logged.
pub fn on_run_finished(paths: &Paths, sd: &Systemd, job: &Job, rec: &RunRecord) {
    let Some(spec) = &job.manifest.callback else {
        return;
    };
    if !wanted(spec.on, rec.status) {
        return;
    }
    crate::failpoint::hit("trigger.before-outbox-write");
    let result = enqueue(paths, sd.scope, job, spec, rec).and_then(|id| {
        crate::failpoint::hit("trigger.after-outbox-write");
        deliver(paths, Some(sd), sd.scope, &id).map(|_| ())
    });
    if let Err(e) = result {
        log::error!("{}: callback for run {}: {e}", rec.job, rec.run_id);
    }
}

/// Build the payload and write a new pending delivery; returns its id.
pub fn enqueue(
    paths: &Paths,
    scope: Scope,
    job: &Job,
    spec: &config::CallbackSpec,
    rec: &RunRecord,
) -> Result<String> {
    let event = payload::event_type(rec.status);
    let data = payload::run_data(
        Some(job),
        rec,
        crate::systemd::journal::output_tail(scope, &rec.run_id, &rec.unit),
    );
    let compat = spec.compat.clone();
    let compat_fields = compat
        .as_ref()
        .map(|_| payload::CompatFields::from_data(&data));
    let body = payload::Payload {
        kind: event.to_string(),
        timestamp: rec
            .finished_at
            .clone()
            .unwrap_or_else(crate::printer::now_rfc3339),
        data,
        event: compat.as_ref().map(|_| compat_event(event).to_string()),
        compat: compat_fields,
    };
    let body = serde_json::to_string(&body)
        .map_err(|e| Error::failed(format!("cannot encode callback: {e}")))?;
    let id = delivery_id(rec);
    let d = Delivery {
        version: outbox::VERSION,
        id: id.clone(),
        job: rec.job.clone(),
        run_id: rec.run_id.clone(),
        event: event.to_string(),
        url: spec.url.clone(),
        secret: spec.secret.clone(),
        compat,
        body,
        max_attempts: spec.attempts(),
        timeout_ms: u64::try_from(spec.timeout().as_millis()).unwrap_or(u64::MAX),
        state: State::Pending,
        created_at: crate::printer::now_rfc3339(),
        next_attempt_at: Some(crate::printer::now_rfc3339()),
        attempts: Vec::new(),
    };
    outbox::save(paths, &d)?;
    Ok(id)
}

/// The delivery id (`webhook-id`) of the callback for run `rec`:
/// `piar-<job>-<run-id>-<event>`. Deterministic, so recovery can tell whether
/// a run's callback was queued ([`crate::ops::recover::missing_callbacks`]).
pub fn delivery_id(rec: &RunRecord) -> String {
    format!(
        "piar-{}-{}-{}",
        rec.job,
        rec.run_id,
        payload::event_type(rec.status)
            .trim_start_matches("job.")
            .replace('_', "-")
    )
}

/// pi-agent-runner knows two events: completed and failed.
fn compat_event(event: &str) -> &'static str {
    if event == "job.completed" {
        "job.completed"
    } else {
        "job.failed"
    }
}

/// The headers of one attempt at `now` (Unix seconds). Errors: the secret
/// cannot be read.
pub fn headers(paths: &Paths, d: &Delivery, now: i64) -> Result<Vec<(String, String)>> {
    let mut h = vec![
        ("webhook-id".to_string(), d.id.clone()),
        ("webhook-timestamp".to_string(), now.to_string()),
    ];
    let secret = d
        .secret
        .as_deref()
        .map(|name| crate::state::secrets::get(paths, name))
        .transpose()?;
    if let Some(s) = &secret {
        h.push((
            "webhook-signature".into(),
            sign::standard_signature(&sign::standard_key(s), &d.id, now, d.body.as_bytes()),
        ));
    }
    if d.compat.is_some() {
        h.push(("X-Runner-Event".into(), compat_event(&d.event).into()));
        h.push(("X-Runner-Timestamp".into(), now.to_string()));
        if let Some(s) = &secret {
            h.push((
                "X-Runner-Signature".into(),
                sign::compat_signature(s, now, d.body.as_bytes()),
            ));
        }
    }
    Ok(h)
}

/// Make one attempt at delivery `id` (if it is still pending), record it,
/// and schedule the next one or end the delivery. `sd` is reused if given,
/// else a connection is made when a retry must be scheduled. Returns the
/// entry as saved.
pub fn deliver(paths: &Paths, sd: Option<&Systemd>, scope: Scope, id: &str) -> Result<Delivery> {
    let _lock = outbox::lock(paths, id)?;
    let mut d = outbox::load(paths, id)?;
    if d.state != State::Pending {
        log::info!("callback {id} is {}: nothing to do", d.state.as_str());
        return Ok(d);
    }
    let started = jiff::Timestamp::now();
    let (outcome, took) = match headers(paths, &d, started.as_second()) {
        Ok(h) => http::post(
            &d.url,
            &h,
            d.body.as_bytes(),
            Duration::from_millis(d.timeout_ms.max(1000)),
        ),
        Err(e) => (
            http::Outcome::Retry {
                status: None,
                error: e.message,
                retry_after: None,
            },
            Duration::ZERO,
        ),
    };
    crate::failpoint::hit("deliver.after-response");
    let mut attempt = Attempt {
        at: started.to_string(),
        status: None,
        error: None,
        duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
    };
    let delay = record_outcome(&mut d, &mut attempt, outcome);
    let line = format!(
        "callback {id} attempt {}: {}",
        d.attempts.len() + 1,
        attempt
            .error
            .clone()
            .unwrap_or_else(|| format!("HTTP {}", attempt.status.unwrap_or_default()))
    );
    d.attempts.push(attempt);
    d.next_attempt_at = delay.map(|dl| {
        (jiff::Timestamp::now() + jiff::SignedDuration::try_from(dl).unwrap_or_default())
            .to_string()
    });
    outbox::save(paths, &d)?;
    crate::failpoint::hit("deliver.after-save");
    match d.state {
        State::Delivered => log::info!("{line} (delivered)"),
        State::Dead => log::error!("{line}; dead-lettered after {} attempts", d.attempts.len()),
        _ => log::warn!("{line}"),
    }
    if let Some(dl) = delay {
        let owned;
        let sd = match sd {
            Some(s) => s,
            None => {
                owned = Systemd::connect(scope)?;
                &owned
            }
        };
        schedule(sd, paths, &d, dl)?;
    }
    Ok(d)
}

/// Fold one attempt's HTTP `outcome` into `d` and `attempt`: delivered,
/// gone (410: no more attempts), or failed, then dead-lettered after
/// `max_attempts` or retried. Returns the delay before the next attempt
/// (a server's `Retry-After`, capped at [`MAX_RETRY_AFTER`], else the next
/// step of [`RETRY_DELAYS`] ±10%), `None` when the delivery is over.
fn record_outcome(
    d: &mut Delivery,
    attempt: &mut Attempt,
    outcome: http::Outcome,
) -> Option<Duration> {
    match outcome {
        http::Outcome::Delivered(s) => {
            attempt.status = Some(s);
            d.state = State::Delivered;
            None
        }
        http::Outcome::Gone => {
            attempt.status = Some(410);
            attempt.error = Some("410 Gone: the endpoint is gone; no more attempts".into());
            d.state = State::Gone;
            None
        }
        http::Outcome::Retry {
            status,
            error,
            retry_after,
        } => {
            attempt.status = status;
            attempt.error = Some(error);
            if d.attempts.len() + 1 >= d.max_attempts as usize {
                d.state = State::Dead;
                None
            } else {
                let n = d.attempts.len();
                Some(match retry_after {
                    Some(r) => r.min(MAX_RETRY_AFTER),
                    None => jitter(RETRY_DELAYS[n.min(RETRY_DELAYS.len() - 1)]),
                })
            }
        }
    }
}

/// ±10% of `d`, from the OS random source (no randomness: `d`).
fn jitter(d: Duration) -> Duration {
    let mut b = [0u8; 2];
    if getrandom::fill(&mut b).is_err() {
        return d;
    }
    let r = u16::from_le_bytes(b) as f64 / u16::MAX as f64; // 0..=1
    d.mul_f64(0.9 + 0.2 * r)
}

/// The unit-name key of delivery `d` (`<run-id>-<event>`): its id without
/// the `piar-<job>-` prefix (see [`crate::units::names::callback_stem`]).
fn unit_key(d: &Delivery) -> &str {
    d.id.strip_prefix(&format!("piar-{}-", d.job))
        .unwrap_or(&d.id)
}

/// Schedule the next attempt of `d` in `delay`: a transient
/// `piar-<job>.cb-<run-id>-<event>-<n>.timer` (an absolute `OnCalendar=`) and its service running
/// `piar --system|--user callback deliver <id>`. Only the id is in argv; the
/// secret stays in its file.
pub fn schedule(sd: &Systemd, paths: &Paths, d: &Delivery, delay: Duration) -> Result<()> {
    let stem = crate::units::names::callback_stem(&d.job, unit_key(d), d.attempts.len() + 1);
    let _ = paths;
    SelfTimer {
        stem: stem.clone(),
        delay,
        accuracy: Duration::from_secs(1),
        args: vec!["callback".into(), "deliver".into(), d.id.clone()],
        env: Vec::new(),
        service_description: format!("piar callback {}", d.id),
        timer_description: format!("piar callback retry {}", d.id),
    }
    .start(sd)?;
    log::info!(
        "callback {}: next attempt in {}s ({stem}.timer)",
        d.id,
        delay.as_secs()
    );
    Ok(())
}

/// Whether delivery `d` has a retry timer or an attempt in progress.
pub fn has_pending_unit(paths: &Paths, sd: &Systemd, d: &Delivery) -> Result<bool> {
    let family = Family::callbacks(&d.job, unit_key(d));
    let units = sd.list_units(crate::systemd::RUNNING_STATES, &family.globs())?;
    let is_unit_file = |u: &str| paths.unit_file(u).exists();
    Ok(!family
        .select(units.iter().map(|u| u.0.as_str()), is_unit_file)
        .is_empty())
}

/// Re-arm every pending delivery with no retry timer (after a reboot or a
/// crash): due ones are attempted in 1s, others at their `next_attempt_at`.
/// Returns the ids re-armed. For `piar sync` and `piar callback rearm`.
pub fn rearm_all(paths: &Paths, sd: &Systemd) -> Result<Vec<String>> {
    let mut armed = Vec::new();
    for d in outbox::load_all(paths)? {
        if d.state != State::Pending || has_pending_unit(paths, sd, &d)? {
            continue;
        }
        let due = d
            .next_attempt_at
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_second() - jiff::Timestamp::now().as_second())
            .unwrap_or(0);
        schedule(sd, paths, &d, Duration::from_secs(due.max(1) as u64))?;
        armed.push(d.id);
    }
    Ok(armed)
}

/// Make a dead (or gone) delivery pending again and attempt it now; its
/// attempt budget starts over.
pub fn retry(paths: &Paths, sd: &Systemd, id: &str) -> Result<Delivery> {
    {
        let _lock = outbox::lock(paths, id)?;
        let mut d = outbox::load(paths, id)?;
        match d.state {
            State::Delivered => {
                return Err(Error::conflict(format!(
                    "callback {id} was already delivered"
                )));
            }
            State::Pending => {
                return Err(Error::conflict(format!(
                    "callback {id} is still pending (next attempt {})",
                    d.next_attempt_at.as_deref().unwrap_or("-")
                )));
            }
            State::Dead | State::Gone => {}
        }
        d.state = State::Pending;
        d.max_attempts = u32::try_from(d.attempts.len())
            .unwrap_or(u32::MAX)
            .saturating_add(d.max_attempts.max(1));
        d.next_attempt_at = Some(crate::printer::now_rfc3339());
        outbox::save(paths, &d)?;
    }
    deliver(paths, Some(sd), sd.scope, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_filters_events() {
        assert!(wanted(On::Always, RunStatus::Skipped));
        assert!(wanted(On::Success, RunStatus::Succeeded));
        assert!(!wanted(On::Success, RunStatus::Failed));
        assert!(wanted(On::Failure, RunStatus::TimedOut));
        assert!(!wanted(On::Failure, RunStatus::Succeeded));
        assert!(!wanted(On::Always, RunStatus::Running));
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        for _ in 0..50 {
            let j = jitter(Duration::from_secs(100));
            assert!(
                j >= Duration::from_secs(90) && j <= Duration::from_secs(110),
                "{j:?}"
            );
        }
    }
}
