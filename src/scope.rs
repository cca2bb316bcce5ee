//! Which systemd manager piar talks to: the system manager or the calling
//! user's (systemd(1), `--system`/`--user`).

/// Which systemd manager piar talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The system manager (PID 1) on the system bus; needs root.
    System,
    /// The calling user's manager (`user@UID.service`) on the session bus.
    User,
}

impl Scope {
    /// The default scope: system when running as root, user otherwise.
    pub fn default_for_euid() -> Scope {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            Scope::System
        } else {
            Scope::User
        }
    }

    /// The global flag that selects this scope (`--system` / `--user`).
    pub fn flag(self) -> &'static str {
        match self {
            Scope::System => "--system",
            Scope::User => "--user",
        }
    }

    /// `"system"` or `"user"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::System => "system",
            Scope::User => "user",
        }
    }
}
