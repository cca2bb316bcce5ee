//! Reading the journal with journalctl(1): the output tail of a run.

use crate::scope::Scope;

/// Most bytes of the run's output tail sent in `data.output_tail`.
pub const OUTPUT_TAIL_BYTES: usize = 4096;

/// The last [`OUTPUT_TAIL_BYTES`] of a run's journal output (system scope: the
/// `PIAR_RUN=<run_id>` field; user scope: the user unit `unit`) (`journalctl -o
/// cat`), cut at a line start; `None` when journalctl finds nothing.
pub fn output_tail(scope: Scope, run_id: &str, unit: &str) -> Option<String> {
    let mut cmd = std::process::Command::new("journalctl");
    cmd.args(["--no-pager", "--quiet", "-o", "cat", "-n", "50"]);
    match scope {
        Scope::System => {
            // The run unit's own lines only: the trigger's carry PIAR_RUN too.
            cmd.arg(format!("PIAR_RUN={run_id}"))
                .arg(format!("_SYSTEMD_UNIT={unit}"));
        }
        Scope::User => {
            // SAFETY: getuid has no preconditions and cannot fail.
            let uid = unsafe { libc::getuid() };
            cmd.arg(format!("_UID={uid}"))
                .arg(format!("_SYSTEMD_USER_UNIT={unit}"));
        }
    }
    let out = cmd.stdin(std::process::Stdio::null()).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.is_empty() {
        return None;
    }
    Some(tail(&text, OUTPUT_TAIL_BYTES))
}

/// The end of `text`, at most `max` bytes, starting at a line start when possible.
fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let cut = &text[start..];
    match cut.find('\n') {
        Some(i) if i + 1 < cut.len() => cut[i + 1..].to_string(),
        _ => cut.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_is_bounded_and_starts_at_a_line() {
        let text = "aaaa\nbbbb\ncccc\n";
        assert_eq!(tail(text, 100), text);
        assert_eq!(tail(text, 8), "cccc\n");
        let long = "é".repeat(3000);
        assert!(tail(&long, 4096).len() <= 4096);
    }
}
