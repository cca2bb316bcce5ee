//! A run's output artifact as data: the path rules of the job's `output`
//! template, the capture/destination pair of one run, and the rendered
//! input of one run. Pure: the I/O is `crate::ops::trigger::artifact`.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// Suffix of the failure note written next to the artifact path.
pub const FAILED_SUFFIX: &str = ".failed";

/// Where one run's stdout is captured and where it is saved.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    /// The artifact path (absolute).
    pub dest: PathBuf,
    /// The capture file the run unit writes, in the same directory.
    pub capture: PathBuf,
    /// `fail_on_empty_output`: a succeeded run whose capture is empty is
    /// recorded as failed (`crate::ops::trigger::artifact::finish_target`).
    #[serde(default)]
    pub fail_if_empty: bool,
}

impl Target {
    /// The target for a rendered `output` path; relative paths go under
    /// `artifacts_dir` (`<state>/artifacts`, `crate::state::layout::Paths::artifacts_dir`). Errors (exit 2): see [`check_rendered`].
    pub fn new(artifacts_dir: &Path, rendered: &str, run_id: &str) -> Result<Target> {
        check_rendered(rendered)?;
        let path = Path::new(rendered);
        let dest: PathBuf = if path.is_absolute() {
            path.components().collect()
        } else {
            artifacts_dir.join(path)
        };
        let file = dest
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .ok_or_else(|| Error::invalid(format!("output: {rendered:?} names no file")))?;
        let dir = dest.parent().unwrap_or(Path::new("/"));
        let capture = dir.join(format!(".{file}.piar-{run_id}.part"));
        Ok(Target {
            dest,
            capture,
            fail_if_empty: false,
        })
    }

    /// `<dest>.failed`.
    pub fn failed_path(&self) -> PathBuf {
        let mut p = self.dest.clone().into_os_string();
        p.push(FAILED_SUFFIX);
        PathBuf::from(p)
    }
}

/// Check a rendered `output` path: non-empty, no NUL or control characters,
/// no `..` component, not ending in `/`, not `/`. Errors: exit 2, naming
/// `output`.
pub fn check_rendered(rendered: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::invalid(format!(
            "output: the rendered path {rendered:?} {why}"
        )))
    };
    if rendered.is_empty() {
        return bad("is empty");
    }
    if rendered.chars().any(char::is_control) {
        return bad("contains a control character");
    }
    if rendered.ends_with('/') {
        return bad("ends in '/'; expected a file path");
    }
    let path = Path::new(rendered);
    if path.components().any(|c| c == Component::ParentDir) {
        return bad("contains a '..' component, which could escape its directory");
    }
    if !path.components().any(|c| matches!(c, Component::Normal(_))) {
        return bad("names no file");
    }
    Ok(())
}

/// A job's templated input, rendered for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInput {
    /// The bytes on the run's standard input (`None`: none, i.e. /dev/null).
    pub stdin: Option<Vec<u8>>,
    /// argv with `command[1..]` rendered when `template_args` is set.
    pub command: Vec<String>,
    /// Where stdout is captured while the run is active, and where it goes.
    pub output: Option<Target>,
    /// `PIAR_SCHEDULED_FOR`: when the run was due, else its start (RFC 3339, UTC).
    pub scheduled_for: String,
}
