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

/// systemd's catalog ids of the manager's messages about a unit's end (sd-messages.h):
/// "Main process exited" (`EXIT_CODE=`, `EXIT_STATUS=`), "Deactivated successfully",
/// "Failed with result" (`UNIT_RESULT=`). All are logged by systemd >= 248 (252 is piar's floor).
const MSG_PROCESS_EXIT: &str = "98e322203f7a4ed290d09fe03c09fe15";
const MSG_UNIT_SUCCESS: &str = "7ad2d189f7e94e70a38c781354912448";
const MSG_UNIT_FAILURE: &str = "d9b373ed55a64feb8242e02dbe79a49c";
const MSG_UNIT_STARTED: &str = "39f53479d3a045ac8e11786248231fbf";

/// How a unit's invocation ended, as the manager logged it in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JournalOutcome {
    /// systemd's `Result`: `success`, or the failure message's `UNIT_RESULT=`
    /// (`exit-code`, `signal`, `timeout`, ...); `None` when no end was logged.
    pub result: Option<String>,
    /// The main process's exit status, when it exited (`EXIT_CODE=exited`).
    pub exit_code: Option<i32>,
    /// The signal that killed it (`SIGKILL`), when it was killed or dumped core.
    pub signal: Option<String>,
    /// The invocation id of the entries read (32 hex digits).
    pub invocation_id: Option<String>,
    /// When the unit was started ("Started ..." entry), µs since the epoch.
    pub started_usec: Option<u64>,
    /// When its end was logged (the success/failure entry), µs since the epoch.
    pub finished_usec: Option<u64>,
    /// The newest entry about the unit, µs since the epoch: where a run without a logged
    /// end was last seen alive.
    pub last_seen_usec: Option<u64>,
}

/// Read from the journal how `unit`'s invocation `invocation_id` (or, without one, its last
/// invocation) ended: the manager's own structured messages (system scope: `_PID=1
/// UNIT=unit`; user scope: the calling user's manager, `_UID=uid USER_UNIT=unit`), read
/// with `journalctl -o json`. `None` when journalctl cannot run or finds no entry at all
/// (journal lost in a power cut, rotated, or the unit never started); an outcome with
/// `result: None` when the unit was seen but no end was logged.
pub fn unit_outcome(
    scope: Scope,
    unit: &str,
    invocation_id: Option<&str>,
) -> Option<JournalOutcome> {
    let mut cmd = std::process::Command::new("journalctl");
    cmd.args(["--no-pager", "--quiet", "-o", "json"]);
    match scope {
        Scope::System => {
            cmd.arg("_PID=1").arg(format!("UNIT={unit}"));
            if let Some(id) = invocation_id {
                cmd.arg(format!("INVOCATION_ID={id}"));
            }
        }
        Scope::User => {
            // SAFETY: getuid has no preconditions and cannot fail.
            let uid = unsafe { libc::getuid() };
            cmd.arg(format!("_UID={uid}"))
                .arg(format!("USER_UNIT={unit}"));
            if let Some(id) = invocation_id {
                cmd.arg(format!("USER_INVOCATION_ID={id}"));
            }
        }
    }
    let out = cmd
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    parse_outcome(&String::from_utf8_lossy(&out.stdout))
}

/// [`unit_outcome`]'s parser: `journalctl -o json` lines, oldest first. Only the last
/// invocation seen counts.
fn parse_outcome(text: &str) -> Option<JournalOutcome> {
    let field =
        |v: &serde_json::Value, k: &str| v.get(k).and_then(|f| f.as_str()).map(str::to_string);
    let mut found: Option<JournalOutcome> = None;
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let inv = field(&v, "INVOCATION_ID").or_else(|| field(&v, "USER_INVOCATION_ID"));
        let at = field(&v, "__REALTIME_TIMESTAMP").and_then(|t| t.parse::<u64>().ok());
        let o = found.get_or_insert_with(JournalOutcome::default);
        if inv.is_some() && o.invocation_id.is_some() && inv != o.invocation_id {
            *o = JournalOutcome::default(); // a later invocation: start over
        }
        if inv.is_some() {
            o.invocation_id = inv;
        }
        o.last_seen_usec = at.or(o.last_seen_usec);
        match field(&v, "MESSAGE_ID").as_deref() {
            Some(MSG_UNIT_STARTED) => o.started_usec = at,
            Some(MSG_PROCESS_EXIT) => {
                let status = field(&v, "EXIT_STATUS").unwrap_or_default();
                match field(&v, "EXIT_CODE").as_deref() {
                    Some("exited") => o.exit_code = status.parse().ok(),
                    Some("killed" | "dumped") => {
                        o.signal = Some(match status.parse::<i32>() {
                            Ok(n) => format!("SIG{n}"),
                            Err(_) if status.starts_with("SIG") => status,
                            Err(_) => format!("SIG{status}"),
                        })
                    }
                    _ => {}
                }
            }
            Some(MSG_UNIT_SUCCESS) => {
                o.result = Some("success".into());
                o.finished_usec = at;
                if o.exit_code.is_none() && o.signal.is_none() {
                    o.exit_code = Some(0);
                }
            }
            Some(MSG_UNIT_FAILURE) => {
                o.result = Some(field(&v, "UNIT_RESULT").unwrap_or_else(|| "failed".into()));
                o.finished_usec = at;
            }
            _ => {}
        }
    }
    found
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
    fn reads_the_end_of_the_last_invocation() {
        let line = |id: &str, inv: &str, at: u64, extra: &str| {
            format!(
                r#"{{"MESSAGE_ID":"{id}","INVOCATION_ID":"{inv}","__REALTIME_TIMESTAMP":"{at}"{extra}}}"#
            )
        };
        let text = [
            line(MSG_UNIT_STARTED, "a", 10, ""),
            line(
                MSG_PROCESS_EXIT,
                "a",
                20,
                r#","EXIT_CODE":"exited","EXIT_STATUS":"3""#,
            ),
            line(MSG_UNIT_FAILURE, "a", 21, r#","UNIT_RESULT":"exit-code""#),
        ]
        .join("\n");
        let o = parse_outcome(&text).expect("outcome");
        assert_eq!(o.result.as_deref(), Some("exit-code"));
        assert_eq!(o.exit_code, Some(3));
        assert_eq!((o.started_usec, o.finished_usec), (Some(10), Some(21)));
        let text = format!(
            "{text}\n{}\n{}",
            line(MSG_UNIT_STARTED, "b", 30, ""),
            line(
                MSG_PROCESS_EXIT,
                "b",
                40,
                r#","EXIT_CODE":"killed","EXIT_STATUS":"KILL""#
            )
        );
        let o = parse_outcome(&text).expect("outcome");
        assert_eq!(o.invocation_id.as_deref(), Some("b"));
        assert_eq!(o.result, None, "no end logged for b");
        assert_eq!(o.signal.as_deref(), Some("SIGKILL"));
        assert_eq!(o.last_seen_usec, Some(40));
        let ok = line(MSG_UNIT_SUCCESS, "c", 50, "");
        let o = parse_outcome(&ok).expect("outcome");
        assert_eq!(
            (o.result.as_deref(), o.exit_code),
            (Some("success"), Some(0))
        );
        assert_eq!(parse_outcome(""), None);
    }

    #[test]
    fn tail_is_bounded_and_starts_at_a_line() {
        let text = "aaaa\nbbbb\ncccc\n";
        assert_eq!(tail(text, 100), text);
        assert_eq!(tail(text, 8), "cccc\n");
        let long = "é".repeat(3000);
        assert!(tail(&long, 4096).len() <= 4096);
    }
}
