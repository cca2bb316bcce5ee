//! Durability: what makes a change survive a power cut once piar has returned 0.
//!
//! A written file is durable after `fsync` of the file; a created, renamed or removed
//! directory entry (rename, symlink, unlink, mkdir) only after `fsync` of the DIRECTORY
//! that holds it (fsync(2), "Calling fsync() does not necessarily ensure that the entry in
//! the directory containing the file has also reached disk"). Measured on ext4 with a real
//! power cut (tests/box/powercut.sh): without the directory fsync, the `timers.target.wants/`
//! link of a just-enabled timer and the unlink of a removed unit file were lost.
//!
//! Every such site in piar goes through this module (files: `state::fs::write_atomic`,
//! which fsyncs the file and its directory; entries: the functions below), so the rule lives
//! in one place. Errors are [`Error::io`] naming the path (exit 1).

use std::fs::File;
use std::io::ErrorKind;
use std::path::Path;

use crate::error::{Error, Result};

/// `fsync` directory `dir`, making the entries created, renamed or removed in it durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("cannot sync directory", dir, e))
}

/// `fsync` the directory holding `path` (`.` for a bare name).
pub fn sync_parent(path: &Path) -> Result<()> {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => sync_dir(d),
        _ => sync_dir(Path::new(".")),
    }
}

/// Remove file `path` durably (unlink, then `fsync` of its directory). A missing file is
/// not an error (nothing to make durable). Errors name `path`.
pub fn remove_file(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => sync_parent(path),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("cannot remove", path, e)),
    }
}

/// Make the links that `EnableUnitFiles`/`DisableUnitFiles` created or removed durable:
/// `changes` is their `(type, file, destination)` list (org.freedesktop.systemd1(5)); the
/// directory of each `file` is fsynced, and its parent too, since systemd creates
/// `timers.target.wants/` itself on the first enable. systemd does not fsync them (the
/// power-cut test lost them).
pub fn sync_unit_file_changes(changes: &[(String, String, String)]) -> Result<()> {
    let mut dirs: Vec<&Path> = Vec::new();
    for (_, file, _) in changes {
        let mut dir = Path::new(file).parent();
        for _ in 0..2 {
            if let Some(d) = dir {
                if !d.as_os_str().is_empty() && !dirs.contains(&d) {
                    dirs.push(d);
                }
                dir = d.parent();
            }
        }
    }
    for d in dirs {
        match sync_dir(d) {
            // A directory systemd removed again (an emptied .wants/) is fine.
            Err(e) if !d.exists() => log::debug!("{e}"),
            other => other?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_file_is_idempotent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("x");
        std::fs::write(&f, "x").expect("write");
        remove_file(&f).expect("remove");
        assert!(!f.exists());
        remove_file(&f).expect("second remove is fine");
    }

    #[test]
    fn syncs_the_dirs_of_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wants = dir.path().join("timers.target.wants");
        std::fs::create_dir(&wants).expect("mkdir");
        let link = wants.join("piar-x.timer").to_string_lossy().into_owned();
        let gone = dir
            .path()
            .join("gone.wants/y")
            .to_string_lossy()
            .into_owned();
        sync_unit_file_changes(&[
            ("symlink".into(), link, "/x".into()),
            ("unlink".into(), gone, String::new()),
        ])
        .expect("sync");
    }
}
