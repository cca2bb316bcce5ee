//! Typed errors with context, their stable exit codes and hints.
//!
//! Every failure piar reports is an [`Error`]: a [`Kind`] (which fixes the exit
//! code, see [`ExitStatus`]), a message naming what went wrong, and an optional
//! hint saying how to fix it. `--json` renders the same data as one JSON object
//! on stderr (see [`Error::to_json`]).

use std::fmt;

/// The process exit status piar uses; stable, documented in `piar --help` and
/// the README ("EXIT STATUS").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success.
    Success,
    /// 1: the operation (or the job, for `run --wait`) failed.
    Failure,
    /// 2: invalid invocation or input (bad flag, bad schedule, bad name...).
    Usage,
    /// 3: the named job or run does not exist.
    NotFound,
    /// 4: a job with that name already exists, or another conflict.
    Conflict,
    /// 5: the systemd manager (or its bus) cannot be reached.
    Unreachable,
    /// 6: permission denied (for example system scope as a non-root user).
    Permission,
    /// 75 (sysexits.h `EX_TEMPFAIL`): `wait` / `run --wait` gave up after
    /// `--timeout` while the run still goes on; try again later.
    WaitTimeout,
    /// A job's own exit status, passed through by `run --wait` and `trigger`
    /// (128+N for signal N, 124 for a timeout, as timeout(1) does).
    Job(u8),
}

impl ExitStatus {
    /// The numeric exit code (0..=255).
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Usage => 2,
            ExitStatus::NotFound => 3,
            ExitStatus::Conflict => 4,
            ExitStatus::Unreachable => 5,
            ExitStatus::Permission => 6,
            ExitStatus::WaitTimeout => WAIT_TIMEOUT_EXIT,
            ExitStatus::Job(c) => c,
        }
    }
}

/// What class of failure an [`Error`] is; decides the exit code and the
/// machine-readable `code` string in JSON errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Invalid input: a flag, a schedule, a name, a manifest field (exit 2).
    Invalid,
    /// A job or run that does not exist (exit 3).
    NotFound,
    /// A name that is taken, or another conflicting state (exit 4).
    Conflict,
    /// The systemd manager or D-Bus is unreachable (exit 5).
    Unreachable,
    /// Permission denied by the file system, D-Bus or polkit (exit 6).
    Permission,
    /// A wait (`piar wait`, `piar run --wait`) reached its `--timeout`
    /// before the run ended (exit 75, [`WAIT_TIMEOUT_EXIT`]).
    Timeout,
    /// Anything else: I/O, systemd refused an operation, ... (exit 1).
    Failed,
    /// stdout was closed by its reader (`piar list | head`): exit 0 quietly.
    BrokenPipe,
}

impl Kind {
    /// The stable machine-readable name used as `error.code` in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Invalid => "invalid",
            Kind::NotFound => "not_found",
            Kind::Conflict => "conflict",
            Kind::Unreachable => "unreachable",
            Kind::Permission => "permission",
            Kind::Timeout => "timeout",
            Kind::Failed => "failed",
            Kind::BrokenPipe => "broken_pipe",
        }
    }

    /// The exit status for this kind of error.
    pub fn exit_status(self) -> ExitStatus {
        match self {
            Kind::Invalid => ExitStatus::Usage,
            Kind::NotFound => ExitStatus::NotFound,
            Kind::Conflict => ExitStatus::Conflict,
            Kind::Unreachable => ExitStatus::Unreachable,
            Kind::Permission => ExitStatus::Permission,
            Kind::Timeout => ExitStatus::WaitTimeout,
            Kind::Failed => ExitStatus::Failure,
            Kind::BrokenPipe => ExitStatus::Success,
        }
    }
}

/// The exit code of a wait that timed out: 75, `EX_TEMPFAIL` of
/// sysexits.h ("temporary failure; try again later"). Not 1, which is a
/// job's own exit 1, nor 124, a job that hit its own `timeout`.
pub const WAIT_TIMEOUT_EXIT: u8 = 75;

/// A piar error: kind, message, optional hint.
#[derive(Debug, Clone)]
pub struct Error {
    /// The class of failure.
    pub kind: Kind,
    /// One sentence saying what went wrong, naming the field or object.
    pub message: String,
    /// How to fix it, if we know.
    pub hint: Option<String>,
}

/// `Result` with piar's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with `message`.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    /// Invalid input (exit 2).
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(Kind::Invalid, message)
    }

    /// Not found (exit 3).
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(Kind::NotFound, message)
    }

    /// Conflict (exit 4).
    pub fn conflict(message: impl Into<String>) -> Self {
        Error::new(Kind::Conflict, message)
    }

    /// Generic failure (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Error::new(Kind::Failed, message)
    }

    /// Attach a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Prefix the message with context (`"<ctx>: <message>"`).
    pub fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.message = format!("{ctx}: {}", self.message);
        self
    }

    /// An I/O error on `path`, classified (EACCES/EPERM -> permission,
    /// ENOENT -> not found, else failed).
    pub fn io(what: impl fmt::Display, path: &std::path::Path, err: std::io::Error) -> Self {
        let kind = match err.kind() {
            std::io::ErrorKind::PermissionDenied => Kind::Permission,
            std::io::ErrorKind::NotFound => Kind::NotFound,
            _ => Kind::Failed,
        };
        let e = Error::new(kind, format!("{what} {}: {err}", path.display()));
        if kind == Kind::Permission {
            e.with_hint("system scope needs root: run with sudo, or use --user for your own jobs")
        } else {
            e
        }
    }

    /// The JSON object printed on stderr under `--json`:
    /// `{"error": {"code": "...", "message": "...", "hint": "..."|null, "exit_code": N}}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "code": self.kind.as_str(),
                "message": self.message,
                "hint": self.hint,
                "exit_code": self.kind.exit_status().code(),
            }
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
