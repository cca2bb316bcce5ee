//! The same flow in user scope, through the box's lingering test user and
//! its `systemd --user` manager.

use std::time::Duration;

use crate::support::{Piar, TestUser, journal, poll_until, unique};

const WAIT: Duration = Duration::from_secs(30);

fn as_user(user: &TestUser) -> Piar {
    Piar::new().user(Some(user))
}

#[test]
fn user_scope_job_fires_logs_and_is_removed() {
    let user = TestUser::get();
    let name = unique("user");
    let marker = format!("marker-{name}");
    as_user(user)
        .args(["submit", "--name", &name, "--every", "2s", "--", "sh", "-c"])
        .arg(format!("echo {marker}"))
        .run()
        .success();
    let units = user.home.join(".config/systemd/user");
    let timer = units.join(format!("piar-{name}.timer"));
    let link = units.join(format!("timers.target.wants/piar-{name}.timer"));
    assert!(timer.exists() && link.symlink_metadata().is_ok());
    // Nothing in system scope.
    assert!(!std::path::Path::new(&format!("/etc/systemd/system/piar-{name}.timer")).exists());

    // It fired in the user manager and the run was recorded in the user's state dir.
    let run = poll_until("a succeeded run in user scope", WAIT, || {
        let v = as_user(user)
            .args(["show", &name, "--json"])
            .run()
            .success()
            .json_value();
        v["last_runs"]
            .as_array()?
            .iter()
            .find(|r| r["status"] == "succeeded")
            .cloned()
    });
    let run_id = run["id"].as_str().unwrap().to_string();
    let record = user
        .home
        .join(format!(".local/state/piar/runs/{name}/{run_id}.json"));
    assert!(record.exists(), "{}", record.display());

    // The journal has the output, tagged with the identifier and the user unit.
    let uid = format!("_UID={}", user.uid);
    let ident = format!("SYSLOG_IDENTIFIER=piar-{name}");
    poll_until("the marker in the journal", WAIT, || {
        journal(&[&uid, &ident]).contains(&marker).then_some(())
    });
    // piar logs, run as the user, finds it too (by the identifier: journald
    // tags the lines of a process that exits at once with its user unit only
    // when it read the process's cgroup in time, so `--run` is best effort in
    // user scope; see the README).
    let logs = as_user(user).args(["logs", &name]).run().success();
    assert!(logs.stdout.contains(&marker), "{}", logs.stdout);
    as_user(user)
        .args(["logs", &name, "--run", &run_id])
        .run()
        .success();

    // run --wait works through the user manager.
    as_user(user).args(["run", "--wait", &name]).run().success();

    as_user(user).args(["pause", &name]).run().success();
    assert!(link.symlink_metadata().is_err());
    as_user(user).args(["resume", &name]).run().success();
    assert!(link.symlink_metadata().is_ok());
    as_user(user).args(["rm", &name, "--purge"]).run().success();
    assert!(!timer.exists() && link.symlink_metadata().is_err());
    assert!(!units.join(format!("piar-{name}.service")).exists());
}

#[test]
fn unreachable_user_bus_explains_linger_and_runtime_dir() {
    let user = TestUser::get();
    let out = as_user(user)
        .env("XDG_RUNTIME_DIR", "/nonexistent")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .args(["list"])
        .run()
        .code(5);
    assert!(out.stderr.contains("enable-linger"), "{}", out.stderr);
    assert!(out.stderr.contains("XDG_RUNTIME_DIR"), "{}", out.stderr);
}
