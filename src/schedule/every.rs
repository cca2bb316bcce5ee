//! Intervals for `--every`.
//!
//! Input is humantime syntax (`90s`, `15m`, `6h`, `1d`, `1h30m`, `1h 30m`);
//! output is a systemd.time(7) time span for `OnUnitActiveSec=`.

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
