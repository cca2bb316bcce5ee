//! piar's DST policy for cron schedules (`--cron` in a zone with daylight saving time). It
//! follows cronie (src/cron.c, the `wakeupKind` cases; Debian crontab(5), "Special
//! considerations exist when the clock is changed by less than 3 hours").
//!
//! - **Spring forward** (a wall-clock gap, e.g. 02:00-03:00 on the last Sunday of March in
//!   Europe/Berlin): a **fixed-time** job (neither the minute nor the hour field starts with
//!   `*`, not `@hourly`: [`CronExpr::fixed_time`]) whose time falls inside the gap runs
//!   **once, at the first valid instant after the gap** (03:00). systemd 252 alone skips that
//!   day (checked with `systemd-analyze calendar`), so piar adds one dated compensating
//!   `OnCalendar=` line per affected transition, e.g. `2027-03-28 03:00:00 Europe/Berlin`,
//!   for the transitions of the next [`COMPENSATION_YEARS`] years (from the time the units
//!   are written; `piar submit --replace` refreshes them). No line is added when the job
//!   fires at the gap's end anyway. **Wildcard** jobs (`30 */2 * * *`, `* 2 * * *`,
//!   `*/20 3 * * *`, `@hourly`) are not caught up: like cronie, they run by the new wall
//!   clock, so their times inside the gap simply do not happen that day.
//! - **Clock corrections**: a gap of [`CORRECTION_GAP_MINUTES`] (3 hours) or more is not
//!   daylight saving time but a zone changing its offset (Pacific/Apia skipped 2011-12-30
//!   entirely). cronie treats a jump of more than 3 hours between two wake-ups as a clock
//!   correction and catches nothing up; so does piar.
//! - **Fall back** (a repeated hour, e.g. 02:00-03:00 twice on the last Sunday of October in
//!   Europe/Berlin): a cron time inside it runs **once, at its first occurrence**. That is
//!   cronie's behaviour for fixed-time jobs and systemd's for every calendar spec. cronie
//!   runs *wildcard* jobs (`30 * * * *`) by the new wall clock, so in the repeated hour
//!   they run a second time; piar does not (systemd fires a calendar time once), a
//!   documented difference.
//! - A one-shot `--at` inside a gap is rejected with the nearest valid times ([`super::at`]).

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::cron::CronExpr;

/// How many years ahead compensating lines for spring-forward gaps are written.
pub const COMPENSATION_YEARS: i64 = 10;

/// A forward jump of this many minutes or more is a clock correction, not DST: nothing is
/// caught up. cronie wakes every minute and classifies the wall-clock difference since the
/// last wake-up; more than `3 * MINUTE_COUNT` (180) minutes is "large" (src/cron.c). Across
/// a gap of `g` minutes that difference is `g + 1`, so gaps of 180 minutes or more.
pub const CORRECTION_GAP_MINUTES: i64 = 180;

/// The compensating `OnCalendar=` lines for `expr` read in zone `tz` (an IANA name), for
/// the spring-forward transitions between `now` and [`COMPENSATION_YEARS`] later: one line
/// `YYYY-MM-DD HH:MM:SS <tz>` at the end of each gap that contains a time the expression
/// fires at on that day. Empty for zones without DST, unknown zones, `@reboot` and
/// wildcard jobs (not [`CronExpr::fixed_time`]); gaps of [`CORRECTION_GAP_MINUTES`] or
/// more get no line.
pub fn gap_lines(expr: &CronExpr, tz: &str, now: Timestamp) -> Vec<String> {
    let Ok(zone) = TimeZone::get(tz) else {
        return Vec::new();
    };
    if expr.reboot() || !expr.fixed_time() {
        return Vec::new();
    }
    let horizon = now
        .checked_add(SignedDuration::from_hours(24 * 366 * COMPENSATION_YEARS))
        .unwrap_or(Timestamp::MAX);
    let mut lines = Vec::new();
    for transition in zone.following(now) {
        let t = transition.timestamp();
        if t > horizon {
            break;
        }
        let Some(just_before) = t.checked_sub(SignedDuration::from_secs(1)).ok() else {
            continue;
        };
        let (before, after) = (zone.to_offset(just_before), transition.offset());
        if after <= before {
            continue; // fall back (or a zone rename): no wall-clock gap
        }
        let jump = i64::from(after.seconds()) - i64::from(before.seconds());
        if jump >= CORRECTION_GAP_MINUTES * 60 {
            continue; // a clock correction (Pacific/Apia 2011): cronie catches nothing up
        }
        let gap_start = before.to_datetime(t);
        let gap_end = after.to_datetime(t);
        if expr.fires_at(gap_end) || !fires_within(expr, gap_start, gap_end) {
            continue;
        }
        lines.push(format!("{} {tz}", gap_end.strftime("%Y-%m-%d %H:%M:%S")));
    }
    lines
}

/// Whether `expr` fires at some minute in `[start, end)` (wall-clock, at most a few hours).
fn fires_within(expr: &CronExpr, start: DateTime, end: DateTime) -> bool {
    let mut dt = start;
    // Gaps are an hour (30 min on Lord Howe Island); stop after a day whatever happens.
    for _ in 0..(24 * 60) {
        if dt >= end {
            return false;
        }
        if expr.fires_at(dt) {
            return true;
        }
        match dt.checked_add(SignedDuration::from_mins(1)) {
            Ok(next) => dt = next,
            Err(_) => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(expr: &str, tz: &str, now: &str) -> Vec<String> {
        let c = CronExpr::parse(expr).expect("cron");
        gap_lines(&c, tz, now.parse().expect("now"))
    }

    #[test]
    fn compensates_times_inside_the_gap() {
        let now = "2026-11-21T00:00:00Z";
        let berlin = lines("30 2 * * *", "Europe/Berlin", now);
        assert_eq!(
            berlin.len(),
            usize::try_from(COMPENSATION_YEARS).expect("n")
        );
        assert_eq!(berlin[0], "2027-03-28 03:00:00 Europe/Berlin");
        assert_eq!(berlin[1], "2028-03-26 03:00:00 Europe/Berlin");
        let ny = lines("15 2 * * *", "America/New_York", now);
        assert_eq!(ny[0], "2027-03-14 03:00:00 America/New_York");
        // Only when the day matches: Mondays never fall on a transition Sunday.
        assert!(lines("30 2 * * 1", "Europe/Berlin", now).is_empty());
        assert_eq!(
            lines("30 2 * * 0", "Europe/Berlin", now).len(),
            berlin.len()
        );
        // Outside the gap, or already firing at its end, or no DST: nothing.
        for (expr, tz) in [
            ("30 1 * * *", "Europe/Berlin"),
            ("0 3 * * *", "Europe/Berlin"),
            ("*/15 * * * *", "Europe/Berlin"),
            ("30 * * * *", "Europe/Berlin"),
            ("0 2,3 * * *", "America/New_York"),
            ("30 2 * * *", "UTC"),
            ("30 2 * * *", "Asia/Kolkata"),
            ("@reboot", "Europe/Berlin"),
        ] {
            assert!(lines(expr, tz, now).is_empty(), "{expr} {tz}");
        }
        // A fixed-time list with all its times in the gap runs once at its end.
        assert_eq!(
            lines("0,30 2 * * *", "Europe/Berlin", now)[0],
            "2027-03-28 03:00:00 Europe/Berlin"
        );
        assert_eq!(
            lines("0-59 2 * * *", "Europe/Berlin", now)[0],
            "2027-03-28 03:00:00 Europe/Berlin"
        );
    }

    /// cronie's rule: only fixed-time jobs are caught up after a gap. The jobs of issue 14
    /// (`30 */2 * * *`, `* 2 * * *`, `*/20 3 * * *`) are wildcard jobs: no line, in Berlin
    /// and New York (gap 02:00-03:00) and Athens (gap 03:00-04:00).
    #[test]
    fn wildcard_jobs_are_not_caught_up() {
        let now = "2026-11-21T00:00:00Z";
        for tz in ["Europe/Berlin", "America/New_York", "Europe/Athens"] {
            for expr in [
                "30 */2 * * *",
                "* 2 * * *",
                "* 3 * * *",
                "*/20 2 * * *",
                "*/20 3 * * *",
                "*/30 2 * * *",
                "@hourly",
            ] {
                assert!(lines(expr, tz, now).is_empty(), "{expr} in {tz}");
            }
        }
        // The same times as fixed-time jobs are caught up at the gap's end.
        assert_eq!(
            lines("20 3 * * *", "Europe/Athens", now)[0],
            "2027-03-28 04:00:00 Europe/Athens"
        );
        assert_eq!(
            lines("0,20,40 3 * * *", "Europe/Athens", now)[0],
            "2027-03-28 04:00:00 Europe/Athens"
        );
        assert!(lines("20 2 * * *", "Europe/Athens", now).is_empty());
        assert_eq!(
            lines("30 2 * * *", "America/New_York", now)[0],
            "2027-03-14 03:00:00 America/New_York"
        );
    }

    /// Pacific/Apia skipped Friday 2011-12-30 (UTC-10 -> UTC+14, a 24-hour jump): a clock
    /// correction, which cronie does not catch up; piar writes no line for it.
    #[test]
    fn large_jumps_are_clock_corrections() {
        let now = "2011-12-01T00:00:00Z";
        for expr in ["0 12 * * *", "0 0 * * *", "30 23 29-31 12 *"] {
            let got = lines(expr, "Pacific/Apia", now);
            assert!(
                got.iter().all(|l| !l.starts_with("2011-12-31")),
                "{expr}: {got:?}"
            );
        }
        // The zone really has that gap (so the test would see a line if one were written).
        let zone = TimeZone::get("Pacific/Apia").expect("zone");
        let dt = jiff::civil::date(2011, 12, 30).at(12, 0, 0, 0);
        assert!(zone.to_ambiguous_zoned(dt).is_ambiguous());
        // Apia's ordinary one-hour DST gaps (2012-09-30 03:00 -> 04:00) are still compensated.
        let got = lines("30 3 * * *", "Pacific/Apia", now);
        assert!(
            got.contains(&"2012-09-30 04:00:00 Pacific/Apia".to_string()),
            "{got:?}"
        );
    }

    /// The policy as systemd executes it (systemd-analyze on the lines piar writes), around
    /// the 2027 transitions; expectations derived by hand from the zones' rules.
    #[test]
    fn systemd_runs_gap_times_at_gap_end_and_repeated_times_once() {
        use crate::schedule::{Schedule, ScheduleSpec};
        let table: &[(&str, &str, &str, [&str; 3])] = &[
            // Berlin spring: 02:30 CET, then 03:00 CEST (gap), then 02:30 CEST.
            (
                "30 2 * * *",
                "Europe/Berlin",
                "2027-03-27T00:00:00Z",
                [
                    "2027-03-27T01:30:00Z",
                    "2027-03-28T01:00:00Z",
                    "2027-03-29T00:30:00Z",
                ],
            ),
            // Berlin autumn: 02:30 CEST, then 02:30 CEST once (not 02:30 CET), then CET.
            (
                "30 2 * * *",
                "Europe/Berlin",
                "2027-10-30T00:00:00Z",
                [
                    "2027-10-30T00:30:00Z",
                    "2027-10-31T00:30:00Z",
                    "2027-11-01T01:30:00Z",
                ],
            ),
            // New York spring: 02:30 EST, then 03:00 EDT (gap), then 02:30 EDT.
            (
                "30 2 * * *",
                "America/New_York",
                "2027-03-13T00:00:00Z",
                [
                    "2027-03-13T07:30:00Z",
                    "2027-03-14T07:00:00Z",
                    "2027-03-15T06:30:00Z",
                ],
            ),
            // Hourly jobs, autumn (policy: the repeated hour once, unlike cronie): Berlin
            // 01:30 CEST, 02:30 CEST, (not 02:30 CET), 03:30 CET.
            (
                "30 * * * *",
                "Europe/Berlin",
                "2027-10-30T23:00:00Z",
                [
                    "2027-10-30T23:30:00Z",
                    "2027-10-31T00:30:00Z",
                    "2027-10-31T02:30:00Z",
                ],
            ),
            // New York: 00:30 EDT, 01:30 EDT, (not 01:30 EST), 02:30 EST.
            (
                "30 * * * *",
                "America/New_York",
                "2027-11-07T04:00:00Z",
                [
                    "2027-11-07T04:30:00Z",
                    "2027-11-07T05:30:00Z",
                    "2027-11-07T07:30:00Z",
                ],
            ),
            // Hourly jobs, spring: no compensation, the gap hour is simply absent.
            (
                "30 * * * *",
                "Europe/Berlin",
                "2027-03-27T23:45:00Z",
                [
                    "2027-03-28T00:30:00Z",
                    "2027-03-28T01:30:00Z",
                    "2027-03-28T02:30:00Z",
                ],
            ),
            (
                "45 * * * *",
                "America/New_York",
                "2027-03-14T06:00:00Z",
                [
                    "2027-03-14T06:45:00Z",
                    "2027-03-14T07:45:00Z",
                    "2027-03-14T08:45:00Z",
                ],
            ),
            // Several fixed times inside the gap collapse into one run at its end.
            (
                "0,15,30,45 2 * * *",
                "Europe/Berlin",
                "2027-03-28T00:00:00Z",
                [
                    "2027-03-28T01:00:00Z",
                    "2027-03-29T00:00:00Z",
                    "2027-03-29T00:15:00Z",
                ],
            ),
            // A wildcard job (minute `*/15`): not caught up, as cronie.
            (
                "*/15 2 * * *",
                "Europe/Berlin",
                "2027-03-28T00:00:00Z",
                [
                    "2027-03-29T00:00:00Z",
                    "2027-03-29T00:15:00Z",
                    "2027-03-29T00:30:00Z",
                ],
            ),
            // Athens, gap 03:00-04:00 EET->EEST: a fixed-time job at 03:30 runs at 04:00
            // EEST (01:00Z); a wildcard one does not.
            (
                "30 3 * * *",
                "Europe/Athens",
                "2027-03-27T12:00:00Z",
                [
                    "2027-03-28T01:00:00Z",
                    "2027-03-29T00:30:00Z",
                    "2027-03-30T00:30:00Z",
                ],
            ),
            (
                "*/20 3 * * *",
                "Europe/Athens",
                "2027-03-27T12:00:00Z",
                [
                    "2027-03-29T00:00:00Z",
                    "2027-03-29T00:20:00Z",
                    "2027-03-29T00:40:00Z",
                ],
            ),
            // Sunday-only job inside the gap (transitions are on Sundays): compensated.
            (
                "0 2 * * 0",
                "America/New_York",
                "2027-03-13T00:00:00Z",
                [
                    "2027-03-14T07:00:00Z",
                    "2027-03-21T06:00:00Z",
                    "2027-03-28T06:00:00Z",
                ],
            ),
            // Autumn, weekday job at a time inside the repeated hour: once.
            (
                "30 2 * * 0",
                "Europe/Berlin",
                "2027-10-30T00:00:00Z",
                [
                    "2027-10-31T00:30:00Z",
                    "2027-11-07T01:30:00Z",
                    "2027-11-14T01:30:00Z",
                ],
            ),
            // New York autumn: 01:30 EDT, then 01:30 EDT once, then 01:30 EST.
            (
                "30 1 * * *",
                "America/New_York",
                "2027-11-06T00:00:00Z",
                [
                    "2027-11-06T05:30:00Z",
                    "2027-11-07T05:30:00Z",
                    "2027-11-08T06:30:00Z",
                ],
            ),
        ];
        for (expr, tz, base, want) in table {
            let base: Timestamp = base.parse().expect("base");
            let spec = ScheduleSpec {
                cron: Some(expr.to_string()),
                tz: Some(tz.to_string()),
                ..ScheduleSpec::default()
            };
            let lines = Schedule::from_spec(&spec, base)
                .expect("schedule")
                .timer_spec_from(base)
                .expect("timer")
                .on_calendar;
            let got = crate::schedule::preview::next_elapses(&lines, 3, Some(base))
                .expect("systemd-analyze");
            let want: Vec<Timestamp> = want.iter().map(|t| t.parse().expect("ts")).collect();
            assert_eq!(got, want, "{expr} in {tz}: {lines:?}");
        }
    }
}
