//! Named callback secrets: `<state>/secrets/<name>`, one file per secret,
//! mode 0600 in a 0700 directory.
//!
//! Manifests, unit files, argv and the job's environment only ever carry the
//! secret's *name*; the value is read from here by the process that signs.

use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::state::fs::write_atomic;
use crate::state::layout::Paths;

/// Mode of a secret file.
pub const SECRET_MODE: u32 = 0o600;
/// Mode of the secrets directory.
pub const DIR_MODE: u32 = 0o700;
/// Longest secret value accepted, in bytes.
pub const MAX_LEN: usize = 4096;

/// `<state>/secrets`.
pub fn dir(paths: &Paths) -> PathBuf {
    paths.state_dir.join("secrets")
}

pub use crate::model::limits::validate_secret_name as validate_name;

/// Store `value` (trailing newline stripped) as secret `name`, replacing an
/// old value. Errors: bad name, empty/too long/multi-line value (exit 2), I/O.
pub fn set(paths: &Paths, name: &str, value: &str) -> Result<()> {
    validate_name(name)?;
    let value = value.trim_end_matches(['\n', '\r']);
    if value.trim().is_empty() {
        return Err(Error::invalid(format!("secret {name}: the value is empty")));
    }
    if value.len() > MAX_LEN || value.contains(['\n', '\r', '\0']) {
        return Err(Error::invalid(format!(
            "secret {name}: expected one line of at most {MAX_LEN} bytes"
        )));
    }
    let d = dir(paths);
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(&d)
        .map_err(|e| Error::io("cannot create directory", &d, e))?;
    // An existing directory keeps its mode from mkdir; enforce 0700.
    fs::set_permissions(&d, fs::Permissions::from_mode(DIR_MODE))
        .map_err(|e| Error::io("cannot set the mode of", &d, e))?;
    write_atomic(&d.join(name), value.as_bytes(), SECRET_MODE)
}

/// Read secret `name`. Errors: not found (exit 3) with a hint, I/O.
pub fn get(paths: &Paths, name: &str) -> Result<String> {
    validate_name(name)?;
    let path = dir(paths).join(name);
    match fs::read_to_string(&path) {
        Ok(v) => Ok(v.trim_end_matches(['\n', '\r']).to_string()),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            Err(Error::not_found(format!("no secret named {name:?}"))
                .with_hint(format!("create it with `piar secret set {name}` (value on stdin) or `piar secret set --generate {name}`")))
        }
        Err(e) => Err(Error::io("cannot read secret", &path, e)),
    }
}

/// Names of the stored secrets, sorted.
pub fn list(paths: &Paths) -> Result<Vec<String>> {
    let d = dir(paths);
    let entries = match fs::read_dir(&d) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("cannot read directory", &d, e)),
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| validate_name(n).is_ok())
        .collect();
    names.sort();
    Ok(names)
}

/// Remove secret `name`. Errors: not found (exit 3), I/O.
pub fn remove(paths: &Paths, name: &str) -> Result<()> {
    validate_name(name)?;
    let path = dir(paths).join(name);
    match fs::remove_file(&path) {
        Ok(()) => crate::durable::sync_parent(&path),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            Err(Error::not_found(format!("no secret named {name:?}")))
        }
        Err(e) => Err(Error::io("cannot remove secret", &path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(dir: &std::path::Path) -> Paths {
        Paths {
            scope: crate::state::layout::Scope::User,
            unit_dir: dir.join("units"),
            state_dir: dir.join("state"),
        }
    }

    #[test]
    fn set_get_list_remove_with_modes() {
        let tmp = tempfile::tempdir().unwrap();
        let p = paths(tmp.path());
        set(&p, "hook", "whsec_abc\n").unwrap();
        assert_eq!(get(&p, "hook").unwrap(), "whsec_abc");
        let mode = fs::metadata(dir(&p).join("hook"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = fs::metadata(dir(&p)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert_eq!(list(&p).unwrap(), vec!["hook".to_string()]);
        remove(&p, "hook").unwrap();
        assert!(get(&p, "hook").is_err());
        assert!(set(&p, "../x", "v").is_err());
        assert!(set(&p, "x", "").is_err());
        assert!(set(&p, "x", "a\nb").is_err());
    }
}
