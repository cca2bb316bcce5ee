//! The manifest store: `<state>/jobs/<name>.toml`, atomic writes, one lock.

use std::path::PathBuf;

use super::{Job, Manifest};
use crate::error::Result;
use crate::paths::Paths;

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
        todo!("{paths:?}")
    }

    /// Take the exclusive lock (blocks until free). Every command that
    /// changes manifests or unit files holds it for the whole change.
    pub fn lock(&self) -> Result<StoreLock> {
        todo!()
    }

    /// Whether a manifest named `name` exists.
    pub fn exists(&self, name: &str) -> bool {
        todo!("{name}")
    }

    /// Load and validate one job. Errors: not found (exit 3), unparsable or
    /// invalid manifest (exit 2, naming the file and field).
    pub fn load(&self, name: &str) -> Result<Job> {
        todo!("{name}")
    }

    /// The raw TOML text of a manifest, if it exists.
    pub fn read_raw(&self, name: &str) -> Result<Option<String>> {
        todo!("{name}")
    }

    /// Every job, sorted by name; manifests that fail to load are returned as
    /// `Err` entries (`(name, error)`) so `list` can show them instead of failing.
    pub fn load_all(&self) -> Result<Vec<std::result::Result<Job, (String, crate::error::Error)>>> {
        todo!()
    }

    /// Write a manifest atomically (temp file in the same directory, fsync,
    /// rename, fsync the directory). Caller holds the lock.
    pub fn save(&self, manifest: &Manifest) -> Result<()> {
        todo!("{manifest:?}")
    }

    /// Write raw text atomically as `name`'s manifest (used for rollback).
    pub fn save_raw(&self, name: &str, text: &str) -> Result<()> {
        todo!("{name}{text}")
    }

    /// Remove a manifest (missing is not an error).
    pub fn remove(&self, name: &str) -> Result<()> {
        todo!("{name}")
    }
}

/// Write `contents` to `path` atomically: temp file in the same directory,
/// `fsync`, `rename`, `fsync` of the directory. The file gets `mode`.
pub fn write_atomic(path: &std::path::Path, contents: &[u8], mode: u32) -> Result<()> {
    todo!("{path:?}{contents:?}{mode}")
}
