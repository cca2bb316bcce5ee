//! Limits on what may reach a unit file: one line, no control characters,
//! at most [`VALUE_MAX`] bytes. A leaf rule shared by the manifest
//! validation, the schedule compiler and the unit renderer.

use crate::error::{Error, Result};

/// The longest value (in bytes) [`check_value`] lets onto one unit-file line.
/// systemd refuses lines above 1 MiB (LONG_LINE_MAX); nothing piar writes
/// legitimately comes near this (paths are at most 4095 bytes, PATH_MAX).
pub const VALUE_MAX: usize = 4096;

/// Reject a value that cannot be written safely on one unit-file line:
/// control characters (newline, CR, NUL, tab, DEL, ...: anything below U+0020
/// and U+007F), a trailing backslash (a line continuation, systemd.syntax(7)),
/// and values longer than [`VALUE_MAX`] bytes. `field` names the manifest field
/// in the error (exit 2).
pub fn check_value(field: &str, value: &str) -> Result<()> {
    if let Some((pos, c)) = value.char_indices().find(|&(_, c)| is_control(c)) {
        return Err(Error::invalid(format!(
            "{field}: contains {} at byte {pos}; unit-file values must be one line \
             without control characters",
            describe_control(c)
        )));
    }
    if value.ends_with('\\') {
        return Err(Error::invalid(format!(
            "{field}: ends with a backslash, which systemd reads as a line continuation \
             (systemd.syntax(7)); remove it"
        )));
    }
    if value.len() > VALUE_MAX {
        return Err(Error::invalid(format!(
            "{field}: is {} bytes long; at most {VALUE_MAX} bytes fit on a unit-file line",
            value.len()
        )));
    }
    Ok(())
}

/// Whether `c` is a character [`check_value`] and `crate::units::render::quote_exec_arg` refuse.
pub fn is_control(c: char) -> bool {
    c < ' ' || c == '\u{7f}'
}

/// `a newline (U+000A)`, `a NUL byte (U+0000)`, ... for error messages.
pub fn describe_control(c: char) -> String {
    let code = c as u32;
    match c {
        '\n' => format!("a newline (U+{code:04X})"),
        '\r' => format!("a carriage return (U+{code:04X})"),
        '\0' => format!("a NUL byte (U+{code:04X})"),
        '\t' => format!("a tab (U+{code:04X})"),
        _ => format!("a control character (U+{code:04X})"),
    }
}

/// Check a secret name: `[a-z0-9][a-z0-9_-]{0,62}` (like job names), so it
/// is a safe file name. Errors: exit 2, naming the name.
pub fn validate_secret_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "secret name {name:?}: expected [a-z0-9][a-z0-9_-]{{0,62}}"
        )))
    }
}
