//! Who may approve, and where a decision is kept (issue 13, "approval that
//! means something").
//!
//! # The decision lives in the state directory
//!
//! A manifest's `[approval]` table only says that approval is required (and
//! who submitted the job). `piar approve`/`piar reject` write the decision to
//! `<state>/approvals/<job>.json` ([`write_decision`]); loading a manifest lays
//! that decision over the table ([`overlay`]), and without one a job that
//! requires approval is `pending`, whatever its table says. So an `[approval]
//! state = "approved"` written by hand into a stored manifest or a drop-in
//! approves nothing. `piar submit` (new job or `--replace`) and `piar rm`
//! remove the old decision ([`remove_decision`]): a decision is about one
//! submission.
//!
//! # Who may decide
//!
//! The scope's config file ([`Paths::config_file`]: `/etc/piar/config.toml` or
//! `~/.config/piar/config.toml`, `$PIAR_CONFIG` overrides) may hold
//!
//! ```toml
//! approvers = ["alice", "group:ops"]   # user names, and groups as group:NAME
//! ```
//!
//! The rules, in order ([`check_may_decide`]):
//!
//! 1. root (real uid 0) may always decide: it owns the state directory and
//!    could write the decision by hand, so refusing it would protect nothing.
//! 2. With `approvers` set, the caller must be listed by user name or through
//!    one of its groups (primary or supplementary); that list is the whole
//!    rule, so listing yourself lets you approve your own jobs (the way to
//!    approve in user scope, where you are the only account).
//! 3. Without `approvers`, anyone who can write the scope's state may decide,
//!    except the account that submitted the job (`submitted_uid`): an agent
//!    cannot approve its own request. Jobs stored before piar recorded the
//!    submitter have none, and rule 3 does not refuse anyone for them.
//!
//! A refusal is a permission error (exit 6) naming the rule and the config
//! file. `reject` follows the same rules as `approve`.

use std::io::ErrorKind;

use crate::error::{Error, Kind, Result};
use crate::model::manifest::Manifest;
use crate::model::manifest::approval::Approval;
use crate::state::layout::Paths;

/// Mode of decision files: world-readable, like manifests.
const DECISION_MODE: u32 = 0o644;

/// One entry of `approvers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approver {
    /// A user name.
    User(String),
    /// `group:NAME`: every member of group NAME (primary or supplementary).
    Group(String),
}

/// The approval part of the scope's config file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovalConfig {
    /// `approvers`; `None` when the key (or the file) is absent.
    pub approvers: Option<Vec<Approver>>,
    /// The file it came from (for messages), if known.
    pub source: Option<std::path::PathBuf>,
}

/// Read the scope's config file (see the module docs). A missing file is the
/// default config. Errors (exit 2, naming the file and the key): not TOML, an
/// unknown key, `approvers` not a list of non-empty names.
pub fn load_config(paths: &Paths) -> Result<ApprovalConfig> {
    let Some(path) = paths.config_file() else {
        return Ok(ApprovalConfig::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Ok(ApprovalConfig {
                approvers: None,
                source: Some(path),
            });
        }
        Err(e) => return Err(Error::io("cannot read config", &path, e)),
    };
    let mut cfg = parse_config(&text).map_err(|e| e.context(path.display()))?;
    cfg.source = Some(path);
    Ok(cfg)
}

/// Parse the config text: only the key `approvers` is known.
pub fn parse_config(text: &str) -> Result<ApprovalConfig> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| Error::invalid(format!("not valid TOML: {e}")))?;
    let mut cfg = ApprovalConfig::default();
    for (key, value) in &table {
        if key != "approvers" {
            return Err(Error::invalid(format!(
                "{key}: unknown key (expected approvers)"
            )));
        }
        let list = value.as_array().ok_or_else(|| {
            Error::invalid("approvers: expected a list of user names and group:NAME entries")
        })?;
        let mut out = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            let s = v.as_str().unwrap_or_default().trim();
            let entry = match s.strip_prefix("group:") {
                Some(g) => Approver::Group(g.to_string()),
                None => Approver::User(s.to_string()),
            };
            let name = match &entry {
                Approver::User(n) | Approver::Group(n) => n,
            };
            let ok = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '$'));
            if !ok {
                return Err(Error::invalid(format!(
                    "approvers[{i}]: expected a user name or group:NAME, got {v}"
                )));
            }
            out.push(entry);
        }
        cfg.approvers = Some(out);
    }
    Ok(cfg)
}

/// The account running piar: real uid, its user name and all its group ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Real uid (getuid(2)).
    pub uid: u32,
    /// Its passwd name, if it has one.
    pub name: Option<String>,
    /// Real gid and supplementary groups (getgroups(2)).
    pub gids: Vec<u32>,
}

impl Caller {
    /// The calling process.
    pub fn current() -> Caller {
        // SAFETY: getuid/getgid cannot fail and touch no memory.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        let mut gids = vec![gid];
        // SAFETY: a zero-length query returns the count; the buffer then has that room.
        let n = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
        if n > 0 {
            let mut buf = vec![0 as libc::gid_t; usize::try_from(n).unwrap_or(0)];
            let got = unsafe { libc::getgroups(n, buf.as_mut_ptr()) };
            buf.truncate(usize::try_from(got).unwrap_or(0));
            gids.extend(buf);
        }
        Caller {
            uid,
            name: user_name(uid),
            gids,
        }
    }

    fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{n} (uid {})", self.uid),
            None => format!("uid {}", self.uid),
        }
    }
}

/// The passwd name of `uid` (getpwuid_r(3)).
fn user_name(uid: u32) -> Option<String> {
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut res: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: all pointers are valid for the call; buf outlives the read of pw_name.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut res) };
    if rc != 0 || res.is_null() || pw.pw_name.is_null() {
        return None;
    }
    // SAFETY: pw_name points into buf, NUL-terminated by getpwuid_r.
    Some(
        unsafe { std::ffi::CStr::from_ptr(pw.pw_name) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// The gid of group `name` (getgrnam_r(3)), if it exists.
pub fn group_id(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    let mut gr: libc::group = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 64 * 1024];
    let mut res: *mut libc::group = std::ptr::null_mut();
    // SAFETY: all pointers are valid for the call.
    let rc =
        unsafe { libc::getgrnam_r(c.as_ptr(), &mut gr, buf.as_mut_ptr(), buf.len(), &mut res) };
    (rc == 0 && !res.is_null()).then_some(gr.gr_gid)
}

/// Whether `caller` may approve or reject job `job` submitted by
/// `submitted_uid` under `cfg` (the rules of the module docs). `gid_of`
/// resolves a group name (use [`group_id`]). Errors: permission (exit 6),
/// naming the rule and, when set, the config file.
pub fn check_may_decide(
    cfg: &ApprovalConfig,
    caller: &Caller,
    submitted_uid: Option<u32>,
    job: &str,
    gid_of: &dyn Fn(&str) -> Option<u32>,
) -> Result<()> {
    if caller.uid == 0 {
        return Ok(());
    }
    let file = cfg
        .source
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "the scope's config file".into());
    match &cfg.approvers {
        Some(list) => {
            let listed = list.iter().any(|a| match a {
                Approver::User(u) => caller.name.as_deref() == Some(u.as_str()),
                Approver::Group(g) => gid_of(g).is_some_and(|gid| caller.gids.contains(&gid)),
            });
            if listed {
                Ok(())
            } else {
                Err(Error::new(
                    Kind::Permission,
                    format!(
                        "{} may not decide on job {job:?}: not in approvers of {file}",
                        caller.label()
                    ),
                )
                .with_hint("ask a listed approver (or root); the list is `approvers = [...]`"))
            }
        }
        None if submitted_uid == Some(caller.uid) => Err(Error::new(
            Kind::Permission,
            format!(
                "{} submitted job {job:?} and may not approve or reject it",
                caller.label()
            ),
        )
        .with_hint(format!(
            "ask another account (or root); to allow it, list the approvers in {file}: \
             approvers = [\"NAME\", \"group:GROUP\"]"
        ))),
        None => Ok(()),
    }
}

/// The recorded decision of job `name`, if any. Errors: unreadable or not a
/// decision (exit 2, naming the file).
pub fn read_decision(paths: &Paths, name: &str) -> Result<Option<Approval>> {
    let path = paths.approval_decision(name);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("cannot read approval decision", &path, e)),
    };
    serde_json::from_str::<Approval>(&text)
        .map(Some)
        .map_err(|e| Error::invalid(format!("{}: not an approval decision: {e}", path.display())))
}

/// Record `decision` for job `name` atomically (the caller holds the store
/// lock). The submitter is not part of a decision.
pub fn write_decision(paths: &Paths, name: &str, decision: &Approval) -> Result<()> {
    let dir = paths.approvals_dir();
    std::fs::DirBuilder::new()
        .recursive(true)
        .create(&dir)
        .map_err(|e| Error::io("cannot create directory", &dir, e))?;
    let d = Approval {
        submitted_uid: None,
        ..decision.clone()
    };
    let text = serde_json::to_string_pretty(&d)
        .map_err(|e| Error::failed(format!("cannot encode the decision: {e}")))?;
    crate::state::fs::write_atomic(
        &paths.approval_decision(name),
        format!("{text}\n").as_bytes(),
        DECISION_MODE,
    )
}

/// Forget job `name`'s decision (missing is not an error).
pub fn remove_decision(paths: &Paths, name: &str) -> Result<()> {
    let path = paths.approval_decision(name);
    match std::fs::remove_file(&path) {
        Ok(()) => crate::durable::sync_dir(&paths.approvals_dir()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("cannot remove", &path, e)),
    }
}

/// Lay the recorded decision over `m`'s `[approval]` table: a job that
/// requires approval is what its decision file says, else `pending`. A job
/// without the table needs no approval and is left alone.
pub fn overlay(paths: &Paths, m: &mut Manifest) -> Result<()> {
    let Some(table) = &m.approval else {
        return Ok(());
    };
    let submitted_uid = table.submitted_uid;
    let decided = read_decision(paths, &m.name)?.unwrap_or_else(Approval::pending);
    m.approval = Some(Approval {
        submitted_uid,
        ..decided
    });
    Ok(())
}

/// What a manifest stores of its approval: the requirement, never a decision
/// ([`Approval::requirement`]).
pub fn normalize(m: &mut Manifest) {
    if let Some(a) = &m.approval {
        m.approval = Some(a.requirement());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(uid: u32, name: &str, gids: &[u32]) -> Caller {
        Caller {
            uid,
            name: Some(name.into()),
            gids: gids.to_vec(),
        }
    }

    fn gid(name: &str) -> Option<u32> {
        (name == "ops").then_some(50)
    }

    #[test]
    fn config_parses_users_and_groups_and_names_bad_entries() {
        let c = parse_config("approvers = [\"alice\", \"group:ops\"]").unwrap();
        assert_eq!(
            c.approvers,
            Some(vec![
                Approver::User("alice".into()),
                Approver::Group("ops".into())
            ])
        );
        assert_eq!(parse_config("").unwrap().approvers, None);
        let e = parse_config("approvers = [\"alice\", 3]").unwrap_err();
        assert!(e.message.starts_with("approvers[1]:"), "{}", e.message);
        let e = parse_config("approver = []").unwrap_err();
        assert!(
            e.message.starts_with("approver: unknown key"),
            "{}",
            e.message
        );
        assert!(parse_config("approvers = \"alice\"").is_err());
        assert!(parse_config("approvers = [\"group:\"]").is_err());
    }

    #[test]
    fn root_always_decides_the_submitter_never_by_default() {
        let none = ApprovalConfig::default();
        let alice = caller(1000, "alice", &[1000]);
        assert!(check_may_decide(&none, &caller(0, "root", &[0]), Some(0), "j", &gid).is_ok());
        let e = check_may_decide(&none, &alice, Some(1000), "j", &gid).unwrap_err();
        assert_eq!(e.kind, Kind::Permission);
        assert!(check_may_decide(&none, &alice, Some(1001), "j", &gid).is_ok());
        assert!(check_may_decide(&none, &alice, None, "j", &gid).is_ok());
    }

    #[test]
    fn a_list_is_the_whole_rule() {
        let cfg = parse_config("approvers = [\"bob\", \"group:ops\"]").unwrap();
        let bob = caller(1001, "bob", &[1001]);
        let carol_in_ops = caller(1002, "carol", &[1002, 50]);
        let alice = caller(1000, "alice", &[1000]);
        // listed: may approve even a job they submitted
        assert!(check_may_decide(&cfg, &bob, Some(1001), "j", &gid).is_ok());
        assert!(check_may_decide(&cfg, &carol_in_ops, Some(1000), "j", &gid).is_ok());
        let e = check_may_decide(&cfg, &alice, Some(1001), "j", &gid).unwrap_err();
        assert!(e.message.contains("not in approvers"), "{}", e.message);
        assert!(check_may_decide(&cfg, &caller(0, "root", &[0]), None, "j", &gid).is_ok());
    }
}
