//! The run policy where it meets the machine: the checks that need the scope
//! and the system ([`check_scope`]: users, secrets), and the policy as
//! properties of the transient run unit (systemd.exec(5),
//! systemd.resource-control(5); every property used here is settable on
//! transient units since systemd 252 or earlier), and the run's `HOME`.

use zbus::zvariant::Value;

use crate::error::{Error, Result};
use crate::model::manifest::Job;
use crate::model::manifest::Manifest;
use crate::model::policy::{Policy, parse};
use crate::state::layout::{Paths, Scope};
use crate::systemd::Systemd;

/// Home directory of `user` (getpwnam_r), `None` if there is no such user.
pub fn user_home(user: &str) -> Option<String> {
    let c = std::ffi::CString::new(user).ok()?;
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut res: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: all pointers are valid for the call; buf outlives the read of pw_dir.
    let rc =
        unsafe { libc::getpwnam_r(c.as_ptr(), &mut pw, buf.as_mut_ptr(), buf.len(), &mut res) };
    if rc != 0 || res.is_null() || pw.pw_dir.is_null() {
        return None;
    }
    // SAFETY: pw_dir points into buf, NUL-terminated by getpwnam_r.
    let dir = unsafe { std::ffi::CStr::from_ptr(pw.pw_dir) };
    Some(dir.to_string_lossy().into_owned())
}

/// Home directory of the current user (getpwuid_r), falling back to `$HOME`, then `/`.
fn own_home() -> String {
    let uid = unsafe { libc::getuid() };
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut res: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: as in user_home.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut res) };
    if rc == 0 && !res.is_null() && !pw.pw_dir.is_null() {
        // SAFETY: as in user_home.
        return unsafe { std::ffi::CStr::from_ptr(pw.pw_dir) }
            .to_string_lossy()
            .into_owned();
    }
    std::env::var("HOME").unwrap_or_else(|_| "/".to_string())
}

/// The run's `HOME`: the `run_as` user's home, else the manager's user's.
pub fn run_home(p: &Policy) -> String {
    p.run_as
        .as_deref()
        .and_then(user_home)
        .unwrap_or_else(own_home)
}

/// Variables systemd itself would add and piar removes with
/// `UnsetEnvironment=`: the login variables `User=` and user managers set,
/// a user manager's `MANAGERPID`, and the PSI memory-pressure pair that
/// systemd 254+ sets for every service (`MemoryPressureWatch=`,
/// systemd.exec(5); seen on 257, absent on 252). `UnsetEnvironment=` removes
/// them on 257 (checked in the box); the `MemoryPressureWatch=off` property
/// would too but is unknown to 252, so piar does not send it.
const UNSET_ALWAYS: &[&str] = &[
    "USER",
    "LOGNAME",
    "SHELL",
    "MANAGERPID",
    "MEMORY_PRESSURE_WATCH",
    "MEMORY_PRESSURE_WRITE",
];

/// Variables systemd sets for every service that describe the run itself;
/// never unset, even when the manager's own environment has them too (a
/// user manager's has `SYSTEMD_EXEC_PID`): systemd's per-run value wins
/// over the manager's (systemd.exec(5), "Environment Variables in Spawned
/// Processes").
const KEEP: &[&str] = &[
    "INVOCATION_ID",
    "JOURNAL_STREAM",
    "SYSTEMD_EXEC_PID",
    "CREDENTIALS_DIRECTORY",
];

/// systemd properties of a run unit for policy `p` (added to the ones
/// `run::transient_properties` builds). `env_keys` are the variables the run
/// sets itself; every other variable of the manager's environment (`systemctl
/// show-environment`: whatever `import-environment`/`set-environment` put
/// there) is removed with `UnsetEnvironment=`.
pub fn properties(
    p: &Policy,
    job: &Job,
    sd: &Systemd,
    paths: &Paths,
    env_keys: &[String],
) -> Result<Vec<(&'static str, Value<'static>)>> {
    let mut props: Vec<(&'static str, Value<'static>)> = Vec::new();
    let manager_env = sd.manager().environment().unwrap_or_default();
    let mut unset: Vec<String> = manager_env
        .iter()
        .filter_map(|kv| kv.split_once('=').map(|(k, _)| k.to_string()))
        .chain(UNSET_ALWAYS.iter().map(|s| s.to_string()))
        .filter(|k| !env_keys.contains(k) && !KEEP.contains(&k.as_str()))
        .collect();
    unset.sort();
    unset.dedup();
    props.push(("UnsetEnvironment", Value::from(unset)));
    if let Some(b) = p.memory_max {
        props.push(("MemoryMax", Value::from(b)));
    }
    if let Some(pct) = p.cpu_quota {
        // CPUQuotaPerSecUSec: CPU time per second of wall clock, µs.
        props.push(("CPUQuotaPerSecUSec", Value::from(pct * 10_000)));
    }
    if let Some(n) = p.nice {
        props.push(("Nice", Value::from(n)));
    }
    if let Some(u) = &p.run_as {
        props.push(("User", Value::from(u.clone())));
    }
    if p.sandbox {
        for key in SANDBOX_BOOLS {
            props.push((key, Value::from(true)));
        }
        props.push(("ProtectSystem", Value::from("strict")));
        props.push(("ProtectHome", Value::from("read-only")));
        props.push((
            "SystemCallArchitectures",
            Value::from(vec!["native".to_string()]),
        ));
        if let Some(w) = &job.workdir {
            props.push((
                "ReadWritePaths",
                Value::from(vec![w.to_string_lossy().into_owned()]),
            ));
        }
    }
    if !p.credentials.is_empty() {
        // LoadCredential= (not SetCredential=): systemd reads the secret's
        // file itself when the run starts, so the value never travels over
        // D-Bus and is not a unit property anyone may read back.
        let dir = crate::state::secrets::dir(paths);
        let creds: Vec<(String, String)> = p
            .credentials
            .iter()
            .map(|(n, s)| (n.clone(), dir.join(s).to_string_lossy().into_owned()))
            .collect();
        props.push(("LoadCredential", Value::from(creds)));
    }
    Ok(props)
}

/// The boolean sandbox settings of `sandbox = "strict"`, all set to `yes`
/// (systemd.exec(5)); with them `ProtectSystem=strict`,
/// `ProtectHome=read-only`, `SystemCallArchitectures=native` and
/// `ReadWritePaths=<workdir>`.
pub const SANDBOX_BOOLS: &[&str] = &[
    "NoNewPrivileges",
    "PrivateTmp",
    "PrivateDevices",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectKernelLogs",
    "ProtectControlGroups",
    "RestrictSUIDSGID",
    "RestrictRealtime",
    "LockPersonality",
];

/// Checks that need the scope: `run_as` and `sandbox` only in system scope
/// (a user manager cannot switch users, and its sandboxing needs user
/// namespaces Pi kernels often lack); the `run_as` user exists; every
/// credential's secret exists. Errors exit 2.
pub fn check_scope(m: &Manifest, scope: Scope, paths: &Paths) -> Result<()> {
    let p = parse(m)?;
    if scope == Scope::User {
        if p.run_as.is_some() {
            return Err(Error::invalid(
                "run_as: only the system manager can run a job as another user",
            )
            .with_hint("use --system (as root), or drop --run-as"));
        }
        if p.sandbox {
            return Err(Error::invalid(
                "sandbox: `strict` needs the system manager (user managers cannot set up its mounts)",
            )
            .with_hint("use --system (as root), or drop --sandbox"));
        }
    }
    if let Some(u) = &p.run_as
        && user_home(u).is_none()
    {
        return Err(Error::invalid(format!("run_as: no user named {u:?}")));
    }
    for (name, secret) in &p.credentials {
        if !crate::state::secrets::dir(paths).join(secret).is_file() {
            return Err(
                Error::invalid(format!("credentials.{name}: no secret named {secret:?}"))
                    .with_hint(format!(
                        "store it with `piar secret set {secret}` (value on stdin)"
                    )),
            );
        }
    }
    Ok(())
}
