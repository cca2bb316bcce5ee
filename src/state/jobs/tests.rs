//! Store tests in a temporary state directory.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use super::*;
use crate::error::Kind;
use crate::model::manifest::VERSION;
use crate::schedule::ScheduleSpec;
use crate::state::layout::Scope;

fn store() -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let paths = Paths {
        scope: Scope::User,
        unit_dir: tmp.path().join("units"),
        state_dir: tmp.path().join("state"),
    };
    let store = Store::new(&paths);
    (tmp, store)
}

fn manifest(name: &str) -> Manifest {
    let mut env = BTreeMap::new();
    env.insert("LANG".to_string(), "C.UTF-8".to_string());
    let mut metadata = toml::Table::new();
    metadata.insert("owner".into(), "ops".into());
    Manifest {
        version: VERSION,
        name: name.to_string(),
        description: format!("job {name}"),
        command: vec![
            "sh".into(),
            "-c".into(),
            "echo \"hi\" 'there' \\ $HOME".into(),
        ],
        schedule: ScheduleSpec {
            on_calendar: Some(vec!["*-*-* 09:00:00".into()]),
            ..ScheduleSpec::default()
        },
        timeout: Some("10m".into()),
        workdir: Some("/srv".into()),
        enabled: true,
        created: Some("2026-11-21T12:00:00Z".into()),
        updated: Some("2026-11-21T12:00:00Z".into()),
        env,
        metadata,
        require_synced_clock: false,
        callback: None,
        ..Default::default()
    }
}

fn parse(text: &str) -> Manifest {
    toml::from_str(text).unwrap()
}

#[test]
fn paths_come_from_state_dir() {
    let (tmp, s) = store();
    assert_eq!(s.dir, tmp.path().join("state/jobs"));
    assert_eq!(s.lock_path, tmp.path().join("state/lock"));
}

#[test]
fn save_and_read_back() {
    let (_tmp, s) = store();
    assert!(!s.exists("disk-report"));
    assert_eq!(s.read_raw("disk-report").unwrap(), None);
    let m = manifest("disk-report");
    s.save(&m).unwrap();
    assert!(s.exists("disk-report"));
    let text = s.read_raw("disk-report").unwrap().unwrap();
    assert_eq!(parse(&text), m);

    let path = s.dir.join("disk-report.toml");
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, MANIFEST_MODE);
    // Only the manifest is left: no temp files.
    let files: Vec<_> = fs::read_dir(&s.dir).unwrap().collect();
    assert_eq!(files.len(), 1);

    // Overwrite, then roll back with save_raw.
    let mut changed = m.clone();
    changed.description = "changed".into();
    s.save(&changed).unwrap();
    assert_eq!(parse(&s.read_raw("disk-report").unwrap().unwrap()), changed);
    s.save_raw("disk-report", &text).unwrap();
    assert_eq!(s.read_raw("disk-report").unwrap().unwrap(), text);
}

/// Needs `Schedule::from_spec` (`schedule::at::system_tz_name`, another module).
#[test]
fn save_and_load() {
    let (_tmp, s) = store();
    let m = manifest("disk-report");
    s.save(&m).unwrap();
    let job = s.load("disk-report").unwrap();
    assert_eq!(job.manifest, m);
    assert_eq!(job.timeout, Some(std::time::Duration::from_secs(600)));

    s.save(&manifest("a-first")).unwrap();
    fs::write(s.dir.join("broken.toml"), "version = ").unwrap();
    let all = s.load_all().unwrap();
    let names: Vec<_> = all
        .iter()
        .map(|r| match r {
            Ok(j) => j.name().to_string(),
            Err((n, _)) => format!("!{n}"),
        })
        .collect();
    assert_eq!(names, ["a-first", "!broken", "disk-report"]);
}

#[test]
fn remove_is_idempotent() {
    let (_tmp, s) = store();
    s.remove("nothing").unwrap();
    s.save(&manifest("gone")).unwrap();
    s.remove("gone").unwrap();
    assert!(!s.exists("gone"));
    s.remove("gone").unwrap();
}

#[test]
fn missing_manifest_is_not_found() {
    let (_tmp, s) = store();
    let err = s.load("nope").unwrap_err();
    assert_eq!(err.kind, Kind::NotFound);
    assert!(err.message.contains("\"nope\""), "{}", err.message);
    assert!(s.load_all().unwrap().is_empty(), "no jobs dir = no jobs");
}

#[test]
fn names_cannot_escape_the_jobs_dir() {
    let (_tmp, s) = store();
    for bad in ["../lock", "a/b", "", "A"] {
        assert_eq!(s.load(bad).unwrap_err().kind, Kind::Invalid, "{bad}");
        assert!(s.save_raw(bad, "x").is_err(), "{bad}");
        assert!(s.remove(bad).is_err(), "{bad}");
        assert!(!s.exists(bad));
    }
}

#[test]
fn corrupt_manifest_names_file_and_line() {
    let (_tmp, s) = store();
    fs::create_dir_all(&s.dir).unwrap();
    let path = s.dir.join("bad.toml");
    fs::write(&path, "version = 1\nname = \"bad\"\ncommand = [\"df\"\n").unwrap();
    let err = s.load("bad").unwrap_err();
    assert_eq!(err.kind, Kind::Invalid);
    assert!(
        err.message.starts_with(&format!("{}: ", path.display())),
        "{}",
        err.message
    );
    assert!(err.message.contains("line 3"), "{}", err.message);

    fs::write(&path, "version = 1\nname = \"bad\"\nnope = 1\n").unwrap();
    let err = s.load("bad").unwrap_err();
    assert!(err.message.contains("nope"), "{}", err.message);

    let mut m = manifest("other");
    m.version = 1;
    fs::write(&path, toml::to_string(&m).unwrap()).unwrap();
    let err = s.load("bad").unwrap_err();
    assert!(err.message.contains("does not match"), "{}", err.message);

    m.name = "bad".into();
    m.version = 9;
    fs::write(&path, toml::to_string(&m).unwrap()).unwrap();
    let err = s.load("bad").unwrap_err();
    assert!(
        err.message
            .starts_with(&format!("{}: version: ", path.display())),
        "{}",
        err.message
    );
}

#[test]
fn load_all_reports_bad_files_sorted_and_skips_others() {
    let (_tmp, s) = store();
    fs::create_dir_all(&s.dir).unwrap();
    fs::write(s.dir.join("b.toml"), "garbage").unwrap();
    fs::write(s.dir.join("a.toml"), "version = 2").unwrap();
    fs::write(s.dir.join("Bad Name.toml"), "").unwrap();
    fs::write(s.dir.join(".tmpAbc123"), "partial").unwrap();
    fs::write(s.dir.join(".hidden.toml"), "partial").unwrap();
    fs::write(s.dir.join("notes.txt"), "").unwrap();
    let all = s.load_all().unwrap();
    let names: Vec<_> = all
        .iter()
        .map(|r| match r {
            Ok(j) => panic!("{j:?} loaded"),
            Err((n, e)) => {
                assert_eq!(e.kind, Kind::Invalid);
                n.as_str()
            }
        })
        .collect();
    assert_eq!(names, ["Bad Name", "a", "b"]);
}

#[test]
fn lock_creates_state_dir_and_excludes() {
    let (_tmp, s) = store();
    let guard = s.lock().unwrap();
    assert!(s.lock_path.is_file());
    let mode = fs::metadata(s.lock_path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert!(mode & 0o700 == 0o700, "{mode:o}");
    // flock(2) locks belong to the open file description: a second open in
    // the same process is excluded too.
    let second = File::open(&s.lock_path).unwrap();
    assert!(second.try_lock().is_err());
    drop(guard);
    assert!(second.try_lock().is_ok());
}

#[test]
fn concurrent_writers_serialize_and_never_tear() {
    let (_tmp, s) = store();
    let s = Arc::new(s);
    let inside = Arc::new(AtomicBool::new(false));
    let shared = manifest("shared");
    s.save(&shared).unwrap();
    let mut handles = Vec::new();
    for i in 0..20 {
        let (s, inside) = (Arc::clone(&s), Arc::clone(&inside));
        handles.push(thread::spawn(move || {
            let _guard = s.lock().unwrap();
            assert!(!inside.swap(true, Ordering::SeqCst), "two holders");
            s.save(&manifest(&format!("job-{i}"))).unwrap();
            // Everyone also rewrites one shared file, with a growing body.
            let mut m = manifest("shared");
            m.description = "x".repeat(i * 1000);
            s.save(&m).unwrap();
            inside.store(false, Ordering::SeqCst);
        }));
    }
    // A reader that never takes the lock still sees whole files only.
    let reader = {
        let s = Arc::clone(&s);
        thread::spawn(move || {
            for _ in 0..500 {
                let text = s.read_raw("shared").unwrap().unwrap();
                assert_eq!(parse(&text).name, "shared");
            }
        })
    };
    for h in handles {
        h.join().unwrap();
    }
    reader.join().unwrap();
    for i in 0..20 {
        let name = format!("job-{i}");
        let text = s.read_raw(&name).unwrap().unwrap();
        assert_eq!(parse(&text), manifest(&name));
    }
    let files = fs::read_dir(&s.dir).unwrap().count();
    assert_eq!(files, 21, "20 jobs + shared, no temp files left");
}

#[test]
fn write_atomic_sets_exact_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("f");
    write_atomic(&path, b"one", 0o600).unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"one");
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
        0o600
    );
    write_atomic(&path, b"two", 0o644).unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"two");
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
        0o644
    );
    let err = write_atomic(&tmp.path().join("missing/f"), b"x", 0o644).unwrap_err();
    assert_eq!(err.kind, Kind::NotFound);
}
