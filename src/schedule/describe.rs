//! Human descriptions of schedules, in the style of cron-descriptor / crontab.guru:
//! `At 09:00, Monday through Friday`, `Every 5 minutes`, `At minute 30 past every 2nd
//! hour`, `Every 1h 30m`, `Once at 2026-12-01 09:00 Europe/Berlin`, `Manually (piar run)`.
//!
//! Cron descriptions are derived from the parsed fields ([`CronExpr::fields`]), not the
//! text, so aliases and equivalent spellings read the same (`@weekly` = `0 0 * * 7` =
//! `At 00:00 on Sunday`). The day rule of crontab(5) is spelled out: when both day
//! fields are restricted the job runs when EITHER matches (`on day 1 and 15 of the
//! month, or on Sunday`); a day-of-month that starts with `*` but is not everything
//! (`*/2`) is ANDed with the day of week (`..., if it is Monday`). The zone is appended in
//! parentheses when it is not UTC. Raw `OnCalendar=` specs are shown as written:
//! systemd.time(7) is already a readable notation and a paraphrase could only lose detail.

use std::time::Duration;

use super::Schedule;
use super::cron::{CronExpr, CronFields};

/// Weekday names, Sunday = 0 (cron numbering).
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Month names, January = index 0.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// One English sentence (no final period) for a validated schedule.
pub fn describe(schedule: &Schedule) -> String {
    match schedule {
        Schedule::At { at, tz } => describe_at(*at, tz),
        Schedule::Every { interval, .. } => format!("Every {}", short_duration(*interval)),
        Schedule::Cron { parsed, tz, .. } => describe_cron(parsed, tz),
        Schedule::OnCalendar { specs } => format!("On calendar {}", specs.join("; ")),
        Schedule::Manual => "Manually (piar run)".to_string(),
    }
}

/// `Once at 2026-12-01 09:00 Europe/Berlin` (seconds shown only when not zero). The
/// zone is always named: a one-shot is an instant, and `UTC` says which.
pub fn describe_at(at: jiff::Timestamp, tz: &str) -> String {
    let Ok(zone) = jiff::tz::TimeZone::get(tz) else {
        return format!("Once at {at}");
    };
    let z = at.to_zoned(zone);
    let fmt = if z.second() == 0 {
        "%Y-%m-%d %H:%M"
    } else {
        "%Y-%m-%d %H:%M:%S"
    };
    format!("Once at {} {tz}", z.strftime(fmt))
}

/// A cron expression read in zone `tz`: `At 09:00, Monday through Friday (Europe/Berlin)`.
/// `@reboot` is `At boot`.
pub fn describe_cron(expr: &CronExpr, tz: &str) -> String {
    if expr.reboot() {
        return "At boot".to_string();
    }
    let f = expr.fields();
    let mut out = time_part(&f);
    out.push_str(&day_part(&f));
    let months = values(f.months, 1, 12);
    if months.len() < 12 {
        out.push_str(" in ");
        out.push_str(&list_phrase(&months, &|m| month_name(m).to_string()));
    }
    if !is_utc(tz) {
        out.push_str(&format!(" ({tz})"));
    }
    out
}

/// Whether `tz` is a name of UTC itself (`UTC`, `Etc/UTC`, ...: the system zone of many
/// containers and Pis is `Etc/UTC`).
pub fn is_utc(tz: &str) -> bool {
    matches!(
        tz,
        "UTC" | "Etc/UTC" | "Etc/Universal" | "Universal" | "Etc/Zulu" | "Zulu" | "Etc/UCT" | "UCT"
    )
}

/// `1d 2h 30m 5s` (`90s` -> `1m 30s`; zero -> `0s`).
pub fn short_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3_600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
    ];
    let out: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n != 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if out.is_empty() {
        "0s".to_string()
    } else {
        out.join(" ")
    }
}

/// The minute and hour fields: `At 09:00`, `Every 5 minutes`, `At minute 30 past every
/// 2nd hour`, `Every minute, between 09:00 and 09:59`.
fn time_part(f: &CronFields) -> String {
    let minutes = values(f.minutes, 0, 59);
    let hours = values(f.hours, 0, 23);
    let all_hours = hours.len() == 24;
    // A few exact times: list them as clock times.
    if !all_hours && minutes.len() < 60 && minutes.len() * hours.len() <= 4 {
        let times: Vec<String> = hours
            .iter()
            .flat_map(|h| minutes.iter().map(move |m| format!("{h:02}:{m:02}")))
            .collect();
        return format!("At {}", join_and(&times));
    }
    if minutes == [0] && all_hours {
        return "Every hour".to_string();
    }
    let every = if minutes.len() == 60 {
        Some("Every minute".to_string())
    } else {
        // A step that does not divide the hour is still "every N minutes" within one hour;
        // it only misleads when the next hour runs too (`*/25`: :50, then :00 ten minutes
        // later).
        let adjacent_hours = all_hours
            || hours.windows(2).any(|w| w[1] == w[0] + 1)
            || (hours.first() == Some(&0) && hours.last() == Some(&23));
        let minute_steps = if adjacent_hours {
            cycle(&minutes, 0, 59)
        } else {
            progression(&minutes, 0, 59)
        };
        match minute_steps {
            Some((0, step)) => Some(format!("Every {step} minutes")),
            Some((start, step)) => Some(format!("Every {step} minutes starting at minute {start}")),
            None => None,
        }
    };
    match every {
        Some(every) if all_hours => every,
        Some(every) => match cycle(&hours, 0, 23) {
            Some((0, step)) => format!("{every}, every {} hour", ordinal(step)),
            _ => match runs(&hours).as_slice() {
                [(a, b)] => format!("{every}, between {a:02}:00 and {b:02}:59"),
                _ => format!("{every}, during hours {}", list_phrase(&hours, &num)),
            },
        },
        None => {
            let word = if minutes.len() == 1 {
                "minute"
            } else {
                "minutes"
            };
            let target = if all_hours {
                "every hour".to_string()
            } else {
                match cycle(&hours, 0, 23) {
                    Some((0, step)) => format!("every {} hour", ordinal(step)),
                    Some((start, step)) => {
                        format!("every {} hour starting at hour {start}", ordinal(step))
                    }
                    None if hours.len() == 1 => format!("hour {}", hours[0]),
                    None => format!("hours {}", list_phrase(&hours, &num)),
                }
            };
            format!("At {word} {} past {target}", list_phrase(&minutes, &num))
        }
    }
}

/// The day fields, with crontab(5)'s OR rule: `, Monday through Friday`, ` on day 1 of
/// the month`, ` on day 1 and 15 of the month, or on Sunday`; empty for every day.
fn day_part(f: &CronFields) -> String {
    let days = values(f.days, 1, 31);
    let weekdays = values(f.weekdays, 0, 6);
    let all_days = days.len() == 31;
    let all_weekdays = weekdays.len() == 7;
    if f.days_restricted && f.weekdays_restricted {
        // Either matches: a field that matches every day makes every day match.
        if all_days || all_weekdays {
            return String::new();
        }
        return format!(
            " on {} of the month, or on {}",
            day_phrase(&days),
            weekday_phrase(&weekdays)
        );
    }
    match (all_days, all_weekdays) {
        (true, true) => String::new(),
        (true, false) => match weekday_runs(&weekdays).as_slice() {
            [(a, b)] if b - a >= 2 => format!(", {}", weekday_phrase(&weekdays)),
            _ => format!(" on {}", weekday_phrase(&weekdays)),
        },
        (false, true) => format!(" on {} of the month", day_phrase(&days)),
        (false, false) => {
            let article = if weekdays.len() == 1 { "a " } else { "" };
            format!(
                " on {} of the month, if it is {article}{}",
                day_phrase(&days),
                weekday_phrase(&weekdays)
            )
        }
    }
}

/// `day 1`, `day 1 and 15`, `day 1 through 7`, `every 2nd day`.
fn day_phrase(days: &[u8]) -> String {
    match progression(days, 1, 31) {
        Some((1, step)) => format!("every {} day", ordinal(step)),
        _ => format!("day {}", list_phrase(days, &num)),
    }
}

/// Weekday names in Monday-first order, runs of 3 or more as `Monday through Friday`.
fn weekday_phrase(weekdays: &[u8]) -> String {
    let parts: Vec<String> = weekday_runs(weekdays)
        .into_iter()
        .flat_map(|(a, b)| run_words(a, b, &|i| WEEKDAYS[usize::from((i + 1) % 7)].into()))
        .collect();
    join_and(&parts)
}

/// Runs of consecutive weekdays in Monday-first order (index 0 = Monday .. 6 = Sunday).
fn weekday_runs(weekdays: &[u8]) -> Vec<(u8, u8)> {
    let mut monday_first: Vec<u8> = weekdays.iter().map(|d| (d + 6) % 7).collect();
    monday_first.sort_unstable();
    runs(&monday_first)
}

/// A sorted list with runs of 3 or more as `a through b`, joined with commas and `and`.
fn list_phrase(values: &[u8], name: &dyn Fn(u8) -> String) -> String {
    let parts: Vec<String> = runs(values)
        .into_iter()
        .flat_map(|(a, b)| run_words(a, b, name))
        .collect();
    join_and(&parts)
}

/// One run as words: `a`, `a` + `b`, or `a through b`.
fn run_words(a: u8, b: u8, name: &dyn Fn(u8) -> String) -> Vec<String> {
    match b - a {
        0 => vec![name(a)],
        1 => vec![name(a), name(b)],
        _ => vec![format!("{} through {}", name(a), name(b))],
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A number as written in a description.
fn num(v: u8) -> String {
    v.to_string()
}

/// The English month name of 1..=12.
fn month_name(m: u8) -> &'static str {
    MONTHS[usize::from(m.clamp(1, 12) - 1)]
}

/// `2nd`, `3rd`, `11th`, `21st`.
fn ordinal(n: u8) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The values of `set` within `low..=high`, ascending.
fn values(set: u64, low: u8, high: u8) -> Vec<u8> {
    (low..=high).filter(|v| set & (1u64 << v) != 0).collect()
}

/// `Some((start, step))` when `values` is `start, start+step, ...` up to the end of
/// `low..=high` (what `*/step` or `start/step` select) with step > 1 and at least two
/// values; else `None`.
fn progression(values: &[u8], low: u8, high: u8) -> Option<(u8, u8)> {
    let (&first, &last) = (values.first()?, values.last()?);
    if values.len() < 2 {
        return None;
    }
    let step = values[1] - values[0];
    let regular = values.windows(2).all(|w| w[1] - w[0] == step);
    let reaches_end = u16::from(last) + u16::from(step) > u16::from(high);
    let starts_early = first - low < step;
    (step > 1 && regular && reaches_end && (starts_early || values.len() >= 3))
        .then_some((first, step))
}

/// A [`progression`] that also repeats evenly across the wrap of a clock field: the step
/// divides the field's size (`*/15` on minutes: :00 :15 :30 :45, then :00 again 15 minutes
/// later). `*/25` selects :00 :25 :50, and after :50 comes :00 ten minutes later, so it is
/// no "Every 25 minutes" and gets `None` (the caller lists the minutes instead).
fn cycle(values: &[u8], low: u8, high: u8) -> Option<(u8, u8)> {
    let (first, step) = progression(values, low, high)?;
    let size = usize::from(high - low) + 1;
    (usize::from(step) * values.len() == size).then_some((first, step))
}

/// Sorted values -> maximal runs of consecutive values `(first, last)`.
fn runs(values: &[u8]) -> Vec<(u8, u8)> {
    let mut out: Vec<(u8, u8)> = Vec::new();
    for &v in values {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == v => *last = v,
            _ => out.push((v, v)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::ScheduleSpec;

    fn cron(expr: &str, tz: &str) -> String {
        describe_cron(&CronExpr::parse(expr).expect(expr), tz)
    }

    #[test]
    fn describes_cron_expressions() {
        let table: &[(&str, &str)] = &[
            ("* * * * *", "Every minute"),
            ("*/5 * * * *", "Every 5 minutes"),
            ("0/15 * * * *", "Every 15 minutes"),
            ("5/15 * * * *", "Every 15 minutes starting at minute 5"),
            // Steps that do not divide the hour: the minutes are listed (issue 14).
            ("*/25 * * * *", "At minutes 0, 25 and 50 past every hour"),
            (
                "*/7 * * * *",
                "At minutes 0, 7, 14, 21, 28, 35, 42, 49 and 56 past every hour",
            ),
            ("*/45 * * * *", "At minutes 0 and 45 past every hour"),
            ("*/61 * * * *", "Every hour"),
            ("0 */5 * * *", "At minute 0 past hours 0, 5, 10, 15 and 20"),
            ("0 */7 * * *", "At 00:00, 07:00, 14:00 and 21:00"),
            // Within one hour (or hours apart) a step is "every N minutes" again.
            ("*/7 3 * * *", "Every 7 minutes, between 03:00 and 03:59"),
            ("*/25 3,5 * * *", "Every 25 minutes, during hours 3 and 5"),
            (
                "*/25 3-4 * * *",
                "At minutes 0, 25 and 50 past hours 3 and 4",
            ),
            ("0 * * * *", "Every hour"),
            ("@hourly", "Every hour"),
            ("30 * * * *", "At minute 30 past every hour"),
            ("30 */2 * * *", "At minute 30 past every 2nd hour"),
            ("0 */3 * * *", "At minute 0 past every 3rd hour"),
            (
                "0 1/4 * * *",
                "At minute 0 past every 4th hour starting at hour 1",
            ),
            ("0 9-17 * * *", "At minute 0 past hours 9 through 17"),
            (
                "0,30 9-17 * * 1-5",
                "Every 30 minutes, between 09:00 and 17:59, Monday through Friday",
            ),
            ("0-10 * * * *", "At minutes 0 through 10 past every hour"),
            (
                "*/15 9-17 * * *",
                "Every 15 minutes, between 09:00 and 17:59",
            ),
            ("* 9 * * *", "Every minute, between 09:00 and 09:59"),
            ("*/10 */2 * * *", "Every 10 minutes, every 2nd hour"),
            (
                "*/20 8,12,18 * * *",
                "Every 20 minutes, during hours 8, 12 and 18",
            ),
            ("0 9 * * 1-5", "At 09:00, Monday through Friday"),
            ("0 9 * * mon-fri", "At 09:00, Monday through Friday"),
            ("0 9 * * 1,3,5", "At 09:00 on Monday, Wednesday and Friday"),
            ("0 9 * * 6,0", "At 09:00 on Saturday and Sunday"),
            ("0 9 * * 5-7", "At 09:00, Friday through Sunday"),
            ("0 9,17 * * *", "At 09:00 and 17:00"),
            ("0 */12 * * *", "At 00:00 and 12:00"),
            ("0,30 9 * * *", "At 09:00 and 09:30"),
            ("15 14 1 * *", "At 14:15 on day 1 of the month"),
            ("0 0 1,15 * *", "At 00:00 on day 1 and 15 of the month"),
            ("0 0 1-7 * *", "At 00:00 on day 1 through 7 of the month"),
            ("0 0 */2 * *", "At 00:00 on every 2nd day of the month"),
            // crontab(5)'s OR rule when both day fields are restricted.
            (
                "0 0 1,15 * 0",
                "At 00:00 on day 1 and 15 of the month, or on Sunday",
            ),
            (
                "0 0 1,15 * 7",
                "At 00:00 on day 1 and 15 of the month, or on Sunday",
            ),
            (
                "0 12 13 * 5",
                "At 12:00 on day 13 of the month, or on Friday",
            ),
            ("0 0 1-31 * 1", "At 00:00"),
            // `*/2` counts as unrestricted: AND.
            (
                "0 0 */2 * 1",
                "At 00:00 on every 2nd day of the month, if it is a Monday",
            ),
            (
                "0 0 */2 * 1-5",
                "At 00:00 on every 2nd day of the month, if it is Monday through Friday",
            ),
            ("0 0 * 1 1", "At 00:00 on Monday in January"),
            ("0 0 1 1 *", "At 00:00 on day 1 of the month in January"),
            ("@yearly", "At 00:00 on day 1 of the month in January"),
            ("@monthly", "At 00:00 on day 1 of the month"),
            ("@weekly", "At 00:00 on Sunday"),
            ("@daily", "At 00:00"),
            ("@midnight", "At 00:00"),
            ("@reboot", "At boot"),
            ("0 0 * 1-3 *", "At 00:00 in January through March"),
            (
                "0 0 * */3 *",
                "At 00:00 in January, April, July and October",
            ),
            ("0 0 * jun,dec *", "At 00:00 in June and December"),
            ("5 4 * * sun", "At 04:05 on Sunday"),
            ("0 22 * * 1-5", "At 22:00, Monday through Friday"),
            (
                "23 0-20/2 * * *",
                "At minute 23 past hours 0, 2, 4, 6, 8, 10, 12, 14, 16, 18 and 20",
            ),
            ("0 0 29 2 *", "At 00:00 on day 29 of the month in February"),
        ];
        let wrong: Vec<String> = table
            .iter()
            .filter(|(expr, want)| cron(expr, "UTC") != *want)
            .map(|(expr, want)| format!("{expr}: got {:?}, want {want:?}", cron(expr, "UTC")))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn names_the_zone_unless_utc() {
        assert_eq!(
            cron("0 9 * * 1-5", "Europe/Berlin"),
            "At 09:00, Monday through Friday (Europe/Berlin)"
        );
        assert_eq!(cron("@reboot", "Europe/Berlin"), "At boot");
        assert_eq!(cron("0 9 * * *", "Etc/UTC"), "At 09:00");
        assert_eq!(
            describe_at("2026-12-01T08:00:00Z".parse().expect("ts"), "Europe/Berlin"),
            "Once at 2026-12-01 09:00 Europe/Berlin"
        );
        assert_eq!(
            describe_at("2026-12-01T08:00:30Z".parse().expect("ts"), "UTC"),
            "Once at 2026-12-01 08:00:30 UTC"
        );
    }

    #[test]
    fn describes_every_kind() {
        let now: jiff::Timestamp = "2026-11-21T12:00:00Z".parse().expect("now");
        let s = |spec: ScheduleSpec| describe(&Schedule::from_spec(&spec, now).expect("spec"));
        let table: &[(ScheduleSpec, &str)] = &[
            (
                ScheduleSpec {
                    every: Some("1h30m".into()),
                    ..ScheduleSpec::default()
                },
                "Every 1h 30m",
            ),
            (
                ScheduleSpec {
                    every: Some("90s".into()),
                    ..ScheduleSpec::default()
                },
                "Every 1m 30s",
            ),
            (
                ScheduleSpec {
                    every: Some("1d".into()),
                    ..ScheduleSpec::default()
                },
                "Every 1d",
            ),
            (
                ScheduleSpec {
                    at: Some("2026-12-01T09:00:00+01:00".into()),
                    tz: Some("Europe/Berlin".into()),
                    ..ScheduleSpec::default()
                },
                "Once at 2026-12-01 09:00 Europe/Berlin",
            ),
            (
                ScheduleSpec {
                    on_calendar: Some(vec!["Sat *-*-* 03:00".into(), "daily".into()]),
                    ..ScheduleSpec::default()
                },
                "On calendar Sat *-*-* 03:00; daily",
            ),
            (
                ScheduleSpec {
                    manual: Some(true),
                    ..ScheduleSpec::default()
                },
                "Manually (piar run)",
            ),
            (
                ScheduleSpec {
                    cron: Some("30 2 * * *".into()),
                    tz: Some("America/New_York".into()),
                    ..ScheduleSpec::default()
                },
                "At 02:30 (America/New_York)",
            ),
        ];
        for (spec, want) in table {
            assert_eq!(s(spec.clone()), *want, "{spec:?}");
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(ordinal(1), "1st");
        assert_eq!(ordinal(2), "2nd");
        assert_eq!(ordinal(3), "3rd");
        assert_eq!(ordinal(4), "4th");
        assert_eq!(ordinal(11), "11th");
        assert_eq!(ordinal(12), "12th");
        assert_eq!(ordinal(13), "13th");
        assert_eq!(ordinal(21), "21st");
        assert_eq!(ordinal(22), "22nd");
        assert_eq!(short_duration(Duration::from_secs(0)), "0s");
        assert_eq!(short_duration(Duration::from_secs(93_784)), "1d 2h 3m 4s");
        assert_eq!(
            progression(&[0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22], 0, 23),
            Some((0, 2))
        );
        assert_eq!(progression(&[0, 2, 4], 0, 23), None);
        assert_eq!(progression(&[5], 0, 59), None);
        assert_eq!(progression(&[0, 30], 0, 59), Some((0, 30)));
    }
}
