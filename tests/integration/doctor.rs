//! `piar doctor`: the JSON shape (deny_unknown_fields mirror), the checks a healthy box
//! passes, drift detection of an orphaned unit, and the user scope's linger check.

use serde::Deserialize;

use crate::support::{Piar, TestUser, unique};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doctor {
    scope: String,
    ok: bool,
    checks: Vec<Check>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    name: String,
    status: String,
    message: String,
    fix: Option<String>,
}

impl Doctor {
    fn check(&self, name: &str) -> &Check {
        self.checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no check {name} in {:#?}", self.checks))
    }
}

#[test]
fn doctor_in_the_box_reports_every_check_and_exits_0() {
    let out = Piar::new().args(["doctor", "--json"]).run().success();
    let doc: Doctor = out.json();
    assert_eq!(doc.scope, "system");
    assert!(doc.ok, "{doc:#?}");
    let names: Vec<&str> = doc.checks.iter().map(|c| c.name.as_str()).collect();
    for name in [
        "systemd",
        "unit-dir",
        "state-dir",
        "clock-sync",
        "time-wait-sync",
        "drift",
        "callbacks",
        "disk-space",
    ] {
        assert!(names.contains(&name), "missing check {name}: {names:?}");
    }
    assert!(!names.contains(&"linger"), "linger is a user-scope check");
    let systemd = doc.check("systemd");
    assert_eq!(systemd.status, "ok", "{systemd:?}");
    assert!(systemd.message.contains("systemd 2"), "{systemd:?}");
    for c in &doc.checks {
        assert!(["ok", "warn", "fail"].contains(&c.status.as_str()), "{c:?}");
        if c.status == "ok" {
            assert!(c.fix.is_none(), "an ok check needs no fix: {c:?}");
        } else {
            // e.g. trixie without systemd-timesyncd: a WARN with a hint, not a raw
            // D-Bus error (issue 15)
            assert!(c.fix.is_some(), "a warn or fail names a fix: {c:?}");
            assert!(
                !c.message.contains("FileNotFound"),
                "raw D-Bus error: {c:?}"
            );
        }
    }
    // text output: one line per check
    let text = Piar::new().arg("doctor").run().success().stdout;
    assert!(
        text.lines().any(|l| l.starts_with("OK    systemd: ")),
        "{text}"
    );
}

#[test]
fn doctor_reports_an_orphaned_unit() {
    // A state dir of its own, so a concurrent `piar sync` (which repairs orphans owned by
    // /var/lib/piar/jobs) leaves this orphan alone.
    let name = unique("orphan");
    let state = format!("/var/lib/piar-test-{name}");
    Piar::new()
        .env("PIAR_STATE_DIR", &state)
        .args(["submit", "--name", &name, "--manual", "--", "true"])
        .run()
        .success();
    let manifest = format!("{state}/jobs/{name}.toml");
    std::fs::remove_file(&manifest).expect("remove the manifest by hand");
    let doc: Doctor = Piar::new()
        .env("PIAR_STATE_DIR", &state)
        .args(["doctor", "--json"])
        .run()
        .success()
        .json();
    let drift = doc.check("drift");
    let unit = format!("piar-{name}.service");
    assert_eq!(drift.status, "warn", "{drift:?}");
    assert!(
        drift.message.contains(&format!("{unit} is orphaned")),
        "{drift:?}"
    );
    assert!(drift.fix.as_deref().unwrap_or("").contains("piar sync"));
    // clean up what doctor found (piar sync does this too)
    let _ = std::fs::remove_file(format!("/etc/systemd/system/{unit}"));
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn doctor_in_user_scope_checks_lingering() {
    let user = TestUser::get();
    let doc: Doctor = Piar::new()
        .user(Some(user))
        .args(["doctor", "--json"])
        .run()
        .success()
        .json();
    assert_eq!(doc.scope, "user");
    let linger = doc.check("linger");
    assert_eq!(
        linger.status, "ok",
        "the box's test user lingers: {linger:?}"
    );
    assert_eq!(doc.check("systemd").status, "ok");
}

#[test]
fn doctor_fails_with_exit_1_when_the_user_manager_is_unreachable() {
    let user = TestUser::get();
    let out = Piar::new()
        .user(Some(user))
        .env("XDG_RUNTIME_DIR", "/nonexistent")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .args(["doctor", "--json"])
        .run()
        .code(1);
    let doc: Doctor = out.json();
    assert!(!doc.ok);
    assert_eq!(doc.check("systemd").status, "fail");
}
