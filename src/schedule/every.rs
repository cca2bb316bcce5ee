//! Intervals for `--every`.
//!
//! Input is humantime syntax (`90s`, `15m`, `6h`, `1d`, `1h30m`, `1h 30m`).
//!
//! Timer design (issue 12): an interval that divides a day is written as anchored
//! `OnCalendar=` lines in UTC ([`calendar_lines`]: `--every 6h` submitted at 01:17:13 is
//! `*-*-* 01/6:17:12 UTC`) with `Persistent=true`, so a `daemon-reload` never re-arms it
//! (unlike `OnActiveSec=`, systemd issues 16186, 31914) and slots missed while powered off
//! are caught up once at boot. Other intervals fall back to `OnBootSec=` +
//! `OnUnitActiveSec=` (see `Schedule::timer_spec`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::error::{Error, Result};

/// What a valid interval looks like, used in every error message.
const EXPECTED: &str = "expected a duration like 90s, 15m, 6h, 1d, 1h30m";

/// The longest interval accepted: 10 years as humantime counts them (`10y` =
/// 315,576,000 s). systemd's own limit is far above (time spans are 64-bit microseconds;
/// `systemd-analyze timespan 999999999999d` fails with "Numerical result out of range",
/// and the unit then keeps only `OnActiveSec=`, so the job runs once and never again);
/// a job that runs less than once a decade is a one-shot (`--at`) or a calendar date
/// (`--on-calendar`).
pub const MAX_INTERVAL: Duration = Duration::from_secs(315_576_000);

/// Parse an interval in humantime syntax: `90s`, `15m`, `6h`, `1d`, `1h30m`,
/// `1h 30m` (units as in `humantime::parse_duration`).
///
/// The result is a whole number of seconds, at least 1 s: timers are
/// scheduled with second accuracy, so a sub-second part would be silently
/// lost. Errors (exit 2): unparsable, zero, not whole seconds, or longer than
/// [`MAX_INTERVAL`].
pub fn parse_every(text: &str) -> Result<Duration> {
    let trimmed = text.trim();
    let d = humantime::parse_duration(trimmed)
        .map_err(|e| Error::invalid(format!("{EXPECTED}; got {text:?} ({e})")))?;
    if d.is_zero() {
        return Err(Error::invalid(format!(
            "the interval must be at least 1s; {EXPECTED}; got {text:?}"
        )));
    }
    if d > MAX_INTERVAL {
        return Err(Error::invalid(format!(
            "the interval must be at most 10y (3652d 12h); {EXPECTED}; got {text:?}"
        ))
        .with_hint("for something that rarely happens use --at TIME or --on-calendar DATE"));
    }
    if d.subsec_nanos() != 0 {
        return Err(Error::invalid(format!(
            "the interval must be whole seconds; {EXPECTED}; got {text:?}"
        ))
        .with_hint("timers run with 1 s accuracy; round to whole seconds"));
    }
    Ok(d)
}

/// Seconds in a day: intervals dividing it get calendar lines.
const DAY: u64 = 86_400;

/// At most this many `OnCalendar=` lines for one interval; more means the fallback.
const MAX_LINES: usize = 24;

/// The anchored `OnCalendar=` lines (UTC) that fire at `anchor + k * interval` for every
/// integer `k`, or `None` when `interval` does not divide a day (86 400 s) or would need
/// more than 24 lines.
///
/// Every slot of a UTC day is enumerated and grouped: seconds with the same minute -> hours
/// pattern share a line, minutes with the same hours share a line, so `6h` is one line
/// (`*-*-* 01/6:17:12 UTC`), `90m` two, `90s` two, `1s` one (`*-*-* *:*:* UTC`). `anchor`
/// is seconds since the Unix epoch (one second before the job's `created` time); only its phase modulo the
/// interval matters. Each line is checked against systemd.time(7) by the tests
/// (`systemd-analyze calendar`).
pub fn calendar_lines(interval: Duration, anchor: i64) -> Option<Vec<String>> {
    let step = interval.as_secs();
    if step == 0 || interval.subsec_nanos() != 0 || !DAY.is_multiple_of(step) {
        return None;
    }
    let phase = anchor.rem_euclid(step as i64) as u64;
    // second -> minute -> hours
    let mut by_sec: BTreeMap<u64, BTreeMap<u64, BTreeSet<u64>>> = BTreeMap::new();
    let mut t = phase;
    while t < DAY {
        by_sec
            .entry(t % 60)
            .or_default()
            .entry(t / 60 % 60)
            .or_default()
            .insert(t / 3600);
        t += step;
    }
    // Seconds with an identical minute -> hours map share a line group.
    let mut groups: BTreeMap<BTreeMap<u64, BTreeSet<u64>>, BTreeSet<u64>> = BTreeMap::new();
    for (sec, minutes) in by_sec {
        groups.entry(minutes).or_default().insert(sec);
    }
    let mut lines = Vec::new();
    for (minutes, secs) in groups {
        let mut by_hours: BTreeMap<BTreeSet<u64>, BTreeSet<u64>> = BTreeMap::new();
        for (minute, hours) in minutes {
            by_hours.entry(hours).or_default().insert(minute);
        }
        for (hours, mins) in by_hours {
            lines.push(format!(
                "*-*-* {}:{}:{} UTC",
                field(&hours, 24),
                field(&mins, 60),
                field(&secs, 60)
            ));
            if lines.len() > MAX_LINES {
                return None;
            }
        }
    }
    Some(lines)
}

/// One calendar field from its values in `0..size`: `*` for all of them, `start/step` for a
/// progression that starts below `step` and runs to the end of the range, else a list
/// (`01,07`). systemd.time(7): "a/b" means a, a+b, a+2b, ... within the field's range.
fn field(values: &BTreeSet<u64>, size: u64) -> String {
    if values.len() as u64 == size {
        return "*".to_string();
    }
    let v: Vec<u64> = values.iter().copied().collect();
    if v.len() >= 2 {
        let step = v[1] - v[0];
        let regular = v.windows(2).all(|w| w[1] - w[0] == step);
        if regular && v[0] < step && v[v.len() - 1] + step >= size {
            return format!("{:02}/{step}", v[0]);
        }
    }
    v.iter()
        .map(|x| format!("{x:02}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Format a duration as a systemd.time(7) time span: `1d 2h 30min 5s`
/// (`90s` -> `1min 30s`, zero -> `0`). Sub-second parts are written as
/// `ms`/`us` so values like `AccuracySec=1us` survive; nanoseconds below one
/// microsecond are dropped (systemd's resolution is 1 µs).
pub fn format_systemd(d: Duration) -> String {
    let secs = d.as_secs();
    let micros = d.subsec_micros();
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3_600 % 24, "h"),
        (secs / 60 % 60, "min"),
        (secs % 60, "s"),
        (u64::from(micros / 1_000), "ms"),
        (u64::from(micros % 1_000), "us"),
    ];
    let out: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n != 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if out.is_empty() {
        "0".to_string()
    } else {
        out.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_humantime_forms() {
        let table: &[(&str, u64)] = &[
            ("90s", 90),
            ("15m", 900),
            ("6h", 21_600),
            ("1d", 86_400),
            ("1h30m", 5_400),
            ("1h 30m", 5_400),
            (" 2h ", 7_200),
            ("1s", 1),
            ("2min", 120),
            ("10y", 315_576_000),
            ("3652d", 315_532_800),
        ];
        for (text, secs) in table {
            let d = parse_every(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(d, Duration::from_secs(*secs), "{text}");
        }
    }

    #[test]
    fn rejects_bad_intervals() {
        for text in [
            "",
            "0s",
            "0",
            "500ms",
            "1s 500ms",
            "abc",
            "5",
            "-5m",
            "1x",
            "999999999999d",
            "10y 1s",
            "3653d",
        ] {
            let e = parse_every(text).expect_err(text);
            assert!(
                e.message.contains("expected a duration like 90s"),
                "{text}: {}",
                e.message
            );
            assert!(e.message.contains(&format!("{text:?}")), "{}", e.message);
        }
    }

    #[test]
    fn calendar_lines_for_divisors_of_a_day() {
        // 2026-12-02T01:17:12Z
        let anchor: i64 = "2026-12-02T01:17:12Z"
            .parse::<jiff::Timestamp>()
            .expect("ts")
            .as_second();
        let table: &[(u64, Option<&[&str]>)] = &[
            (21_600, Some(&["*-*-* 01/6:17:12 UTC"])),
            (86_400, Some(&["*-*-* 01:17:12 UTC"])),
            (3_600, Some(&["*-*-* *:17:12 UTC"])),
            (900, Some(&["*-*-* *:02/15:12 UTC"])),
            (1, Some(&["*-*-* *:*:* UTC"])),
            (30, Some(&["*-*-* *:*:12/30 UTC"])),
            (
                5_400,
                Some(&["*-*-* 01/3:17:12 UTC", "*-*-* 02/3:47:12 UTC"]),
            ),
            (90, Some(&["*-*-* *:00/3:42 UTC", "*-*-* *:02/3:12 UTC"])),
            (25_200, None),
            (172_800, None),
            (7, None),
        ];
        for (secs, want) in table {
            let got = calendar_lines(Duration::from_secs(*secs), anchor);
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(got, want, "{secs}s");
        }
    }

    /// systemd's own next elapses of the lines are exactly anchor + k * interval.
    #[test]
    fn calendar_lines_match_systemd() {
        let anchor: jiff::Timestamp = "2026-12-02T01:17:12Z".parse().expect("ts");
        for secs in [21_600u64, 5_400, 90, 480, 43_200, 1_200, 45] {
            let lines = calendar_lines(Duration::from_secs(secs), anchor.as_second())
                .unwrap_or_else(|| panic!("{secs}s has calendar lines"));
            let got = crate::schedule::preview::next_elapses(&lines, 6, Some(anchor))
                .unwrap_or_else(|e| panic!("{lines:?}: {e}"));
            let want: Vec<jiff::Timestamp> = (1..=6)
                .map(|k| anchor + jiff::SignedDuration::from_secs((secs * k) as i64))
                .collect();
            assert_eq!(got, want, "{secs}s: {lines:?}");
        }
    }

    #[test]
    fn formats_for_systemd() {
        let table: &[(Duration, &str)] = &[
            (Duration::from_secs(90), "1min 30s"),
            (Duration::from_secs(5_400), "1h 30min"),
            (Duration::from_secs(86_400), "1d"),
            (Duration::from_secs(90_061), "1d 1h 1min 1s"),
            (Duration::from_secs(1), "1s"),
            (Duration::ZERO, "0"),
            (Duration::from_micros(1), "1us"),
            (Duration::from_millis(1_500), "1s 500ms"),
        ];
        for (d, want) in table {
            assert_eq!(format_systemd(*d), *want, "{d:?}");
        }
    }

    #[test]
    fn systemd_accepts_formatted_spans() {
        for d in [90, 5_400, 90_061] {
            let span = format_systemd(Duration::from_secs(d));
            let out = std::process::Command::new("systemd-analyze")
                .args(["timespan", &span])
                .env("LC_ALL", "C")
                .output()
                .expect("run systemd-analyze");
            assert!(out.status.success(), "{span}: {out:?}");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains(&format!("us: {}", d * 1_000_000)), "{text}");
        }
    }
}
