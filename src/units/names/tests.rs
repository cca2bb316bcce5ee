use super::*;

/// A character class of the symbolic languages below.
#[derive(Debug, Clone, Copy)]
enum Set {
    Lit(u8),
    /// A job name character `[a-z0-9_-]`.
    Name,
    /// A run id character `[a-z0-9-]`.
    Id,
    Digit,
    /// Anything (a glob's `*`).
    Any,
}

fn has(set: Set, c: u8) -> bool {
    match set {
        Set::Lit(l) => l == c,
        Set::Name => c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_',
        Set::Id => c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-',
        Set::Digit => c.is_ascii_digit(),
        Set::Any => true,
    }
}

fn meet(a: Set, b: Set) -> bool {
    (0..=255u8).any(|c| has(a, c) && has(b, c))
}

#[derive(Debug, Clone, Copy)]
enum Tok {
    /// Exactly one character of the set.
    One(Set),
    /// Zero or more characters of the set.
    Many(Set),
}

impl Tok {
    fn set(self) -> Set {
        match self {
            Tok::One(s) | Tok::Many(s) => s,
        }
    }
}

/// Tokenize a symbolic pattern: `@` = a job name (`[a-z0-9_-]+`), `#` = a run
/// id or delivery key (`[a-z0-9-]+`), `%` = a number, `*` = a glob star.
fn toks(p: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    for c in p.bytes() {
        match c {
            b'@' => out.extend([Tok::One(Set::Name), Tok::Many(Set::Name)]),
            b'#' => out.extend([Tok::One(Set::Id), Tok::Many(Set::Id)]),
            b'%' => out.extend([Tok::One(Set::Digit), Tok::Many(Set::Digit)]),
            b'*' => out.push(Tok::Many(Set::Any)),
            c => out.push(Tok::One(Set::Lit(c))),
        }
    }
    out
}

/// Whether some string is in both languages (a search over the product automaton).
fn overlap(p: &[Tok], q: &[Tok]) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut todo = vec![(0, 0)];
    while let Some((i, j)) = todo.pop() {
        if !seen.insert((i, j)) {
            continue;
        }
        if i == p.len() && j == q.len() {
            return true;
        }
        if let Some(Tok::Many(_)) = p.get(i) {
            todo.push((i + 1, j));
        }
        if let Some(Tok::Many(_)) = q.get(j) {
            todo.push((i, j + 1));
        }
        if let (Some(&a), Some(&b)) = (p.get(i), q.get(j))
            && meet(a.set(), b.set())
        {
            let ni = if matches!(a, Tok::One(_)) { i + 1 } else { i };
            let nj = if matches!(b, Tok::One(_)) { j + 1 } else { j };
            if (ni, nj) != (i, j) {
                todo.push((ni, nj));
            }
        }
    }
    false
}

/// Every name piar builds, as a symbolic language, per kind.
const NAMES: &[(&str, &str)] = &[
    ("service", "piar-@.service"),
    ("timer", "piar-@.timer"),
    ("run", "piar-@.run-#.service"),
    ("watch", "piar-@.watch-#.service"),
    ("manual", "piar-@.manual-#.service"),
    ("retry", "piar-@.retry-#-%.timer"),
    ("retry", "piar-@.retry-#-%.service"),
    ("defer", "piar-@.defer-%.timer"),
    ("defer", "piar-@.defer-%.service"),
    ("callback", "piar-@.cb-#-%.timer"),
    ("callback", "piar-@.cb-#-%.service"),
];

/// The current-form glob of every family, with symbolic job `@` and key `#`.
fn globs() -> Vec<(&'static str, String)> {
    let first = |f: Family| f.globs()[0].to_string();
    vec![
        ("run", first(Family::runs("@"))),
        ("run", first(Family::all_runs())),
        ("run", first(Family::run_id("#"))),
        ("watch", first(Family::watchers("@"))),
        ("manual", first(Family::manuals("@"))),
        ("retry", first(Family::retries("@"))),
        ("defer", first(Family::defers("@"))),
        ("callback", first(Family::callbacks("@", "#"))),
    ]
}

#[test]
fn no_glob_of_one_kind_matches_a_name_of_another_kind_for_any_job_names() {
    for (gkind, glob) in globs() {
        let mut own = 0;
        for (nkind, name) in NAMES {
            let hit = overlap(&toks(&glob), &toks(name));
            assert!(!hit || gkind == *nkind, "glob {glob} matches names {name}");
            own += usize::from(hit);
        }
        assert!(own > 0, "glob {glob} matches none of its own names");
    }
    // The persistent names of two kinds never coincide either.
    for (a, pa) in NAMES {
        for (b, pb) in NAMES {
            if a != b {
                assert!(!overlap(&toks(pa), &toks(pb)), "{pa} vs {pb}");
            }
        }
    }
}

#[test]
fn the_overlap_search_finds_the_old_collision() {
    // piar <= 0.1: job a's run glob matched job `a-run-b`'s service.
    assert!(overlap(
        &toks("piar-@-run-*.service"),
        &toks("piar-@.service")
    ));
    assert!(!overlap(
        &toks("piar-@.run-*.service"),
        &toks("piar-@.service")
    ));
}

/// Tricky job names: each one's units are matched by its own globs only.
#[test]
fn per_job_globs_select_only_their_job() {
    let jobs = [
        "a",
        "a-run-b",
        "a-manual-b",
        "a-b",
        "run",
        "cb",
        "cb-piar-a",
        "a-defer-1",
        "a_retry",
    ];
    let id = "20260101-000000-abcd";
    for j1 in jobs {
        let units = [
            service(j1),
            timer(j1),
            run(j1, id),
            watch(j1, id),
            manual(j1, id),
            format!("{}.timer", retry_stem(j1, id, 2)),
            format!("{}.timer", defer_stem(j1, 1)),
            format!("{}.timer", callback_stem(j1, &format!("{id}-completed"), 1)),
        ];
        for u in &units {
            let n = parse(u).unwrap_or_else(|| panic!("{u} does not parse"));
            assert_eq!(n.job, j1, "{u}");
            assert!(!n.legacy);
        }
        for j2 in jobs {
            let fams = [
                Family::runs(j2),
                Family::watchers(j2),
                Family::manuals(j2),
                Family::retries(j2),
                Family::defers(j2),
                Family::callbacks(j2, &format!("{id}-completed")),
            ];
            for f in fams {
                let persistent = |u: &str| u == service(j1) || u == timer(j1);
                let got = f.select(units.iter().map(String::as_str), persistent);
                assert!(got.len() <= 1, "{f:?} selects {got:?}");
                assert!(got.iter().all(|n| n.job == j2), "{f:?} selects {got:?}");
                assert_eq!(got.len(), usize::from(j1 == j2), "{f:?} on {units:?}");
            }
        }
    }
}

#[test]
fn names_round_trip() {
    let id = "20260101-000000-abcd";
    let cases = [
        (service("a-b"), Kind::Service),
        (timer("a-b"), Kind::Timer),
        (run("a-b", id), Kind::Run { id: id.into() }),
        (watch("a-b", id), Kind::Watch { id: id.into() }),
        (manual("a-b", id), Kind::Manual { id: id.into() }),
        (
            format!("{}.timer", retry_stem("a-b", id, 3)),
            Kind::Retry {
                first: id.into(),
                attempt: 3,
            },
        ),
        (
            format!("{}.service", defer_stem("a-b", 12)),
            Kind::Defer { n: 12 },
        ),
        (
            format!("{}.timer", resume_stem("a-b", 1_800_000_000)),
            Kind::Resume { at: 1_800_000_000 },
        ),
        (
            format!(
                "{}.timer",
                callback_stem("a-b", &format!("{id}-timed-out"), 2)
            ),
            Kind::Callback {
                key: format!("{id}-timed-out"),
                n: 2,
            },
        ),
    ];
    for (unit, kind) in cases {
        let n = parse(&unit).unwrap();
        assert_eq!(
            (n.job.as_str(), &n.kind, n.legacy),
            ("a-b", &kind, false),
            "{unit}"
        );
    }
    for bad in [
        "piar-x.path",
        "other-x.service",
        "piar-.service",
        "piar-x.run-.service",
        "piar-x.run-1.timer",
        "piar-x.manual-1.timer",
        "piar-x.manual-.service",
        "piar-x.manual-A.service",
        "piar-x.defer-0.timer",
        "piar-x.defer-a.timer",
        "piar-x.nope-1.timer",
        "piar-X.run-1.service",
    ] {
        assert_eq!(parse(bad), None, "{bad}");
    }
}

#[test]
fn legacy_names_are_recognised_unless_they_are_unit_files() {
    let id = "20260101-000000-abcd";
    let units = [
        format!("piar-backup-run-{id}.service"),
        "piar-backup-run-nightly.service".to_string(),
        format!("piar-backup-watch-{id}.service"),
        format!("piar-backup-retry-{id}-2.timer"),
        "piar-backup-defer-3.timer".to_string(),
        format!("piar-cb-piar-backup-{id}-timed-out-1.timer"),
        format!("piar-cb-piar-backup-{id}-completed-2.service"),
    ];
    let names = || units.iter().map(String::as_str);
    let none = |_: &str| false;
    let runs = Family::runs("backup").select(names(), none);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].kind, Kind::Run { id: id.into() });
    assert!(runs[0].legacy);
    assert_eq!(Family::run_id(id).select(names(), none).len(), 1);
    assert_eq!(Family::all_runs().select(names(), none).len(), 1);
    assert_eq!(Family::watchers("backup").select(names(), none).len(), 1);
    assert_eq!(Family::retries("backup").select(names(), none).len(), 1);
    assert_eq!(Family::defers("backup").select(names(), none).len(), 1);
    // `piar-backup-defer-3.timer` is job `backup-defer-3`'s timer when it is a unit file.
    let file = |u: &str| u == "piar-backup-defer-3.timer";
    assert!(Family::defers("backup").select(names(), file).is_empty());
    let cb = Family::callbacks("backup", &format!("{id}-timed-out")).select(names(), none);
    assert_eq!(cb.len(), 1, "{cb:?}");
    let cb = Family::callbacks("backup", &format!("{id}-completed")).select(names(), none);
    assert_eq!(
        cb[0].kind,
        Kind::Callback {
            key: format!("{id}-completed"),
            n: 2
        }
    );
}
