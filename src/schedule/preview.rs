//! Next elapse times, as systemd itself computes them, by asking
//! `systemd-analyze calendar --iterations=N` (systemd-analyze(1)).
//!
//! `--base-time=` exists on systemd 252 (checked on Debian 12), so a preview
//! from a fixed instant is reproducible. The child runs with `TZ=UTC` and
//! `LC_ALL=C`, so every printed time has the shape `Mon 2026-11-23 08:00:00 UTC`.

use std::process::Command;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use crate::error::{Error, Result};

/// The next `n` elapse times of the union of `specs` after `base` (default:
/// now), sorted, deduplicated, with second precision. A spec that never
/// elapses again (a past one-shot) contributes nothing. Errors: a spec systemd
/// rejects (exit 2, naming the spec), `systemd-analyze` missing or failing
/// (exit 1).
pub fn next_elapses(specs: &[String], n: usize, base: Option<Timestamp>) -> Result<Vec<Timestamp>> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let mut cmd = Command::new("systemd-analyze");
    cmd.arg("calendar")
        .arg(format!("--iterations={}", n.max(1)))
        .env("TZ", "UTC")
        .env("LC_ALL", "C");
    if let Some(b) = base {
        cmd.arg(format!("--base-time=@{}", b.as_second()));
    }
    // `--` so a spec starting with `-` is not read as an option.
    cmd.arg("--").args(specs);
    let out = cmd.output().map_err(|e| {
        Error::failed(format!("cannot run systemd-analyze: {e}"))
            .with_hint("piar needs systemd-analyze (package systemd) to preview calendar specs")
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(rejected(specs, &stderr));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut times = parse_elapses(&stdout)?;
    times.sort();
    times.dedup();
    times.truncate(n);
    Ok(times)
}

/// The error for a non-zero exit: names the spec systemd could not parse
/// (`Failed to parse calendar specification 'X': Invalid argument`).
fn rejected(specs: &[String], stderr: &str) -> Error {
    const MARK: &str = "Failed to parse calendar specification '";
    let named = stderr.lines().find_map(|l| {
        let rest = &l[l.find(MARK)? + MARK.len()..];
        rest.rfind("':").map(|end| rest[..end].to_string())
    });
    let hint = "see systemd.time(7), e.g. 'Mon..Fri *-*-* 09:00:00 Europe/Berlin' or 'daily'";
    match named {
        Some(spec) => Error::invalid(format!(
            "systemd rejects the calendar spec {spec:?}: {}",
            stderr.trim()
        ))
        .with_hint(hint),
        None => Error::invalid(format!(
            "systemd-analyze calendar rejected {specs:?}: {}",
            stderr.trim()
        ))
        .with_hint(hint),
    }
}

/// Every `Next elapse:` and later-iteration time in `systemd-analyze
/// calendar` output; `never` is skipped. systemd 252 labels the later
/// iterations `Iter. #k:`, 257 (Debian trixie) `Iteration #k:`: both are
/// accepted (issue 15).
fn parse_elapses(stdout: &str) -> Result<Vec<Timestamp>> {
    let mut out = Vec::new();
    for line in stdout.lines() {
        let line = line.trim();
        let Some((label, value)) = line.split_once(':') else {
            continue;
        };
        if label != "Next elapse"
            && !label.starts_with("Iter. #")
            && !label.starts_with("Iteration #")
        {
            continue;
        }
        let value = value.trim();
        if value == "never" {
            continue;
        }
        out.push(parse_time(value)?);
    }
    Ok(out)
}

/// `Mon 2026-11-23 08:00:00 UTC` -> the instant.
fn parse_time(value: &str) -> Result<Timestamp> {
    let bad = || Error::failed(format!("unexpected time {value:?} from systemd-analyze"));
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_weekday, date, time, "UTC"] = parts.as_slice() else {
        return Err(bad());
    };
    let dt: DateTime = format!("{date}T{time}").parse().map_err(|_| bad())?;
    dt.to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    fn specs(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_analyze_output() {
        let out = "Normalized form: Mon..Fri *-*-* 09:00:00 Europe/Berlin\n    Next elapse: Mon 2026-11-23 08:00:00 UTC\n       From now: 1 day 19h left\n       Iter. #2: Tue 2026-11-24 08:00:00 UTC\n       From now: 2 days left\n\nNormalized form: 2020-01-01 00:00:00 UTC\n    Next elapse: never\n";
        let got = parse_elapses(out).expect("parse");
        assert_eq!(
            got,
            vec![ts("2026-11-23T08:00:00Z"), ts("2026-11-24T08:00:00Z")]
        );
        assert!(parse_elapses("    Next elapse: tomorrow-ish\n").is_err());
    }

    #[test]
    fn parses_systemd_257_iteration_labels() {
        // systemd 257 (Debian trixie) spells the label out: `Iteration #2:`.
        let out = "  Original form: Mon..Fri *-*-* 09:00:00 Europe/Berlin\nNormalized form: Mon..Fri *-*-* 09:00:00 Europe/Berlin\n    Next elapse: Mon 2026-11-23 08:00:00 UTC\n       From now: 1 day 19h left\n   Iteration #2: Tue 2026-11-24 08:00:00 UTC\n       From now: 2 days left\n   Iteration #3: Wed 2026-11-25 08:00:00 UTC\n       From now: 3 days left\n";
        let got = parse_elapses(out).expect("parse");
        assert_eq!(
            got,
            vec![
                ts("2026-11-23T08:00:00Z"),
                ts("2026-11-24T08:00:00Z"),
                ts("2026-11-25T08:00:00Z")
            ]
        );
    }

    #[test]
    fn asks_systemd_from_a_base_time() {
        let base = Some(ts("2026-11-21T00:00:00Z"));
        let got = next_elapses(&specs(&["Mon..Fri *-*-* 09:00:00 Europe/Berlin"]), 3, base)
            .expect("systemd-analyze");
        assert_eq!(
            got,
            vec![
                ts("2026-11-23T08:00:00Z"),
                ts("2026-11-24T08:00:00Z"),
                ts("2026-11-25T08:00:00Z")
            ]
        );
    }

    #[test]
    fn merges_sorts_and_dedups_across_specs() {
        let base = Some(ts("2026-11-21T00:00:00Z"));
        let s = specs(&[
            "*-*-* 00:00,30:00 UTC",
            "*-*-* 00:00:00 UTC",
            "2020-01-01 00:00:00 UTC",
        ]);
        let got = next_elapses(&s, 4, base).expect("systemd-analyze");
        assert_eq!(
            got,
            vec![
                ts("2026-11-21T00:30:00Z"),
                ts("2026-11-22T00:00:00Z"),
                ts("2026-11-22T00:30:00Z"),
                ts("2026-11-23T00:00:00Z"),
            ]
        );
        let never = next_elapses(&specs(&["2020-01-01 00:00:00 UTC"]), 3, base).expect("ok");
        assert!(never.is_empty());
    }

    #[test]
    fn names_the_rejected_spec() {
        let e = next_elapses(&specs(&["daily", "*/15 * * * *"]), 1, None).expect_err("bad spec");
        assert_eq!(e.kind, crate::error::Kind::Invalid);
        assert!(e.message.contains("\"*/15 * * * *\""), "{}", e.message);
        let e = next_elapses(&specs(&["-1"]), 1, None).expect_err("bad spec");
        assert!(e.message.contains("\"-1\""), "{}", e.message);
    }
}
