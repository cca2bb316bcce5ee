//! `piar sync` and the shipped `piar-sync.path`: drop-in manifests become jobs, edits update
//! them, deleting the file removes the job, drift is repaired both ways, invalid drop-ins
//! are reported (exit 2) without touching anything, and a second sync changes nothing.
//! The reconciliation tests run in the user scope of the box's test user (its own unit and
//! state dirs); the path-unit test runs in system scope with /etc/piar/jobs.d.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::support::{Piar, TestUser, poll_until, unique};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncOut {
    dropin_dir: String,
    actions: Vec<Action>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Action {
    job: String,
    action: String,
    detail: String,
}

impl SyncOut {
    fn actions_for(&self, job: &str) -> Vec<&str> {
        self.actions
            .iter()
            .filter(|a| a.job == job)
            .map(|a| a.action.as_str())
            .collect()
    }
}

/// Write `text` to `path` as the test user (creating parent directories).
fn write_as(user: &TestUser, path: &Path, text: &str) {
    let status = user
        .command("sh")
        .args([
            "-c",
            "mkdir -p \"$(dirname \"$1\")\" && cat > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"",
        ])
        .arg("sh")
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())?;
            child.wait()
        })
        .expect("run sh as the test user");
    assert!(status.success(), "cannot write {}", path.display());
}

fn dropin(name: &str, every: &str, description: &str) -> String {
    format!(
        "version = 1\nname = \"{name}\"\ndescription = \"{description}\"\n\
         command = [\"echo\", \"dropin-{name}\"]\n\n[schedule]\nevery = \"{every}\"\n"
    )
}

/// The user-scope sync tests share one drop-in directory, and a sync
/// reconciles all of it: one test's sync would apply the other's actions.
static USER_DROPINS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn user_sync(user: &TestUser, code: i32) -> SyncOut {
    Piar::new()
        .user(Some(user))
        .args(["sync", "--json"])
        .run()
        .code(code)
        .json()
}

#[test]
fn sync_reconciles_user_dropins_both_ways_and_is_idempotent() {
    let _serial = USER_DROPINS.lock().unwrap_or_else(|e| e.into_inner());
    let user = TestUser::get();
    let dir = user.home.join(".config/piar/jobs.d");
    let units = user.home.join(".config/systemd/user");
    let name = unique("dropin");
    let file = dir.join(format!("{name}.toml"));
    let timer = units.join(format!("piar-{name}.timer"));

    // a new drop-in becomes a job with a running timer that fires
    write_as(user, &file, &dropin(&name, "2s", "first"));
    let out = user_sync(user, 0);
    assert_eq!(out.dropin_dir, dir.display().to_string());
    assert_eq!(out.actions_for(&name), ["created"], "{out:?}");
    assert!(timer.exists());
    let runs = user.home.join(format!(".local/state/piar/runs/{name}"));
    poll_until(
        "a run record of the drop-in job",
        Duration::from_secs(30),
        || std::fs::read_dir(&runs).ok()?.next().map(|_| ()),
    );

    // idempotent
    let out = user_sync(user, 0);
    assert!(out.actions_for(&name).is_empty(), "{out:?}");

    // an edit updates the job
    write_as(user, &file, &dropin(&name, "1h", "second"));
    let out = user_sync(user, 0);
    assert_eq!(out.actions_for(&name), ["updated"], "{out:?}");
    let text = std::fs::read_to_string(&timer).expect("timer");
    // An hourly interval: one anchored calendar line (schedule::every), no OnActiveSec=.
    assert!(
        text.contains("Persistent=true") && !text.contains("OnActiveSec"),
        "{text}"
    );
    let calendar: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("OnCalendar="))
        .collect();
    assert_eq!(calendar.len(), 1, "{text}");
    assert!(calendar[0].starts_with("OnCalendar=*-*-* *:"), "{text}");

    // a unit deleted by hand is repaired
    std::fs::remove_file(&timer).expect("remove the timer by hand");
    let out = user_sync(user, 0);
    assert_eq!(out.actions_for(&name), ["repaired"], "{out:?}");
    assert!(timer.exists());

    // deleting the drop-in removes the job, units and manifest
    std::fs::remove_file(&file).expect("remove the drop-in");
    let out = user_sync(user, 0);
    assert_eq!(out.actions_for(&name), ["removed"], "{out:?}");
    assert!(!timer.exists());
    assert!(!units.join(format!("piar-{name}.service")).exists());
    assert!(
        !user
            .home
            .join(format!(".local/state/piar/jobs/{name}.toml"))
            .exists()
    );
    let out = user_sync(user, 0);
    assert!(out.actions_for(&name).is_empty(), "{out:?}");
}

#[test]
fn sync_reports_invalid_dropins_and_keeps_submitted_jobs() {
    let _serial = USER_DROPINS.lock().unwrap_or_else(|e| e.into_inner());
    let user = TestUser::get();
    let dir = user.home.join(".config/piar/jobs.d");
    let submitted = unique("submitted");
    Piar::new()
        .user(Some(user))
        .args(["submit", "--name", &submitted, "--manual", "--", "true"])
        .run()
        .success();
    // file name and name disagree: reported, nothing created
    let bad = unique("bad");
    let other = unique("other");
    let file = dir.join(format!("{bad}.toml"));
    write_as(user, &file, &dropin(&other, "1h", "mismatch"));
    let out = user_sync(user, 2);
    let action = out
        .actions
        .iter()
        .find(|a| a.job == bad)
        .unwrap_or_else(|| panic!("no action for {bad}: {out:?}"));
    assert_eq!(action.action, "invalid");
    assert!(
        action.detail.contains("does not match the file name"),
        "{action:?}"
    );
    assert!(
        !user
            .home
            .join(format!(".config/systemd/user/piar-{other}.timer"))
            .exists()
    );
    assert!(
        !user
            .home
            .join(format!(".config/systemd/user/piar-{bad}.timer"))
            .exists()
    );
    std::fs::remove_file(&file).expect("remove the bad drop-in");
    // the submitted job (no drop-in) is untouched
    let out = user_sync(user, 0);
    assert!(out.actions_for(&submitted).is_empty(), "{out:?}");
    Piar::new()
        .user(Some(user))
        .args(["show", &submitted])
        .run()
        .success();
    Piar::new()
        .user(Some(user))
        .args(["rm", &submitted])
        .run()
        .success();
}

/// Install the shipped units with ExecStart pointing at the binary under test.
fn install_sync_units() -> Vec<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = crate::support::piar_bin();
    let mut installed = Vec::new();
    for unit in ["piar-sync.path", "piar-sync.service"] {
        let text = std::fs::read_to_string(repo.join("units").join(unit)).expect("shipped unit");
        assert!(text.contains("/usr/bin/piar") || unit.ends_with(".path"));
        let text = text.replace("/usr/bin/piar", &bin.display().to_string());
        let dest = PathBuf::from("/etc/systemd/system").join(unit);
        std::fs::write(&dest, text).expect("install unit");
        installed.push(dest);
    }
    installed
}

fn systemctl(args: &[&str]) {
    let status = std::process::Command::new("systemctl")
        .args(args)
        .status()
        .expect("systemctl");
    assert!(status.success(), "systemctl {args:?} failed");
}

#[test]
fn piar_sync_path_turns_a_dropped_manifest_into_a_firing_timer() {
    let installed = install_sync_units();
    systemctl(&["daemon-reload"]);
    systemctl(&["enable", "--now", "piar-sync.path"]);
    let name = unique("pathjob");
    let dir = Path::new("/etc/piar/jobs.d");
    std::fs::create_dir_all(dir).expect("jobs.d");
    let file = dir.join(format!("{name}.toml"));
    let tmp = dir.join(format!(".{name}.toml.tmp"));
    std::fs::write(&tmp, dropin(&name, "2s", "via path unit")).expect("write drop-in");
    std::fs::rename(&tmp, &file).expect("move drop-in into place");
    let timer = PathBuf::from(format!("/etc/systemd/system/piar-{name}.timer"));
    poll_until(
        "piar-sync.path to create the timer",
        Duration::from_secs(30),
        || timer.exists().then_some(()),
    );
    let runs = PathBuf::from(format!("/var/lib/piar/runs/{name}"));
    poll_until("a run of the drop-in job", Duration::from_secs(30), || {
        std::fs::read_dir(&runs).ok()?.next().map(|_| ())
    });
    std::fs::remove_file(&file).expect("remove the drop-in");
    // Uninstall removes the unit files before the manifest: wait for both.
    let manifest = PathBuf::from(format!("/var/lib/piar/jobs/{name}.toml"));
    poll_until(
        "piar-sync.path to remove the job",
        Duration::from_secs(30),
        || (!timer.exists() && !manifest.exists()).then_some(()),
    );
    systemctl(&["disable", "--now", "piar-sync.path"]);
    for f in installed {
        let _ = std::fs::remove_file(f);
    }
    systemctl(&["daemon-reload"]);
}

#[test]
fn jobs_named_sync_are_reserved() {
    let out = Piar::new()
        .args(["submit", "--name", "sync", "--manual", "--", "true"])
        .run()
        .code(2);
    assert!(out.stderr.contains("reserved"), "{}", out.stderr);
}

/// One sync applies many new drop-ins over one bus connection: each new timer
/// is restarted, and systemd answers every `Subscribe()` after the first with
/// `AlreadySubscribed`, which must not fail (and roll back) the later jobs.
/// Found by bench/run, which installs 1000 jobs with one sync.
#[test]
fn one_sync_creates_several_dropin_jobs() {
    let _serial = USER_DROPINS.lock().unwrap_or_else(|e| e.into_inner());
    let user = TestUser::get();
    let dir = user.home.join(".config/piar/jobs.d");
    let units = user.home.join(".config/systemd/user");
    let names: Vec<String> = (0..3).map(|i| unique(&format!("many{i}"))).collect();
    for name in &names {
        write_as(
            user,
            &dir.join(format!("{name}.toml")),
            &dropin(name, "1h", "one of several"),
        );
    }
    let out = user_sync(user, 0);
    for name in &names {
        assert_eq!(out.actions_for(name), ["created"], "{out:?}");
        assert!(units.join(format!("piar-{name}.timer")).exists(), "{name}");
    }
    let listed = Piar::new()
        .user(Some(user))
        .args(["list", "--json"])
        .run()
        .success()
        .json_value();
    for name in &names {
        let row = listed
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["name"] == name.as_str()))
            .unwrap_or_else(|| panic!("{name} not listed: {listed}"));
        assert_eq!(row["state"], "waiting", "{row}");
    }
    for name in &names {
        std::fs::remove_file(dir.join(format!("{name}.toml"))).expect("remove a drop-in");
    }
    let out = user_sync(user, 0);
    for name in &names {
        assert_eq!(out.actions_for(name), ["removed"], "{out:?}");
    }
}

/// Units written by an older piar run the full CLI (`ExecStart="/usr/bin/piar" --user
/// trigger NAME`): they keep working (`piar trigger` stays a verb), and `piar sync`
/// rewrites them to run the lean helper `piar-trigger` installed beside piar (issue 18).
#[test]
fn units_of_an_older_piar_keep_working_and_sync_moves_them_to_the_helper() {
    let _serial = USER_DROPINS.lock().unwrap_or_else(|e| e.into_inner());
    let user = TestUser::get();
    let name = unique("helper");
    let service = format!("piar-{name}.service");
    let path = user.home.join(".config/systemd/user").join(&service);
    let piar = crate::support::piar_bin();
    let helper = piar.with_file_name("piar-trigger");
    Piar::new()
        .user(Some(user))
        .args(["submit", "--name", &name, "--manual", "--", "true"])
        .run()
        .success();
    let new_text = std::fs::read_to_string(&path).expect("the job's service");
    let exec = |exe: &Path| format!("ExecStart=\"{}\" --user trigger {name}", exe.display());
    assert!(
        new_text.contains(&exec(&helper)),
        "submit writes the helper:\n{new_text}"
    );

    // what an older piar wrote: the full CLI's `trigger` verb
    let old_text = new_text.replace(&exec(&helper), &exec(&piar));
    assert_ne!(old_text, new_text);
    std::fs::write(&path, &old_text).expect("write the old unit");
    let ctl = |args: &[&str]| {
        let st = user
            .command("systemctl")
            .arg("--user")
            .args(args)
            .status()
            .expect("systemctl");
        assert!(st.success(), "systemctl --user {args:?}");
    };
    ctl(&["daemon-reload"]);
    let runs = || -> usize {
        let v = Piar::new()
            .user(Some(user))
            .args(["show", &name, "--json"])
            .run()
            .success()
            .json_value();
        v["last_runs"]
            .as_array()
            .map(|a| a.iter().filter(|r| r["status"] == "succeeded").count())
            .unwrap_or(0)
    };
    // oneshot: `start` returns when the trigger (and so the run) is done
    ctl(&["start", &service]);
    poll_until("the old unit's run", Duration::from_secs(30), || {
        (runs() == 1).then_some(())
    });

    let out = user_sync(user, 0);
    assert!(
        out.actions_for(&name).contains(&"repaired"),
        "sync repairs the old unit: {out:?}"
    );
    let repaired = std::fs::read_to_string(&path).expect("the job's service");
    assert_eq!(repaired, new_text, "sync writes what submit writes");
    ctl(&["start", &service]);
    poll_until("the helper's run", Duration::from_secs(30), || {
        (runs() == 2).then_some(())
    });
    Piar::new()
        .user(Some(user))
        .args(["rm", &name])
        .run()
        .success();
}
