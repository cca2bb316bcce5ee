//! API tokens: `<state>/api/tokens.json` (mode 0600 in a 0700 directory,
//! [`Paths::api_tokens_file`]).
//!
//! A token is `piar_` followed by 43 base64url characters (32 random bytes
//! from getrandom(2)); it is printed once by `piar token create` and stored
//! only as its SHA-256 (hex). A plain hash is enough for 256-bit random
//! secrets: there is nothing to brute-force that a slow KDF would protect
//! (OWASP Password Storage Cheat Sheet is about low-entropy passwords).
//! Verification hashes the presented token and compares it with every stored
//! hash in constant time ([`ct_eq`]), so neither the match nor its position
//! leaks through timing.
//!
//! File shape (`version` 1):
//! `{"version": 1, "tokens": [{"name", "scope", "jobs_prefix", "sha256", "created"}]}`.

use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::io::AsRawFd;

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::state::fs::write_atomic;
use crate::state::layout::Paths;

/// Mode of the tokens file.
pub const FILE_MODE: u32 = 0o600;
/// Mode of `<state>/api`.
pub const DIR_MODE: u32 = 0o700;
/// The prefix of every token (so a leaked one is recognisable in a scanner).
pub const TOKEN_PREFIX: &str = "piar_";
/// Most tokens a store holds.
pub const MAX_TOKENS: usize = 256;
/// Longest `--jobs` prefix, in bytes (a job name is at most 63).
pub const MAX_PREFIX: usize = 63;

/// What a token may do. Ordered: `read` < `submit`, `approve` < `admin`;
/// `submit` and `approve` are separate (an approver does not submit, a
/// submitter does not approve); `admin` may do both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// GET endpoints only.
    Read,
    /// Read, plus submit/edit/delete/pause/resume/run jobs.
    Submit,
    /// Read, plus approve/reject.
    Approve,
    /// Everything.
    Admin,
}

impl Scope {
    /// Parse `read|submit|approve|admin`. Errors: exit 2 naming `--scope`.
    pub fn parse(s: &str) -> Result<Scope> {
        match s {
            "read" => Ok(Scope::Read),
            "submit" => Ok(Scope::Submit),
            "approve" => Ok(Scope::Approve),
            "admin" => Ok(Scope::Admin),
            _ => Err(Error::invalid(format!(
                "--scope {s:?}: expected read, submit, approve or admin"
            ))),
        }
    }

    /// The scope's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Submit => "submit",
            Scope::Approve => "approve",
            Scope::Admin => "admin",
        }
    }

    /// Whether a token of this scope may do what `needed` requires.
    pub fn allows(self, needed: Scope) -> bool {
        self == needed || self == Scope::Admin || needed == Scope::Read
    }
}

/// One stored token (never the token itself).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    /// Its name, `[a-z0-9][a-z0-9_-]{0,62}`: what logs and `submitted_by` show.
    pub name: String,
    /// What it may do.
    pub scope: Scope,
    /// When set, the token sees and touches only jobs whose name starts with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jobs_prefix: Option<String>,
    /// SHA-256 of the token, lowercase hex (64 characters).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub sha256: String,
    /// When it was created, RFC 3339 UTC.
    pub created: String,
}

impl Token {
    /// Whether this token may touch job `name` (its `--jobs` prefix).
    pub fn covers(&self, name: &str) -> bool {
        self.jobs_prefix
            .as_deref()
            .is_none_or(|p| name.starts_with(p))
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    version: u32,
    tokens: Vec<Token>,
}

/// SHA-256 of `token`, lowercase hex.
pub fn hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time equality of two byte strings (the length is not secret: both
/// are 64-character hashes).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    // Keep the optimiser from short-circuiting the loop above.
    std::hint::black_box(diff) == 0
}

/// Check a token name: `[a-z0-9][a-z0-9_-]{0,62}`. Errors: exit 2.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "token name {name:?}: expected [a-z0-9][a-z0-9_-]{{0,62}}"
        )))
    }
}

fn validate_prefix(p: &str) -> Result<()> {
    let ok = !p.is_empty()
        && p.len() <= MAX_PREFIX
        && p.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "--jobs {p:?}: expected a job name prefix of [a-z0-9_-], 1 to {MAX_PREFIX} bytes"
        )))
    }
}

/// Read the stored tokens (empty when the file does not exist). Errors: a
/// file that is not this JSON shape (exit 1, naming the file), I/O.
pub fn load(paths: &Paths) -> Result<Vec<Token>> {
    let path = paths.api_tokens_file();
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("cannot read", &path, e)),
    };
    let f: File = serde_json::from_str(&text)
        .map_err(|e| Error::failed(format!("{}: not a piar token file: {e}", path.display())))?;
    Ok(f.tokens)
}

/// Hold the store's lock (flock(2) on `<state>/api/tokens.lock`) while `f`
/// reads and rewrites the file.
fn locked<T>(paths: &Paths, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let dir = paths.api_dir();
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(&dir)
        .map_err(|e| Error::io("cannot create directory", &dir, e))?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(DIR_MODE))
        .map_err(|e| Error::io("cannot set the mode of", &dir, e))?;
    let lock_path = dir.join("tokens.lock");
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::io("cannot open", &lock_path, e))?;
    // SAFETY: flock on an fd we own; released when `lock` is dropped.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(Error::io(
            "cannot lock",
            &lock_path,
            std::io::Error::last_os_error(),
        ));
    }
    let r = f();
    drop(lock);
    r
}

fn save(paths: &Paths, tokens: Vec<Token>) -> Result<()> {
    let text = serde_json::to_string_pretty(&File { version: 1, tokens })
        .map_err(|e| Error::failed(format!("cannot encode tokens: {e}")))?;
    write_atomic(&paths.api_tokens_file(), text.as_bytes(), FILE_MODE)
}

/// Create token `name`: returns the token (to be printed once) and its
/// stored record. Errors: bad name or prefix (exit 2), the name exists
/// (exit 4), [`MAX_TOKENS`] reached (exit 4), no randomness, I/O.
pub fn create(
    paths: &Paths,
    name: &str,
    scope: Scope,
    jobs_prefix: Option<&str>,
) -> Result<(String, Token)> {
    validate_name(name)?;
    if let Some(p) = jobs_prefix {
        validate_prefix(p)?;
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)
        .map_err(|e| Error::failed(format!("cannot get random bytes for a token: {e}")))?;
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
    );
    locked(paths, || {
        let mut tokens = load(paths)?;
        if tokens.iter().any(|t| t.name == name) {
            return Err(Error::conflict(format!("a token named {name:?} exists"))
                .with_hint(format!("remove it first: piar token rm {name}")));
        }
        if tokens.len() >= MAX_TOKENS {
            return Err(Error::conflict(format!(
                "at most {MAX_TOKENS} tokens; remove one first"
            )));
        }
        let rec = Token {
            name: name.to_string(),
            scope,
            jobs_prefix: jobs_prefix.map(str::to_string),
            sha256: hash(&token),
            created: jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or(jiff::Timestamp::now())
                .to_string(),
        };
        tokens.push(rec.clone());
        save(paths, tokens)?;
        Ok((token.clone(), rec))
    })
}

/// Remove token `name`. Errors: bad name (exit 2), no such token (exit 3), I/O.
pub fn remove(paths: &Paths, name: &str) -> Result<()> {
    validate_name(name)?;
    locked(paths, || {
        let mut tokens = load(paths)?;
        let before = tokens.len();
        tokens.retain(|t| t.name != name);
        if tokens.len() == before {
            return Err(
                Error::not_found(format!("no token named {name:?}")).with_hint("piar token list")
            );
        }
        save(paths, tokens)
    })
}

/// The stored token that `presented` is, if any. Every stored hash is
/// compared (constant time each), whatever matches first.
pub fn verify<'a>(tokens: &'a [Token], presented: &str) -> Option<&'a Token> {
    let h = hash(presented);
    let mut found = None;
    for t in tokens {
        if ct_eq(t.sha256.as_bytes(), h.as_bytes()) && found.is_none() {
            found = Some(t);
        }
    }
    found
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
    fn create_verify_list_remove_with_modes() {
        let tmp = tempfile::tempdir().unwrap();
        let p = paths(tmp.path());
        let (tok, rec) = create(&p, "bot", Scope::Submit, Some("bot-")).unwrap();
        assert!(
            tok.starts_with(TOKEN_PREFIX) && tok.len() == 5 + 43,
            "{tok}"
        );
        assert_eq!(rec.sha256, hash(&tok));
        let text = fs::read_to_string(p.api_tokens_file()).unwrap();
        assert!(!text.contains(&tok), "the token itself is never stored");
        let mode = fs::metadata(p.api_tokens_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = fs::metadata(p.api_dir()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let all = load(&p).unwrap();
        assert_eq!(verify(&all, &tok).unwrap().name, "bot");
        assert!(verify(&all, "piar_wrong").is_none());
        assert!(verify(&all, "").is_none());
        let e = create(&p, "bot", Scope::Read, None).unwrap_err();
        assert_eq!(e.kind.exit_status().code(), 4);
        remove(&p, "bot").unwrap();
        assert!(load(&p).unwrap().is_empty());
        assert_eq!(remove(&p, "bot").unwrap_err().kind.exit_status().code(), 3);
    }

    #[test]
    fn scopes_and_prefixes() {
        assert!(Scope::Admin.allows(Scope::Approve));
        assert!(Scope::Submit.allows(Scope::Read));
        assert!(!Scope::Submit.allows(Scope::Approve));
        assert!(!Scope::Approve.allows(Scope::Submit));
        assert!(!Scope::Read.allows(Scope::Submit));
        assert!(Scope::parse("root").is_err());
        let tmp = tempfile::tempdir().unwrap();
        let p = paths(tmp.path());
        assert!(create(&p, "Bad Name", Scope::Read, None).is_err());
        assert!(create(&p, "x", Scope::Read, Some("../")).is_err());
        assert!(!p.api_tokens_file().exists(), "nothing half-written");
    }

    #[test]
    fn ct_eq_is_equality() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
