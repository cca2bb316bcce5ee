//! Manifest validation: a table of invalid manifests -> the field named in
//! the error; names; derived names.

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::error::Kind;
use crate::schedule::ScheduleSpec;

fn manifest() -> Manifest {
    Manifest {
        version: VERSION,
        name: "disk-report".to_string(),
        description: "df every 5 minutes".to_string(),
        command: vec!["df".to_string(), "-h".to_string(), "/".to_string()],
        schedule: ScheduleSpec {
            manual: Some(true),
            ..ScheduleSpec::default()
        },
        timeout: None,
        workdir: None,
        enabled: true,
        created: Some("2026-11-21T12:00:00Z".to_string()),
        updated: None,
        env: BTreeMap::new(),
        metadata: toml::Table::new(),
        require_synced_clock: false,
        callback: None,
        ..Default::default()
    }
}

type Edit = Box<dyn Fn(&mut Manifest)>;

fn env(key: &str, value: &str) -> Edit {
    let (key, value) = (key.to_string(), value.to_string());
    Box::new(move |m| {
        m.env.insert(key.clone(), value.clone());
    })
}

/// Each invalid manifest and the prefix its error must start with. None of
/// these reach `Schedule::from_spec` beyond its "exactly one kind" checks.
#[test]
fn invalid_manifests_name_the_field() {
    let cases: Vec<(&str, Edit)> = vec![
        ("version: ", Box::new(|m| m.version = 2)),
        ("version: ", Box::new(|m| m.version = 0)),
        ("name: ", Box::new(|m| m.name = "Disk".into())),
        ("name: ", Box::new(|m| m.name = String::new())),
        ("command: ", Box::new(|m| m.command.clear())),
        (
            "command[0]: ",
            Box::new(|m| m.command = vec![String::new()]),
        ),
        ("command[1]: ", Box::new(|m| m.command[1] = "a\0b".into())),
        (
            "command: ",
            Box::new(|m| m.command = vec!["x".repeat(COMMAND_MAX_BYTES)]),
        ),
        ("env.1X: ", env("1X", "v")),
        ("env.A-B: ", env("A-B", "v")),
        ("env.: ", env("", "v")),
        ("env.A\\nB: ", env("A\nB", "v")),
        ("env.PIAR_JOB: ", env("PIAR_JOB", "v")),
        ("env.FOO: ", env("FOO", "a\0b")),
        (
            "env: ",
            Box::new(|m| {
                for i in 0..=ENV_MAX {
                    m.env.insert(format!("V{i}"), String::new());
                }
            }),
        ),
        ("workdir: ", Box::new(|m| m.workdir = Some("srv".into()))),
        ("workdir: ", Box::new(|m| m.workdir = Some(String::new()))),
        // found by tests/integration/hostile.rs: accepted, then every run failed in chdir(2)
        (
            "workdir: ",
            Box::new(|m| m.workdir = Some(format!("/{}", "d/".repeat(3000)))),
        ),
        (
            "workdir: ",
            Box::new(|m| m.workdir = Some("/srv/../etc".into())),
        ),
        (
            "workdir: ",
            Box::new(|m| m.workdir = Some("/srv/..".into())),
        ),
        ("workdir: ", Box::new(|m| m.workdir = Some("/srv\0".into()))),
        ("timeout: ", Box::new(|m| m.timeout = Some("soon".into()))),
        ("timeout: ", Box::new(|m| m.timeout = Some("-5s".into()))),
        ("timeout: ", Box::new(|m| m.timeout = Some("500ms".into()))),
        (
            "timeout: ",
            Box::new(|m| m.timeout = Some("1s 500ms".into())),
        ),
        (
            "timeout: ",
            Box::new(|m| m.timeout = Some("600000000years".into())),
        ),
        (
            "description: ",
            Box::new(|m| m.description = "é".repeat(DESCRIPTION_MAX + 1)),
        ),
        (
            "description: ",
            Box::new(|m| m.description = "a\n[Service]".into()),
        ),
        ("description: ", Box::new(|m| m.description = "a\\".into())),
        (
            "metadata: ",
            Box::new(|m| {
                m.metadata
                    .insert("blob".into(), "x".repeat(METADATA_MAX_BYTES).into());
            }),
        ),
        (
            "created: ",
            Box::new(|m| m.created = Some("yesterday".into())),
        ),
        (
            "updated: ",
            Box::new(|m| m.updated = Some("2026-11-21".into())),
        ),
        (
            "schedule: ",
            Box::new(|m| m.schedule = ScheduleSpec::default()),
        ),
        (
            "schedule: ",
            Box::new(|m| {
                m.schedule = ScheduleSpec {
                    every: Some("6h".into()),
                    cron: Some("* * * * *".into()),
                    ..ScheduleSpec::default()
                }
            }),
        ),
        (
            "schedule.tz: ",
            Box::new(|m| {
                m.schedule = ScheduleSpec {
                    on_calendar: Some(vec!["daily".into()]),
                    tz: Some("UTC".into()),
                    ..ScheduleSpec::default()
                }
            }),
        ),
    ];
    for (prefix, edit) in cases {
        let mut m = manifest();
        edit(&mut m);
        let shown = format!("{m:?}");
        let err = validate(m, None).unwrap_err();
        assert_eq!(err.kind, Kind::Invalid, "{shown}");
        assert!(
            err.message.starts_with(prefix),
            "expected {prefix:?}, got {:?}",
            err.message
        );
    }
}

#[test]
fn limits_are_inclusive() {
    // Exactly at each limit passes the field checks.
    assert!(check_command(&["x".repeat(COMMAND_MAX_BYTES - 1)]).is_ok());
    assert!(check_description(&"é".repeat(DESCRIPTION_MAX)).is_ok());
    let mut m = manifest();
    for i in 0..ENV_MAX {
        m.env.insert(format!("V{i}"), String::new());
    }
    assert!(check_env(&m).is_ok());
}

#[test]
fn version_error_says_what_is_supported() {
    let mut m = manifest();
    m.version = 7;
    let err = validate(m, None).unwrap_err();
    assert!(err.message.contains("version 1"), "{}", err.message);
    assert!(err.message.contains("version 7"), "{}", err.message);
    assert!(err.hint.is_some());
}

#[test]
fn timeouts() {
    assert_eq!(parse_timeout("0").unwrap(), None);
    assert_eq!(parse_timeout("0s").unwrap(), None);
    assert_eq!(parse_timeout("1s").unwrap(), Some(Duration::from_secs(1)));
    assert_eq!(
        parse_timeout("10m").unwrap(),
        Some(Duration::from_secs(600))
    );
    assert_eq!(
        parse_timeout("1h 30m").unwrap(),
        Some(Duration::from_secs(5400))
    );
    assert!(parse_timeout("1500ms").is_err());
    assert!(parse_timeout("").is_err());
}

#[test]
fn workdirs_are_normalized() {
    assert_eq!(
        check_workdir("/srv//data/./x/").unwrap(),
        Path::new("/srv/data/x")
    );
    assert_eq!(check_workdir("/").unwrap(), Path::new("/"));
}

#[test]
fn env_accepts_posix_names() {
    let mut m = manifest();
    for k in ["A", "_", "lower_case", "X1", "PIAR", "PIARX"] {
        m.env.insert(k.into(), "any value, even\nnewlines".into());
    }
    assert!(check_env(&m).is_ok());
}

/// Needs `Schedule::from_spec` for a `manual` schedule, which asks
/// `schedule::at::system_tz_name` (another module).
#[test]
fn valid_manifest_becomes_a_job() {
    let mut m = manifest();
    m.timeout = Some("10m".into());
    m.workdir = Some("/srv/./data/".into());
    m.env.insert("LANG".into(), "C.UTF-8".into());
    m.metadata.insert("owner".into(), "ops".into());
    let job = validate(m.clone(), None).unwrap();
    assert_eq!(job.name(), "disk-report");
    assert_eq!(job.timeout, Some(Duration::from_secs(600)));
    assert_eq!(job.workdir.as_deref(), Some(Path::new("/srv/data")));
    assert_eq!(job.schedule, Schedule::Manual);
    assert_eq!(job.manifest, m, "the manifest is kept verbatim");

    m.timeout = Some("0".into());
    assert_eq!(validate(m, None).unwrap().timeout, None);
}

/// A stored one-shot whose time has passed still loads (`now` = None), but is
/// refused at submit time. Needs `schedule::at` (another module).
#[test]
fn past_at_accepted_only_when_loading() {
    let mut m = manifest();
    m.schedule = ScheduleSpec {
        at: Some("2020-01-01T00:00:00Z".into()),
        tz: Some("UTC".into()),
        ..ScheduleSpec::default()
    };
    assert!(validate(m.clone(), None).is_ok());
    let err = validate(m, Some(jiff::Timestamp::now())).unwrap_err();
    assert!(err.message.starts_with("schedule.at: "), "{}", err.message);
}

#[test]
fn names() {
    let long_ok = "a".repeat(NAME_MAX);
    for ok in ["a", "0", "a-b_c", "9lives", "x-", long_ok.as_str()] {
        assert!(validate_name(ok).is_ok(), "{ok}");
    }
    let long_bad = "a".repeat(NAME_MAX + 1);
    let cases = [
        ("", "empty"),
        ("-a", "starts with '-'"),
        ("_a", "starts with '_'"),
        ("Disk", "'D' at position 1"),
        ("disk.report", "'.' at position 5"),
        ("a b", "' ' at position 2"),
        ("é", "'é' at position 1"),
        ("a/../b", "'/' at position 2"),
        (long_bad.as_str(), "64 characters long, the maximum is 63"),
    ];
    for (name, problem) in cases {
        let err = validate_name(name).unwrap_err();
        assert_eq!(err.kind, Kind::Invalid);
        assert!(err.message.contains(problem), "{name:?}: {}", err.message);
        assert!(
            err.message.contains("[a-z0-9][a-z0-9_-]{0,62}"),
            "{}",
            err.message
        );
    }
}

fn derive(command: &[&str], taken: &[&str]) -> String {
    let command: Vec<String> = command.iter().map(|s| s.to_string()).collect();
    let name = derive_name(&command, &|n| taken.contains(&n));
    assert!(validate_name(&name).is_ok(), "{name:?}");
    name
}

#[test]
fn derived_names() {
    assert_eq!(derive(&["/usr/bin/df", "-h"], &[]), "df");
    assert_eq!(derive(&["Backup.SH"], &[]), "backup-sh");
    assert_eq!(derive(&["/opt/My Tool/run  me!!"], &[]), "run-me");
    assert_eq!(derive(&["./scripts/sync_photos/"], &[]), "sync_photos");
    assert_eq!(derive(&["__init__"], &[]), "init");
    assert_eq!(derive(&["Überprüfung"], &[]), "berpr-fung");
    for empty in [&[][..], &[""], &["/"], &["---"], &["ÄÖÜ"]] {
        assert_eq!(derive(empty, &[]), "job");
    }
    let long = "a".repeat(100);
    assert_eq!(derive(&[&long], &[]).len(), DERIVED_NAME_MAX);
    let dash_at_cut = format!("{}-{}", "b".repeat(DERIVED_NAME_MAX - 1), "c".repeat(10));
    assert_eq!(
        derive(&[&dash_at_cut], &[]),
        "b".repeat(DERIVED_NAME_MAX - 1)
    );
}

#[test]
fn derived_names_are_unique() {
    assert_eq!(derive(&["df"], &["df"]), "df-2");
    assert_eq!(derive(&["df"], &["df", "df-2", "df-3"]), "df-4");
    assert_eq!(derive(&["df"], &["df-2"]), "df");
    let long = "a".repeat(100);
    let base = "a".repeat(DERIVED_NAME_MAX);
    let taken = [base.as_str()];
    assert_eq!(derive(&[&long], &taken), format!("{base}-2"));
}

#[test]
fn reserved_names_are_rejected_and_never_derived() {
    let err = validate_name("sync").unwrap_err();
    assert!(err.message.contains("reserved"), "{}", err.message);
    assert_eq!(derive(&["/bin/sync"], &[]), "sync-2");
}
