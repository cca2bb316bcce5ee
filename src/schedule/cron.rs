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
    /// The minute or hour text starts with `*` (or the alias is `@hourly`): cronie's
    /// `MIN_STAR`/`HR_STAR`, which make a job a "wildcard" job for its DST rule.
    wildcard_time: bool,
    /// Accepted oddities worth telling the user (a step larger than its field).
    warnings: Vec<String>,
}

impl CronExpr {
    /// Parse 5 fields or an alias. Errors name the field (`minute`, `hour`,
    /// `day-of-month`, `month`, `day-of-week`), its column and allowed range.
    ///
    /// Aliases (crontab(5)): `@yearly`/`@annually` = `0 0 1 1 *`, `@monthly` =
    /// `0 0 1 * *`, `@weekly` = `0 0 * * 0`, `@daily`/`@midnight` =
    /// `0 0 * * *`, `@hourly` = `0 * * * *`, `@reboot`. Expressions that can
    /// never fire (`0 0 30 2 *`, `0 0 31 2 *`) are rejected.
    ///
    /// As cronie (src/entry.c): only space and tab separate fields (any other
    /// white space, e.g. U+00A0 NO-BREAK SPACE, is an error naming the character and its
    /// column); a day-of-week range ending in 0 ends in 7 (`sat-sun` = `6-7`,
    /// `mon-0` = `1-7`); a range that still runs backwards (`fri-mon`) is an error whose
    /// hint offers the wrapped rewrite (`5-7,1`); a step larger than its range is
    /// accepted and selects the range's first value only (`*/61` = minute 0), with a
    /// warning in [`CronExpr::warnings`].
    pub fn parse(text: &str) -> Result<CronExpr> {
        check_separators(text)?;
        let trimmed = text.trim_matches(SEPARATORS);
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
        let fields: Vec<&str> = trimmed
            .split(SEPARATORS)
            .filter(|f| !f.is_empty())
            .collect();
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
        let mut warnings = Vec::new();
        for (i, (def, field)) in FIELDS.iter().zip(&fields).enumerate() {
            sets[i] = parse_field(def, field, text, &mut warnings)?;
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
            wildcard_time: fields[0].starts_with('*') || fields[1].starts_with('*'),
            warnings,
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

    /// Whether every hour is selected (`5 * * * *`).
    pub fn every_hour(&self) -> bool {
        self.hours & bits(0, 23) == bits(0, 23)
    }

    /// Whether this is a "fixed-time" job in cronie's sense: neither the minute nor the
    /// hour field starts with `*`, and it is not `@hourly` (cronie's `MIN_STAR`/`HR_STAR`
    /// flags, src/entry.c; Debian crontab(5): "Only jobs that run at a particular time
    /// (not specified as @hourly, nor with '*' in the hour or minute specifier)").
    /// `0,30 2 * * *` and `0-59 2 * * *` are fixed-time; `*/15 2 * * *` and `30 */2 * * *`
    /// are not. Only fixed-time jobs are caught up after a DST gap ([`super::dst`]).
    pub fn fixed_time(&self) -> bool {
        !self.wildcard_time
    }

    /// Things accepted as cronie accepts them but probably not meant, one sentence each:
    /// a step larger than its range (`*/61`: only minute 0). Empty for most expressions.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
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

/// Parse one field (`*`, `a`, `a-b`, with `/n`, comma lists) into a bit set; a step larger
/// than its range adds a sentence to `warnings`.
fn parse_field(def: &FieldDef, field: &str, text: &str, warnings: &mut Vec<String>) -> Result<u64> {
    let names = match def.name {
        "month" => " or jan-dec",
        "day-of-week" => " or sun-sat (0 and 7 are Sunday)",
        _ => "",
    };
    let general_hint = format!(
        "{} takes {}-{}{names}, `*`, lists a,b, ranges a-b and steps */n or a-b/n",
        def.name, def.low, def.high
    );
    let message = |detail: &str| {
        format!(
            "cron field {} ({}): {detail} in {text:?}",
            def.column, def.name
        )
    };
    let err = |detail: String| Error::invalid(message(&detail)).with_hint(general_hint.clone());
    let mut set = 0u64;
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err(format!("step {s:?} is not a number")));
                }
                // cronie reads the step with atoi(): any positive number. Above the
                // field's size every step selects the first value only, so clamp.
                let step: u32 = s.parse().unwrap_or(u32::MAX);
                if step == 0 {
                    return Err(err(format!("step 0 is out of range 1-{}", def.high)));
                }
                (r, Some(step))
            }
            None => (item, None),
        };
        let (start, end) = if range == "*" {
            (def.low, def.high)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, mut b) = (value(def, a, &err)?, value(def, b, &err)?);
            // cronie: a day-of-week range ending in Sunday-as-0 ends in Sunday-as-7.
            if def.name == "day-of-week" && b == 0 && a > 0 {
                b = 7;
            }
            if a > b {
                return Err(
                    Error::invalid(message(&format!("range {range} runs backwards")))
                        .with_hint(backwards_hint(def, a, b)),
                );
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
        if end > start && step > u32::from(end - start) {
            let unit = if def.name == "day-of-week" {
                "day of the week"
            } else {
                def.name
            };
            warnings.push(format!(
                "cron field {} ({}): step {step} is larger than the range {start}-{end} in {item:?}: only {unit} {start} matches (cronie accepts this too)",
                def.column, def.name
            ));
        }
        let mut v = u32::from(start);
        while v <= u32::from(end) {
            set |= 1u64 << v;
            v = v.saturating_add(step);
        }
    }
    Ok(set)
}

/// The hint for a backwards range `a-b` (`a > b`): the same days or values written as
/// two ranges that wrap around, e.g. `fri-mon` -> `5-7,1` or `fri,sat,sun,mon`.
fn backwards_hint(def: &FieldDef, a: u8, b: u8) -> String {
    // Day-of-week: 7 is Sunday, so the wrap needs no 0 (`5-7,1-2`).
    let (high, low) = if def.name == "day-of-week" {
        (7, 1)
    } else {
        (def.high, def.low)
    };
    let part = |x: u8, y: u8| match y.saturating_sub(x) {
        0 => format!("{x}"),
        _ => format!("{x}-{y}"),
    };
    let mut rewrite = part(a, high);
    if b >= low {
        rewrite.push(',');
        rewrite.push_str(&part(low, b));
    }
    let mut hint = format!(
        "ranges run from low to high ({} takes {}-{}); for the values from {a} round to {b} write {rewrite}",
        def.name, def.low, def.high
    );
    if !def.names.is_empty() {
        let name = |v: u8| {
            let i = usize::from(v - def.low) % def.names.len();
            def.names[i]
        };
        let mut words: Vec<&str> = (a..=high).map(name).collect();
        if b >= low {
            words.extend((low..=b).map(name));
        }
        words.dedup();
        hint.push_str(&format!(" or {}", words.join(",")));
    }
    hint
}

/// What separates cron fields: space and tab only (cronie's `Skip_Blanks`, src/entry.c).
const SEPARATORS: [char; 2] = [' ', '\t'];

/// Reject white space other than space and tab (and invisible format characters), naming
/// the character and its 1-based column: `U+00A0 NO-BREAK SPACE at column 2`. cronie ends
/// a field only at space or tab, so `0\u{a0}0 * * *` is not two fields there.
fn check_separators(text: &str) -> Result<()> {
    for (i, c) in text.chars().enumerate() {
        if SEPARATORS.contains(&c) {
            continue;
        }
        let odd = c.is_whitespace()
            || c.is_control()
            || matches!(
                c,
                '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{180e}'
            );
        if odd {
            let name = char_name(c);
            return Err(Error::invalid(format!(
                "cron: U+{:04X}{name} at column {} in {text:?}: only space and tab separate fields",
                u32::from(c),
                i + 1
            ))
            .with_hint("retype the expression with plain spaces (copying from web pages and chat often brings no-break spaces)"));
        }
    }
    Ok(())
}

/// ` NO-BREAK SPACE` for the characters people paste; empty for others.
fn char_name(c: char) -> &'static str {
    match c {
        '\n' => " LINE FEED",
        '\r' => " CARRIAGE RETURN",
        '\u{0b}' => " LINE TABULATION",
        '\u{0c}' => " FORM FEED",
        '\u{85}' => " NEXT LINE",
        '\u{a0}' => " NO-BREAK SPACE",
        '\u{1680}' => " OGHAM SPACE MARK",
        '\u{180e}' => " MONGOLIAN VOWEL SEPARATOR",
        '\u{2000}' => " EN QUAD",
        '\u{2001}' => " EM QUAD",
        '\u{2002}' => " EN SPACE",
        '\u{2003}' => " EM SPACE",
        '\u{2004}' => " THREE-PER-EM SPACE",
        '\u{2005}' => " FOUR-PER-EM SPACE",
        '\u{2006}' => " SIX-PER-EM SPACE",
        '\u{2007}' => " FIGURE SPACE",
        '\u{2008}' => " PUNCTUATION SPACE",
        '\u{2009}' => " THIN SPACE",
        '\u{200a}' => " HAIR SPACE",
        '\u{200b}' => " ZERO WIDTH SPACE",
        '\u{200c}' => " ZERO WIDTH NON-JOINER",
        '\u{200d}' => " ZERO WIDTH JOINER",
        '\u{2028}' => " LINE SEPARATOR",
        '\u{2029}' => " PARAGRAPH SEPARATOR",
        '\u{202f}' => " NARROW NO-BREAK SPACE",
        '\u{205f}' => " MEDIUM MATHEMATICAL SPACE",
        '\u{2060}' => " WORD JOINER",
        '\u{3000}' => " IDEOGRAPHIC SPACE",
        '\u{feff}' => " ZERO WIDTH NO-BREAK SPACE",
        _ => "",
    }
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
                "*/-1 * * * *",
                "cron field 1 (minute): step \"-1\" is not a number",
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

    /// cronie (src/entry.c): a day-of-week range ending in 0 ends in 7 (Sunday), so
    /// `sat-sun` is the weekend; truly backwards ranges are refused with the rewrite.
    #[test]
    fn weekday_ranges_ending_on_sunday() {
        let table: &[(&str, &str)] = &[
            ("0 0 * * sat-sun", "Sat,Sun *-*-* 00:00:00 UTC"),
            ("0 0 * * Sat-Sun", "Sat,Sun *-*-* 00:00:00 UTC"),
            ("0 0 * * fri-sun", "Fri..Sun *-*-* 00:00:00 UTC"),
            ("0 0 * * mon-sun", "*-*-* 00:00:00 UTC"),
            ("0 0 * * mon-0", "*-*-* 00:00:00 UTC"),
            ("0 0 * * 6-0", "Sat,Sun *-*-* 00:00:00 UTC"),
            ("0 0 * * 5-7", "Fri..Sun *-*-* 00:00:00 UTC"),
            ("0 0 * * sun-sun", "Sun *-*-* 00:00:00 UTC"),
            ("0 0 * * 0-0", "Sun *-*-* 00:00:00 UTC"),
            ("0 0 * * mon-sun/2", "Mon,Wed,Fri,Sun *-*-* 00:00:00 UTC"),
        ];
        for (expr, want) in table {
            assert_eq!(compile(expr, "UTC"), vec![want.to_string()], "{expr}");
        }
        let backwards: &[(&str, &str, &str)] = &[
            (
                "0 0 * * fri-mon",
                "range fri-mon runs backwards",
                "5-7,1 or fri,sat,sun,mon",
            ),
            (
                "0 0 * * 5-1",
                "range 5-1 runs backwards",
                "5-7,1 or fri,sat,sun,mon",
            ),
            (
                "0 0 * * sat-tue",
                "runs backwards",
                "6-7,1-2 or sat,sun,mon,tue",
            ),
            ("50-10 * * * *", "range 50-10 runs backwards", "50-59,0-10"),
            ("0 22-2 * * *", "runs backwards", "22-23,0-2"),
            (
                "0 0 * nov-feb *",
                "runs backwards",
                "11-12,1-2 or nov,dec,jan,feb",
            ),
        ];
        for (expr, msg, hint) in backwards {
            let e = CronExpr::parse(expr).expect_err(expr);
            assert!(e.message.contains(msg), "{expr}: {}", e.message);
            let h = e.hint.unwrap_or_default();
            assert!(h.contains(hint), "{expr}: {h}");
        }
    }

    /// Only space and tab separate fields (cronie); other white space is named.
    #[test]
    fn only_space_and_tab_separate_fields() {
        assert_eq!(compile("0\t0  *\t* *", "UTC"), compile("0 0 * * *", "UTC"));
        assert_eq!(
            compile(" \t0 0 * * * \t", "UTC"),
            compile("0 0 * * *", "UTC")
        );
        let table: &[(&str, &str)] = &[
            ("0\u{a0}0 * * *", "U+00A0 NO-BREAK SPACE at column 2"),
            ("0 0\u{2003}* * *", "U+2003 EM SPACE at column 4"),
            ("0\u{3000}0 * * *", "U+3000 IDEOGRAPHIC SPACE at column 2"),
            ("0\u{85}0 * * *", "U+0085 NEXT LINE at column 2"),
            ("0 0 * * *\n", "U+000A LINE FEED at column 10"),
            ("0\u{202f}0 * * *", "U+202F NARROW NO-BREAK SPACE"),
            ("0\u{200b}0 * * *", "U+200B ZERO WIDTH SPACE"),
            (
                "\u{feff}0 0 * * *",
                "U+FEFF ZERO WIDTH NO-BREAK SPACE at column 1",
            ),
            ("0 0 * * *\r", "U+000D CARRIAGE RETURN"),
        ];
        for (expr, want) in table {
            let e = CronExpr::parse(expr).expect_err(expr);
            assert!(e.message.contains(want), "{expr:?}: {}", e.message);
            assert!(e.message.contains("only space and tab"), "{}", e.message);
        }
    }

    /// cronie accepts a step larger than its range and runs at the range's first value;
    /// piar does the same and says so in [`CronExpr::warnings`].
    #[test]
    fn steps_larger_than_the_field_select_the_first_value() {
        let table: &[(&str, &str)] = &[
            ("*/61 * * * *", "*-*-* *:00:00 UTC"),
            ("*/60 * * * *", "*-*-* *:00:00 UTC"),
            ("*/999 * * * *", "*-*-* *:00:00 UTC"),
            ("*/99999999999 * * * *", "*-*-* *:00:00 UTC"),
            ("5/90 * * * *", "*-*-* *:05:00 UTC"),
            ("0 */24 * * *", "*-*-* 00:00:00 UTC"),
            ("0 0 10-20/15 * *", "*-*-10 00:00:00 UTC"),
            ("0 0 * */12 *", "*-01-* 00:00:00 UTC"),
        ];
        for (expr, want) in table {
            let c = CronExpr::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e:?}"));
            assert_eq!(c.on_calendar("UTC"), vec![want.to_string()], "{expr}");
            assert_eq!(c.warnings().len(), 1, "{expr}: {:?}", c.warnings());
            assert!(c.warnings()[0].contains("only"), "{:?}", c.warnings());
        }
        let w = CronExpr::parse("*/61 * * * *").expect("parse");
        assert_eq!(
            w.warnings()[0],
            "cron field 1 (minute): step 61 is larger than the range 0-59 in \"*/61\": only \
             minute 0 matches (cronie accepts this too)"
        );
        // Steps that fit warn about nothing.
        for expr in ["*/59 * * * *", "*/30 * * * *", "0 0 * * */6", "5 * * * *"] {
            let c = CronExpr::parse(expr).expect(expr);
            assert!(c.warnings().is_empty(), "{expr}: {:?}", c.warnings());
        }
    }

    /// cronie's MIN_STAR/HR_STAR: a job is fixed-time unless its minute or hour field starts
    /// with `*` (or it is @hourly).
    #[test]
    fn fixed_time_follows_cronie_flags() {
        for expr in [
            "30 2 * * *",
            "0,30 2 * * *",
            "0-59 2 * * *",
            "5/20 3 * * *",
            "@daily",
            "@weekly",
        ] {
            assert!(CronExpr::parse(expr).expect(expr).fixed_time(), "{expr}");
        }
        for expr in [
            "* 2 * * *",
            "*/20 3 * * *",
            "30 */2 * * *",
            "30 * * * *",
            "@hourly",
        ] {
            assert!(!CronExpr::parse(expr).expect(expr).fixed_time(), "{expr}");
        }
    }

    #[test]
    fn rejects_impossible_dates() {
        for expr in [
            "0 0 30 2 *",
            "0 0 31 4,6 *",
            "0 0 31 2,4,6,9,11 *",
            "0 0 30,31 feb */2",
            "0 0 31 2 *",
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
