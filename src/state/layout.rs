//! Every on-disk location piar uses, per scope.
//!
//! | what            | system scope                | user scope                                   |
//! |-----------------|-----------------------------|----------------------------------------------|
//! | unit files      | `/etc/systemd/system`       | `$XDG_CONFIG_HOME/systemd/user` (`~/.config/systemd/user`) |
//! | state (jobs, runs) | `/var/lib/piar`          | `$XDG_STATE_HOME/piar` (`~/.local/state/piar`) |
//!
//! | config (`approvers`) | `/etc/piar/config.toml` | `$XDG_CONFIG_HOME/piar/config.toml` (`~/.config/piar/config.toml`) |
//! | approval decisions | `/var/lib/piar/approvals/<job>.json` | `$XDG_STATE_HOME/piar/approvals/<job>.json` |
//!
//! `PIAR_CONFIG` overrides the config file (tests, and a deliberate choice of
//! the caller; it grants nothing the caller could not write anyway).
//! `PIAR_STATE_DIR` overrides the state directory (used by tests that do not
//! talk to systemd); unit directories are never overridden, because systemd
//! only reads its own search path (systemd.unit(5), "Unit File Load Path").

use std::path::PathBuf;

use crate::error::{Error, Result};

pub use crate::scope::Scope;

/// Resolved directories for one scope.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The scope these paths belong to.
    pub scope: Scope,
    /// Where piar writes `piar-<name>.service` / `.timer`.
    pub unit_dir: PathBuf,
    /// Root of piar's state: `jobs/`, `runs/`, `lock`.
    pub state_dir: PathBuf,
}

impl Paths {
    /// The paths for `scope`, from the environment (`HOME`, `XDG_CONFIG_HOME`,
    /// `XDG_STATE_HOME`, `PIAR_STATE_DIR`).
    ///
    /// Errors: user scope with neither `HOME` nor the XDG variables set.
    pub fn for_scope(scope: Scope) -> Result<Paths> {
        let env_dir = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
        };
        let (unit_dir, default_state) = match scope {
            Scope::System => (
                PathBuf::from("/etc/systemd/system"),
                PathBuf::from("/var/lib/piar"),
            ),
            Scope::User => {
                let home = env_dir("HOME");
                let config =
                    env_dir("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|h| h.join(".config")));
                let state = env_dir("XDG_STATE_HOME")
                    .or_else(|| home.as_ref().map(|h| h.join(".local/state")));
                match (config, state) {
                    (Some(c), Some(s)) => (c.join("systemd/user"), s.join("piar")),
                    _ => {
                        return Err(Error::invalid(
                            "user scope needs HOME (or XDG_CONFIG_HOME and XDG_STATE_HOME) to be set",
                        ));
                    }
                }
            }
        };
        let state_dir = env_dir("PIAR_STATE_DIR").unwrap_or(default_state);
        Ok(Paths {
            scope,
            unit_dir,
            state_dir,
        })
    }

    /// `<state>/jobs`: one `<name>.toml` manifest per job.
    pub fn jobs_dir(&self) -> PathBuf {
        self.state_dir.join("jobs")
    }

    /// `<state>/jobs/<name>.toml`.
    pub fn manifest(&self, name: &str) -> PathBuf {
        self.jobs_dir().join(format!("{name}.toml"))
    }

    /// `<state>/runs/<name>`: one `<run-id>.json` record per run, and a
    /// `<run-id>.lock` while its trigger lives ([`crate::ops::recover::RunLock`]).
    pub fn runs_dir(&self, name: &str) -> PathBuf {
        self.state_dir.join("runs").join(name)
    }

    /// `<state>/lock`: the lock that serialises every change to jobs and units.
    pub fn lock_file(&self) -> PathBuf {
        self.state_dir.join("lock")
    }

    /// `<state>/locks/<name>.lock`: serialises overlap checks of one job's runs.
    pub fn job_lock_file(&self, name: &str) -> PathBuf {
        self.state_dir.join("locks").join(format!("{name}.lock"))
    }

    /// `<state>/artifacts`: where relative `output` paths of artifacts go.
    pub fn artifacts_dir(&self) -> PathBuf {
        self.state_dir.join("artifacts")
    }

    /// `<state>/approvals`: one `<name>.json` decision per approved or rejected
    /// job, written only by `piar approve`/`piar reject`
    /// (`crate::state::approvals`). A manifest's `[approval]` table only says
    /// that approval is required; the decision is never read from it.
    pub fn approvals_dir(&self) -> PathBuf {
        self.state_dir.join("approvals")
    }

    /// `<state>/approvals/<name>.json`: the recorded decision of job `name`.
    pub fn approval_decision(&self, name: &str) -> PathBuf {
        self.approvals_dir().join(format!("{name}.json"))
    }

    /// The scope's config file: `$PIAR_CONFIG` if set (absolute), else
    /// `/etc/piar/config.toml` (system) or `$XDG_CONFIG_HOME/piar/config.toml`
    /// (user; `~/.config/piar/config.toml`). `None` in user scope without
    /// `HOME`/`XDG_CONFIG_HOME`. Read at call time, from the environment.
    pub fn config_file(&self) -> Option<PathBuf> {
        let env_dir = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
        };
        if let Some(p) = env_dir("PIAR_CONFIG") {
            return Some(p);
        }
        match self.scope {
            Scope::System => Some(PathBuf::from("/etc/piar/config.toml")),
            Scope::User => env_dir("XDG_CONFIG_HOME")
                .or_else(|| env_dir("HOME").map(|h| h.join(".config")))
                .map(|c| c.join("piar/config.toml")),
        }
    }

    /// `<state>/api`: the HTTP API's state (mode 0700): `tokens.json`.
    pub fn api_dir(&self) -> PathBuf {
        self.state_dir.join("api")
    }

    /// `<state>/api/tokens.json` (mode 0600): the API tokens, each stored as
    /// the SHA-256 of the token, never the token (`piar token`, docs/api.md).
    pub fn api_tokens_file(&self) -> PathBuf {
        self.api_dir().join("tokens.json")
    }

    /// `<state>/api/intake/<name>.toml`: the webhook intake template `name`
    /// (`POST /v1/intake/<name>`, docs/api.md), written by the administrator.
    pub fn intake_template(&self, name: &str) -> PathBuf {
        self.api_dir().join("intake").join(format!("{name}.toml"))
    }

    /// `<state>/api/job-types.toml`: pi-agent-runner job types -> allowlisted
    /// commands for the compatibility endpoints (`POST /jobs`, docs/api.md).
    pub fn api_job_types(&self) -> PathBuf {
        self.api_dir().join("job-types.toml")
    }

    /// Path of a unit file in this scope's unit directory.
    pub fn unit_file(&self, unit: &str) -> PathBuf {
        self.unit_dir.join(unit)
    }
}
