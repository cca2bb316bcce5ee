//! One-shot times for `--at`, and time-zone helpers.
//!
//! DST policy for one-shots: a wall-clock time inside a spring-forward gap
//! does not exist, and systemd 252 never fires a one-shot there, so it is
//! rejected with the nearest valid times suggested; a wall-clock time in the
//! repeated autumn hour means its first occurrence (the earlier instant), as
//! cron and `date -d` read it. The resolved instant is stored as UTC.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::{Timestamp, Zoned};

use crate::error::{Error, Result};

/// Hint shared by every time-zone error.
const TZ_HINT: &str = "use an IANA zone name such as Europe/Berlin, America/New_York or UTC \
                       (list them with `timedatectl list-timezones`)";

/// Hint shared by every unparsable `--at` error.
const AT_HINT: &str = "e.g. 2026-12-01T09:00:00+01:00, 2026-12-01 09:00, 'in 5m', +90s, \
                       'tomorrow 9am', 'next monday 08:30'";

/// Validate an IANA time zone name (`Europe/Berlin`, `UTC`) against jiff's
/// database. Errors: unknown name (exit 2), with a hint; fixed offsets like
/// `UTC+05:30` are rejected because systemd accepts IANA names only
/// (systemd.time(7)); so is a name that matches only case-insensitively,
/// because systemd looks the name up case-sensitively in /usr/share/zoneinfo.
pub fn validate_tz(name: &str) -> Result<TimeZone> {
    let looks_like_offset = name.starts_with(['+', '-'])
        || ["UTC+", "UTC-", "GMT+", "GMT-"]
            .iter()
            .any(|p| name.to_ascii_uppercase().starts_with(p))
        || name.contains(':');
    if looks_like_offset {
        return Err(Error::invalid(format!(
            "time zone {name:?} is a fixed offset; systemd accepts IANA zone names only"
        ))
        .with_hint(TZ_HINT));
    }
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            Error::invalid(format!("time zone {name:?} is not a zone name")).with_hint(TZ_HINT),
        );
    }
    let zone = TimeZone::get(name)
        .map_err(|_| Error::invalid(format!("unknown time zone {name:?}")).with_hint(TZ_HINT))?;
    match zone.iana_name() {
        Some(canonical) if canonical == name => Ok(zone),
        Some(canonical) => Err(Error::invalid(format!(
            "time zone {name:?} must be written exactly as in the zone database"
        ))
        .with_hint(format!("did you mean {canonical}?"))),
        None => Err(Error::invalid(format!("unknown time zone {name:?}")).with_hint(TZ_HINT)),
    }
}

/// The system's IANA zone name (from `/etc/localtime` or `TZ` via jiff),
/// `UTC` if it has none or jiff's answer is not a name systemd accepts.
pub fn system_tz_name() -> String {
    TimeZone::system()
        .iana_name()
        .filter(|n| validate_tz(n).is_ok())
        .unwrap_or("UTC")
        .to_string()
}

/// Resolve what the user wrote after `--at` into an instant, truncated to
/// whole seconds.
///
/// Accepts, in this order:
/// - relative `in 5m`, `in 2 hours`, `+90s`, `+2h` (humantime units; added
///   to `now` as exact durations), and `in`/`+` followed by what `date -d`
///   understands (`in 1 day`, `+1 week`);
/// - RFC 3339 with offset or `Z` (`2026-12-01T09:00:00+01:00`), or with a
///   zone annotation (`2026-12-01T09:00:00+01:00[Europe/Berlin]`);
/// - civil `YYYY-MM-DD HH:MM[:SS]` (space or `T`), read as wall time in `tz`;
/// - `date -d` style natural times via the `parse_datetime` crate
///   (`tomorrow 9am`, `tomorrow 09:00`, `next monday 08:30`, `today 17:00`),
///   read as wall time in `tz` unless they carry their own offset or zone.
///
/// Errors (exit 2): unparsable text, an unknown `tz`, a time not after `now`,
/// a wall time inside a DST gap (nearest valid times in the hint). A wall time
/// in a repeated (fold) hour resolves to the earlier instant.
pub fn resolve_at(text: &str, tz: &str, now: Timestamp) -> Result<Timestamp> {
    let zone = validate_tz(tz)?;
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::invalid("expected a time after --at, got nothing").with_hint(AT_HINT));
    }
    let at = if let Some(at) = relative(t, &zone, now)? {
        at
    } else if let Ok(ts) = t.parse::<Timestamp>() {
        ts
    } else if let Ok(z) = t.parse::<Zoned>() {
        z.timestamp()
    } else if let Some(dt) = civil(t) {
        in_zone(dt, &zone, tz)?
    } else {
        natural(t, &zone, tz, now)?
    };
    let at = Timestamp::from_second(at.as_second())
        .map_err(|e| Error::invalid(format!("{text:?} is out of range: {e}")).with_hint(AT_HINT))?;
    if at <= now {
        let shown = at.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M:%S %Z");
        let now_shown = now.to_zoned(zone).strftime("%Y-%m-%d %H:%M:%S %Z");
        return Err(Error::invalid(format!(
            "{text:?} ({shown}) is in the past (now is {now_shown})"
        ))
        .with_hint("give a future time, e.g. 'in 5m'"));
    }
    Ok(at)
}

/// The `OnCalendar=` spec for one instant, in UTC with second precision:
/// `2026-12-01 08:00:00 UTC` (systemd.time(7), "Calendar Events").
pub fn on_calendar_utc(at: Timestamp) -> String {
    at.to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

/// `in <span>` / `+<span>`: `Some(now + span)`; `None` if `t` has neither
/// prefix. A humantime span is added as an exact duration; anything else after
/// the prefix goes to `parse_datetime` relative to `now` in `zone`.
fn relative(t: &str, zone: &TimeZone, now: Timestamp) -> Result<Option<Timestamp>> {
    let lower = t.to_ascii_lowercase();
    let rest = if let Some(rest) = lower.strip_prefix('+') {
        rest
    } else if let Some(rest) = lower.strip_prefix("in ") {
        rest
    } else {
        return Ok(None);
    };
    let rest = rest.trim();
    if let Ok(d) = humantime::parse_duration(rest) {
        let signed = jiff::SignedDuration::try_from(d)
            .map_err(|e| Error::invalid(format!("{t:?}: {e}")).with_hint(AT_HINT))?;
        let at = now
            .checked_add(signed)
            .map_err(|e| Error::invalid(format!("{t:?} is out of range: {e}")))?;
        return Ok(Some(at));
    }
    let base = now.to_zoned(zone.clone());
    match parse_datetime::parse_datetime_at_date(base, format!("+{rest}")) {
        Ok(parsed) => match parsed.into_zoned() {
            Some(z) => Ok(Some(z.timestamp())),
            None => Err(Error::invalid(format!("{t:?} is out of range"))),
        },
        Err(_) => Err(Error::invalid(format!(
            "cannot read {t:?} as a relative time; expected a span like 5m, 90s, 2h, 2 hours"
        ))
        .with_hint(AT_HINT)),
    }
}

/// `YYYY-MM-DD HH:MM[:SS]` or with `T`: the civil date-time, else `None`.
fn civil(t: &str) -> Option<DateTime> {
    let b = t.as_bytes();
    // Only the strict numeric shapes; everything else is natural language.
    let numeric = b.len() >= 16
        && b[..10].iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
        && matches!(b[10], b' ' | b'T' | b't')
        && b[11..].iter().all(|c| c.is_ascii_digit() || *c == b':');
    if !numeric {
        return None;
    }
    t.parse::<DateTime>().ok()
}

/// A wall time in `zone` -> its instant: the earlier one in a fold; an error
/// naming the nearest valid times in a gap.
fn in_zone(dt: DateTime, zone: &TimeZone, tz: &str) -> Result<Timestamp> {
    let amb = zone.to_ambiguous_zoned(dt);
    match amb.offset() {
        AmbiguousOffset::Unambiguous { offset } | AmbiguousOffset::Fold { before: offset, .. } => {
            offset.to_timestamp(dt).map_err(|e| {
                Error::invalid(format!("{dt} in {tz} is out of range: {e}")).with_hint(AT_HINT)
            })
        }
        AmbiguousOffset::Gap { before, after } => Err(gap_error(dt, zone, tz, before, after)),
    }
}

/// The error for a wall time that a DST transition skips.
fn gap_error(dt: DateTime, zone: &TimeZone, tz: &str, before: Offset, after: Offset) -> Error {
    let fmt = "%Y-%m-%d %H:%M:%S %Z (%:z)";
    let shown = dt.strftime("%Y-%m-%d %H:%M:%S");
    let msg =
        format!("{shown} does not exist in {tz}: the clocks skip that hour ({before} -> {after})");
    // The gap's civil range is [T+before, T+after) where T is the transition,
    // and dt - after < T, so the first transition after that instant is T.
    let transition = after
        .to_timestamp(dt)
        .ok()
        .and_then(|probe| zone.following(probe).next())
        .map(|tr| tr.timestamp());
    let hint = match transition {
        Some(t) => {
            let after_gap = t.to_zoned(zone.clone());
            let before_gap = t
                .checked_sub(jiff::SignedDuration::from_secs(1))
                .map(|b| b.to_zoned(zone.clone()).strftime(fmt).to_string());
            match before_gap {
                Ok(b) => format!("nearest valid times: {b} or {}", after_gap.strftime(fmt)),
                Err(_) => format!("nearest valid time: {}", after_gap.strftime(fmt)),
            }
        }
        None => "pick a time outside the daylight-saving gap".to_string(),
    };
    Error::invalid(msg).with_hint(hint)
}

/// `date -d` style text via `parse_datetime`, read as wall time in `zone`.
///
/// The text is parsed against "now" expressed as the same wall time in a
/// marker zone of fixed offset +00:00:01 (no DST, so the crate's arithmetic
/// is pure wall-clock arithmetic); a result still in the marker zone is a wall
/// time and is resolved in `zone` by [`in_zone`] (so gaps are rejected rather
/// than shifted). A result in another zone carried its own offset or zone.
fn natural(t: &str, zone: &TimeZone, tz: &str, now: Timestamp) -> Result<Timestamp> {
    let unreadable = || {
        Error::invalid(format!(
            "cannot read {t:?} as a time (RFC 3339, YYYY-MM-DD HH:MM[:SS], 'in 5m', +90s, 'tomorrow 9am')"
        ))
        .with_hint(AT_HINT)
    };
    let marker = Offset::from_seconds(1).map_err(|_| unreadable())?;
    let wall_now = now.to_zoned(zone.clone()).datetime();
    let base = marker.to_timestamp(wall_now).map_err(|_| unreadable())?;
    let base = base.to_zoned(TimeZone::fixed(marker));
    let parsed = parse_datetime::parse_datetime_at_date(base, t).map_err(|_| unreadable())?;
    let z = parsed.into_zoned().ok_or_else(unreadable)?;
    if z.time_zone().iana_name().is_none() && z.offset() == marker {
        in_zone(z.datetime(), zone, tz)
    } else {
        Ok(z.timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Saturday 2026-11-21 12:00:00.5 UTC (13:00:00.5 in Berlin).
    fn now() -> Timestamp {
        "2026-11-21T12:00:00.5Z".parse().expect("fixed now")
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    #[test]
    fn resolves_accepted_forms() {
        let table: &[(&str, &str, &str)] = &[
            ("2026-12-01T09:00:00+01:00", "UTC", "2026-12-01T08:00:00Z"),
            (
                "2026-12-01T08:00:00Z",
                "Europe/Berlin",
                "2026-12-01T08:00:00Z",
            ),
            ("2026-12-01T09:00:00.9+01:00", "UTC", "2026-12-01T08:00:00Z"),
            ("2026-12-01 09:00", "Europe/Berlin", "2026-12-01T08:00:00Z"),
            (
                "2026-12-01 09:00:30",
                "Europe/Berlin",
                "2026-12-01T08:00:30Z",
            ),
            (
                "2026-12-01T09:00",
                "America/New_York",
                "2026-12-01T14:00:00Z",
            ),
            ("2026-12-01 09:00", "UTC", "2026-12-01T09:00:00Z"),
            ("in 5m", "UTC", "2026-11-21T12:05:00Z"),
            ("in 5 minutes", "UTC", "2026-11-21T12:05:00Z"),
            ("in 2 hours", "Europe/Berlin", "2026-11-21T14:00:00Z"),
            ("+90s", "UTC", "2026-11-21T12:01:30Z"),
            ("+2h", "UTC", "2026-11-21T14:00:00Z"),
            ("IN 1h30m", "UTC", "2026-11-21T13:30:00Z"),
            ("in 1 day", "UTC", "2026-11-22T12:00:00Z"),
            ("tomorrow 9am", "Europe/Berlin", "2026-11-22T08:00:00Z"),
            ("tomorrow 09:00", "UTC", "2026-11-22T09:00:00Z"),
            ("next monday 08:30", "Europe/Berlin", "2026-11-23T07:30:00Z"),
            ("today 17:00", "Europe/Berlin", "2026-11-21T16:00:00Z"),
            (
                "2026-12-01 09:00 +05:00",
                "Europe/Berlin",
                "2026-12-01T04:00:00Z",
            ),
            // Autumn fold: 02:30 happens twice in Berlin; the first one is CEST.
            ("2027-10-31 02:30", "Europe/Berlin", "2027-10-31T00:30:00Z"),
            (
                "2027-11-07 01:30",
                "America/New_York",
                "2027-11-07T05:30:00Z",
            ),
        ];
        for (text, tz, want) in table {
            let got = resolve_at(text, tz, now()).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(got, ts(want), "{text} in {tz}");
        }
    }

    #[test]
    fn rejects_past_and_garbage() {
        let table: &[(&str, &str)] = &[
            ("2026-11-21T11:00:00Z", "in the past"),
            ("2026-11-21 13:00", "in the past"), // Berlin wall time == now
            ("now", "in the past"),
            ("yesterday 9am", "in the past"),
            ("", "got nothing"),
            ("soonish", "cannot read"),
            ("in five", "relative time"),
            ("2026-13-01 09:00", "cannot read"),
        ];
        for (text, want) in table {
            let e = resolve_at(text, "Europe/Berlin", now()).expect_err(text);
            assert!(e.message.contains(want), "{text}: {}", e.message);
        }
    }

    #[test]
    fn rejects_wall_time_in_dst_gap() {
        let e = resolve_at("2027-03-28 02:30", "Europe/Berlin", now()).expect_err("gap");
        assert!(
            e.message.contains("does not exist in Europe/Berlin"),
            "{}",
            e.message
        );
        let hint = e.hint.unwrap_or_default();
        assert!(hint.contains("2027-03-28 01:59:59 CET"), "{hint}");
        assert!(hint.contains("2027-03-28 03:00:00 CEST"), "{hint}");

        let e = resolve_at("2027-03-14 02:15:00", "America/New_York", now()).expect_err("gap");
        let hint = e.hint.unwrap_or_default();
        assert!(
            hint.contains("01:59:59 EST") && hint.contains("03:00:00 EDT"),
            "{hint}"
        );
    }

    /// Natural and relative times around DST transitions: wall-clock words ("tomorrow
    /// 03:00") are read in the zone after the transition; spans ("in 1 day", "+24h") are
    /// exact durations; a wall time in the gap is rejected, in the fold it is the first.
    #[test]
    fn natural_times_across_dst() {
        // Saturday before the spring-forward Sundays (Berlin 2027-03-28, New York 2027-03-14).
        let berlin_sat: Timestamp = "2027-03-27T12:00:00Z".parse().expect("now");
        let ny_sat: Timestamp = "2027-03-13T17:00:00Z".parse().expect("now");
        let ok: &[(&str, &str, Timestamp, &str)] = &[
            (
                "tomorrow 03:00",
                "Europe/Berlin",
                berlin_sat,
                "2027-03-28T01:00:00Z",
            ),
            (
                "tomorrow 01:59",
                "Europe/Berlin",
                berlin_sat,
                "2027-03-28T00:59:00Z",
            ),
            (
                "tomorrow 9am",
                "Europe/Berlin",
                berlin_sat,
                "2027-03-28T07:00:00Z",
            ),
            (
                "in 1 day",
                "Europe/Berlin",
                berlin_sat,
                "2027-03-28T12:00:00Z",
            ),
            ("+24h", "Europe/Berlin", berlin_sat, "2027-03-28T12:00:00Z"),
            (
                "tomorrow 12:00",
                "America/New_York",
                ny_sat,
                "2027-03-14T16:00:00Z",
            ),
            (
                "next sunday 08:30",
                "America/New_York",
                ny_sat,
                "2027-03-14T12:30:00Z",
            ),
            (
                "2027-03-14 03:00",
                "America/New_York",
                ny_sat,
                "2027-03-14T07:00:00Z",
            ),
            // Autumn folds: the first (summer-time) occurrence.
            (
                "2027-10-31 02:00",
                "Europe/Berlin",
                now(),
                "2027-10-31T00:00:00Z",
            ),
            (
                "2027-10-31 02:59:59",
                "Europe/Berlin",
                now(),
                "2027-10-31T00:59:59Z",
            ),
            (
                "2027-10-31 03:00",
                "Europe/Berlin",
                now(),
                "2027-10-31T02:00:00Z",
            ),
            (
                "2027-11-07 01:00",
                "America/New_York",
                now(),
                "2027-11-07T05:00:00Z",
            ),
            (
                "2027-11-07 02:00",
                "America/New_York",
                now(),
                "2027-11-07T07:00:00Z",
            ),
        ];
        for (text, tz, now, want) in ok {
            let got = resolve_at(text, tz, *now).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(got, ts(want), "{text} in {tz}");
        }
        let gap: &[(&str, &str, Timestamp)] = &[
            ("tomorrow 02:30", "Europe/Berlin", berlin_sat),
            ("tomorrow 02:00", "Europe/Berlin", berlin_sat),
            ("next sunday 02:15", "America/New_York", ny_sat),
            ("2027-03-14 02:59:59", "America/New_York", ny_sat),
        ];
        for (text, tz, now) in gap {
            let e = resolve_at(text, tz, *now).expect_err(text);
            assert!(
                e.message.contains("does not exist"),
                "{text}: {}",
                e.message
            );
            assert!(e.hint.unwrap_or_default().contains("03:00:00"), "{text}");
        }
    }

    #[test]
    fn validates_zones() {
        for good in ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"] {
            assert!(validate_tz(good).is_ok(), "{good}");
        }
        for bad in [
            "UTC+05:30",
            "+01:00",
            "GMT-3",
            "Mars/Olympus",
            "",
            "europe/berlin",
            "Europe/ Berlin",
        ] {
            let e = validate_tz(bad).expect_err(bad);
            assert!(e.hint.is_some(), "{bad}");
        }
        assert!(resolve_at("in 5m", "Nowhere/Land", now()).is_err());
        assert!(validate_tz(&system_tz_name()).is_ok());
    }

    #[test]
    fn never_panics_on_odd_input() {
        let odd = [
            "+",
            "in",
            "in ",
            "+-5m",
            "+99999999999999d",
            "in 9999 years",
            "@99999999999999",
            "9999-12-31 23:59:59",
            "0000-01-01 00:00",
            "\u{1F600}",
            "2026-12-01 \u{1F600}",
            "2026-12-01T",
            "TZ=\"Nowhere\" 9am",
            "next",
            "last monday",
            "-1",
            "31 feb",
        ];
        for text in odd {
            let _ = resolve_at(text, "Europe/Berlin", now());
        }
    }

    #[test]
    fn formats_on_calendar_in_utc() {
        assert_eq!(
            on_calendar_utc(ts("2026-12-01T09:00:00+01:00")),
            "2026-12-01 08:00:00 UTC"
        );
    }
}
