use super::*;

fn opts(system: bool) -> Options {
    Options {
        system,
        default_tz: "UTC".into(),
        run_user: "root".into(),
        run_as: false,
    }
}

fn one(text: &str) -> Entry {
    let p = parse(text, &opts(false));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.entries.len(), 1, "{:?}", p.entries);
    p.entries[0].clone()
}

#[test]
fn plain_line_runs_through_sh() {
    let e = one("*/5 * * * * df -h / >/dev/null 2>&1\n");
    assert_eq!(e.line, 1);
    assert_eq!(e.cron, "*/5 * * * *");
    assert_eq!(e.tz, "UTC");
    assert_eq!(e.argv(), ["/bin/sh", "-c", "df -h / >/dev/null 2>&1"]);
    assert_eq!(e.program(), "df");
    assert_eq!(e.user, None);
}

#[test]
fn blanks_comments_and_tabs() {
    let p = parse(
        "# m h dom mon dow command\n\n   \n\t# indented comment\n0\t9 * * 1-5\t/usr/bin/brief --now\n",
        &opts(false),
    );
    assert!(p.errors.is_empty());
    assert_eq!(p.entries.len(), 1);
    assert_eq!(p.entries[0].line, 5);
    assert_eq!(p.entries[0].cron, "0 9 * * 1-5");
    assert_eq!(p.entries[0].command, "/usr/bin/brief --now");
}

#[test]
fn aliases_take_one_field() {
    let p = parse(
        "@daily /usr/bin/a\n@REBOOT /usr/bin/b x\n@weekly\tc\n",
        &opts(false),
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let got: Vec<_> = p
        .entries
        .iter()
        .map(|e| (e.cron.as_str(), e.command.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("@daily", "/usr/bin/a"),
            ("@REBOOT", "/usr/bin/b x"),
            ("@weekly", "c")
        ]
    );
}

#[test]
fn env_lines_apply_to_following_entries() {
    let text = "PATH=/usr/local/bin:/usr/bin:/bin\n\
                0 1 * * * a\n\
                HOME = /srv \n\
                GREETING=\"  hi there  \"\n\
                QUOTE='x'\n\
                0 2 * * * b\n";
    let p = parse(text, &opts(false));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.entries[0].env.len(), 1);
    assert_eq!(p.entries[0].env["PATH"], "/usr/local/bin:/usr/bin:/bin");
    let env = &p.entries[1].env;
    assert_eq!(env["HOME"], "/srv");
    assert_eq!(env["GREETING"], "  hi there  ");
    assert_eq!(env["QUOTE"], "x");
}

#[test]
fn cron_tz_switches_mid_file() {
    let text = "0 9 * * * a\n\
                CRON_TZ=Europe/Berlin\n\
                0 9 * * * b\n\
                TZ=Asia/Kolkata\n\
                0 9 * * * c\n\
                CRON_TZ=\n\
                0 9 * * * d\n";
    let p = parse(text, &opts(false));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let zones: Vec<_> = p.entries.iter().map(|e| e.tz.as_str()).collect();
    assert_eq!(zones, ["UTC", "Europe/Berlin", "Asia/Kolkata", "UTC"]);
    // TZ is also passed to the job (cron does); CRON_TZ is not.
    assert_eq!(
        p.entries[2].env.get("TZ").map(String::as_str),
        Some("Asia/Kolkata")
    );
    assert!(!p.entries[1].env.contains_key("CRON_TZ"));
}

#[test]
fn bad_zone_fails_its_line_and_the_entries_it_governs() {
    let text = "CRON_TZ=Mars/Olympus\n0 9 * * * a\nCRON_TZ=UTC\n0 9 * * * b\n";
    let p = parse(text, &opts(false));
    let lines: Vec<_> = p.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [1, 2]);
    assert!(
        p.errors[0].error.message.contains("line 1"),
        "{:?}",
        p.errors[0]
    );
    assert!(p.errors[1].error.message.contains("Mars/Olympus"));
    assert_eq!(p.entries.len(), 1);
    assert_eq!(p.entries[0].line, 4);
}

#[test]
fn shell_wraps_and_mailto_warns() {
    let text = "SHELL=/bin/bash\nMAILTO=ops@example.org\n0 0 * * * echo {a,b}\nMAILTO=\"\"\n";
    let p = parse(text, &opts(false));
    assert!(p.errors.is_empty());
    assert_eq!(p.entries[0].argv(), ["/bin/bash", "-c", "echo {a,b}"]);
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    assert_eq!(p.warnings[0].line, 2);
    assert!(p.warnings[0].message.contains("MAILTO"));
    assert!(p.warnings[0].hint.as_deref().unwrap().contains("callback"));
}

#[test]
fn percent_starts_stdin() {
    let e = one("0 0 * * * mail -s \"at 100\\% load\" root%line one%line two\\%%\n");
    assert_eq!(e.command, "mail -s \"at 100% load\" root");
    assert_eq!(e.stdin.as_deref(), Some("line one\nline two%\n"));
    let argv = e.argv();
    assert_eq!(argv[0], "/bin/sh");
    assert_eq!(argv[3], STDIN_WRAPPER_NAME);
    assert_eq!(argv[4], "line one\nline two%\n");
    assert_eq!(argv[5], "/bin/sh");
    assert_eq!(argv[6], "mail -s \"at 100% load\" root");
}

#[test]
fn escaped_percent_only() {
    let e = one("5 4 * * * tar czf /b/$(date +\\%F).tgz /etc \\\\x\n");
    assert_eq!(e.command, "tar czf /b/$(date +%F).tgz /etc \\\\x");
    assert_eq!(e.stdin, None);
    assert_eq!(split_percent("a%"), ("a".to_string(), Some(String::new())));
}

#[test]
fn user_column() {
    let text = "17 * * * * root cd / && run-parts --report /etc/cron.hourly\n\
                0 3 * * * www-data php /srv/clean.php\n\
                0 4 * * *\n";
    let p = parse(text, &opts(true));
    assert_eq!(p.entries.len(), 1);
    assert_eq!(p.entries[0].user.as_deref(), Some("root"));
    assert_eq!(
        p.entries[0].command,
        "cd / && run-parts --report /etc/cron.hourly"
    );
    assert_eq!(p.errors.len(), 2);
    assert_eq!(p.errors[0].line, 2);
    assert!(
        p.errors[0].error.message.contains("\"www-data\""),
        "{:?}",
        p.errors[0]
    );
    assert_eq!(p.errors[1].line, 3);
    // In system scope other users' lines are kept (the job gets run_as).
    let p = parse(
        text,
        &Options {
            run_as: true,
            ..opts(true)
        },
    );
    assert_eq!(p.entries.len(), 2, "{:?}", p.errors);
    assert_eq!(p.entries[1].user.as_deref(), Some("www-data"));
    assert_eq!(p.errors.len(), 1);
}

#[test]
fn user_crontab_takes_the_sixth_word_as_command() {
    let e = one("0 3 * * * root echo hi\n");
    assert_eq!(e.command, "root echo hi");
}

#[test]
fn bad_lines_are_reported_by_number_and_field() {
    let text = "0 9 * * * ok\n\
                61 * * * * bad-minute\n\
                0 9 * * mon-fry bad-dow\n\
                0 9 *\n\
                0 0 30 2 * never\n\
                @fortnightly x\n\
                0 10 * * * ok2\n";
    let p = parse(text, &opts(false));
    let ok: Vec<_> = p.entries.iter().map(|e| e.line).collect();
    assert_eq!(ok, [1, 7]);
    let bad: Vec<_> = p.errors.iter().map(|e| e.line).collect();
    assert_eq!(bad, [2, 3, 4, 5, 6]);
    let m = |i: usize| p.errors[i].error.message.clone();
    assert!(m(0).starts_with("line 2: "), "{}", m(0));
    assert!(m(0).contains("minute"), "{}", m(0));
    assert!(m(1).contains("day-of-week"), "{}", m(1));
    assert!(m(2).contains("no command"), "{}", m(2));
    assert!(m(4).contains("alias"), "{}", m(4));
}

#[test]
fn env_assignment_shapes() {
    assert_eq!(
        env_assignment("A_1 =  b c "),
        Some(("A_1".into(), "b c".into()))
    );
    assert_eq!(env_assignment("X='  '"), Some(("X".into(), "  ".into())));
    assert_eq!(env_assignment("0 * * * * A=b cmd"), None);
    assert_eq!(env_assignment("1A=b"), None);
    assert_eq!(env_assignment("@daily A=b"), None);
}

#[test]
fn system_paths() {
    use std::path::Path;
    assert!(is_system_path(Path::new("/etc/crontab")));
    assert!(is_system_path(Path::new("/etc/cron.d/php")));
    assert!(!is_system_path(Path::new("/etc/cron.d/sub/x")));
    assert!(!is_system_path(Path::new("/home/u/crontab")));
}
