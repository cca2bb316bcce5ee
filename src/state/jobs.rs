//! The manifest store: `<state>/jobs/<name>.toml`, atomic writes, one lock.
//!
//! Every change goes through [`write_atomic`] (temp file in the same
//! directory, fsync, rename, fsync of the directory), so a reader sees the old
//! manifest or the new one, never a torn one, even across a power cut.
//! Commands that change manifests or unit files hold [`Store::lock`] for the
//! whole change, so concurrent `piar` processes never lose an update.

use std::fs::{self, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::durable::sync_dir;
use crate::error::{Error, Result};
use crate::model::manifest::validate::{validate, validate_name};
use crate::model::manifest::{Job, Manifest};
use crate::state::fs::write_atomic;
use crate::state::layout::Paths;

#[cfg(test)]
mod tests;

/// Mode of manifest files: world-readable, they hold no secrets.
pub const MANIFEST_MODE: u32 = 0o644;

/// Mode of directories piar creates under its state directory.
pub const DIR_MODE: u32 = 0o755;

/// Access to one scope's manifests.
pub struct Store {
    /// `<state>/jobs`.
    pub dir: PathBuf,
    /// `<state>/lock`.
    pub lock_path: PathBuf,
}

/// An exclusive lock on the whole store; released on drop.
pub struct StoreLock {
    _file: std::fs::File,
}

impl Store {
    /// The store for `paths` (directories created on first write).
    pub fn new(paths: &Paths) -> Store {
        Store {
            dir: paths.jobs_dir(),
            lock_path: paths.lock_file(),
        }
    }

    /// Take the exclusive lock (blocks until free). Every command that
    /// changes manifests or unit files holds it for the whole change.
    ///
    /// An advisory `flock(2)` on `<state>/lock` (created, with its directory,
    /// if missing); the kernel releases it if the process dies.
    pub fn lock(&self) -> Result<StoreLock> {
        if let Some(parent) = self.lock_path.parent() {
            create_dir(parent)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(MANIFEST_MODE)
            .open(&self.lock_path)
            .map_err(|e| Error::io("cannot open lock file", &self.lock_path, e))?;
        file.lock()
            .map_err(|e| Error::io("cannot lock", &self.lock_path, e))?;
        Ok(StoreLock { _file: file })
    }

    /// `<dir>/<name>.toml`, after checking `name` (so no name can point
    /// outside the jobs directory).
    fn path(&self, name: &str) -> Result<PathBuf> {
        validate_name(name)?;
        Ok(self.dir.join(format!("{name}.toml")))
    }

    /// Whether a manifest named `name` exists (`false` for an invalid name).
    pub fn exists(&self, name: &str) -> bool {
        self.path(name).is_ok_and(|p| p.is_file())
    }

    /// Load and validate one job. Errors: not found (exit 3), unparsable or
    /// invalid manifest (exit 2, naming the file and field), and a manifest
    /// whose `name` differs from its file name (exit 2).
    pub fn load(&self, name: &str) -> Result<Job> {
        let path = self.path(name)?;
        let Some(text) = self.read_raw(name)? else {
            return Err(Error::not_found(format!(
                "no job named {name:?} (no manifest at {})",
                path.display()
            ))
            .with_hint("`piar list` shows the jobs"));
        };
        let manifest = toml::from_str::<Manifest>(&text)
            .map_err(|e| Error::invalid(format!("{}: {e}", path.display())))?;
        if manifest.name != name {
            return Err(Error::invalid(format!(
                "{}: name = {:?} does not match the file name (expected {name:?})",
                path.display(),
                manifest.name
            )));
        }
        validate(manifest, None).map_err(|e| e.context(path.display()))
    }

    /// The raw TOML text of a manifest, if it exists.
    pub fn read_raw(&self, name: &str) -> Result<Option<String>> {
        let path = self.path(name)?;
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("cannot read manifest", &path, e)),
        }
    }

    /// Every job, sorted by name; manifests that fail to load are returned as
    /// `Err` entries (`(name, error)`) so `list` can show them instead of failing.
    ///
    /// Considers `*.toml` files only (not hidden ones, such as temp files of a
    /// write in progress). A missing jobs directory means no jobs.
    pub fn load_all(&self) -> Result<Vec<std::result::Result<Job, (String, crate::error::Error)>>> {
        Ok(self
            .names()?
            .into_iter()
            .map(|name| self.load(&name).map_err(|e| (name, e)))
            .collect())
    }

    /// The names of the stored manifests (`*.toml`, not hidden), in
    /// directory order; nothing is parsed. A missing directory means none.
    pub fn names(&self) -> Result<Vec<String>> {
        Ok(crate::state::fs::toml_files(&self.dir)?
            .into_iter()
            .map(|(name, _)| name)
            .collect())
    }

    /// Write a manifest atomically (temp file in the same directory, fsync,
    /// rename, fsync the directory). Caller holds the lock.
    pub fn save(&self, manifest: &Manifest) -> Result<()> {
        let text = toml::to_string(manifest).map_err(|e| {
            Error::failed(format!(
                "cannot write manifest of job {:?} as TOML: {e}",
                manifest.name
            ))
        })?;
        self.save_raw(&manifest.name, &text)
    }

    /// Write raw text atomically as `name`'s manifest (used for rollback).
    pub fn save_raw(&self, name: &str, text: &str) -> Result<()> {
        let path = self.path(name)?;
        create_dir(&self.dir)?;
        write_atomic(&path, text.as_bytes(), MANIFEST_MODE)
    }

    /// Remove a manifest (missing is not an error).
    pub fn remove(&self, name: &str) -> Result<()> {
        let path = self.path(name)?;
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.dir),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("cannot remove manifest", &path, e)),
        }
    }
}

/// Create `dir` and its parents with mode [`DIR_MODE`] (minus the umask).
fn create_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(|e| Error::io("cannot create directory", dir, e))
}
