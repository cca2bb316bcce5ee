//! The one printer: everything piar prints on stdout goes through [`Printer`].
//!
//! With `--json` stdout carries JSON only (one document, or JSON lines for
//! streams); without it, human-readable text. A reader that closes the pipe
//! early (`piar list | head`) ends piar quietly (exit 0).

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Kind, Result};

/// Prints results on stdout, as text or JSON.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// `--json` was given.
    pub json: bool,
}

fn write_err(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::new(Kind::BrokenPipe, "stdout closed")
    } else {
        Error::failed(format!("cannot write to stdout: {e}"))
    }
}

impl Printer {
    /// Print `value` as pretty JSON followed by a newline.
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Error::failed(format!("cannot encode JSON: {e}")))?;
        self.raw(&format!("{text}\n"))
    }

    /// Print `value` as one line of compact JSON (JSON lines).
    pub fn json_line<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let text = serde_json::to_string(value)
            .map_err(|e| Error::failed(format!("cannot encode JSON: {e}")))?;
        self.raw(&format!("{text}\n"))
    }

    /// Print text as is.
    pub fn raw(&self, text: &str) -> Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes()).map_err(write_err)?;
        out.flush().map_err(write_err)
    }

    /// Print one line of text (a newline is added).
    pub fn line(&self, text: impl AsRef<str>) -> Result<()> {
        self.raw(&format!("{}\n", text.as_ref()))
    }

    /// Print an aligned table: a header row, then rows; columns separated by
    /// two spaces, the last column not padded.
    pub fn table(&self, headers: &[&str], rows: &[Vec<String>]) -> Result<()> {
        let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let fmt_row = |cells: Vec<&str>| {
            let last = cells.len().saturating_sub(1);
            let mut line = String::new();
            for (i, c) in cells.iter().enumerate() {
                line.push_str(c);
                if i < last {
                    let pad = widths[i] - c.chars().count() + 2;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            line.trim_end().to_string() + "\n"
        };
        let mut text = fmt_row(headers.to_vec());
        for row in rows {
            text.push_str(&fmt_row(row.iter().map(String::as_str).collect()));
        }
        self.raw(&text)
    }
}

/// Format an instant for humans: `2026-11-23 09:00:00 CET` in the system zone.
pub fn human_time(ts: jiff::Timestamp) -> String {
    ts.to_zoned(jiff::tz::TimeZone::system())
        .strftime("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// Microseconds since the epoch (CLOCK_REALTIME, as systemd reports) to an
/// instant; `None` for 0 (systemd's "never") or out-of-range values.
pub fn usec_to_timestamp(usec: u64) -> Option<jiff::Timestamp> {
    if usec == 0 || usec == u64::MAX {
        return None;
    }
    jiff::Timestamp::from_microsecond(i64::try_from(usec).ok()?).ok()
}

/// The one timestamp format of piar's output and records: RFC 3339 in UTC
/// with exactly three fractional digits (milliseconds, truncated), e.g.
/// `2026-12-02T12:00:00.123Z`. Every `--json` time (`started_at`,
/// `next_run`, `decided_at`, ...) has this form, so equal instants compare
/// equal as strings and sort as strings.
pub fn rfc3339(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// [`rfc3339`] of a stored time string in any RFC 3339 form (older records
/// have seconds or nanoseconds); a string that does not parse is returned
/// as it is.
pub fn normalize_time(text: &str) -> String {
    text.parse::<jiff::Timestamp>()
        .map(rfc3339)
        .unwrap_or_else(|_| text.to_string())
}

/// Now as [`rfc3339`] (`2026-11-21T12:00:00.123Z`): the form of the
/// manifest's `created`/`updated` and an approval's `decided_at`.
pub fn now_rfc3339() -> String {
    rfc3339(jiff::Timestamp::now())
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_timestamp_format() {
        let t: jiff::Timestamp = "2026-12-02T12:00:00.123456789Z".parse().unwrap();
        assert_eq!(super::rfc3339(t), "2026-12-02T12:00:00.123Z");
        assert_eq!(
            super::normalize_time("2026-12-02T13:00:00+01:00"),
            "2026-12-02T12:00:00.000Z"
        );
        assert_eq!(super::normalize_time("nonsense"), "nonsense");
        assert_eq!(super::now_rfc3339().len(), "2026-12-02T12:00:00.000Z".len());
    }
}
