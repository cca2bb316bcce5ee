//! `piar calendar`: preview a schedule without creating a job.
//!
//! Detects the kind of a bare expression (or takes `--cron`/`--on-calendar`/`--at`/
//! `--every`), builds the [`Schedule`] `piar submit` would build, and prints the timer
//! directives piar would write (with the DST compensating lines of [`schedule::dst`]), the
//! description of [`schedule::describe`] and the next runs as systemd computes them
//! (`systemd-analyze calendar`, [`schedule::preview`]) in the job's zone and in UTC. The
//! `--json` shape is documented by `docs/schemas/calendar.json`.

use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::cli::CalendarArgs;
use crate::error::{Error, ExitStatus, Result};
use crate::printer::Printer;
use crate::schedule::{self, Schedule, ScheduleSpec, at, every};

/// The `--json` view (docs/schemas/calendar.json).
#[derive(Debug, Serialize)]
struct CalendarView {
    /// The expression as given.
    input: String,
    /// `cron`, `on_calendar`, `at` or `every`.
    kind: &'static str,
    /// The zone times are shown in (IANA name).
    tz: String,
    /// The schedule in English.
    description: String,
    /// `[Timer]` directives piar would write, in order (`OnCalendar=...`, `Persistent=true`).
    timer: Vec<String>,
    /// The `OnCalendar=` specs of the schedule itself.
    on_calendar: Vec<String>,
    /// Dated `OnCalendar=` specs added for spring-forward gaps (cron only).
    dst_compensation: Vec<String>,
    /// `at` only: the resolved instant (RFC 3339, UTC).
    resolved_at: Option<String>,
    /// Sentences about how the input was read: a bare clock time that has passed today
    /// means tomorrow; a cron step larger than its field selects its first value.
    notes: Vec<String>,
    /// The next runs, earliest first (empty for `@reboot`).
    next_runs: Vec<NextRun>,
}

/// One upcoming run.
#[derive(Debug, Serialize)]
struct NextRun {
    /// RFC 3339 in UTC (`2026-11-23T08:00:00Z`).
    utc: String,
    /// RFC 3339 with the zone's offset (`2026-11-23T09:00:00+01:00`).
    local: String,
}

/// Run `piar calendar`.
pub(super) fn calendar(out: Printer, args: &CalendarArgs) -> Result<ExitStatus> {
    let (view, next, zone) = build_view(args)?;
    if out.json {
        out.json(&view)?;
        return Ok(ExitStatus::Success);
    }
    print_text(out, &view, &next, &zone)?;
    Ok(ExitStatus::Success)
}

/// The preview: the view, the next runs and the display zone.
fn build_view(args: &CalendarArgs) -> Result<(CalendarView, Vec<Timestamp>, TimeZone)> {
    let now = match &args.from {
        Some(t) => t.parse::<Timestamp>().map_err(|e| {
            Error::invalid(format!(
                "--from: expected an RFC 3339 time with offset, got {t:?}: {e}"
            ))
        })?,
        None => Timestamp::now(),
    };
    let now = Timestamp::from_second(now.as_second()).unwrap_or(now);
    if let Some(tz) = &args.tz {
        at::validate_tz(tz).map_err(|e| e.context("--tz"))?;
    }
    let (input, kind) = input_and_kind(args)?;
    let kind = match kind {
        Some(k) => k,
        None => detect_checked(&input, args.tz.as_deref(), now)?,
    };
    let (spec, mut notes) = build_spec(&input, kind, args.tz.as_deref(), now)?;
    let mut schedule = Schedule::from_spec(&spec, now)?;
    // An interval submitted now is anchored as submit anchors it: one second before its
    // creation (manifest::validate).
    if let Schedule::Every { anchor, .. } = &mut schedule {
        *anchor = now.checked_sub(jiff::SignedDuration::from_secs(1)).ok();
    }
    let timer = schedule
        .timer_spec_from(now)
        .ok_or_else(|| Error::invalid("a manual schedule has no timer to preview"))?;
    let tz = spec.tz.clone().unwrap_or_else(at::system_tz_name);
    let own: Vec<String> = match &schedule {
        Schedule::Cron { parsed, tz, .. } => parsed.on_calendar(tz),
        _ => timer.on_calendar.clone(),
    };
    let dst_compensation: Vec<String> = timer
        .on_calendar
        .iter()
        .filter(|l| !own.contains(l))
        .cloned()
        .collect();
    let n = usize::from(args.count);
    let next: Vec<Timestamp> = match &schedule {
        // A submitted interval job runs at once, then every interval.
        Schedule::Every { .. } if !timer.on_calendar.is_empty() => {
            let mut runs = vec![now];
            runs.extend(schedule::preview::next_elapses(
                &timer.on_calendar,
                n.saturating_sub(1).max(1),
                Some(now),
            )?);
            runs.truncate(n);
            runs
        }
        Schedule::Every { interval, .. } => every_runs(now, None, *interval, n),
        _ => schedule::preview::next_elapses(&timer.on_calendar, n, Some(now))?,
    };
    if let Schedule::Cron { parsed, .. } = &schedule {
        notes.extend(parsed.warnings().iter().cloned());
    }
    let zone = TimeZone::get(&tz).unwrap_or(TimeZone::UTC);
    let view = CalendarView {
        notes,
        input,
        kind: schedule.kind(),
        description: schedule::describe::describe(&schedule),
        timer: directives(&timer),
        on_calendar: own,
        dst_compensation,
        resolved_at: match &schedule {
            Schedule::At { at, .. } => Some(at.to_string()),
            _ => None,
        },
        next_runs: next
            .iter()
            .map(|t| NextRun {
                utc: t.to_string(),
                local: t
                    .to_zoned(zone.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string(),
            })
            .collect(),
        tz,
    };
    Ok((view, next, zone))
}

/// Which kind an explicit flag names, or what a bare expression looks like.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Cron,
    OnCalendar,
    At,
    Every,
}

/// The expression and its kind from an explicit flag, or the bare expression (kind `None`).
fn input_and_kind(args: &CalendarArgs) -> Result<(String, Option<Kind>)> {
    let explicit = [
        (&args.cron, Kind::Cron),
        (&args.on_calendar, Kind::OnCalendar),
        (&args.at, Kind::At),
        (&args.every, Kind::Every),
    ];
    if let Some((text, kind)) = explicit
        .iter()
        .find_map(|(v, k)| v.as_ref().map(|t| (t.clone(), *k)))
    {
        return Ok((text, Some(kind)));
    }
    let Some(expr) = &args.expr else {
        return Err(Error::invalid(
            "expected an expression: a cron line, an OnCalendar spec, an --at time or an interval",
        )
        .with_hint("e.g. piar calendar '0 9 * * 1-5' --tz Europe/Berlin"));
    };
    Ok((expr.clone(), None))
}

/// [`detect`], then for what looks like an OnCalendar spec, ask systemd: a spec it
/// rejects may still be a time `--at` understands, or a cron line with a wrong number of
/// fields (whose error names the fields); otherwise systemd's error, with a hint.
fn detect_checked(expr: &str, tz: Option<&str>, now: Timestamp) -> Result<Kind> {
    let kind = detect(expr);
    if kind != Kind::OnCalendar {
        return Ok(kind);
    }
    let spec = [expr.trim().to_string()];
    let Err(systemd) = schedule::preview::next_elapses(&spec, 1, Some(now)) else {
        return Ok(kind);
    };
    let zone = tz.map(str::to_string).unwrap_or_else(at::system_tz_name);
    if at::resolve_at(expr, &zone, now).is_ok() {
        return Ok(Kind::At);
    }
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if matches!(fields.len(), 4 | 6 | 7) && fields.iter().all(|f| is_cron_field(f)) {
        schedule::cron::CronExpr::parse(expr)?;
    }
    Err(systemd.with_hint(
        "not a cron line, interval, time or calendar spec piar understands; \
         say which with --cron, --on-calendar, --at or --every",
    ))
}

/// Whether `f` is made of the characters of a cron field.
fn is_cron_field(f: &str) -> bool {
    f.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '/' | ',' | '-'))
}

/// Guess the kind of a bare expression, in this order:
/// 1. `@alias` or 5 fields made of cron characters: cron;
/// 2. an interval (`15m`, `1h30m`, also `every 15m`): every;
/// 3. a relative or natural time (`in 5m`, `+2h`, `now`, `tomorrow 9am`, `next monday`),
///    or a plain date-time (`2026-12-01 09:00`): at (so `--tz` applies);
/// 4. anything else: an OnCalendar spec, which systemd-analyze then checks.
fn detect(expr: &str) -> Kind {
    let t = expr.trim();
    let lower = t.to_ascii_lowercase();
    let fields: Vec<&str> = t.split_whitespace().collect();
    if t.starts_with('@') || (fields.len() == 5 && fields.iter().all(|f| is_cron_field(f))) {
        return Kind::Cron;
    }
    if every::parse_every(lower.strip_prefix("every ").unwrap_or(&lower)).is_ok() {
        return Kind::Every;
    }
    let natural = ["in ", "+", "now", "today", "tomorrow", "next ", "this "];
    let plain_datetime = t.len() >= 10
        && t.as_bytes()[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
        && !t.contains(['*', ',', '~', '/'])
        && !t.contains("..");
    if natural.iter().any(|p| lower.starts_with(p)) || plain_datetime {
        return Kind::At;
    }
    Kind::OnCalendar
}

/// The manifest's `[schedule]` table for the expression, as `submit` would write it, and
/// the note of an `--at` reading (a passed clock time means tomorrow).
fn build_spec(
    input: &str,
    kind: Kind,
    tz: Option<&str>,
    now: Timestamp,
) -> Result<(ScheduleSpec, Vec<String>)> {
    let zone_name = || tz.map(str::to_string).unwrap_or_else(at::system_tz_name);
    let mut notes = Vec::new();
    let spec = match kind {
        Kind::Cron => ScheduleSpec {
            cron: Some(input.trim().to_string()),
            tz: Some(zone_name()),
            ..ScheduleSpec::default()
        },
        Kind::At => {
            let z = zone_name();
            let resolved = at::resolve(input, &z, now).map_err(|e| e.context("at"))?;
            notes.extend(resolved.note);
            ScheduleSpec {
                at: Some(resolved.at.to_string()),
                tz: Some(z),
                ..ScheduleSpec::default()
            }
        }
        Kind::Every => {
            if tz.is_some() {
                return Err(Error::invalid(
                    "--tz: an interval does not depend on a time zone",
                ));
            }
            let lower = input.trim().to_ascii_lowercase();
            ScheduleSpec {
                every: Some(lower.strip_prefix("every ").unwrap_or(&lower).to_string()),
                ..ScheduleSpec::default()
            }
        }
        Kind::OnCalendar => {
            if tz.is_some() {
                return Err(Error::invalid(format!(
                    "--tz: {input:?} is read as an OnCalendar spec, which carries its own zone"
                ))
                .with_hint(
                    "write the zone inside the spec ('Mon *-*-* 09:00 Europe/Berlin'), or use --cron/--at",
                ));
            }
            ScheduleSpec {
                on_calendar: Some(vec![input.trim().to_string()]),
                ..ScheduleSpec::default()
            }
        }
    };
    Ok((spec, notes))
}

/// `--every`: the timer fires `OnActiveSec=` after it starts, then every interval after the
/// previous run started (assuming each run starts on time).
fn every_runs(
    now: Timestamp,
    first: Option<Duration>,
    interval: Duration,
    n: usize,
) -> Vec<Timestamp> {
    let first = jiff::SignedDuration::try_from(first.unwrap_or_default()).unwrap_or_default();
    let step = jiff::SignedDuration::try_from(interval).unwrap_or_default();
    let Ok(mut t) = now.checked_add(first) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(t);
        match t.checked_add(step) {
            Ok(next) => t = next,
            Err(_) => break,
        }
    }
    out
}

/// The `[Timer]` directives of `spec`, as `units::render::render_timer` writes them.
fn directives(spec: &schedule::TimerSpec) -> Vec<String> {
    let mut out: Vec<String> = spec
        .on_calendar
        .iter()
        .map(|l| format!("OnCalendar={l}"))
        .collect();
    let spans = [
        ("OnBootSec", spec.on_boot),
        ("OnActiveSec", spec.on_active),
        ("OnUnitActiveSec", spec.on_unit_active),
    ];
    for (key, value) in spans {
        if let Some(d) = value {
            out.push(format!("{key}={}", every::format_systemd(d)));
        }
    }
    if spec.persistent {
        out.push("Persistent=true".to_string());
    }
    out.push(format!(
        "AccuracySec={}",
        every::format_systemd(spec.accuracy)
    ));
    out
}

/// The text form.
fn print_text(out: Printer, v: &CalendarView, next: &[Timestamp], zone: &TimeZone) -> Result<()> {
    out.line(format!("{}  ({})", v.description, v.kind.replace('_', " ")))?;
    if let Some(at) = &v.resolved_at {
        out.line(format!("  resolved: {at}"))?;
    }
    for n in &v.notes {
        out.line(format!("  note: {n}"))?;
    }
    out.line("\n[Timer]")?;
    for d in &v.timer {
        match v.dst_compensation.iter().any(|l| d.ends_with(l.as_str())) {
            true => out.line(format!("{d}    # DST: gap time runs at the gap's end"))?,
            false => out.line(d)?,
        }
    }
    if next.is_empty() {
        let why = if v.timer.iter().any(|d| d.starts_with("OnBootSec=")) {
            "runs at every boot, not on a calendar"
        } else {
            "never elapses again"
        };
        return out.line(format!("\nNext runs: none ({why})"));
    }
    if schedule::describe::is_utc(&v.tz) {
        out.line("\nNext runs (UTC):")?;
        let rows: Vec<Vec<String>> = next
            .iter()
            .map(|t| {
                vec![
                    t.to_zoned(TimeZone::UTC)
                        .strftime("%a %Y-%m-%d %H:%M:%S UTC")
                        .to_string(),
                ]
            })
            .collect();
        return out.table(&["UTC"], &rows);
    }
    out.line(format!("\nNext runs ({} and UTC):", v.tz))?;
    let rows: Vec<Vec<String>> = next
        .iter()
        .map(|t| {
            vec![
                t.to_zoned(zone.clone())
                    .strftime("%a %Y-%m-%d %H:%M:%S %Z")
                    .to_string(),
                t.to_zoned(TimeZone::UTC)
                    .strftime("%a %Y-%m-%d %H:%M:%S UTC")
                    .to_string(),
            ]
        })
        .collect();
    out.table(&[v.tz.as_str(), "UTC"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_kind() {
        let table: &[(&str, Kind)] = &[
            ("0 9 * * 1-5", Kind::Cron),
            ("*/5 * * * *", Kind::Cron),
            ("0 0 1,15 * sun", Kind::Cron),
            ("@daily", Kind::Cron),
            ("@reboot", Kind::Cron),
            ("15m", Kind::Every),
            ("1h30m", Kind::Every),
            ("every 6h", Kind::Every),
            ("in 5 minutes", Kind::At),
            ("+2h", Kind::At),
            ("now", Kind::At),
            ("tomorrow 9am", Kind::At),
            ("next monday 08:30", Kind::At),
            ("2026-12-01 09:00", Kind::At),
            ("2026-12-01T09:00:00+01:00", Kind::At),
            ("daily", Kind::OnCalendar),
            ("Mon *-*-* 09:00", Kind::OnCalendar),
            ("Mon..Fri *-*-* 09:00:00 Europe/Berlin", Kind::OnCalendar),
            ("*-*-* 00/2:00", Kind::OnCalendar),
            ("2026-*-01 09:00", Kind::OnCalendar),
            ("2026-12-01,15 09:00", Kind::OnCalendar),
            ("0 9 * *", Kind::OnCalendar),
        ];
        for (expr, want) in table {
            assert_eq!(detect(expr), *want, "{expr}");
        }
    }

    fn args(expr: &str, tz: Option<&str>) -> CalendarArgs {
        CalendarArgs {
            expr: Some(expr.to_string()),
            cron: None,
            on_calendar: None,
            at: None,
            every: None,
            tz: tz.map(str::to_string),
            count: 3,
            from: Some("2027-03-13T00:00:00Z".to_string()),
        }
    }

    /// The JSON view has exactly the fields docs/schemas/calendar.json documents.
    #[test]
    fn json_matches_the_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/schemas/calendar.json")).expect("schema");
        let keys = |v: &serde_json::Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
            k.sort();
            k
        };
        let mut required: Vec<String> = schema["required"]
            .as_array()
            .expect("required")
            .iter()
            .map(|v| v.as_str().expect("str").to_string())
            .collect();
        required.sort();
        assert_eq!(keys(&schema["properties"]), required);
        let kinds = schema["properties"]["kind"]["enum"].clone();
        for (expr, tz) in [
            ("30 2 * * *", Some("America/New_York")),
            ("daily", None),
            ("2027-04-01 09:00", Some("Europe/Berlin")),
            ("15m", None),
            ("@reboot", None),
        ] {
            let (view, next, _) = build_view(&args(expr, tz)).expect(expr);
            let v = serde_json::to_value(&view).expect("json");
            assert_eq!(keys(&v), required, "{expr}");
            assert!(
                kinds.as_array().expect("enum").contains(&v["kind"]),
                "{expr}"
            );
            for run in v["next_runs"].as_array().expect("runs") {
                assert_eq!(keys(run), vec!["local", "utc"], "{expr}");
            }
            assert_eq!(
                next.len(),
                if expr == "@reboot" {
                    0
                } else {
                    view.next_runs.len()
                }
            );
        }
    }

    /// Next runs come from systemd-analyze, DST lines included.
    #[test]
    fn previews_cron_across_the_new_york_gap() {
        let (view, _, _) = build_view(&args("30 2 * * *", Some("America/New_York"))).expect("view");
        assert_eq!(view.kind, "cron");
        assert_eq!(view.description, "At 02:30 (America/New_York)");
        assert_eq!(view.on_calendar, ["*-*-* 02:30:00 America/New_York"]);
        assert_eq!(
            view.dst_compensation[0],
            "2027-03-14 03:00:00 America/New_York"
        );
        let utc: Vec<&str> = view.next_runs.iter().map(|r| r.utc.as_str()).collect();
        assert_eq!(
            utc,
            [
                "2027-03-13T07:30:00Z",
                "2027-03-14T07:00:00Z",
                "2027-03-15T06:30:00Z"
            ]
        );
        let local: Vec<&str> = view.next_runs.iter().map(|r| r.local.as_str()).collect();
        assert_eq!(
            local,
            [
                "2027-03-13T02:30:00-05:00",
                "2027-03-14T03:00:00-04:00",
                "2027-03-15T02:30:00-04:00"
            ]
        );
        let (view, _, _) = build_view(&args("@reboot", None)).expect("reboot");
        assert_eq!(view.timer, ["OnBootSec=1s", "AccuracySec=1s"]);
        assert!(view.next_runs.is_empty());
    }

    /// Bad input: exit 2 and a message naming the field.
    #[test]
    fn bad_input_names_the_field() {
        let table: &[(&str, Option<&str>, &str)] = &[
            ("61 * * * *", None, "cron field 1 (minute)"),
            ("0 0 30 2 *", None, "never fires"),
            ("0 9 * *", None, "expected 5 fields"),
            (
                "soonish",
                None,
                "systemd rejects the calendar spec \"soonish\"",
            ),
            (
                "2027-03-28 02:30",
                Some("Europe/Berlin"),
                "does not exist in Europe/Berlin",
            ),
            ("Mon 09:00", Some("Europe/Berlin"), "--tz"),
            ("0 9 * * *", Some("Mars/Base"), "--tz"),
        ];
        for (expr, tz, want) in table {
            let e = build_view(&args(expr, *tz)).expect_err(expr);
            assert_eq!(e.kind, crate::error::Kind::Invalid, "{expr}");
            assert!(e.message.contains(want), "{expr}: {}", e.message);
        }
    }

    #[test]
    fn every_runs_step_from_the_first() {
        let now: Timestamp = "2026-11-21T12:00:00Z".parse().expect("now");
        let got = every_runs(
            now,
            Some(Duration::from_secs(1)),
            Duration::from_secs(90),
            3,
        );
        let want: Vec<Timestamp> = [
            "2026-11-21T12:00:01Z",
            "2026-11-21T12:01:31Z",
            "2026-11-21T12:03:01Z",
        ]
        .iter()
        .map(|t| t.parse().expect("ts"))
        .collect();
        assert_eq!(got, want);
    }
}
