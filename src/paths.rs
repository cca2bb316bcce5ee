//! Every on-disk location piar uses, per scope.
//!
//! | what            | system scope                | user scope                                   |
//! |-----------------|-----------------------------|----------------------------------------------|
//! | unit files      | `/etc/systemd/system`       | `$XDG_CONFIG_HOME/systemd/user` (`~/.config/systemd/user`) |
//! | state (jobs, runs) | `/var/lib/piar`          | `$XDG_STATE_HOME/piar` (`~/.local/state/piar`) |
//!
//! `PIAR_STATE_DIR` overrides the state directory (used by tests that do not
//! talk to systemd); unit directories are never overridden, because systemd
//! only reads its own search path (systemd.unit(5), "Unit File Load Path").

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

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
    /// `<run-id>.lock` while its trigger lives ([`crate::recover::RunLock`]).
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

    /// Path of a unit file in this scope's unit directory.
    pub fn unit_file(&self, unit: &str) -> PathBuf {
        self.unit_dir.join(unit)
    }
}

/// Create `dir` (and parents) with mode 0755 if missing.
///
/// A directory it creates is made durable (its parent fsynced, crate::durable), so files
/// written into it survive a power cut together with it.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create directory", dir, e))?;
    crate::durable::sync_parent(dir)
}

/// The entries of `dir` as (file name, path), sorted by name. A missing
/// directory has none; names that are not UTF-8 are converted lossily.
/// Errors: the directory or an entry cannot be read (naming `dir`).
pub fn dir_entries(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let read_err = |e| Error::io("cannot read directory", dir, e);
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(read_err(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(read_err)?;
        out.push((
            entry.file_name().to_string_lossy().into_owned(),
            entry.path(),
        ));
    }
    out.sort();
    Ok(out)
}

/// The `*.toml` files of `dir` as (stem, path), sorted; hidden files (such
/// as the temp file of a write in progress) are skipped. A missing directory
/// has none.
pub fn toml_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    Ok(dir_entries(dir)?
        .into_iter()
        .filter(|(name, _)| !name.starts_with('.'))
        .filter_map(|(name, path)| Some((name.strip_suffix(".toml")?.to_string(), path)))
        .collect())
}
