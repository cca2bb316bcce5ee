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
const AT_HINT: &str = "e.g. 2026-12-01T09:00:00+01:00, 2026-12-01 09:00, 09:00, 20m, 'in 5m', \
                       +90s, now, 'tomorrow 9am', 'tomorrow at 9am', 'next monday 08:30'";

/// How far ahead `--at now` is: the one-shot `OnCalendar=` must still lie in the future
/// when systemd loads the timer (a calendar time already past never elapses), and a
/// submit on a slow Pi takes a few seconds.
pub const NOW_MARGIN_SECS: i64 = 5;

/// A resolved `--at` time, with a sentence for the user when the reading is not the
/// literal one (a bare `HH:MM` that has passed today means tomorrow, as in at(1)).
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The instant, whole seconds.
    pub at: Timestamp,
    /// `"09:00 has passed today (...): it means tomorrow, 2026-12-03 09:00:00 CET"`.
    pub note: Option<String>,
}

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
/// whole seconds ([`resolve`] without the note).
pub fn resolve_at(text: &str, tz: &str, now: Timestamp) -> Result<Timestamp> {
    resolve(text, tz, now).map(|r| r.at)
}

/// Resolve what the user wrote after `--at` into an instant, truncated to
/// whole seconds.
///
/// Accepts, in this order:
/// - `now`: [`NOW_MARGIN_SECS`] seconds from now;
/// - relative `in 5m`, `in 2 hours`, `+90s`, `+2h` (humantime units; added
///   to `now` as exact durations), and `in`/`+` followed by what `date -d`
///   understands (`in 1 day`, `+1 week`); a bare span (`20m`, `2h`, `1d`,
///   `1h30m`) means the same as `in 20m`;
/// - RFC 3339 with offset or `Z` (`2026-12-01T09:00:00+01:00`), or with a
///   zone annotation (`2026-12-01T09:00:00+01:00[Europe/Berlin]`);
/// - civil `YYYY-MM-DD HH:MM[:SS]` (space or `T`), read as wall time in `tz`;
/// - a bare clock time (`09:00`, `9:30:15`, `9am`, `5:30pm`): today in `tz`, or, when
///   that has passed, tomorrow (as at(1) reads `HH:MM`), with a [`Resolved::note`];
/// - `date -d` style natural times via the `parse_datetime` crate
///   (`tomorrow 9am`, `tomorrow at 9am`, `next monday 08:30`, `today 17:00`; a
///   standalone `at` is dropped), read as wall time in `tz` unless they carry their
///   own offset or zone.
///
/// Never read: single letters and a letter glued to a number (`x`, `10a`, `9 z`), which
/// the date parser takes for military time zones (`20m` would be 08:00 in zone M): they
/// are rejected as ambiguous unless they are a span as above.
///
/// Errors (exit 2): unparsable or ambiguous text, an unknown `tz`, a time not after `now`,
/// a wall time inside a DST gap (nearest valid times in the hint). A wall time
/// in a repeated (fold) hour resolves to the earlier instant.
pub fn resolve(text: &str, tz: &str, now: Timestamp) -> Result<Resolved> {
    let zone = validate_tz(tz)?;
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::invalid("expected a time after --at, got nothing").with_hint(AT_HINT));
    }
    let lower = t.to_ascii_lowercase();
    let mut note = None;
    let at = if lower == "now" {
        now.checked_add(jiff::SignedDuration::from_secs(NOW_MARGIN_SECS))
            .map_err(|e| Error::invalid(format!("{t:?} is out of range: {e}")))?
    } else if let Some(at) = relative(t, &zone, now)? {
        at
    } else if let Some(at) = bare_span(t, now)? {
        at
    } else if let Ok(ts) = t.parse::<Timestamp>() {
        ts
    } else if let Ok(z) = t.parse::<Zoned>() {
        z.timestamp()
    } else if let Some(dt) = civil(t) {
        in_zone(dt, &zone, tz)?
    } else {
        reject_military_letters(t)?;
        let words: Vec<&str> = t.split_whitespace().collect();
        // `tomorrow at 9am`: at(1) and `date -d` differ on the word `at`; drop it.
        let cleaned: Vec<&str> = words
            .iter()
            .enumerate()
            .filter(|(i, w)| *i == 0 || !w.eq_ignore_ascii_case("at"))
            .map(|(_, w)| *w)
            .collect();
        let cleaned = cleaned.join(" ");
        let today = natural(&cleaned, &zone, tz, now)?;
        if is_clock_time(&lower) && today <= now {
            let tomorrow = natural(&format!("tomorrow {cleaned}"), &zone, tz, now)?;
            let fmt = "%Y-%m-%d %H:%M:%S %Z";
            note = Some(format!(
                "{t} has passed today (now is {}): it means tomorrow, {}",
                now.to_zoned(zone.clone()).strftime(fmt),
                tomorrow.to_zoned(zone.clone()).strftime(fmt)
            ));
            tomorrow
        } else {
            today
        }
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
    Ok(Resolved { at, note })
}

/// A bare humantime span (`20m`, `2h`, `1d`, `1h30m`, `90s`): `Some(now + span)`.
/// Only text that starts with a digit and is entirely a span; `None` otherwise.
fn bare_span(t: &str, now: Timestamp) -> Result<Option<Timestamp>> {
    if !t.starts_with(|c: char| c.is_ascii_digit()) || t.contains(':') {
        return Ok(None);
    }
    // A plain number is not a span (humantime wants a unit) and not a time either.
    let Ok(d) = humantime::parse_duration(t) else {
        return Ok(None);
    };
    let signed = jiff::SignedDuration::try_from(d)
        .map_err(|e| Error::invalid(format!("{t:?}: {e}")).with_hint(AT_HINT))?;
    let at = now
        .checked_add(signed)
        .map_err(|e| Error::invalid(format!("{t:?} is out of range: {e}")))?;
    Ok(Some(at))
}

/// Whether `lower` is only a clock time: `9:30`, `09:00:15`, `9am`, `5:30 pm`.
fn is_clock_time(lower: &str) -> bool {
    let t = lower.trim();
    let body = t
        .strip_suffix("am")
        .or_else(|| t.strip_suffix("pm"))
        .map(str::trim_end);
    let (body, meridiem) = match body {
        Some(b) => (b, true),
        None => (t, false),
    };
    let parts: Vec<&str> = body.split(':').collect();
    let numeric = |p: &str| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [h] => meridiem && numeric(h),
        [h, m] => numeric(h) && m.len() == 2 && numeric(m),
        [h, m, s] => numeric(h) && m.len() == 2 && numeric(m) && s.len() == 2 && numeric(s),
        _ => false,
    }
}

/// Reject words the date parser would read as a military time zone (RFC 5322 single
/// letters: `20m` = 08:00 in zone M, `x` = midnight in zone X): a single letter, or a
/// number with one letter glued on (`10a`, `23h` when not a span, `0900z`).
fn reject_military_letters(t: &str) -> Result<()> {
    for word in t.split_whitespace() {
        let chars: Vec<char> = word.chars().collect();
        let single = chars.len() == 1 && chars[0].is_ascii_alphabetic();
        let glued = chars.len() >= 2
            && chars[chars.len() - 1].is_ascii_alphabetic()
            && chars[chars.len() - 2].is_ascii_digit();
        if single || glued {
            return Err(Error::invalid(format!(
                "--at {t:?} is ambiguous: {word:?} could be a time, a span or a military time \
                 zone letter"
            ))
            .with_hint(format!(
                "write a span as 'in 20m' (or 20m, 2h, 1d), a clock time as 09:00 or 9am, a zone \
                 as --tz; {AT_HINT}"
            )));
        }
    }
    Ok(())
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

    /// Issue 14: what people and agents type. Spans without `in`, `now`, `at` between day
    /// and time; military zone letters are never read; a passed clock time is tomorrow.
    #[test]
    fn typed_forms_and_military_letters() {
        // now() is Saturday 2026-11-21 13:00:00.5 in Berlin.
        let ok: &[(&str, &str)] = &[
            ("20m", "2026-11-21T12:20:00Z"),
            ("15m", "2026-11-21T12:15:00Z"),
            ("2h", "2026-11-21T14:00:00Z"),
            ("23h", "2026-11-22T11:00:00Z"),
            ("1d", "2026-11-22T12:00:00Z"),
            ("1h30m", "2026-11-21T13:30:00Z"),
            ("90s", "2026-11-21T12:01:30Z"),
            ("now", "2026-11-21T12:00:05Z"),
            ("NOW", "2026-11-21T12:00:05Z"),
            ("tomorrow 9am", "2026-11-22T08:00:00Z"),
            ("tomorrow at 9am", "2026-11-22T08:00:00Z"),
            ("tomorrow at 09:00", "2026-11-22T08:00:00Z"),
            ("next monday 08:30", "2026-11-23T07:30:00Z"),
            ("next monday at 08:30", "2026-11-23T07:30:00Z"),
            // Clock times still ahead today: today, no note.
            ("17:00", "2026-11-21T16:00:00Z"),
            ("5pm", "2026-11-21T16:00:00Z"),
        ];
        for (text, want) in ok {
            let r =
                resolve(text, "Europe/Berlin", now()).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(r.at, ts(want), "{text}");
            assert_eq!(r.note, None, "{text}");
        }
        // Passed today: tomorrow, with a note saying so (at(1)).
        for (text, want) in [
            ("09:00", "2026-11-22T08:00:00Z"),
            ("9am", "2026-11-22T08:00:00Z"),
            ("12:59:59", "2026-11-22T11:59:59Z"),
            ("13:00", "2026-11-22T12:00:00Z"),
        ] {
            let r =
                resolve(text, "Europe/Berlin", now()).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(r.at, ts(want), "{text}");
            let note = r.note.unwrap_or_default();
            assert!(note.contains("has passed today"), "{text}: {note}");
            assert!(note.contains("tomorrow, 2026-11-22"), "{text}: {note}");
        }
        // A dated or day-named time in the past stays an error (only bare clock times roll).
        for text in ["today 9am", "2026-11-21 09:00"] {
            let e = resolve(text, "Europe/Berlin", now()).expect_err(text);
            assert!(e.message.contains("in the past"), "{text}: {}", e.message);
        }
        // Never a military time zone: single letters and a letter glued to a number.
        for text in [
            "x",
            "m",
            "Z",
            "10a",
            "0900z",
            "tomorrow 9 a",
            "9 j",
            "tomorrow 10a",
        ] {
            let e = resolve(text, "UTC", now()).expect_err(text);
            assert!(
                e.message.contains("ambiguous") || e.message.contains("cannot read"),
                "{text}: {}",
                e.message
            );
        }
        let e = resolve("10a", "UTC", now()).expect_err("10a");
        assert!(e.message.contains("ambiguous"), "{}", e.message);
        assert!(e.hint.unwrap_or_default().contains("in 20m"));
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
