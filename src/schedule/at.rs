//! One-shot times for `--at`, and time-zone helpers.

use crate::error::Result;

/// Validate an IANA time zone name (`Europe/Berlin`, `UTC`) against jiff's
/// database. Errors: unknown name (exit 2), with a hint; fixed offsets like
/// `UTC+05:30` are rejected because systemd accepts IANA names only.
pub fn validate_tz(name: &str) -> Result<jiff::tz::TimeZone> {
    todo!("{name}")
}

/// The system's IANA zone name (from `/etc/localtime` via jiff), `UTC` if it
/// has none.
pub fn system_tz_name() -> String {
    todo!()
}

/// Resolve what the user wrote after `--at` into an instant.
///
/// Accepts RFC 3339 with offset, `YYYY-MM-DD HH:MM[:SS]` (read in `tz`),
/// relative `in 5m`, `in 2 hours`, `+90s`. Errors (exit 2): unparsable text,
/// a time in the past (relative to `now`), a local time that falls in a DST
/// gap (nearest valid times suggested).
pub fn resolve_at(text: &str, tz: &str, now: jiff::Timestamp) -> Result<jiff::Timestamp> {
    todo!("{text}{tz}{now}")
}

/// The `OnCalendar=` spec for one instant, in UTC with second precision:
/// `2026-12-01 08:00:00 UTC`.
pub fn on_calendar_utc(at: jiff::Timestamp) -> String {
    todo!("{at}")
}
