//! Which calendar slot a run is for: the moment the job's timer elapsed, read
//! from the manager (the `scheduled_for` template variable and run field).

use jiff::Timestamp;

use crate::model::manifest::Job;
use crate::systemd::Systemd;

/// When the timer that started this run was due, if a timer started it.
///
/// The trigger compares the timer's `LastTriggerUSec` with the moment its own
/// `piar-<job>.service` activation began (`InactiveExitTimestamp`): the timer
/// records its trigger time and then enqueues the start, so a gap of under
/// 5 s means the timer started this run. A trigger that `piar run` started
/// runs in a manual trigger unit of its own with
/// `PIAR_MANUAL_START=1` (`crate::units::self_exe::MANUAL_START_ENV`): it
/// never has a `scheduled_for`. `$TRIGGER_UNIT` and
/// `$TRIGGER_TIMER_REALTIME_USEC` (systemd >= 250) are not used: on 252 a
/// manual start of a service that a timer started before still carries the
/// old values. The value is the moment the timer elapsed, which can be later
/// than the nominal calendar time by up to the timer's `AccuracySec=` (piar
/// writes 1 s). Returns `None` when not started by
/// the job's timer, or when the manager cannot be asked.
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
        return None;
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
        from_usec(last)
    } else {
        None
    }
}
