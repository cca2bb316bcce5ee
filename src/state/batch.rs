//! Writing many files durably with a constant number of flushes, for `piar sync` and
//! `import` of many jobs (issue 18: 1000 jobs are 3000 files; one `fsync` of the file and
//! one of its directory per file, as [`crate::state::fs::write_atomic`] does, cost 2-10 ms
//! each on a shared disk, i.e. most of a 30 s sync).
//!
//! The guarantee is `write_atomic`'s, per file: a reader sees the old content or the
//! complete new one, never a partial file, and once [`Batch::commit`] returned `Ok` every
//! file is durable (data and directory entry). Order inside a commit:
//! 1. every file was written to a temp file (`.tmpXXXXXX`) beside its target by
//!    [`Batch::stage`] (systemd ignores such names: no unit suffix);
//! 2. `syncfs(2)` once per file system that holds a staged file: the temp files' data is
//!    on disk before any of them is renamed (so a power cut never leaves a renamed,
//!    empty file: a rename without the data flushed first can, on ext4 with delayed
//!    allocation, for a NEW file, see ext4(5) `auto_da_alloc`);
//! 3. `rename(2)` each temp file over its target;
//! 4. `fsync` of each distinct directory once ([`crate::durable::sync_dir`]).
//!
//! A crash before step 3 leaves only temp files (deleted on drop when the process lives,
//! otherwise ignored); between 3 and 4, some renames may be lost, i.e. some files still
//! have their old content: what `piar sync` repairs on its next run.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tempfile::TempPath;

use crate::error::{Error, Result};

/// Files written but not yet in place; see the module docs.
#[derive(Default)]
pub struct Batch {
    staged: Vec<(TempPath, PathBuf)>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Batch {
        Batch::default()
    }

    /// How many files are staged.
    pub fn len(&self) -> usize {
        self.staged.len()
    }

    /// Whether nothing is staged.
    pub fn is_empty(&self) -> bool {
        self.staged.is_empty()
    }

    /// Write `contents` with permissions `mode` (exactly: chmod, no umask) to a temp file
    /// beside `path`, to be renamed over `path` by [`Batch::commit`]. The file is closed
    /// at once (a batch of thousands holds no descriptors). The directory must exist.
    /// Errors name `path` (exit 1).
    pub fn stage(&mut self, path: &Path, contents: &[u8], mode: u32) -> Result<()> {
        let dir = parent(path);
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| Error::io("cannot create a temporary file in", dir, e))?;
        let write_err = |e| Error::io("cannot write", path, e);
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(write_err)?;
        tmp.write_all(contents).map_err(write_err)?;
        self.staged.push((tmp.into_temp_path(), path.to_path_buf()));
        Ok(())
    }

    /// Make every staged file durable in place (module docs, steps 2-4). On error, files
    /// renamed so far stay renamed; the others stay as they were (their temp files are
    /// removed). Errors name the path (exit 1).
    pub fn commit(self) -> Result<()> {
        if self.staged.is_empty() {
            return Ok(());
        }
        let mut dirs: Vec<PathBuf> = Vec::new();
        for (_, target) in &self.staged {
            let d = parent(target);
            if !dirs.iter().any(|x| x == d) {
                dirs.push(d.to_path_buf());
            }
        }
        // 2) one syncfs per file system
        let mut devs: Vec<u64> = Vec::new();
        for d in &dirs {
            let f = std::fs::File::open(d).map_err(|e| Error::io("cannot open", d, e))?;
            let dev = f
                .metadata()
                .map_err(|e| Error::io("cannot stat", d, e))?
                .dev();
            if devs.contains(&dev) {
                continue;
            }
            devs.push(dev);
            // SAFETY: syncfs(2) on a descriptor we own; no memory is passed.
            if unsafe { libc::syncfs(f.as_raw_fd()) } != 0 {
                return Err(Error::io(
                    "cannot flush the file system of",
                    d,
                    std::io::Error::last_os_error(),
                ));
            }
        }
        // 3) renames
        for (tmp, target) in self.staged {
            tmp.persist(&target)
                .map_err(|e| Error::io("cannot write", &target, e.error))?;
        }
        // 4) one fsync per directory
        for d in &dirs {
            crate::durable::sync_dir(d)?;
        }
        Ok(())
    }
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_appear_only_on_commit_with_their_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.timer");
        let b = dir.path().join("b.service");
        std::fs::write(&b, "old").expect("write");
        let mut batch = Batch::new();
        batch.stage(&a, b"new a", 0o644).expect("stage a");
        batch.stage(&b, b"new b", 0o600).expect("stage b");
        assert_eq!(batch.len(), 2);
        assert!(!a.exists());
        assert_eq!(std::fs::read_to_string(&b).expect("read"), "old");
        batch.commit().expect("commit");
        assert_eq!(std::fs::read_to_string(&a).expect("read"), "new a");
        assert_eq!(std::fs::read_to_string(&b).expect("read"), "new b");
        let mode = std::fs::metadata(&b).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temp file left: {names:?}");
    }

    #[test]
    fn a_dropped_batch_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut batch = Batch::new();
        batch
            .stage(&dir.path().join("x"), b"x", 0o644)
            .expect("stage");
        drop(batch);
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
    }
}
