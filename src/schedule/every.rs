//! Intervals for `--every`.

use std::time::Duration;

use crate::error::Result;

/// Parse an interval in humantime syntax: `90s`, `15m`, `6h`, `1d`, `1h30m`.
/// Errors (exit 2): unparsable, zero, or below 1 s.
pub fn parse_every(text: &str) -> Result<Duration> {
    todo!("{text}")
}

/// Format a duration the way systemd.time(7) accepts it (`1h 30min`, `90s`).
pub fn format_systemd(d: Duration) -> String {
    todo!("{d:?}")
}
