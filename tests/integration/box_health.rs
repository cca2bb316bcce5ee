//! The box itself: a real systemd with D-Bus, journald and a lingering user's manager. When
//! these fail, every other integration test would fail for reasons that are not piar's.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{
    Piar, TestUser, journal, parse_systemd_utc, piar_bin, poll_until, require_box,
    systemd_analyze_next, unique,
};

/// Runs a command as root; returns (success, trimmed stdout + stderr).
fn sh(program: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text.trim().to_owned())
}

#[test]
fn pid1_is_systemd() {
    require_box();
    let comm = std::fs::read_to_string("/proc/1/comm").unwrap();
    assert_eq!(comm.trim(), "systemd");
}

#[test]
fn system_manager_is_up() {
    require_box();
    let (_, state) = sh("systemctl", &["is-system-running"]);
    assert!(
        state == "running" || state == "degraded",
        "systemctl is-system-running: {state}"
    );
}

#[test]
fn system_bus_reaches_systemd() {
    require_box();
    let (ok, version) = sh("systemctl", &["show", "-p", "Version", "--value"]);
    assert!(
        ok && !version.is_empty(),
        "systemctl show -p Version: {version}"
    );
    let (ok, text) = sh(
        "busctl",
        &[
            "get-property",
            "org.freedesktop.systemd1",
            "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager",
            "Version",
        ],
    );
    assert!(
        ok && text.contains(&version),
        "busctl get-property Version: {text}"
    );
}

#[test]
fn test_user_manager_answers() {
    let user = TestUser::get();
    let out = user
        .command("systemctl")
        .args(["--user", "is-system-running"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let state = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        state == "running" || state == "degraded",
        "systemctl --user is-system-running as {}: {state} {}",
        user.name,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn transient_unit_output_reaches_the_journal() {
    require_box();
    let id = unique("box-journal");
    let token = format!("token-{id}");
    let (ok, text) = sh(
        "systemd-run",
        &[
            "--wait",
            "--quiet",
            "-p",
            &format!("SyslogIdentifier={id}"),
            "echo",
            &token,
        ],
    );
    assert!(ok, "systemd-run: {text}");
    poll_until(
        "the transient unit's line in the journal",
        Duration::from_secs(10),
        || journal(&["-t", &id]).contains(&token).then_some(()),
    );
}

/// User-scope piar reads its logs as the user: that needs per-user journal files, which
/// journald only writes to a persistent journal.
#[test]
fn user_journal_is_readable_by_the_user() {
    let user = TestUser::get();
    let id = unique("box-user-journal");
    let token = format!("token-{id}");
    let out = user
        .command("systemd-run")
        .args(["--user", "--wait", "--quiet", "-p"])
        .arg(format!("SyslogIdentifier={id}"))
        .args(["echo", &token])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "systemd-run --user: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    poll_until(
        "the user unit's line in the user's journal",
        Duration::from_secs(10),
        || {
            let out = user
                .command("journalctl")
                .args(["--user", "--no-pager", "-o", "cat", "-t", &id])
                .stdin(Stdio::null())
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout)
                .contains(&token)
                .then_some(())
        },
    );
}

#[test]
fn piar_binary_runs_as_root_and_as_the_test_user() {
    assert!(piar_bin().is_file(), "{} missing", piar_bin().display());
    Piar::new().arg("--help").run().success();
    Piar::new()
        .arg("--help")
        .user(Some(TestUser::get()))
        .run()
        .success();
}

#[test]
fn systemd_analyze_oracle() {
    require_box();
    let base = Some("2025-01-01 00:00:00 UTC");
    let next = systemd_analyze_next(&["*-*-* 09:00:00".to_owned()], base);
    assert_eq!(next, "Wed 2025-01-01 09:00:00 UTC");
    // several OnCalendar= lines: the earliest wins
    let specs = [
        "Mon *-*-* 10:00 Europe/Berlin".to_owned(),
        "*-*-15 00:00".to_owned(),
    ];
    assert_eq!(
        systemd_analyze_next(&specs, base),
        "Mon 2025-01-06 09:00:00 UTC"
    );
    assert_eq!(
        parse_systemd_utc("Mon 2025-01-06 09:00:00 UTC").to_string(),
        "2025-01-06T09:00:00Z"
    );
    assert_eq!(
        systemd_analyze_next(&["2001-01-01".to_owned()], base),
        "never"
    );
}

#[test]
fn unique_names_are_valid_job_names() {
    let a = unique("Some_Long Prefix/that goes on and on and on");
    let b = unique("Some_Long Prefix/that goes on and on and on");
    assert_ne!(a, b);
    for name in [a, b, unique("-x")] {
        assert!(name.len() <= 40, "{name}");
        assert!(
            name.starts_with(|c: char| c.is_ascii_alphanumeric()),
            "{name}"
        );
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{name}"
        );
    }
}
