//! 5-field cron (crontab(5), Vixie/cronie semantics) -> `OnCalendar=` lines.
//!
//! Parsing follows cronie's `entry.c`: `*`, lists, ranges `a-b`, steps `*/n`,
//! `a-b/n` and `a/n` (= `a-max/n`), month and weekday names (3 letters,
//! case-insensitive), Sunday as 0 or 7, the @-aliases. The day rule: a day
//! field is "restricted" unless its text starts with `*`; when both
//! day-of-month and day-of-week are restricted the job fires when EITHER
//! matches, otherwise when both do. systemd ANDs the parts of one calendar
//! spec, so the OR case becomes two `OnCalendar=` lines (a timer fires at
//! whichever elapses first, systemd.timer(5)).
//!
//! Output uses systemd.time(7) syntax only: explicit comma lists and `a..b`
//! ranges (never `*/n`, which systemd rejects), weekday names, the zone name.
//! DST: systemd 252 skips a day whose time falls in the spring-forward gap and
//! fires once in the repeated hour; piar adds compensating lines for the gap
//! (see [`super::dst`] for the policy).

use crate::error::{Error, Result};

/// One cron field: its name, column, allowed range and names.
struct FieldDef {
    /// `minute`, `hour`, ...
    name: &'static str,
    /// 1-based field number.
    column: usize,
    /// Smallest value.
    low: u8,
    /// Largest value (7 for day-of-week: Sunday again).
    high: u8,
    /// 3-letter names for `low..`, if the field has names.
    names: &'static [&'static str],
}

const MONTH_NAMES: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DOW_NAMES: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [FieldDef; 5] = [
    FieldDef {
        name: "minute",
        column: 1,
        low: 0,
        high: 59,
        names: &[],
    },
    FieldDef {
        name: "hour",
        column: 2,
        low: 0,
        high: 23,
        names: &[],
    },
    FieldDef {
        name: "day-of-month",
        column: 3,
        low: 1,
        high: 31,
        names: &[],
    },
    FieldDef {
        name: "month",
        column: 4,
        low: 1,
        high: 12,
        names: MONTH_NAMES,
    },
    FieldDef {
        name: "day-of-week",
        column: 5,
        low: 0,
        high: 7,
        names: DOW_NAMES,
    },
];

/// systemd's weekday names, Monday first (systemd.time(7)).
const SYSTEMD_DOW: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Days in each month, Feb counted as 29 (a leap year makes the 29th real).
const MONTH_DAYS: [u8; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// A parsed cron expression.
///
/// Each field is a bit set (bit `v` set = value `v` matches); day-of-week uses
/// bits 0..=6 with Sunday as 0 (a written 7 is folded to 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpr {
    /// `@reboot`: no calendar, fires at boot.
    reboot: bool,
    /// Bits 0..=59.
    minutes: u64,
    /// Bits 0..=23.
    hours: u64,
    /// Bits 1..=31.
    days: u64,
    /// Bits 1..=12.
    months: u64,
    /// Bits 0..=6, Sunday = 0.
    weekdays: u64,
    /// Day-of-month text did not start with `*`.
    days_restricted: bool,
    /// Day-of-week text did not start with `*`.
    weekdays_restricted: bool,
}

impl CronExpr {
    /// Parse 5 fields or an alias. Errors name the field (`minute`, `hour`,
    /// `day-of-month`, `month`, `day-of-week`), its column and allowed range.
    ///
    /// Aliases (crontab(5)): `@yearly`/`@annually` = `0 0 1 1 *`, `@monthly` =
    /// `0 0 1 * *`, `@weekly` = `0 0 * * 0`, `@daily`/`@midnight` =
    /// `0 0 * * *`, `@hourly` = `0 * * * *`, `@reboot`. Expressions that can
    /// never fire (`0 0 30 2 *`) are rejected.
    pub fn parse(text: &str) -> Result<CronExpr> {
        let trimmed = text.trim();
        if let Some(alias) = trimmed.strip_prefix('@') {
            let fields = match alias.to_ascii_lowercase().as_str() {
                "yearly" | "annually" => "0 0 1 1 *",
                "monthly" => "0 0 1 * *",
                "weekly" => "0 0 * * 0",
                "daily" | "midnight" => "0 0 * * *",
                "hourly" => "0 * * * *",
                "reboot" => {
                    return Ok(CronExpr {
                        reboot: true,
                        ..CronExpr::parse("0 0 * * *")?
                    });
                }
                _ => {
                    return Err(Error::invalid(format!("cron: unknown alias {trimmed:?}"))
                        .with_hint(
                            "aliases: @yearly @annually @monthly @weekly @daily @midnight @hourly @reboot",
                        ));
                }
            };
            return CronExpr::parse(fields);
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        if fields.len() != 5 {
            let mut e = Error::invalid(format!(
                "cron: expected 5 fields (minute hour day-of-month month day-of-week), got {} in {text:?}",
                fields.len()
            ));
            e = e.with_hint(if fields.len() == 6 {
                "a seconds (or year) field is not supported: crontab(5) has 5 fields; put the command after `--`"
            } else {
                "e.g. '*/15 * * * *' or '0 9 * * 1-5'; a seconds field is not supported"
            });
            return Err(e);
        }
        let mut sets = [0u64; 5];
        for (i, (def, field)) in FIELDS.iter().zip(&fields).enumerate() {
            sets[i] = parse_field(def, field, text)?;
        }
        // Sunday is 0 or 7.
        let weekdays = (sets[4] | (sets[4] >> 7)) & 0x7f;
        let expr = CronExpr {
            reboot: false,
            minutes: sets[0],
            hours: sets[1],
            days: sets[2],
            months: sets[3],
            weekdays,
            days_restricted: !fields[2].starts_with('*'),
            weekdays_restricted: !fields[4].starts_with('*'),
        };
        expr.check_possible(text)?;
        Ok(expr)
    }

    /// `@reboot`: the job runs at boot (`OnBootSec=`), not on a calendar.
    pub fn reboot(&self) -> bool {
        self.reboot
    }

    /// The `OnCalendar=` lines in zone `tz` (an IANA name, written last on each
    /// line: `Mon..Fri *-*-* 09:00:00 Europe/Berlin`). More than one when both
    /// day fields are restricted (cron fires when either matches). Empty for
    /// `@reboot`.
    pub fn on_calendar(&self, tz: &str) -> Vec<String> {
        if self.reboot {
            return Vec::new();
        }
        let time = format!(
            "{}:{}:00",
            num_list(self.hours, 0, 23),
            num_list(self.minutes, 0, 59)
        );
        let month = num_list(self.months, 1, 12);
        let line = |weekdays: u64, days: u64| {
            let dow = weekday_list(weekdays);
            let days = num_list(days, 1, 31);
            let dow = if dow.is_empty() {
                String::new()
            } else {
                format!("{dow} ")
            };
            format!("{dow}*-{month}-{days} {time} {tz}")
        };
        let mut lines = Vec::new();
        if self.days_restricted && self.weekdays_restricted {
            if self.possible_days() {
                lines.push(line(0x7f, self.days));
            }
            let all_days = bits(1, 31);
            lines.push(line(self.weekdays, all_days));
        } else {
            lines.push(line(self.weekdays, self.days));
        }
        lines.dedup();
        lines
    }

    /// The matched values as bit sets, for [`super::describe`].
    pub fn fields(&self) -> CronFields {
        CronFields {
            minutes: self.minutes,
            hours: self.hours,
            days: self.days,
            months: self.months,
            weekdays: self.weekdays,
            days_restricted: self.days_restricted,
            weekdays_restricted: self.weekdays_restricted,
        }
    }

    /// Whether every hour is selected (`5 * * * *`): such a job just runs in the next hour
    /// after a DST gap, so it gets no compensating line ([`super::dst`]).
    pub fn every_hour(&self) -> bool {
        self.hours & bits(0, 23) == bits(0, 23)
    }

    /// Whether the expression fires at the wall-clock minute of `dt` (seconds ignored), by
    /// crontab(5)'s rule: minute, hour and month match, and the day matches (day-of-month OR
    /// day-of-week when both are restricted, else both). `@reboot` never does.
    pub fn fires_at(&self, dt: jiff::civil::DateTime) -> bool {
        if self.reboot {
            return false;
        }
        let has = |set: u64, v: i8| u8::try_from(v).is_ok_and(|v| set & (1u64 << v) != 0);
        let dom = has(self.days, dt.day());
        let dow = has(self.weekdays, dt.weekday().to_sunday_zero_offset());
        let day = if self.days_restricted && self.weekdays_restricted {
            dom || dow
        } else {
            dom && dow
        };
        day && has(self.months, dt.month())
            && has(self.hours, dt.hour())
            && has(self.minutes, dt.minute())
    }

    /// Whether some selected month has some selected day of month (Feb 29
    /// counts: leap years).
    fn possible_days(&self) -> bool {
        (1..=12u8).any(|m| {
            self.months & (1 << m) != 0 && self.days & bits(1, MONTH_DAYS[usize::from(m - 1)]) != 0
        })
    }

    /// Reject expressions that never fire: the day-of-month only exists in
    /// months that are not selected, and day-of-week cannot rescue it (OR).
    fn check_possible(&self, text: &str) -> Result<()> {
        let rescued = self.days_restricted && self.weekdays_restricted;
        if rescued || self.possible_days() {
            return Ok(());
        }
        Err(Error::invalid(format!(
            "cron {text:?} never fires: no selected month has that day-of-month"
        ))
        .with_hint("February has at most 29 days; April, June, September and November have 30"))
    }
}

/// The fields of a parsed [`CronExpr`] (bit `v` set = value `v` matches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CronFields {
    /// Minutes, bits 0..=59.
    pub minutes: u64,
    /// Hours, bits 0..=23.
    pub hours: u64,
    /// Days of the month, bits 1..=31.
    pub days: u64,
    /// Months, bits 1..=12.
    pub months: u64,
    /// Days of the week, bits 0..=6, Sunday = 0.
    pub weekdays: u64,
    /// The day-of-month text did not start with `*`.
    pub days_restricted: bool,
    /// The day-of-week text did not start with `*`.
    pub weekdays_restricted: bool,
}

/// Bits `low..=high` set.
fn bits(low: u8, high: u8) -> u64 {
    (low..=high).fold(0, |acc, v| acc | (1u64 << v))
}

/// Parse one field (`*`, `a`, `a-b`, with `/n`, comma lists) into a bit set.
fn parse_field(def: &FieldDef, field: &str, text: &str) -> Result<u64> {
    let err = |detail: String| {
        let names = match def.name {
            "month" => " or jan-dec",
            "day-of-week" => " or sun-sat (0 and 7 are Sunday)",
            _ => "",
        };
        Error::invalid(format!(
            "cron field {} ({}): {detail} in {text:?}",
            def.column, def.name
        ))
        .with_hint(format!(
            "{} takes {}-{}{names}, `*`, lists a,b, ranges a-b and steps */n or a-b/n",
            def.name, def.low, def.high
        ))
    };
    let mut set = 0u64;
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u8 = s
                    .parse()
                    .map_err(|_| err(format!("step {s:?} is not a number")))?;
                if step == 0 || step > def.high {
                    return Err(err(format!("step {step} is out of range 1-{}", def.high)));
                }
                (r, Some(step))
            }
            None => (item, None),
        };
        let (start, end) = if range == "*" {
            (def.low, def.high)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(def, a, &err)?, value(def, b, &err)?);
            if a > b {
                return Err(err(format!("range {range} runs backwards")));
            }
            (a, b)
        } else if range.is_empty() {
            return Err(err("empty list item".to_string()));
        } else {
            let a = value(def, range, &err)?;
            // cronie: `a/n` means `a-max/n`.
            (a, if step.is_some() { def.high } else { a })
        };
        let step = step.unwrap_or(1);
        let mut v = start;
        while v <= end {
            set |= 1u64 << v;
            match v.checked_add(step) {
                Some(next) => v = next,
                None => break,
            }
        }
    }
    Ok(set)
}

/// One value: a number in range or (month, day-of-week) a 3-letter name.
fn value(def: &FieldDef, s: &str, err: &dyn Fn(String) -> Error) -> Result<u8> {
    if s.is_empty() {
        return Err(err("missing value".to_string()));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        let range_err = || err(format!("{s} is out of range {}-{}", def.low, def.high));
        let n: u8 = s.parse().map_err(|_| range_err())?;
        if n < def.low || n > def.high {
            return Err(range_err());
        }
        return Ok(n);
    }
    let lower = s.to_ascii_lowercase();
    match def.names.iter().position(|n| *n == lower) {
        Some(i) => {
            let offset = u8::try_from(i).map_err(|_| err(format!("bad name {s:?}")))?;
            Ok(def.low + offset)
        }
        None if def.names.is_empty() => Err(err(format!(
            "{s:?} is not a number in range {}-{}",
            def.low, def.high
        ))),
        None => Err(err(format!(
            "{s:?} is not a number in range {}-{} or a name ({}-{})",
            def.low,
            def.high,
            def.names.first().copied().unwrap_or_default(),
            def.names.last().copied().unwrap_or_default()
        ))),
    }
}

/// Values of `set` within `low..=high` as systemd writes them: `*` when all
/// are set, else two-digit numbers, runs of 3 or more as `a..b`.
fn num_list(set: u64, low: u8, high: u8) -> String {
    let full = bits(low, high);
    if set & full == full {
        return "*".to_string();
    }
    let values: Vec<u8> = (low..=high).filter(|v| set & (1 << v) != 0).collect();
    runs(&values)
        .into_iter()
        .map(|(a, b)| match b - a {
            0 => format!("{a:02}"),
            1 => format!("{a:02},{b:02}"),
            _ => format!("{a:02}..{b:02}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Weekdays (bit 0 = Sunday) in systemd order Mon..Sun: `Mon..Fri`, `Mon,Wed`;
/// empty when every day is set (no weekday part on the line).
fn weekday_list(set: u64) -> String {
    if set & 0x7f == 0x7f {
        return String::new();
    }
    // Index 0 = Monday ... 6 = Sunday.
    let values: Vec<u8> = (0..7u8)
        .filter(|i| set & (1 << ((i + 1) % 7)) != 0)
        .collect();
    runs(&values)
        .into_iter()
        .map(|(a, b)| {
            let (na, nb) = (SYSTEMD_DOW[usize::from(a)], SYSTEMD_DOW[usize::from(b)]);
            match b - a {
                0 => na.to_string(),
                1 => format!("{na},{nb}"),
                _ => format!("{na}..{nb}"),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
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
    use crate::schedule::preview::next_elapses;
    use jiff::Timestamp;
    use jiff::civil::{Date, DateTime};
    use jiff::tz::TimeZone;

    fn compile(expr: &str, tz: &str) -> Vec<String> {
        CronExpr::parse(expr)
            .unwrap_or_else(|e| panic!("{expr}: {e:?}"))
            .on_calendar(tz)
    }

    /// Day numbers as systemd writes them: `01,03,...`.
    fn days(list: impl Iterator<Item = u8>) -> String {
        list.map(|d| format!("{d:02}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn compiles_to_on_calendar() {
        let odd_days = days((1..=31).step_by(2));
        let table: Vec<(&str, &str, Vec<String>)> = vec![
            (
                "0 9 * * 1-5",
                "Europe/Berlin",
                vec!["Mon..Fri *-*-* 09:00:00 Europe/Berlin".into()],
            ),
            (
                "*/15 * * * *",
                "UTC",
                vec!["*-*-* *:00,15,30,45:00 UTC".into()],
            ),
            ("* * * * *", "UTC", vec!["*-*-* *:*:00 UTC".into()]),
            (
                "0,1,2,3 * * * *",
                "UTC",
                vec!["*-*-* *:00..03:00 UTC".into()],
            ),
            (
                "5/20 * * * *",
                "UTC",
                vec!["*-*-* *:05,25,45:00 UTC".into()],
            ),
            (
                "0 8-18/2 * * *",
                "UTC",
                vec!["*-*-* 08,10,12,14,16,18:00:00 UTC".into()],
            ),
            ("0 9-17 * * *", "UTC", vec!["*-*-* 09..17:00:00 UTC".into()]),
            ("0 */1 * * *", "UTC", vec!["*-*-* *:00:00 UTC".into()]),
            (
                "30 4 * jan,JUL Sun",
                "UTC",
                vec!["Sun *-01,07-* 04:30:00 UTC".into()],
            ),
            ("0 0 * * 0", "UTC", vec!["Sun *-*-* 00:00:00 UTC".into()]),
            ("0 0 * * 7", "UTC", vec!["Sun *-*-* 00:00:00 UTC".into()]),
            (
                "0 0 * * 5-7",
                "UTC",
                vec!["Fri..Sun *-*-* 00:00:00 UTC".into()],
            ),
            (
                "0 0 * * sat,sun",
                "UTC",
                vec!["Sat,Sun *-*-* 00:00:00 UTC".into()],
            ),
            (
                "0 0 * * mon-fri/2",
                "UTC",
                vec!["Mon,Wed,Fri *-*-* 00:00:00 UTC".into()],
            ),
            ("0 0 * * 0-6", "UTC", vec!["*-*-* 00:00:00 UTC".into()]),
            (
                "0 0 * * */2",
                "UTC",
                vec!["Tue,Thu,Sat,Sun *-*-* 00:00:00 UTC".into()],
            ),
            (
                "0 12 29 2 *",
                "Asia/Kolkata",
                vec!["*-02-29 12:00:00 Asia/Kolkata".into()],
            ),
            (
                "0 0 1 */3 *",
                "UTC",
                vec!["*-01,04,07,10-01 00:00:00 UTC".into()],
            ),
            // Both day fields restricted: either matches (two lines).
            (
                "0 0 1,15 * 1",
                "UTC",
                vec![
                    "*-*-01,15 00:00:00 UTC".into(),
                    "Mon *-*-* 00:00:00 UTC".into(),
                ],
            ),
            (
                "0 0 1-7 * mon",
                "America/New_York",
                vec![
                    "*-*-01..07 00:00:00 America/New_York".into(),
                    "Mon *-*-* 00:00:00 America/New_York".into(),
                ],
            ),
            // The day-of-month part can never happen; the weekday still fires.
            (
                "0 0 31 4,6 1",
                "UTC",
                vec!["Mon *-04,06-* 00:00:00 UTC".into()],
            ),
            // `*/2` starts with `*`: not restricted in the OR sense, so AND.
            (
                "0 0 */2 * 1",
                "UTC",
                vec![format!("Mon *-*-{odd_days} 00:00:00 UTC")],
            ),
            (
                "0 0 1 * */2",
                "UTC",
                vec!["Tue,Thu,Sat,Sun *-*-01 00:00:00 UTC".into()],
            ),
            // Aliases.
            ("@yearly", "UTC", vec!["*-01-01 00:00:00 UTC".into()]),
            ("@annually", "UTC", vec!["*-01-01 00:00:00 UTC".into()]),
            ("@monthly", "UTC", vec!["*-*-01 00:00:00 UTC".into()]),
            ("@weekly", "UTC", vec!["Sun *-*-* 00:00:00 UTC".into()]),
            ("@daily", "UTC", vec!["*-*-* 00:00:00 UTC".into()]),
            ("@midnight", "UTC", vec!["*-*-* 00:00:00 UTC".into()]),
            (
                "@hourly",
                "Europe/Berlin",
                vec!["*-*-* *:00:00 Europe/Berlin".into()],
            ),
            ("@reboot", "UTC", vec![]),
        ];
        for (expr, tz, want) in table {
            assert_eq!(compile(expr, tz), want, "{expr}");
        }
        assert!(
            CronExpr::parse("@reboot")
                .map(|c| c.reboot())
                .unwrap_or(false)
        );
        assert!(
            !CronExpr::parse("@daily")
                .map(|c| c.reboot())
                .unwrap_or(true)
        );
    }

    #[test]
    fn errors_name_field_column_and_range() {
        let table: &[(&str, &str)] = &[
            (
                "0 24 * * *",
                "cron field 2 (hour): 24 is out of range 0-23 in \"0 24 * * *\"",
            ),
            (
                "60 * * * *",
                "cron field 1 (minute): 60 is out of range 0-59",
            ),
            (
                "* * 0 * *",
                "cron field 3 (day-of-month): 0 is out of range 1-31",
            ),
            (
                "* * 32 * *",
                "cron field 3 (day-of-month): 32 is out of range 1-31",
            ),
            (
                "* * * 13 *",
                "cron field 4 (month): 13 is out of range 1-12",
            ),
            (
                "* * * foo *",
                "cron field 4 (month): \"foo\" is not a number in range 1-12",
            ),
            (
                "* * * * 8",
                "cron field 5 (day-of-week): 8 is out of range 0-7",
            ),
            ("* * * * mon-", "cron field 5 (day-of-week): missing value"),
            ("* * * * monday", "cron field 5 (day-of-week)"),
            (
                "*/0 * * * *",
                "cron field 1 (minute): step 0 is out of range 1-59",
            ),
            (
                "*/x * * * *",
                "cron field 1 (minute): step \"x\" is not a number",
            ),
            (
                "5-1 * * * *",
                "cron field 1 (minute): range 5-1 runs backwards",
            ),
            ("1,,2 * * * *", "cron field 1 (minute): empty list item"),
            (
                "mon * * * *",
                "cron field 1 (minute): \"mon\" is not a number in range 0-59",
            ),
            (
                "* 99999999999 * * *",
                "cron field 2 (hour): 99999999999 is out of range 0-23",
            ),
            ("* * * * * *", "expected 5 fields"),
            ("* * * *", "expected 5 fields"),
            ("", "expected 5 fields"),
            ("@fortnightly", "unknown alias"),
        ];
        for (expr, want) in table {
            let e = CronExpr::parse(expr).expect_err(expr);
            assert!(e.message.contains(want), "{expr}: {}", e.message);
            assert!(e.hint.is_some(), "{expr}: no hint");
        }
        let e = CronExpr::parse("0 * * * * *").expect_err("six fields");
        assert!(e.hint.unwrap_or_default().contains("seconds"));
    }

    #[test]
    fn rejects_impossible_dates() {
        for expr in [
            "0 0 30 2 *",
            "0 0 31 4,6 *",
            "0 0 31 2,4,6,9,11 *",
            "0 0 30,31 feb */2",
        ] {
            let e = CronExpr::parse(expr).expect_err(expr);
            assert!(e.message.contains("never fires"), "{expr}: {}", e.message);
        }
        for expr in ["0 0 29 2 *", "0 0 31 4,6 mon", "0 0 31 * *", "0 0 30 1-2 *"] {
            assert!(CronExpr::parse(expr).is_ok(), "{expr}");
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        for expr in [
            "-",
            "*/",
            "/5",
            "1-2-3 * * * *",
            "a-b * * * *",
            "*/999 * * * *",
            "\u{1F600} * * * *",
            "@",
            "5/ * * * *",
            "-/- * * * *",
        ] {
            let _ = CronExpr::parse(expr);
        }
    }

    /// Cron's own rule (crontab(5)) evaluated directly on civil times, for
    /// zones without DST: the first `n` firings strictly after `base`.
    fn brute_force(c: &CronExpr, tz: &TimeZone, base: Timestamp, n: usize) -> Vec<Timestamp> {
        let mut out = Vec::new();
        let start: Date = base.to_zoned(tz.clone()).date();
        let mut day = start;
        for _ in 0..(366 * 8) {
            let dom = c.days & (1 << day.day()) != 0;
            let dow = c.weekdays & (1 << day.weekday().to_sunday_zero_offset()) != 0;
            let day_ok = if c.days_restricted && c.weekdays_restricted {
                dom || dow
            } else {
                dom && dow
            };
            if c.months & (1 << day.month()) != 0 && day_ok {
                for h in (0..24i8).filter(|h| c.hours & (1 << h) != 0) {
                    for m in (0..60i8).filter(|m| c.minutes & (1 << m) != 0) {
                        let dt = DateTime::from_parts(day, jiff::civil::time(h, m, 0, 0));
                        let t = tz.to_timestamp(dt).expect("in range");
                        if t > base {
                            out.push(t);
                            if out.len() == n {
                                return out;
                            }
                        }
                    }
                }
            }
            day = day.tomorrow().expect("in range");
        }
        out
    }

    /// systemd accepts every compiled line, and its next firings equal
    /// cron's rule evaluated directly.
    #[test]
    fn systemd_agrees_with_cron_rule() {
        let base: Timestamp = "2026-11-21T00:00:00Z".parse().expect("base");
        let exprs = [
            "*/15 * * * *",
            "0 9 * * 1-5",
            "0 0 1,15 * 1",
            "0 0 1-7 * mon",
            "0 0 31 4,6 1",
            "0 0 */2 * 1",
            "0 0 1 * */2",
            "30 4 * jan,jul sun",
            "0 0 * * 7",
            "0 0 * * 5-7",
            "0 8-18/2 * * *",
            "5/20 3 * * *",
            "0 12 29 2 *",
            "0 0 1 */3 *",
            "59 23 31 * *",
            "0 0 13 * fri",
            "@weekly",
            "@monthly",
            "@yearly",
            "@hourly",
            "0 0 1 * 0-7",
            "15 6 * * sat,sun",
            "0 */6 10-20/3 * *",
            "0 0 * 2 mon-wed",
        ];
        for zone in ["UTC", "Asia/Kolkata"] {
            let tz = TimeZone::get(zone).expect("zone");
            for expr in exprs {
                let c = CronExpr::parse(expr).expect(expr);
                let lines = c.on_calendar(zone);
                let got = next_elapses(&lines, 30, Some(base))
                    .unwrap_or_else(|e| panic!("{expr} -> {lines:?}: {e:?}"));
                // The brute force looks 8 years ahead: compare what it found.
                let want = brute_force(&c, &tz, base, 30);
                assert!(want.len() >= 2, "{expr}: too rare for this test");
                let got = &got[..want.len().min(got.len())];
                assert_eq!(got, &want[..], "{expr} in {zone}: {lines:?}");
            }
        }
    }

    #[test]
    fn weekday_job_in_berlin_fires_monday_0800_utc() {
        let lines = compile("0 9 * * 1-5", "Europe/Berlin");
        let base: Timestamp = "2026-11-21T00:00:00Z".parse().expect("base");
        let got = next_elapses(&lines, 1, Some(base)).expect("systemd-analyze");
        assert_eq!(
            got,
            vec!["2026-11-23T08:00:00Z".parse::<Timestamp>().expect("ts")]
        );
    }
}
