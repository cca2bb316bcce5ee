//! Property-based fuzzing (issue 7) with proptest, as ordinary bounded `#[test]`s: the
//! machine has only stable Rust, so cargo-fuzz (nightly) is out. Each harness runs
//! `PIAR_FUZZ_CASES` cases (default below: the whole file takes a few seconds in a debug
//! build); `PIAR_FUZZ_CASES=100000 cargo test --test fuzz` for a long run.
//!
//! Properties: no parser panics on any input (cron, `--at` times, `--every` intervals,
//! manifest TOML text, structured manifests); every compiled cron expression and `--every`
//! interval renders timer lines that systemd accepts (`systemd-analyze calendar` as the
//! oracle, in one batched call) and that obey the shape piar's renderer assumes; every
//! manifest that validates renders unit files with exactly the expected directives, however
//! hostile its text fields; unit-file quoting round-trips through systemd's unquoting rules.
//!
//! Regressions: every input that once failed is in `tests/fuzz-corpus/*.txt` (one input per
//! line, `\n`-style escapes) and replayed first by each harness; add the failing input there
//! when fixing a bug the fuzzer found.

use std::path::Path;

use piar::model::manifest::validate::validate;
use piar::model::manifest::{Manifest, VERSION};
use piar::schedule::cron::CronExpr;
use piar::schedule::{ScheduleSpec, at, every};
use piar::state::layout::Scope;
use piar::units::render as unit;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Cases per harness (env `PIAR_FUZZ_CASES` overrides).
fn cases(default: u32) -> u32 {
    std::env::var("PIAR_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runner(default: u32) -> TestRunner {
    TestRunner::new(Config {
        cases: cases(default),
        failure_persistence: None,
        ..Config::default()
    })
}

/// The committed regression corpus of one harness, unescaped (`\n`, `\t`, `\0`, `\\`, `\u{..}`).
fn corpus(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with("##"))
        .map(unescape)
        .collect()
}

fn unescape(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('\\') => out.push('\\'),
            Some('u') => {
                let hex: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                out.push(
                    u32::from_str_radix(&hex, 16)
                        .ok()
                        .and_then(char::from_u32)
                        .unwrap_or('?'),
                );
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Pieces of text that have broken parsers and unit files elsewhere.
fn hostile_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\0".to_string()),
        Just("\\".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("%n".to_string()),
        Just("%%".to_string()),
        Just("$HOME".to_string()),
        Just("${PATH}".to_string()),
        Just("$$".to_string()),
        Just("../".to_string()),
        Just(";".to_string()),
        Just("[Service]".to_string()),
        Just("\nExecStartPre=/bin/evil".to_string()),
        Just("\\\n".to_string()),
        Just("\u{2028}".to_string()),
        Just("\u{7f}".to_string()),
        "[a-z0-9 :*/,.-]{0,8}",
        any::<char>().prop_map(String::from),
    ]
}

fn hostile_text() -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_piece(), 0..6).prop_map(|v| v.concat())
}

/// One cron field with numbers in `lo..hi` (a little beyond the field's range, so that
/// out-of-range values are generated too): `*`, `*/n`, `a`, `a-b`, `a-b/n`, names, lists.
fn cron_field(lo: u32, hi: u32) -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        3 => Just("*".to_string()),
        2 => (1..hi + 2).prop_map(|n| format!("*/{n}")),
        3 => (lo..hi).prop_map(|n| n.to_string()),
        2 => (lo..hi, 0..8u32).prop_map(|(a, w)| format!("{a}-{}", a + w)),
        1 => (lo..hi, lo..hi).prop_map(|(a, b)| format!("{a}-{b}")),
        1 => (lo..hi, 0..8u32, 1..hi + 2).prop_map(|(a, w, n)| format!("{a}-{}/{n}", a + w)),
        1 => prop::sample::select(vec![
            "jan", "feb", "dec", "mon", "tue", "sun", "SAT", "mon-fri", "jan-mar", "?", "L", "",
        ])
        .prop_map(String::from),
    ];
    prop::collection::vec(atom, 1..4).prop_map(|v| v.join(","))
}

/// Five fields, each a little wider than its range (minute, hour, day, month, weekday).
fn cron_fields() -> impl Strategy<Value = String> {
    (
        cron_field(0, 61),
        cron_field(0, 25),
        cron_field(0, 33),
        cron_field(0, 14),
        cron_field(0, 9),
    )
        .prop_map(|(a, b, c, d, e)| format!("{a} {b} {c} {d} {e}"))
}

fn cron_text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => cron_fields(),
        1 => prop::collection::vec(cron_field(0, 70), 0..8).prop_map(|v| v.join(" ")),
        1 => prop::sample::select(vec![
            "@yearly", "@monthly", "@weekly", "@daily", "@hourly", "@reboot", "@midnight", "@", "@nope",
        ])
        .prop_map(String::from),
        1 => hostile_text(),
    ]
}

const TZS: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Nope/Nowhere",
    "",
    "UTC+05:30",
    "../../etc/passwd",
];

/// The shape of an `OnCalendar=` line piar's renderer and `check_value` rely on: one line,
/// no control characters, no trailing backslash.
fn assert_line_shape(line: &str) {
    assert!(!line.is_empty(), "empty OnCalendar line");
    assert!(
        !line.chars().any(|c| c < ' ' || c == '\u{7f}'),
        "control character in {line:?}"
    );
    assert!(!line.ends_with('\\'), "{line:?}");
    piar::model::limits::check_value("schedule", line).unwrap();
}

/// systemd's own verdict on calendar lines (one `systemd-analyze calendar` call).
fn systemd_accepts(lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    for chunk in lines.chunks(200) {
        let out = std::process::Command::new("systemd-analyze")
            .arg("calendar")
            .args(chunk)
            .output()
            .expect("systemd-analyze");
        assert!(
            out.status.success(),
            "systemd-analyze refused some of {chunk:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn check_cron(text: &str, tz: &str, accepted: &mut Vec<String>) {
    let Ok(expr) = CronExpr::parse(text) else {
        return;
    };
    let _ = expr.every_hour();
    let _ = expr.fires_at(jiff::civil::date(2026, 3, 29).at(2, 30, 0, 0));
    if expr.reboot() || at::validate_tz(tz).is_err() {
        return;
    }
    let lines = expr.on_calendar(tz);
    assert!(!lines.is_empty(), "{text:?} compiled to no lines");
    for l in &lines {
        assert_line_shape(l);
    }
    let now = jiff::Timestamp::from_second(1_790_000_000).unwrap();
    for l in piar::schedule::dst::gap_lines(&expr, tz, now) {
        assert_line_shape(&l);
    }
    if accepted.len() < 400 {
        accepted.extend(lines);
    }
}

#[test]
fn cron_parser_never_panics_and_compiles_to_lines_systemd_accepts() {
    let mut accepted = Vec::new();
    for text in corpus(include_str!("fuzz-corpus/cron.txt")) {
        check_cron(&text, "UTC", &mut accepted);
    }
    let mut r = runner(1500);
    let found = std::cell::RefCell::new(Vec::new());
    r.run(&(cron_text(), prop::sample::select(TZS)), |(text, tz)| {
        check_cron(&text, tz, &mut found.borrow_mut());
        Ok(())
    })
    .unwrap();
    accepted.extend(found.into_inner());
    assert!(
        accepted.len() >= 60,
        "too few valid cron expressions generated: {}",
        accepted.len()
    );
    systemd_accepts(&accepted);
}

fn at_text() -> impl Strategy<Value = String> {
    prop_oneof![
        hostile_text(),
        "(in )?[0-9]{1,12} ?(s|m|h|d|w|y|min|hours|days|months)?",
        "(tomorrow|today|now|next monday|noon|midnight) ?([0-9]{1,2}:[0-9]{2})?",
        "[0-9]{1,5}-[0-9]{1,2}-[0-9]{1,2}( [0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2})?)?",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?",
        any::<String>(),
    ]
}

#[test]
fn at_parser_never_panics() {
    let now = jiff::Timestamp::from_second(1_790_000_000).unwrap();
    let check = |text: &str, tz: &str, now: jiff::Timestamp| {
        if let Ok(ts) = at::resolve_at(text, tz, now) {
            assert!(ts > now, "{text:?} resolved to the past: {ts}");
            assert_line_shape(&at::on_calendar_utc(ts));
        }
    };
    for text in corpus(include_str!("fuzz-corpus/at.txt")) {
        check(&text, "UTC", now);
    }
    let mut r = runner(1000);
    r.run(
        &(
            at_text(),
            prop::sample::select(TZS),
            -2_000_000_000i64..4_000_000_000i64,
        ),
        |(text, tz, secs)| {
            let now = jiff::Timestamp::from_second(secs).unwrap();
            check(&text, tz, now);
            Ok(())
        },
    )
    .unwrap();
}

#[test]
fn every_parser_never_panics_and_formats_systemd_durations() {
    let check = |text: &str| {
        if let Ok(d) = every::parse_every(text) {
            assert!(d.as_secs() >= 1, "{text:?} -> {d:?}");
            let s = every::format_systemd(d);
            assert_line_shape(&s);
        }
    };
    for text in corpus(include_str!("fuzz-corpus/every.txt")) {
        check(&text);
    }
    let mut r = runner(1500);
    r.run(
        &prop_oneof![
            hostile_text(),
            "[0-9]{1,25} ?(ns|us|ms|s|sec|m|min|h|hr|d|w|weeks|M|y|years)?( [0-9]{1,4}[a-z]{1,3})?",
            any::<String>(),
        ],
        |text| {
            check(&text);
            Ok(())
        },
    )
    .unwrap();
}

/// Parse a rendered unit file: every line is blank, a comment, a known section header, or
/// `Key=value` with a key known in its section; returns (section, key) per directive.
fn directives(unit_text: &str) -> Vec<(String, String)> {
    const KNOWN: &[(&str, &[&str])] = &[
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
    let mut section = String::new();
    let mut out = Vec::new();
    for line in unit_text.lines() {
        assert!(!line.ends_with('\\'), "line continuation in {line:?}");
        assert!(!line.contains('\r'), "CR in {line:?}");
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            assert!(
                KNOWN.iter().any(|(k, _)| *k == s),
                "unknown section {line:?}"
            );
            section = s.to_string();
            continue;
        }
        let (key, _) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not a directive: {line:?}\n{unit_text}"));
        let keys = KNOWN.iter().find(|(k, _)| *k == section).unwrap().1;
        assert!(
            keys.contains(&key),
            "unexpected {key}= in [{section}]: {unit_text}"
        );
        out.push((section.clone(), key.to_string()));
    }
    out
}

fn count(d: &[(String, String)], key: &str) -> usize {
    d.iter().filter(|(_, k)| k == key).count()
}

/// How many manifests [`check_manifest`] rendered (the generators must reach the renderer).
static RENDERED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A manifest that validates renders exactly the expected directives.
fn check_manifest(m: Manifest) {
    let description = m.description.clone();
    let Ok(job) = validate(m, None) else {
        return;
    };
    let path = Path::new("/var/lib/piar/jobs").join(format!("{}.toml", job.name()));
    let Ok(service) = unit::render_service(&job, Path::new("/usr/bin/piar"), Scope::System, &path)
    else {
        return;
    };
    RENDERED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = directives(&service);
    assert_eq!(count(&d, "ExecStart"), 1, "{service}");
    assert_eq!(count(&d, "Type"), 1, "{service}");
    assert_eq!(count(&d, "Description"), 1, "{service}");
    assert_eq!(d.len(), 4, "{service}");
    let want = if description.is_empty() {
        format!("Description=piar job {}", job.name())
    } else {
        format!(
            "Description=piar job {}: {}",
            job.name(),
            unit::escape_specifiers(&description)
        )
    };
    assert!(
        service.lines().any(|l| l == want),
        "{want:?} not in {service}"
    );
    if let Some(spec) = job.schedule.timer_spec()
        && let Ok(timer) = unit::render_timer(&job, &spec, &path)
    {
        let d = directives(&timer);
        assert_eq!(count(&d, "OnCalendar"), spec.on_calendar.len(), "{timer}");
        assert_eq!(count(&d, "Unit"), 1, "{timer}");
        assert_eq!(count(&d, "Description"), 1, "{timer}");
        assert_eq!(count(&d, "WantedBy"), 1, "{timer}");
        for l in &spec.on_calendar {
            assert_line_shape(l);
        }
    }
}

fn schedule_spec() -> impl Strategy<Value = ScheduleSpec> {
    prop_oneof![
        (cron_fields(), prop::option::of(prop::sample::select(TZS))).prop_map(|(c, tz)| {
            ScheduleSpec {
                cron: Some(c),
                tz: tz.map(String::from),
                ..ScheduleSpec::default()
            }
        }),
        prop_oneof![1 => hostile_text(), 3 => "[1-9][0-9]{0,3}(s|m|h|d)"].prop_map(|e| {
            ScheduleSpec {
                every: Some(e),
                ..ScheduleSpec::default()
            }
        }),
        prop::collection::vec(
            prop_oneof![
                1 => hostile_text(),
                2 => Just("*-*-* 03:00:00".to_string()),
                2 => Just("Mon..Fri 09:00 Europe/Berlin".to_string())
            ],
            1..3
        )
        .prop_map(|v| ScheduleSpec {
            on_calendar: Some(v),
            ..ScheduleSpec::default()
        }),
        prop_oneof![
            hostile_text(),
            Just("2099-01-01T00:00:00+00:00".to_string())
        ]
        .prop_map(|a| ScheduleSpec {
            at: Some(a),
            tz: Some("UTC".into()),
            ..ScheduleSpec::default()
        }),
        Just(ScheduleSpec {
            manual: Some(true),
            ..ScheduleSpec::default()
        }),
    ]
}

fn manifest() -> impl Strategy<Value = Manifest> {
    // Mostly valid, hostile where it is free text, so that the renderer is reached.
    let name = prop_oneof![6 => "[a-z0-9][a-z0-9_-]{0,20}", 1 => hostile_text()];
    let program = prop_oneof![6 => Just("/bin/true".to_string()), 1 => hostile_text()];
    let env_key = prop_oneof![3 => "[A-Z_][A-Z0-9_]{0,8}", 1 => hostile_text()];
    (
        name,
        prop_oneof![hostile_text(), "[a-zA-Z ]{0,20}"],
        (program, prop::collection::vec(hostile_text(), 0..4)),
        schedule_spec(),
        prop::option::of(prop_oneof![3 => "/[a-z/]{0,10}", 1 => hostile_text()]),
        prop::collection::btree_map(env_key, hostile_text(), 0..3),
        prop::collection::btree_map(hostile_text(), hostile_text(), 0..3),
        prop::option::of(prop_oneof![3 => "[0-9]{1,3}(s|m)", 1 => hostile_text()]),
    )
        .prop_map(
            |(name, description, (program, args), schedule, workdir, env, meta, timeout)| {
                Manifest {
                    version: VERSION,
                    name,
                    description,
                    command: std::iter::once(program).chain(args).collect(),
                    schedule,
                    timeout,
                    workdir,
                    enabled: true,
                    created: None,
                    updated: None,
                    env,
                    metadata: meta
                        .into_iter()
                        .map(|(k, v)| (k, toml::Value::String(v)))
                        .collect(),
                    callback: None,
                    ..Manifest::default()
                }
            },
        )
}

#[test]
fn structured_manifests_never_add_a_directive() {
    let mut r = runner(600);
    let before = RENDERED.load(std::sync::atomic::Ordering::Relaxed);
    r.run(&manifest(), |m| {
        check_manifest(m);
        Ok(())
    })
    .unwrap();
    let rendered = RENDERED.load(std::sync::atomic::Ordering::Relaxed) - before;
    assert!(
        rendered * 10 >= cases(600) as usize,
        "only {rendered} of {} generated manifests were valid: the generator is too hostile",
        cases(600)
    );
}

/// A valid manifest's text, mutated by inserting hostile pieces and deleting bytes.
#[test]
fn manifest_text_never_panics_the_loader() {
    const BASE: &str = "version = 1\nname = \"fuzz\"\ndescription = \"d\"\ncommand = [\"/bin/echo\", \"x\"]\n\
        timeout = \"10s\"\nworkdir = \"/tmp\"\n\n[schedule]\ncron = \"*/5 * * * *\"\ntz = \"UTC\"\n\n\
        [env]\nA = \"b\"\n\n[metadata]\nk = \"v\"\n\n[callback]\nurl = \"http://127.0.0.1:9/x\"\n";
    let load = |text: &str| {
        if let Ok(m) = toml::from_str::<Manifest>(text) {
            check_manifest(m);
        }
    };
    load(BASE);
    for text in corpus(include_str!("fuzz-corpus/manifest.txt")) {
        load(&text);
    }
    let mut r = runner(800);
    r.run(
        &prop::collection::vec((0usize..BASE.len(), hostile_text(), 0usize..4), 1..5),
        |edits| {
            let mut text = BASE.to_string();
            for (at, piece, del) in edits {
                let mut at = at.min(text.len());
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let mut end = (at + del).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(at..end, &piece);
            }
            load(&text);
            Ok(())
        },
    )
    .unwrap();
}

/// systemd's unquoting of one double-quoted `ExecStart=` word (systemd.syntax(7) C escapes
/// inside quotes; `%%` -> `%` specifier expansion; `$$` -> `$` in command lines).
fn systemd_unquote(word: &str) -> String {
    let inner = word
        .strip_prefix('"')
        .and_then(|w| w.strip_suffix('"'))
        .expect("quoted");
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().expect("dangling backslash")),
            '"' => panic!("unescaped quote inside {word:?}"),
            '%' => {
                assert_eq!(chars.next(), Some('%'), "lone % (a specifier) in {word:?}");
                out.push('%');
            }
            '$' => {
                assert_eq!(chars.next(), Some('$'), "lone $ (a variable) in {word:?}");
                out.push('$');
            }
            c => out.push(c),
        }
    }
    out
}

#[test]
fn exec_quoting_round_trips_through_systemd_unquoting() {
    let check = |w: &str| match unit::quote_exec_arg(w) {
        Ok(q) => {
            assert!(!q.contains('\n'));
            assert_eq!(systemd_unquote(&q), w);
        }
        Err(e) => assert!(w.chars().any(|c| c < ' ' || c == '\u{7f}'), "{w:?}: {e}"),
    };
    for w in corpus(include_str!("fuzz-corpus/words.txt")) {
        check(&w);
    }
    let mut r = runner(2000);
    r.run(&prop_oneof![hostile_text(), any::<String>()], |w| {
        check(&w);
        let esc = unit::escape_specifiers(&w);
        assert_eq!(esc.replace("%%", "%"), w);
        if piar::model::limits::check_value("f", &w).is_ok() {
            assert!(!w.contains('\n') && !w.ends_with('\\'));
        }
        Ok(())
    })
    .unwrap();
}

/// Regression (found by `structured_manifests_never_add_a_directive`): an empty or blank
/// raw calendar spec validated and rendered `OnCalendar=`, which resets the timer's list
/// of calendar triggers instead of adding one.
#[test]
fn an_empty_calendar_spec_is_rejected() {
    for spec in ["", "  "] {
        let m: Manifest = toml::from_str(&format!(
            "version = 1\nname = \"a\"\ncommand = [\"/bin/true\"]\n\
             [schedule]\non_calendar = [\"*-*-* 03:00:00\", \"{spec}\"]\n"
        ))
        .unwrap();
        let err = validate(m, None).unwrap_err();
        assert!(err.message.contains("schedule.on_calendar"), "{err}");
    }
}
