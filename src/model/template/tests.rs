use super::*;
use crate::model::manifest::VERSION;
use crate::schedule::ScheduleSpec;

fn manifest() -> Manifest {
    let mut metadata = toml::Table::new();
    metadata.insert("owner".into(), toml::Value::String("ops".into()));
    Manifest {
        version: VERSION,
        name: "brief".into(),
        description: String::new(),
        command: vec!["cat".into()],
        schedule: ScheduleSpec {
            cron: Some("0 6 * * *".into()),
            tz: Some("Europe/Berlin".into()),
            ..ScheduleSpec::default()
        },
        timeout: None,
        workdir: None,
        enabled: true,
        created: None,
        updated: None,
        env: BTreeMap::new(),
        metadata,
        callback: None,
        stdin: None,
        template_args: false,
        output: None,
        vars: BTreeMap::from([("topic".to_string(), "weather".to_string())]),
        ..Default::default()
    }
}

fn err(m: &Manifest) -> String {
    validate(m).unwrap_err().message
}

#[test]
fn known_variables_render() {
    let mut m = manifest();
    m.stdin = Some(
        "{{ job }} {{ run_id }} {{ date }} {{ now }} {{ scheduled_for }} \
         {{ metadata.owner }} {{ vars.topic | upper }}\n"
            .into(),
    );
    validate(&m).unwrap();
    let artifacts = std::path::Path::new("/var/lib/piar/artifacts");
    let job = crate::model::manifest::validate::validate(m, None).unwrap();
    // 2026-03-01T05:30:00Z is 06:30 in Berlin (CET, +01:00).
    let due: Timestamp = "2026-03-01T05:30:00Z".parse().unwrap();
    let started: Timestamp = "2026-03-01T05:30:02Z".parse().unwrap();
    let input = prepare(artifacts, &job, "20260301-053002-abcd", Some(due), started).unwrap();
    assert_eq!(
        String::from_utf8(input.stdin.unwrap()).unwrap(),
        "brief 20260301-053002-abcd 2026-03-01 2026-03-01T06:30:02+01:00 \
         2026-03-01T06:30:00+01:00 ops WEATHER\n"
    );
    assert_eq!(input.scheduled_for, "2026-03-01T05:30:00Z");
    assert_eq!(input.command, vec!["cat".to_string()]);
}

#[test]
fn date_is_in_the_job_zone() {
    let mut m = manifest();
    m.stdin = Some("{{ date }}".into());
    let job = crate::model::manifest::validate::validate(m, None).unwrap();
    let artifacts = std::path::Path::new("/y/artifacts");
    // 23:30 UTC on the 1st is already the 2nd in Berlin.
    let t: Timestamp = "2026-03-01T23:30:00Z".parse().unwrap();
    let input = prepare(artifacts, &job, "r", None, t).unwrap();
    assert_eq!(input.stdin.unwrap(), b"2026-03-02");
    assert_eq!(input.scheduled_for, "2026-03-01T23:30:00Z");
}

#[test]
fn undefined_variables_are_errors_naming_field_and_line() {
    let mut m = manifest();
    m.stdin = Some("hello\n{{ vars.nope }}\n".into());
    let e = err(&m);
    assert!(e.contains("stdin: line 2:"), "{e}");
    assert!(e.contains("vars.nope"), "{e}");

    m.stdin = Some("{{ metadata.team }}".into());
    assert!(err(&m).contains("metadata.team"));

    m.stdin = Some("{{ dat }}".into());
    assert!(err(&m).contains("undefined variable `dat`"));

    // Also inside a branch the sample render would not take.
    m.stdin = Some("{% if false %}{{ vars.hidden }}{% endif %}".into());
    assert!(err(&m).contains("vars.hidden"));
}

#[test]
fn syntax_errors_name_field_and_line() {
    let mut m = manifest();
    m.stdin = Some("a\nb\n{{ date \n".into());
    let e = err(&m);
    assert!(
        e.starts_with("stdin: line 3:") || e.starts_with("stdin: line 4:"),
        "{e}"
    );
    assert!(e.contains("syntax error"), "{e}");
}

#[test]
fn args_and_output_are_checked() {
    let mut m = manifest();
    m.command = vec!["echo".into(), "{{ vars.missing }}".into()];
    // Arguments are plain text unless template_args is set.
    validate(&m).unwrap();
    m.template_args = true;
    assert!(err(&m).starts_with("command[1]:"));

    let mut m = manifest();
    m.output = Some("{{ vars.topic }}/{{ date }}.md".into());
    validate(&m).unwrap();
    m.vars.insert("topic".into(), "../../etc".into());
    assert!(err(&m).contains(".."), "{}", err(&m));
    m.output = Some("{{ nope }}".into());
    assert!(err(&m).starts_with("output:"));
}

#[test]
fn limits() {
    let mut m = manifest();
    m.stdin = Some("x".repeat(STDIN_TEMPLATE_MAX + 1));
    assert!(err(&m).starts_with("stdin:"));
    let mut m = manifest();
    m.vars.insert("bad-name".into(), "v".into());
    assert!(err(&m).starts_with("vars.bad-name"));
    let mut m = manifest();
    m.stdin = Some("{% for i in range(100) %}{{ vars.topic * 2000 }}{% endfor %}".into());
    // 100 * 14000 bytes > 1 MiB
    assert!(err(&m).contains("renders to"), "{}", err(&m));
}
