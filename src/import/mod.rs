//! Importers: other schedulers' job definitions -> piar manifests.
//!
//! - [`crontab`]: crontab(5) files (user format and the /etc/cron.d format with
//!   a user column) -> one job per line.
//! - [`pi_agent_runner`]: pi-agent-runner's `pi-agent-runner.systemd-manifest.v1`
//!   JSON files -> one job per file, keeping the time zone.
//!
//! Both only build [`crate::model::manifest::Manifest`]s; `piar import`
//! (`commands::import`) validates and installs them with submit's machinery.

pub mod crontab;
pub mod pi_agent_runner;

use crate::error::Error;

/// A problem with one entry of the imported source (a crontab line, a JSON
/// file): where it is and what is wrong. The entry is not imported.
#[derive(Debug, Clone)]
pub struct EntryError {
    /// 1-based line number (crontab) or 0 when the entry is a whole file.
    pub line: usize,
    /// The file, for directory imports; `None` for a single crontab.
    pub file: Option<String>,
    /// What went wrong (message names the field; kind gives the exit code).
    pub error: Error,
}

/// A note about an entry that was still imported (e.g. `MAILTO` is ignored).
#[derive(Debug, Clone)]
pub struct Warning {
    /// 1-based line number, 0 for a whole file.
    pub line: usize,
    /// What piar does not carry over.
    pub message: String,
    /// What to do instead.
    pub hint: Option<String>,
}

/// The user name of the effective uid (`getpwuid(3)`), or the uid as text
/// when it has no passwd entry. Used for the crontab user column: the user a
/// job runs as in this scope.
pub fn effective_user() -> String {
    // SAFETY: geteuid cannot fail. getpwuid returns NULL or a pointer to static storage that
    // stays valid until the next getpwuid call; we copy the name out at once.
    unsafe {
        let uid = libc::geteuid();
        let pw = libc::getpwuid(uid);
        if pw.is_null() || (*pw).pw_name.is_null() {
            return uid.to_string();
        }
        std::ffi::CStr::from_ptr((*pw).pw_name)
            .to_string_lossy()
            .into_owned()
    }
}
