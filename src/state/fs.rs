//! File-system primitives every store under the state directory uses:
//! atomic writes (temp file, `fsync`, `rename`, `fsync` of the directory),
//! directory creation and sorted directory listings.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::durable::{sync_dir, sync_parent};
use crate::error::{Error, Result};

/// Write `contents` to `path` atomically: temp file in the same directory,
/// `fsync`, `rename`, `fsync` of the directory. The file gets `mode` (exactly:
/// set with chmod, so the umask does not apply). The directory must exist.
pub fn write_atomic(path: &std::path::Path, contents: &[u8], mode: u32) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::io("cannot create a temporary file in", dir, e))?;
    // Errors name the target: the temp file's random name means nothing to the user.
    let write_err = |e| Error::io("cannot write", path, e);
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))
        .map_err(write_err)?;
    tmp.write_all(contents).map_err(write_err)?;
    tmp.as_file().sync_all().map_err(write_err)?;
    tmp.persist(path)
        .map_err(|e| Error::io("cannot write", path, e.error))?;
    sync_dir(dir)
}

/// Create `dir` (and parents) with mode 0755 if missing; a directory it creates is made
/// durable (its parent fsynced, [`crate::durable`]).
pub fn ensure_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create directory", dir, e))?;
    sync_parent(dir)
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
