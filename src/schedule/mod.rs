//! Schedules: what the user wrote (`at`, `every`, `cron`, `on_calendar`,
//! `manual`) -> a validated [`Schedule`] -> the timer settings
//! ([`TimerSpec`]) that `units::render::render_timer` writes into `piar-<name>.timer`.
//!
//! Submodules:
//! - [`cron`]: 5-field Vixie cron -> `OnCalendar=` lines (crontab(5)).
//! - [`at`]: one-shot times (`--at`) -> an absolute instant.
//! - [`describe`]: human descriptions (`At 09:00, Monday through Friday`).
//! - [`dst`]: the DST policy for cron (compensating lines for spring-forward gaps).
//! - [`every`]: intervals (`--every 6h`).
//! - [`preview`]: next elapse times, asked of `systemd-analyze calendar`.

pub mod at;
pub mod cron;
pub mod describe;
pub mod dst;
pub mod every;
pub mod preview;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Most raw `OnCalendar=` specs one schedule may have (`--on-calendar` repeated, or the
/// manifest's `on_calendar` list). systemd has no limit of its own, but every spec costs a
/// calendar computation at each timer start and each preview; 64 covers any real
/// schedule (a cron line needs at most 2 plus its DST lines).
pub const MAX_ON_CALENDAR: usize = 64;

/// The `[schedule]` table of a manifest, as stored (raw, unvalidated).
///
/// Exactly one of `at`, `every`, `cron`, `on_calendar`, `manual = true` is
/// set. `tz` goes with `cron` (the zone the fields are read in) and `at` (the
/// zone the time is shown in).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// One-shot instant, RFC 3339 with offset, e.g. `2026-12-01T09:00:00+01:00`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Interval, humantime syntax (`90s`, `15m`, `6h`, `1h30m`), at least 1s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<String>,
    /// 5-field cron expression or `@daily`-style alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// Raw systemd calendar specs (systemd.time(7)), passed through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_calendar: Option<Vec<String>>,
    /// `true`: no timer, runs only through `piar run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual: Option<bool>,
    /// IANA time zone name (`Europe/Berlin`), with `cron` or `at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
}

/// A validated schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Fire once at `at` (shown in zone `tz`).
    At {
        /// The instant.
        at: jiff::Timestamp,
        /// IANA zone name used for display.
        tz: String,
    },
    /// Fire soon after submit, then every `interval` (see [`every`] for the timer design).
    Every {
        /// The interval (>= 1 s).
        interval: Duration,
        /// As written (`6h`).
        text: String,
        /// The slots' phase: runs fall on `anchor + k * interval`. One second before the
        /// job's `created` time (set by `manifest::validate`: `created` is rounded to the
        /// nearest second, so the slot at the anchor is always past when submit starts the
        /// timer); `None` (a bare spec) = the Unix epoch.
        anchor: Option<jiff::Timestamp>,
    },
    /// 5-field cron in zone `tz`.
    Cron {
        /// The expression as written.
        expr: String,
        /// IANA zone name.
        tz: String,
        /// The parsed expression.
        parsed: cron::CronExpr,
    },
    /// Raw `OnCalendar=` specs.
    OnCalendar {
        /// The specs, as written.
        specs: Vec<String>,
    },
    /// No timer.
    Manual,
}

/// What goes into the `[Timer]` section (systemd.timer(5)).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimerSpec {
    /// `OnCalendar=` lines; the timer fires at whichever elapses first.
    pub on_calendar: Vec<String>,
    /// `OnActiveSec=` (relative to the timer's activation).
    pub on_active: Option<Duration>,
    /// `OnUnitActiveSec=` (relative to the service's last activation).
    pub on_unit_active: Option<Duration>,
    /// `OnBootSec=` (for `@reboot`).
    pub on_boot: Option<Duration>,
    /// `Persistent=` (only meaningful with `OnCalendar=`).
    pub persistent: bool,
    /// `AccuracySec=`.
    pub accuracy: Duration,
}

impl Schedule {
    /// Validate a raw spec. Errors name the field (`schedule.cron`, ...) and
    /// what was expected; `now` is used to reject `at` times in the past.
    pub fn from_spec(spec: &ScheduleSpec, now: jiff::Timestamp) -> Result<Schedule> {
        let set = [
            spec.at.is_some(),
            spec.every.is_some(),
            spec.cron.is_some(),
            spec.on_calendar.is_some(),
            spec.manual == Some(true),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if set != 1 {
            return Err(Error::invalid(format!(
                "schedule: expected exactly one of at, every, cron, on_calendar, manual = true; found {set}"
            ))
            .with_hint("e.g. --cron '*/5 * * * *', --every 6h, --at 'in 5m', --on-calendar daily, --manual"));
        }
        if spec.tz.is_some() && spec.at.is_none() && spec.cron.is_none() {
            return Err(Error::invalid(
                "schedule.tz: a time zone goes with cron or at only (write the zone inside an on_calendar spec)",
            ));
        }
        let tz = match &spec.tz {
            Some(z) => {
                at::validate_tz(z).map_err(|e| e.context("schedule.tz"))?;
                z.clone()
            }
            None => at::system_tz_name(),
        };
        if let Some(text) = &spec.at {
            return Ok(Schedule::At {
                at: parse_at(text, now)?,
                tz,
            });
        }
        if let Some(text) = &spec.every {
            let interval = every::parse_every(text).map_err(|e| e.context("schedule.every"))?;
            return Ok(Schedule::Every {
                interval,
                text: text.clone(),
                anchor: None,
            });
        }
        if let Some(expr) = &spec.cron {
            let parsed = cron::CronExpr::parse(expr).map_err(|e| e.context("schedule.cron"))?;
            return Ok(Schedule::Cron {
                expr: expr.clone(),
                tz,
                parsed,
            });
        }
        if let Some(specs) = &spec.on_calendar {
            check_on_calendar(specs)?;
            return Ok(Schedule::OnCalendar {
                specs: specs.clone(),
            });
        }
        Ok(Schedule::Manual)
    }

    /// The timer settings, or `None` for [`Schedule::Manual`].
    ///
    /// Policy: `AccuracySec=1s` everywhere (systemd's default of 1 min would
    /// let a 09:00 cron job start at 09:00:59); `Persistent=true` for calendar
    /// schedules so a run missed while powered off happens at boot.
    ///
    /// `every`: never `OnActiveSec=`, which re-arms on every `daemon-reload` and so re-ran
    /// the job on each reload (systemd issues 16186, 31914). An interval that divides a day
    /// becomes anchored `OnCalendar=` lines in UTC ([`every::calendar_lines`]) with
    /// `Persistent=true`; its first run soon after submit is a direct start of the service
    /// (`ops::apply::start_first_run`). Any other interval is `OnBootSec=` + `OnUnitActiveSec=`
    /// of the interval: a boot-relative trigger that has passed is not re-armed by a reload
    /// once the timer has triggered (systemd's timer.c), and `OnUnitActiveSec=` alone never
    /// fires on a freshly started timer (systemd#4572), so `OnBootSec=` also starts the
    /// chain after each boot. Such a timer fires at once when started with the machine up
    /// longer than the interval (its first run), but catches nothing up at boot.
    pub fn timer_spec(&self) -> Option<TimerSpec> {
        self.timer_spec_from(jiff::Timestamp::now())
    }

    /// [`Schedule::timer_spec`] as written at `now`: the DST compensating lines of a cron
    /// schedule cover the spring-forward gaps of the [`dst::COMPENSATION_YEARS`] after `now`.
    pub fn timer_spec_from(&self, now: jiff::Timestamp) -> Option<TimerSpec> {
        let base = TimerSpec {
            accuracy: Duration::from_secs(1),
            ..TimerSpec::default()
        };
        match self {
            Schedule::At { at, .. } => Some(TimerSpec {
                on_calendar: vec![at::on_calendar_utc(*at)],
                persistent: true,
                ..base
            }),
            Schedule::Every {
                interval, anchor, ..
            } => Some(
                match every::calendar_lines(*interval, anchor.map_or(0, |a| a.as_second())) {
                    Some(lines) => TimerSpec {
                        on_calendar: lines,
                        persistent: true,
                        ..base
                    },
                    None => TimerSpec {
                        on_boot: Some(*interval),
                        on_unit_active: Some(*interval),
                        ..base
                    },
                },
            ),
            Schedule::Cron { parsed, tz, .. } => Some(match parsed.reboot() {
                true => TimerSpec {
                    on_boot: Some(Duration::from_secs(1)),
                    ..base
                },
                false => TimerSpec {
                    on_calendar: {
                        // DST policy (dst.rs): gap times run at the gap's end.
                        let mut lines = parsed.on_calendar(tz);
                        lines.extend(dst::gap_lines(parsed, tz, now));
                        lines
                    },
                    persistent: true,
                    ..base
                },
            }),
            Schedule::OnCalendar { specs } => Some(TimerSpec {
                on_calendar: specs.clone(),
                persistent: true,
                ..base
            }),
            Schedule::Manual => None,
        }
    }

    /// Check with systemd that every raw `OnCalendar=` spec elapses again after `now`:
    /// `1970-01-01`, `*-02-30` or `2020-*-* 09:00` never do, and a timer with such a spec
    /// would silently never run. Other kinds pass (cron rejects impossible dates itself,
    /// [`cron::CronExpr::parse`]). Errors: a spec systemd rejects or that never elapses
    /// (exit 2, naming `schedule.on_calendar` and the spec); systemd-analyze missing (exit 1).
    pub fn check_elapses(&self, now: jiff::Timestamp) -> Result<()> {
        let Schedule::OnCalendar { specs } = self else {
            return Ok(());
        };
        for spec in specs {
            let next = preview::next_elapses(std::slice::from_ref(spec), 1, Some(now))
                .map_err(|e| e.context("schedule.on_calendar"))?;
            if next.is_empty() {
                return Err(Error::invalid(format!(
                    "schedule.on_calendar: {spec:?} never elapses after {now}: the timer would never run"
                ))
                .with_hint(
                    "check the date (February has at most 29 days; a year in the past never comes \
                     back); preview with `piar calendar --on-calendar SPEC`",
                ));
            }
        }
        Ok(())
    }

    /// The schedule as the user wrote it, for the SCHEDULE column:
    /// `cron 0 9 * * 1-5 Europe/Berlin`, `every 6h`, `at 2026-12-01 09:00:00 CET`,
    /// `calendar Mon *-*-* 09:00`, `manual`.
    pub fn display(&self) -> String {
        match self {
            Schedule::At { at, tz } => {
                let shown = jiff::tz::TimeZone::get(tz)
                    .map(|z| at.to_zoned(z).strftime("%Y-%m-%d %H:%M:%S %Z").to_string())
                    .unwrap_or_else(|_| at.to_string());
                format!("at {shown}")
            }
            Schedule::Every { text, .. } => format!("every {text}"),
            Schedule::Cron { expr, tz, .. } => format!("cron {expr} {tz}"),
            Schedule::OnCalendar { specs } => format!("calendar {}", specs.join("; ")),
            Schedule::Manual => "manual".to_string(),
        }
    }

    /// Whether the timer is anchored calendar lines for an interval (`every` that divides
    /// a day): its first run is a direct start at submit (`ops::apply::start_first_run`).
    pub fn is_calendar_interval(&self) -> bool {
        matches!(self, Schedule::Every { .. })
            && self
                .timer_spec_from(jiff::Timestamp::UNIX_EPOCH)
                .is_some_and(|t| !t.on_calendar.is_empty())
    }

    /// The schedule's kind: `at`, `every`, `cron`, `on_calendar`, `manual`.
    pub fn kind(&self) -> &'static str {
        match self {
            Schedule::At { .. } => "at",
            Schedule::Every { .. } => "every",
            Schedule::Cron { .. } => "cron",
            Schedule::OnCalendar { .. } => "on_calendar",
            Schedule::Manual => "manual",
        }
    }
}

/// `schedule.at`: an RFC 3339 time with offset, after `now`. Errors: exit 2,
/// naming the field.
fn parse_at(text: &str, now: jiff::Timestamp) -> Result<jiff::Timestamp> {
    let at: jiff::Timestamp = text.parse().map_err(|e| {
        Error::invalid(format!(
            "schedule.at: expected an RFC 3339 time with offset (2026-12-01T09:00:00+01:00), got {text:?}: {e}"
        ))
    })?;
    if at <= now {
        return Err(Error::invalid(format!(
            "schedule.at: {text} is in the past (now is {now})"
        )));
    }
    Ok(at)
}

/// `schedule.on_calendar`: 1 to [`MAX_ON_CALENDAR`] non-empty specs, each a
/// valid unit-file value (systemd itself checks the calendar syntax when the
/// timer loads). Errors: exit 2, naming the field.
fn check_on_calendar(specs: &[String]) -> Result<()> {
    if specs.is_empty() {
        return Err(Error::invalid(
            "schedule.on_calendar: expected at least one calendar spec",
        ));
    }
    if specs.len() > MAX_ON_CALENDAR {
        return Err(Error::invalid(format!(
            "schedule.on_calendar: {} calendar specs; at most {MAX_ON_CALENDAR} are accepted",
            specs.len()
        ))
        .with_hint(
            "merge them: systemd.time(7) specs take lists and ranges ('Mon,Fri *-*-1..7 09,17:00')",
        ));
    }
    for s in specs {
        crate::model::limits::check_value("schedule.on_calendar", s)?;
        // An empty `OnCalendar=` resets the timer's list (systemd.timer(5)):
        // it would silently drop the lines before it. Found by tests/fuzz.rs.
        if s.trim().is_empty() {
            return Err(
                Error::invalid("schedule.on_calendar: a calendar spec is empty")
                    .with_hint("write a spec such as '*-*-* 03:00:00', or remove the entry"),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar(specs: &[&str]) -> Schedule {
        let spec = ScheduleSpec {
            on_calendar: Some(specs.iter().map(|s| s.to_string()).collect()),
            ..ScheduleSpec::default()
        };
        Schedule::from_spec(&spec, jiff::Timestamp::now()).expect("valid spec")
    }

    /// Issue 14: schedules that can never fire are refused, naming the spec.
    #[test]
    fn refuses_calendar_specs_that_never_elapse() {
        let now: jiff::Timestamp = "2026-11-21T00:00:00Z".parse().expect("now");
        for spec in [
            "1970-01-01",
            "*-02-30",
            "*-02-31 09:00",
            "2020-*-* 09:00",
            "*-04-31",
        ] {
            let e = calendar(&["daily", spec])
                .check_elapses(now)
                .expect_err(spec);
            assert!(e.message.contains("never elapses"), "{spec}: {}", e.message);
            assert!(e.message.contains(spec), "{spec}: {}", e.message);
        }
        for spec in [
            "daily",
            "*-02-29",
            "2027-01-01",
            "Mon *-*-* 09:00 Europe/Berlin",
        ] {
            calendar(&[spec])
                .check_elapses(now)
                .unwrap_or_else(|e| panic!("{spec}: {e:?}"));
        }
    }

    #[test]
    fn caps_the_number_of_calendar_specs() {
        let many: Vec<String> = (0..=MAX_ON_CALENDAR)
            .map(|i| format!("*-*-* 00:{:02}:00", i % 60))
            .collect();
        let spec = ScheduleSpec {
            on_calendar: Some(many.clone()),
            ..ScheduleSpec::default()
        };
        let e = Schedule::from_spec(&spec, jiff::Timestamp::now()).expect_err("too many");
        assert!(e.message.contains("at most 64"), "{}", e.message);
        let spec = ScheduleSpec {
            on_calendar: Some(many[..MAX_ON_CALENDAR].to_vec()),
            ..ScheduleSpec::default()
        };
        assert!(Schedule::from_spec(&spec, jiff::Timestamp::now()).is_ok());
    }
}
