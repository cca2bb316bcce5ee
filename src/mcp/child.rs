//! Run the piar CLI itself as a child process, bounded in time and output,
//! and turn its answer (exit code, `--json` stdout, JSON error on stderr)
//! into an MCP tool result.
//!
//! Every tool of `piar mcp` is one CLI invocation: `<current exe> --user|--system
//! --json VERB ARGS...`, an argv list (never a shell), stdin null or the given
//! bytes. That gives exactly the CLI's validation, errors, exit codes and JSON
//! shapes (docs/agents.md, docs/schemas/), and nothing a verb does can write to
//! the server's stdout, which is the JSON-RPC transport.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use crate::state::layout::Scope;

/// At most this many bytes of a child's stdout are read (4 MiB); a longer
/// answer is a tool error (`failed`) and the child is killed.
pub(super) const MAX_STDOUT: usize = 4 << 20;
/// At most this many bytes of a child's stderr are kept (64 KiB).
pub(super) const MAX_STDERR: usize = 64 << 10;

/// What one CLI invocation answered.
#[derive(Debug)]
pub struct CliOutput {
    /// The exit code (128+N when killed by signal N).
    pub code: i32,
    /// stdout, at most [`MAX_STDOUT`] bytes.
    pub stdout: Vec<u8>,
    /// stderr, at most [`MAX_STDERR`] bytes.
    pub stderr: Vec<u8>,
}

/// How the server runs the CLI: which binary, which scope.
#[derive(Debug, Clone)]
pub struct CliRunner {
    exe: PathBuf,
    scope: Scope,
}

impl CliRunner {
    /// The runner for `scope`: the `piar` binary named by
    /// [`super::CLI_ENV`] (set by `piar mcp`), else the `piar` next to this
    /// binary.
    pub fn new(scope: Scope) -> std::io::Result<CliRunner> {
        let exe = match std::env::var_os(super::CLI_ENV) {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => super::own_exe()?.with_file_name("piar"),
        };
        Ok(CliRunner { exe, scope })
    }

    /// Run `piar --<scope> --json ARGS...` with `stdin` (or /dev/null), for at
    /// most `timeout`; killed (SIGKILL, then reaped) on timeout, when `ct` is
    /// cancelled (the client cancelled the request or the server is closing)
    /// or when its stdout exceeds [`MAX_STDOUT`]. Errors are MCP tool results
    /// in the CLI's JSON error shape.
    pub async fn run(
        &self,
        args: Vec<String>,
        stdin: Option<Vec<u8>>,
        timeout: Duration,
        ct: &CancellationToken,
    ) -> Result<CliOutput, CallToolResult> {
        let scope_flag = match self.scope {
            Scope::System => "--system",
            Scope::User => "--user",
        };
        let mut argv: Vec<OsString> = vec![scope_flag.into(), "--json".into()];
        argv.extend(args.into_iter().map(OsString::from));
        let mut cmd = tokio::process::Command::new(&self.exe);
        cmd.args(&argv)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        log::debug!("mcp: running {} {argv:?}", self.exe.display());
        let mut child = cmd.spawn().map_err(|e| {
            tool_error(
                "failed",
                format!("cannot start {}: {e}", self.exe.display()),
                None,
                1,
            )
        })?;
        let mut child_in = child.stdin.take();
        let mut out = child.stdout.take().expect("stdout is piped");
        let mut err = child.stderr.take().expect("stderr is piped");
        let work = async {
            let feed = async {
                if let (Some(w), Some(bytes)) = (child_in.as_mut(), stdin.as_deref()) {
                    // A child that exits without reading is not an error here.
                    let _ = w.write_all(bytes).await;
                }
                drop(child_in.take());
            };
            let (_, o, e) = tokio::join!(
                feed,
                read_bounded(&mut out, MAX_STDOUT),
                read_bounded(&mut err, MAX_STDERR)
            );
            (o, e)
        };
        let outcome = tokio::select! {
            r = tokio::time::timeout(timeout, work) => Some(r),
            _ = ct.cancelled() => None,
        };
        let fail = |msg: String| tool_error("failed", msg, None, 1);
        match outcome {
            Some(Ok(((stdout, over), (stderr, _)))) if !over => {
                let status = child
                    .wait()
                    .await
                    .map_err(|e| fail(format!("waiting for piar: {e}")))?;
                use std::os::unix::process::ExitStatusExt;
                let code = status
                    .code()
                    .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
                Ok(CliOutput {
                    code,
                    stdout,
                    stderr,
                })
            }
            other => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                Err(fail(match other {
                    Some(Ok(_)) => format!("the answer exceeded {MAX_STDOUT} bytes"),
                    Some(Err(_)) => format!("piar did not answer within {}s", timeout.as_secs()),
                    None => "canceled".to_string(),
                }))
            }
        }
    }
}

/// Read `r` to its end, keeping at most `max` bytes; `true` if there was more.
async fn read_bounded<R: AsyncRead + Unpin>(r: &mut R, max: usize) -> (Vec<u8>, bool) {
    let mut buf = Vec::new();
    let mut limited = r.take(max as u64 + 1);
    let _ = limited.read_to_end(&mut buf).await;
    if buf.len() > max {
        buf.truncate(max);
        return (buf, true);
    }
    (buf, false)
}

/// A tool error in the CLI's JSON error shape (docs/schemas/error.json):
/// `{"error": {"code", "message", "hint", "exit_code"}}` as structured
/// content, and "error [CODE]: MESSAGE (hint: HINT)" as its text.
pub(super) fn tool_error(
    code: &str,
    message: String,
    hint: Option<String>,
    exit_code: i32,
) -> CallToolResult {
    let value = json!({"error": {
        "code": code, "message": message, "hint": hint, "exit_code": exit_code,
    }});
    error_result(value)
}

/// A tool error result carrying an `{"error": {...}}` object.
fn error_result(value: Value) -> CallToolResult {
    let e = &value["error"];
    let mut text = format!(
        "error [{}]: {}",
        e["code"].as_str().unwrap_or("failed"),
        e["message"].as_str().unwrap_or("")
    );
    if let Some(h) = e["hint"].as_str() {
        text.push_str(&format!(" (hint: {h})"));
    }
    let mut r = CallToolResult::structured_error(value);
    r.content = vec![ContentBlock::text(text)];
    r
}

/// The `error.code` the CLI uses for an exit code (src/error.rs `Kind`).
fn code_for_exit(code: i32) -> &'static str {
    match code {
        2 => "invalid",
        3 => "not_found",
        4 => "conflict",
        5 => "unreachable",
        6 => "permission",
        _ => "failed",
    }
}

impl CliOutput {
    /// The failure as a tool error: the CLI's JSON error object from stderr
    /// as is; for errors clap reports in text (a flag combination clap
    /// refuses), the same shape built from the exit code and the text.
    pub fn into_error(self) -> CallToolResult {
        let stderr = String::from_utf8_lossy(&self.stderr);
        // The JSON error is the last line; log lines may precede it.
        if let Some(v) = stderr
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["error"].is_object())
        {
            return error_result(v);
        }
        let text: String = stderr
            .lines()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more"))
            .collect::<Vec<_>>()
            .join(" ");
        let text = text.strip_prefix("error: ").unwrap_or(&text).to_string();
        let message = if text.is_empty() {
            format!("piar exited with status {}", self.code)
        } else {
            text
        };
        tool_error(code_for_exit(self.code), message, None, self.code)
    }

    /// stdout as one JSON value, if it is one.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.stdout).ok()
    }

    /// stdout as JSON lines (`piar logs --json`): every line that parses.
    pub fn json_lines(&self) -> Vec<Value> {
        String::from_utf8_lossy(&self.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

/// A successful tool result: `summary` as the text, `value` (an object) as
/// the structured content.
pub(super) fn ok_result(summary: String, value: Value) -> CallToolResult {
    let mut r = CallToolResult::structured(value);
    r.content = vec![ContentBlock::text(summary)];
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(code: i32, stderr: &str) -> CliOutput {
        CliOutput {
            code,
            stdout: Vec::new(),
            stderr: stderr.as_bytes().to_vec(),
        }
    }

    #[test]
    fn json_error_from_stderr_is_passed_through() {
        let r = out(
            3,
            "warn line\n{\"error\":{\"code\":\"not_found\",\"message\":\"no job x\",\"hint\":\"piar list\",\"exit_code\":3}}\n",
        )
        .into_error();
        assert_eq!(r.is_error, Some(true));
        let v = r.structured_content.unwrap();
        assert_eq!(v["error"]["code"], "not_found");
        assert_eq!(v["error"]["exit_code"], 3);
        let text = format!("{:?}", r.content);
        assert!(
            text.contains("no job x") && text.contains("hint: piar list"),
            "{text}"
        );
    }

    #[test]
    fn clap_text_error_gets_the_json_shape() {
        let r = out(
            2,
            "error: the argument '--at <TIME>' cannot be used with '--every <INTERVAL>'\n\nUsage: piar submit --at <TIME> [COMMAND]...\n\nFor more information, try '--help'.\n",
        )
        .into_error();
        let v = r.structured_content.unwrap();
        assert_eq!(v["error"]["code"], "invalid");
        assert_eq!(v["error"]["exit_code"], 2);
        let m = v["error"]["message"].as_str().unwrap();
        assert!(m.starts_with("the argument '--at <TIME>'"), "{m}");
        assert!(!m.contains("Usage"), "{m}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn bounded_read_reports_overflow() {
        let data = [b'x'; 100];
        let (buf, over) = read_bounded(&mut &data[..], 10).await;
        assert_eq!((buf.len(), over), (10, true));
        let (buf, over) = read_bounded(&mut &data[..], 100).await;
        assert_eq!((buf.len(), over), (100, false));
    }
}
