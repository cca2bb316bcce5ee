//! Which calendar slot a run is for: the moment the job's timer elapsed, read
//! from the manager (the `scheduled_for` template variable and run field).

use jiff::Timestamp;

use crate::error::Result;
use crate::model::manifest::Job;
use crate::systemd::Systemd;

/// Environment variable of the manual trigger unit of `piar run --date D` /
/// `--scheduled-for T` (a backfill): the slot (RFC 3339) the run renders its
/// templates for and records as `scheduled_for`. Read only in a trigger that
/// `piar run` started (`PIAR_MANUAL_START` set).
pub const BACKFILL_ENV: &str = "PIAR_BACKFILL_FOR";

/// When the timer that started this run was due, if a timer started it.
///
/// The trigger compares the timer's `LastTriggerUSec` with the moment its own
/// `piar-<job>.service` activation began (`InactiveExitTimestamp`): the timer
/// records its trigger time and then enqueues the start, so a gap of under
/// 5 s means the timer started this run. A trigger that `piar run` started
/// runs in a manual trigger unit of its own with
/// `PIAR_MANUAL_START=1` (`crate::units::self_exe::MANUAL_START_ENV`): it
/// has a `scheduled_for` only as a backfill ([`BACKFILL_ENV`]). `$TRIGGER_UNIT` and
/// `$TRIGGER_TIMER_REALTIME_USEC` (systemd >= 250) are not used: on 252 a
/// manual start of a service that a timer started before still carries the
/// old values. The value is the calendar slot the elapse stands for ([`last_slot_at_or_before`]): the
/// nominal time of an on-time elapse, the missed slot of a `Persistent=` catch-up at boot.
/// Returns `None` when not started by the job's timer (and not a backfill), or when the
/// manager cannot be asked.
pub fn scheduled_for(sd: &Systemd, job: &Job) -> Option<Timestamp> {
    let timer = crate::units::names::timer(job.name());
    let from_usec = |usec: u64| {
        i64::try_from(usec)
            .ok()
            .filter(|u| *u > 0)
            .and_then(|u| Timestamp::from_microsecond(u).ok())
    };
    // Only a trigger running inside the job's service can have been started
    // by the timer.
    std::env::var_os("INVOCATION_ID")?;
    if std::env::var_os(crate::units::self_exe::MANUAL_START_ENV).is_some() {
        // `piar run --date/--scheduled-for`: the backfill's slot.
        return std::env::var(BACKFILL_ENV)
            .ok()
            .and_then(|t| t.parse::<Timestamp>().ok());
    }
    let timer_path = sd.loaded_unit(&timer).ok()??;
    let last = sd.timer(&timer_path).ok()?.last_trigger_usec().ok()?;
    let service_path = sd
        .loaded_unit(&crate::units::names::service(job.name()))
        .ok()??;
    let began = sd
        .unit(&service_path)
        .ok()?
        .inactive_exit_timestamp()
        .ok()?;
    if last > 0 && began >= last && began - last <= 5_000_000 {
        let elapsed = from_usec(last)?;
        Some(slot_of(job, elapsed))
    } else {
        None
    }
}

/// The calendar slot a timer elapse at `elapsed` stands for: the latest elapse of the job's
/// `OnCalendar=` specs at or before it (issue 12 point 5). For an on-time elapse that is the
/// nominal slot (the elapse itself lags it by up to `AccuracySec=`); for a `Persistent=`
/// catch-up after downtime (the timer fires at boot) it is the MISSED slot, not the boot
/// time, so a daily job caught up after a power cut gets yesterday's `{{ date }}`. Several
/// slots missed are caught up by one run (systemd.timer(5)): the newest one. A job without
/// calendar specs (a boot-relative `--every`), or when `systemd-analyze` cannot answer,
/// keeps `elapsed`.
fn slot_of(job: &Job, elapsed: Timestamp) -> Timestamp {
    let Some(spec) = job.schedule.timer_spec() else {
        return elapsed;
    };
    match last_slot_at_or_before(&spec.on_calendar, elapsed) {
        Ok(Some(slot)) => slot,
        Ok(None) => elapsed,
        Err(e) => {
            log::warn!("{}: cannot compute the scheduled slot: {e}", job.name());
            elapsed
        }
    }
}

/// The latest elapse of the union of `specs` at or before `t` (second precision), as
/// systemd computes elapses (`systemd-analyze calendar`, through
/// [`crate::schedule::preview::next_elapses`]); `None` when there is none (no specs, or
/// none before `t` within ~70 years). Searches backwards from `t` in windows growing 4x
/// from 2 s, so an on-time elapse costs one `systemd-analyze` call and a yearly slot about
/// 15. Errors: `systemd-analyze` missing or refusing a spec.
pub fn last_slot_at_or_before(specs: &[String], t: Timestamp) -> Result<Option<Timestamp>> {
    const BATCH: usize = 64;
    if specs.is_empty() {
        return Ok(None);
    }
    let mut window = jiff::SignedDuration::from_secs(2);
    for _ in 0..20 {
        let Ok(mut base) = t.checked_sub(window) else {
            return Ok(None);
        };
        let mut best = None;
        // Walk forward from `base` until a slot passes `t`.
        for _ in 0..64 {
            let slots = crate::schedule::preview::next_elapses(specs, BATCH, Some(base))?;
            let before: Vec<Timestamp> = slots.iter().copied().filter(|s| *s <= t).collect();
            if let Some(last) = before.last() {
                best = Some(*last);
            }
            if before.len() < BATCH || slots.len() < BATCH {
                break;
            }
            base = *before.last().unwrap_or(&t);
        }
        if best.is_some() {
            return Ok(best);
        }
        window = window.checked_mul(4).unwrap_or(window);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slot_of_an_elapse_is_the_latest_slot_at_or_before_it() {
        let ts = |s: &str| s.parse::<Timestamp>().unwrap();
        let daily = vec!["*-*-* 03:00:00 UTC".to_string()];
        // on time (1 s accuracy lag): the nominal slot
        assert_eq!(
            last_slot_at_or_before(&daily, ts("2026-03-10T03:00:00.8Z")).unwrap(),
            Some(ts("2026-03-10T03:00:00Z"))
        );
        // caught up at boot two days later, at 07:12: the newest missed slot, that day 03:00
        assert_eq!(
            last_slot_at_or_before(&daily, ts("2026-03-12T07:12:09Z")).unwrap(),
            Some(ts("2026-03-12T03:00:00Z"))
        );
        // caught up before that day's slot: yesterday's
        assert_eq!(
            last_slot_at_or_before(&daily, ts("2026-03-12T01:00:00Z")).unwrap(),
            Some(ts("2026-03-11T03:00:00Z"))
        );
        // a fast interval: many slots per window
        let every = vec!["*-*-* *:*:00/15 UTC".to_string()];
        assert_eq!(
            last_slot_at_or_before(&every, ts("2026-03-12T07:12:09Z")).unwrap(),
            Some(ts("2026-03-12T07:12:00Z"))
        );
        // yearly
        let yearly = vec!["*-01-01 00:00:00 UTC".to_string()];
        assert_eq!(
            last_slot_at_or_before(&yearly, ts("2026-12-02T10:00:00Z")).unwrap(),
            Some(ts("2026-01-01T00:00:00Z"))
        );
        assert_eq!(
            last_slot_at_or_before(&[], ts("2026-01-01T00:00:00Z")).unwrap(),
            None
        );
    }
}
