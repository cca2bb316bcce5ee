//! Hostile input (issue 7): newlines, NUL, `%` specifiers, `$VAR`/`${VAR}`, quotes and
//! backslashes, `../`, very long strings and invalid UTF-8, into every field: name, command
//! words, env keys and values, workdir, description, metadata keys and values, each kind of
//! schedule string and the callback URL. Each value is either rejected (exit 2, the message
//! names the field, nothing written) or round-trips exactly: into the running job (which
//! writes its argv, environment and working directory to files) or into `piar show`. And
//! it never adds a directive to a unit file: every rendered line is a known key in its
//! section, with the usual count of each key.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use serde_json::Value;

use crate::support::{Output, PrivateState};

/// Printable hostile values, passed through argv (NUL cannot be: see the `--file` test).
fn corpus() -> Vec<String> {
    vec![
        "a\nb".into(),
        "a\r\nExecStartPre=/bin/false".into(),
        "x\n[Service]\nExecStart=/bin/false".into(),
        "%n %i %% %".into(),
        "$HOME ${PATH} $$ $".into(),
        "'single' \"double\" \\back\\slash".into(),
        "trailing\\".into(),
        "../../etc/passwd".into(),
        "tab\there".into(),
        "\u{2028}line separator".into(),
        ";&|`$(id)`".into(),
        "-rf".into(),
        " ".into(),
        "x".repeat(100_000),
    ]
}

/// Which field a value goes into, and how.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Name,
    CommandWord,
    EnvKey,
    EnvValue,
    Workdir,
    Description,
    MetaKey,
    MetaValue,
    Cron,
    Every,
    At,
    OnCalendar,
    CallbackUrl,
}

const FIELDS: &[Field] = &[
    Field::Name,
    Field::CommandWord,
    Field::EnvKey,
    Field::EnvValue,
    Field::Workdir,
    Field::Description,
    Field::MetaKey,
    Field::MetaValue,
    Field::Cron,
    Field::Every,
    Field::At,
    Field::OnCalendar,
    Field::CallbackUrl,
];

impl Field {
    /// Words any error about this field must contain (one of them).
    fn names(self) -> &'static [&'static str] {
        match self {
            Field::Name => &["name"],
            Field::CommandWord => &["command"],
            Field::EnvKey | Field::EnvValue => &["env"],
            Field::Workdir => &["workdir"],
            Field::Description => &["description"],
            Field::MetaKey | Field::MetaValue => &["meta"],
            Field::Cron => &["cron"],
            Field::Every => &["every"],
            Field::At => &["--at", "at:"],
            Field::OnCalendar => &["on_calendar", "on-calendar", "calendar"],
            Field::CallbackUrl => &["callback"],
        }
    }
}

/// The job's command: write argv (NUL-separated), environment (`env -0`) and working
/// directory into `$OUT/`.
const SCRIPT: &str = "printf '%s\\0' \"$@\" > \"$OUT/argv\"; env -0 > \"$OUT/env\"; \
                      readlink /proc/self/cwd > \"$OUT/cwd\"";

/// Submit a manual job (or one scheduled by the field under test) with `value` in `field`.
fn submit(state: &PrivateState, name: &str, field: Field, value: &OsStr, out: &Path) -> Output {
    let mut args: Vec<OsString> = vec!["submit".into()];
    let kv = |k: &OsStr, v: &OsStr| {
        let mut s = k.to_os_string();
        s.push("=");
        s.push(v);
        s
    };
    // `--flag=VALUE`, so that a value starting with `-` is still a value.
    let mut push2 = |flag: &str, v: OsString| {
        let mut a = OsString::from(format!("{flag}="));
        a.push(v);
        args.push(a);
    };
    push2(
        "--name",
        if field == Field::Name {
            value.into()
        } else {
            name.into()
        },
    );
    push2("--env", format!("OUT={}", out.display()).into());
    match field {
        Field::EnvKey => push2("--env", kv(value, OsStr::new("v"))),
        Field::EnvValue => push2("--env", kv(OsStr::new("HOSTILE"), value)),
        Field::Workdir => push2("--workdir", value.into()),
        Field::Description => push2("--description", value.into()),
        Field::MetaKey => push2("--meta", kv(value, OsStr::new("v"))),
        Field::MetaValue => push2("--meta", kv(OsStr::new("k"), value)),
        Field::CallbackUrl => push2("--callback", value.into()),
        _ => {}
    }
    match field {
        Field::Cron => {
            push2("--cron", value.into());
            push2("--tz", "UTC".into());
        }
        Field::Every => push2("--every", value.into()),
        Field::At => push2("--at", value.into()),
        Field::OnCalendar => push2("--on-calendar", value.into()),
        _ => args.push("--manual".into()),
    }
    args.extend(["--", "/bin/sh", "-c", SCRIPT, "sh"].map(OsString::from));
    if field == Field::CommandWord {
        args.push(value.into());
    }
    state.piar().args(args).run()
}

/// Every line of a rendered unit is blank, a comment, a known section, or a known key of
/// its section; returns the keys in order.
pub fn unit_keys(text: &str) -> Vec<String> {
    let known: &[(&str, &[&str])] = &[
        ("Unit", &["Description", "Documentation"]),
        ("Service", &["Type", "ExecStart"]),
        (
            "Timer",
            &[
                "OnCalendar",
                "OnActiveSec",
                "OnUnitActiveSec",
                "OnBootSec",
                "AccuracySec",
                "Persistent",
                "Unit",
            ],
        ),
        ("Install", &["WantedBy"]),
    ];
    let mut section = "";
    let mut keys = Vec::new();
    for line in text.lines() {
        assert!(!line.ends_with('\\'), "line continuation: {line:?}\n{text}");
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = known
                .iter()
                .find(|(k, _)| *k == s)
                .unwrap_or_else(|| panic!("unknown section {line:?}\n{text}"))
                .0;
            continue;
        }
        let key = line.split_once('=').map(|(k, _)| k).unwrap_or(line);
        let allowed = known.iter().find(|(k, _)| *k == section).map(|(_, v)| *v);
        assert!(
            allowed.is_some_and(|a| a.contains(&key)),
            "{key:?} is not a key piar writes in [{section}]\n{text}"
        );
        keys.push(format!("{section}.{key}"));
    }
    keys
}

/// The unit files of `name` parse with the usual keys (one Description, one ExecStart,
/// OnCalendar= lines only in a timer).
fn assert_units_clean(name: &str) {
    let service = std::fs::read_to_string(format!("/etc/systemd/system/piar-{name}.service"))
        .expect("service file");
    assert_eq!(
        unit_keys(&service),
        [
            "Unit.Description",
            "Unit.Documentation",
            "Service.Type",
            "Service.ExecStart"
        ],
        "{service}"
    );
    if let Ok(timer) = std::fs::read_to_string(format!("/etc/systemd/system/piar-{name}.timer")) {
        let keys = unit_keys(&timer);
        for once in ["Unit.Description", "Timer.Unit", "Install.WantedBy"] {
            assert_eq!(keys.iter().filter(|k| *k == once).count(), 1, "{timer}");
        }
    }
}

/// Nothing of job `name` was written.
fn assert_nothing_written(state: &PrivateState, name: &str) {
    assert!(!state.manifest(name).exists(), "{name}: manifest written");
    assert!(
        !Path::new(&format!("/etc/systemd/system/piar-{name}.service")).exists(),
        "{name}: unit written"
    );
}

/// Run the job once (`piar trigger`) and read what it wrote.
fn run_job(state: &PrivateState, name: &str, out: &Path) -> (Vec<Vec<u8>>, Vec<Vec<u8>>, String) {
    state.piar().args(["trigger", name]).run().success();
    let split = |b: Vec<u8>| -> Vec<Vec<u8>> {
        b.split(|c| *c == 0)
            .filter(|s| !s.is_empty())
            .map(<[u8]>::to_vec)
            .collect()
    };
    let argv = split(std::fs::read(out.join("argv")).expect("argv"));
    let env = split(std::fs::read(out.join("env")).expect("env"));
    let cwd = std::fs::read_to_string(out.join("cwd")).expect("cwd");
    (argv, env, cwd.trim_end_matches('\n').to_string())
}

/// Check one accepted value: it arrived exactly where it belongs.
fn assert_round_trip(state: &PrivateState, name: &str, field: Field, value: &str, out: &Path) {
    assert_units_clean(name);
    let show: Value = state
        .piar()
        .args(["show", name, "--json"])
        .run()
        .success()
        .json();
    let m = &show["manifest"];
    // `--env`/`--meta` split KEY=VALUE at the first `=`.
    let (key, key_value) = match value.split_once('=') {
        Some((k, rest)) => (k.to_string(), format!("{rest}=v")),
        None => (value.to_string(), "v".to_string()),
    };
    match field {
        Field::Name => assert_eq!(show["name"], value),
        Field::Description => {
            assert_eq!(m["description"], value);
            let service =
                std::fs::read_to_string(format!("/etc/systemd/system/piar-{name}.service"))
                    .unwrap();
            let line = format!("Description=piar job {name}: {}", value.replace('%', "%%"));
            assert!(service.lines().any(|l| l == line), "{service}");
        }
        Field::MetaKey => assert_eq!(m["metadata"][&key], key_value.as_str()),
        Field::MetaValue => assert_eq!(m["metadata"]["k"], value),
        Field::CallbackUrl => assert_eq!(m["callback"]["url"], value),
        Field::Cron => assert_eq!(m["schedule"]["cron"], value),
        Field::Every => assert_eq!(m["schedule"]["every"], value),
        Field::OnCalendar => assert_eq!(m["schedule"]["on_calendar"][0], value),
        Field::At => {}
        Field::CommandWord | Field::EnvKey | Field::EnvValue | Field::Workdir => {
            let (argv, env, cwd) = run_job(state, name, out);
            match field {
                Field::CommandWord => assert_eq!(argv, vec![value.as_bytes().to_vec()]),
                Field::EnvKey => {
                    let want = format!("{key}={key_value}").into_bytes();
                    assert!(env.contains(&want), "{value:?} not in the job's env");
                }
                Field::EnvValue => {
                    let want = format!("HOSTILE={value}").into_bytes();
                    assert!(
                        env.contains(&want),
                        "HOSTILE={value:?} not in the job's env"
                    );
                }
                _ => assert_eq!(cwd, value),
            }
        }
    }
}

/// One field x one value: rejected cleanly or round-tripped; returns whether accepted.
fn try_value(state: &PrivateState, i: usize, field: Field, value: &str) -> bool {
    let name = format!("hostile-{i}");
    let out = state.dir.join(format!("out-{i}"));
    std::fs::create_dir_all(&out).unwrap();
    // A workdir value is made to exist (under the state dir) when it can be a directory.
    let value = if field == Field::Workdir && value.starts_with("../") {
        format!("{}/{value}", state.dir.display())
    } else if field == Field::Workdir {
        let dir = state.dir.join(format!("w{i}-{}", value.replace('/', "_")));
        if value.len() < 200 {
            let _ = std::fs::create_dir_all(&dir);
        }
        dir.display().to_string()
    } else {
        value.to_string()
    };
    let res = submit(state, &name, field, OsStr::new(&value), &out);
    let job = if field == Field::Name { &value } else { &name };
    match res.status {
        0 => {
            assert_round_trip(state, job, field, &value, &out);
            state.piar().args(["rm", job]).run().success();
            true
        }
        2 => {
            let msg = res.stderr.to_lowercase();
            assert!(
                field.names().iter().any(|n| msg.contains(n)),
                "{field:?} = {value:?}: the error does not name the field: {}",
                res.stderr
            );
            if field != Field::Name {
                assert_nothing_written(state, &name);
            }
            false
        }
        other => panic!(
            "{field:?} = {:?}: exit {other} (expected 0 or 2)\n{}",
            value.chars().take(200).collect::<String>(),
            res.stderr
        ),
    }
}

#[test]
fn hostile_values_are_rejected_or_round_trip_in_every_field() {
    let state = PrivateState::new("hostile");
    let mut accepted = Vec::new();
    let mut i = 0;
    for &field in FIELDS {
        for value in corpus() {
            i += 1;
            if try_value(&state, i, field, &value) {
                accepted.push((field, value.chars().take(40).collect::<String>()));
            }
        }
    }
    // What must be accepted, byte for byte: argv words and env values are opaque to piar.
    for must in [
        "%n %i %% %",
        "$HOME ${PATH} $$ $",
        "'single' \"double\" \\back\\slash",
        "a\nb",
    ] {
        for field in [Field::CommandWord, Field::EnvValue] {
            assert!(
                accepted.iter().any(|(f, v)| *f == field && v == must),
                "{field:?} = {must:?} was rejected; argv words and env values must round-trip"
            );
        }
    }
    for must in [
        "%n %i %% %",
        "$HOME ${PATH} $$ $",
        "'single' \"double\" \\back\\slash",
    ] {
        assert!(
            accepted
                .iter()
                .any(|(f, v)| *f == Field::Description && v == must),
            "description {must:?} was rejected"
        );
    }
}

#[test]
fn invalid_utf8_from_argv_is_rejected_naming_the_argument() {
    let state = PrivateState::new("hostile-utf8");
    let bad = OsStr::from_bytes(b"caf\xe9\xff");
    for (i, &field) in FIELDS.iter().enumerate() {
        let name = format!("utf8-{i}");
        let out = state.dir.join("out");
        let res = submit(&state, &name, field, bad, &out);
        assert_eq!(res.status, 2, "{field:?}: {}", res.stderr);
        assert!(res.stderr.contains("UTF-8"), "{field:?}: {}", res.stderr);
        let flag = match field {
            Field::Name => "--name",
            Field::CommandWord => "command: word",
            Field::EnvKey | Field::EnvValue => "--env",
            Field::Workdir => "--workdir",
            Field::Description => "--description",
            Field::MetaKey | Field::MetaValue => "--meta",
            Field::Cron => "--cron",
            Field::Every => "--every",
            Field::At => "--at",
            Field::OnCalendar => "--on-calendar",
            Field::CallbackUrl => "--callback",
        };
        assert!(
            res.stderr.contains(&format!("piar: error: {flag}")),
            "{field:?}: the error does not name {flag}: {}",
            res.stderr
        );
        assert_nothing_written(&state, &name);
    }
}

#[test]
fn nul_and_huge_values_in_a_manifest_file_are_rejected_or_round_trip() {
    let state = PrivateState::new("hostile-file");
    let out = state.dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let big = "y".repeat(1 << 20); // 1 MiB
    // (field, TOML snippet with the hostile value, must be rejected)
    let cases: Vec<(&str, String, bool)> = vec![
        ("description", r#"description = "a\u0000b""#.into(), true),
        (
            "command",
            r#"command = ["/bin/sh", "-c", "true", "a\u0000b"]"#.into(),
            true,
        ),
        ("env", "[env]\nK = \"a\\u0000b\"".into(), true),
        ("env", "[env]\n\"A\\u0000B\" = \"v\"".into(), true),
        ("workdir", r#"workdir = "/tmp\u0000x""#.into(), true),
        (
            "on_calendar",
            "[schedule]\non_calendar = [\"*-*-* 03:00:00\\u0000\"]".into(),
            true,
        ),
        (
            "cron",
            "[schedule]\ncron = \"0 3 * * *\\u0000\"\ntz = \"UTC\"".into(),
            true,
        ),
        ("every", "[schedule]\nevery = \"1h\\u0000\"".into(), true),
        (
            "callback",
            "[callback]\nurl = \"http://127.0.0.1/\\u0000\"".into(),
            true,
        ),
        ("description", format!("description = \"{big}\""), true),
        ("metadata", format!("[metadata]\nk = \"{big}\""), true),
        (
            "command",
            format!("command = [\"/bin/sh\", \"-c\", \"true\", \"{big}\"]"),
            false,
        ),
        (
            "metadata",
            "[metadata]\n\"a\\u0000b\" = \"c\\u0000d\"".into(),
            false,
        ),
    ];
    for (i, (field, snippet, must_reject)) in cases.iter().enumerate() {
        let name = format!("file-{i}");
        let has = |k: &str| snippet.starts_with(k) || snippet.contains(&format!("\n{k}"));
        let mut text = format!("version = 1\nname = \"{name}\"\n");
        if !has("command") {
            text.push_str("command = [\"/bin/true\"]\n");
        }
        // top-level keys before any table
        let (top, tables): (String, String) = if snippet.starts_with('[') {
            (String::new(), snippet.clone())
        } else {
            (format!("{snippet}\n"), String::new())
        };
        text.push_str(&top);
        if !tables.starts_with("[schedule]") {
            text.push_str("[schedule]\nmanual = true\n");
        }
        text.push_str(&tables);
        text.push('\n');
        let file = state.dir.join(format!("m{i}.toml"));
        std::fs::write(&file, &text).unwrap();
        let res = state.piar().args(["submit", "--file"]).arg(&file).run();
        if *must_reject || res.status != 0 {
            assert_eq!(res.status, 2, "{field}: {}", res.stderr);
            assert!(
                res.stderr.to_lowercase().contains(field),
                "{field}: the error does not name the field: {}",
                res.stderr
            );
            assert!(
                res.stderr.len() < 4096,
                "{field}: the error echoes the value"
            );
            assert_nothing_written(&state, &name);
        } else {
            assert_units_clean(&name);
            let show: Value = state
                .piar()
                .args(["show", &name, "--json"])
                .run()
                .success()
                .json();
            let want: toml::Table = toml::from_str(&text).unwrap();
            let got = &show["manifest"];
            if *field == "metadata" {
                let (k, v) = want["metadata"].as_table().unwrap().iter().next().unwrap();
                assert_eq!(got["metadata"][k], v.as_str().unwrap());
            } else {
                assert_eq!(got["command"][3].as_str().unwrap().len(), big.len());
            }
            state.piar().args(["rm", &name]).run().success();
        }
    }
    let _ = out;
}
