//! Differential test of piar's cron compiler against two oracles that share no code with it:
//! for every expression of `tests/data/cron-corpus.txt`, in several zones and from base times
//! just before DST changes, the union of the next 500 firings of the `OnCalendar=` lines piar
//! writes (as `systemd-analyze calendar --iterations=500 --base-time=...` computes them) must
//! equal the next 500 firings Python's `croniter` (PyPI) computes from the same base time.
//!
//! Known, deliberate disagreement: croniter treats a day field like `*/2` as restricted (day
//! fields ORed), while Vixie/Debian cron, and piar, treat any day field starting with `*` as
//! unrestricted (ANDed). Such expressions are kept out of the croniter comparison and checked
//! against systemd with hand-derived expectations ([`star_step_day_fields_and`]).
//!
//! Documented exclusions, each justified by the cronie rule croniter does not share
//! (cronie, src/entry.c and src/cron.c, is the reference; croniter is an oracle only where
//! it agrees with it):
//! - corpus lines `EXPR = EQUIVALENT`: croniter is given the plain form of a cronie reading
//!   it lacks (a day-of-week range ending in 0 ends in 7: `sat-sun`; a step larger than its
//!   range selects the first value: `*/61`; `a/n` is `a-max/n`; single-value ranges);
//! - spring-forward gaps: croniter fires every job at the gap's end; cronie catches up only
//!   fixed-time jobs (neither minute nor hour starts with `*`, not `@hourly`), so croniter's
//!   gap-end firing of a wildcard job is dropped unless the job fires at that time anyway;
//! - the repeated autumn hour: croniter fires twice; cronie fires fixed-time jobs once (and
//!   wildcard jobs twice); piar and systemd fire once ([`apply_dst_policy`]).
//!
//! croniter lives in a venv at `<target>/oracle-venv` (created by `.ci/run`), or wherever
//! `PIAR_ORACLE_PYTHON` points. A missing oracle FAILS the test, it never skips.
//!
//! These tests need only `systemd-analyze calendar` (no running manager), so they also run
//! outside the box.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use jiff::Timestamp;
use piar::schedule::{Schedule, ScheduleSpec};

/// Firings compared per expression and zone.
const N: usize = 500;

/// systemd's calendar code stops at the (local) year 2199 (`Next elapse: never` after it):
/// firings from here on are not compared.
const SYSTEMD_HORIZON: &str = "2199-12-01T00:00:00Z";

/// (zone, base time): UTC; Asia/Kolkata (UTC+05:30, no DST); Europe/Berlin and
/// America/New_York just before their 2026 spring-forward and fall-back changes.
const CASES: &[(&str, &str)] = &[
    ("UTC", "2026-11-21T00:00:00Z"),
    ("Asia/Kolkata", "2026-11-21T00:00:00Z"),
    ("Europe/Berlin", "2026-03-28T12:00:00Z"),
    ("Europe/Berlin", "2026-10-24T12:00:00Z"),
    ("America/New_York", "2026-03-07T12:00:00Z"),
    ("America/New_York", "2026-10-31T12:00:00Z"),
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The corpus entries `(expression, what croniter is given)`, in file order. A line is
/// `EXPR` or `EXPR = EQUIVALENT # why`: croniter misreads a few crontab(5) forms (`1-1`, and
/// `a/n` in day-of-week, which cronie reads as `a-7/n`), so it gets the equivalent plain form.
fn corpus_entries() -> Vec<(String, String)> {
    let path = repo().join("tests/data/cron-corpus.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once(" = ") {
            Some((e, eq)) => (e.trim().to_owned(), eq.trim().to_owned()),
            None => (l.to_owned(), l.to_owned()),
        })
        .collect()
}

/// The corpus expressions, in file order.
fn corpus() -> Vec<String> {
    corpus_entries().into_iter().map(|(e, _)| e).collect()
}

/// Whether croniter and Vixie cron read the day rule differently: a day field starts with `*`
/// but is not `*` (croniter: restricted; Vixie: unrestricted) while the other day field is not
/// `*` either.
fn star_step_day_rule(expr: &str) -> bool {
    let f: Vec<&str> = expr.split_whitespace().collect();
    if f.len() != 5 {
        return false;
    }
    let odd = |s: &str| s.starts_with('*') && s != "*";
    (odd(f[2]) && f[4] != "*") || (odd(f[4]) && f[2] != "*")
}

/// The `OnCalendar=` lines piar writes for `expr` in `tz` (the library's compiler, through the
/// same path `submit` uses) when submitted at `now`.
fn piar_lines_at(expr: &str, tz: &str, now: Timestamp) -> Vec<String> {
    let spec = ScheduleSpec {
        cron: Some(expr.to_owned()),
        tz: Some(tz.to_owned()),
        ..ScheduleSpec::default()
    };
    let schedule = Schedule::from_spec(&spec, Timestamp::now())
        .unwrap_or_else(|e| panic!("piar rejects {expr:?}: {}", e.message));
    schedule
        .timer_spec_from(now)
        .map(|t| t.on_calendar)
        .unwrap_or_default()
}

/// [`piar_lines_at`] now.
fn piar_lines(expr: &str, tz: &str) -> Vec<String> {
    piar_lines_at(expr, tz, Timestamp::now())
}

/// The python with croniter: `$PIAR_ORACLE_PYTHON`, else `oracle-venv/bin/python3` in the
/// target dir (found by walking up from this test binary), else the repo's `target/`.
fn oracle_python() -> PathBuf {
    if let Some(p) = std::env::var_os("PIAR_ORACLE_PYTHON") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let mut candidates: Vec<PathBuf> = exe
        .ancestors()
        .map(|d| d.join("oracle-venv/bin/python3"))
        .collect();
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        candidates.push(Path::new(&t).join("oracle-venv/bin/python3"));
    }
    candidates.push(repo().join("target/oracle-venv/bin/python3"));
    candidates
        .into_iter()
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "the croniter oracle is missing: no oracle-venv/bin/python3 above {} and \
             PIAR_ORACLE_PYTHON is unset. Create it with: python3 -m venv <target>/oracle-venv \
             && <target>/oracle-venv/bin/pip install croniter   (.ci/run does this)",
                exe.display()
            )
        })
}

/// Starts croniter on the next `N` firings of each `(expr, tz)` after `base`: one python
/// process per call, read with [`croniter_collect`] (so several run while systemd works).
fn croniter_start(base: Timestamp, cases: &[(String, String)]) -> std::process::Child {
    let python = oracle_python();
    let request = serde_json::json!({
        "base": base.as_second(),
        "n": N,
        "cases": cases.iter().map(|(e, z)| serde_json::json!({"expr": e, "tz": z})).collect::<Vec<_>>(),
    });
    let mut child = Command::new(&python)
        .arg(repo().join("tests/data/croniter_oracle.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.to_string().as_bytes())
        .expect("write request");
    child
}

/// The answer of a [`croniter_start`]ed oracle, one list per case.
fn croniter_collect(child: std::process::Child, cases: &[(String, String)]) -> Vec<Vec<Timestamp>> {
    let out = child.wait_with_output().expect("croniter oracle");
    assert!(
        out.status.success(),
        "croniter oracle failed (is croniter installed for {}?): {}",
        oracle_python().display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).expect("oracle JSON");
    let results = reply["results"].as_array().expect("results");
    assert_eq!(results.len(), cases.len());
    results
        .iter()
        .zip(cases)
        .map(|(r, (expr, tz))| {
            let list = r
                .as_array()
                .unwrap_or_else(|| panic!("croniter rejects {expr:?} in {tz}: {r}"));
            list.iter()
                .map(|t| Timestamp::from_second(t.as_i64().expect("seconds")).expect("in range"))
                .collect()
        })
        .collect()
}

/// Firings of each spec per `systemd-analyze calendar --iterations=n --base-time=@base`,
/// many specs per call (the output has one block per spec, in order, each starting with
/// `Original form:` and/or `Normalized form:`).
///
/// With `zone`, every spec must end in ` <zone>`: the suffix is dropped and systemd-analyze
/// runs with `TZ=<zone>` instead, which is what systemd itself does for a zoned spec (it
/// computes in a child with that `TZ`), without forking once per iteration: 500 iterations of
/// a zoned spec take ~0.3 s, the local form ~5 ms. [`zoned_specs_agree`] checks the two agree.
fn systemd_firings(
    base: Timestamp,
    n: usize,
    specs: &[String],
    zone: Option<&str>,
) -> Vec<Vec<Timestamp>> {
    let specs: Vec<String> = match zone {
        Some(z) => specs
            .iter()
            .map(|s| {
                s.strip_suffix(&format!(" {z}"))
                    .unwrap_or_else(|| panic!("{s:?} does not end in the zone {z}"))
                    .to_owned()
            })
            .collect(),
        None => specs.to_vec(),
    };
    let mut all = Vec::with_capacity(specs.len());
    for chunk in specs.chunks(64) {
        let out = Command::new("systemd-analyze")
            .arg("calendar")
            .arg(format!("--iterations={n}"))
            .arg(format!("--base-time=@{}", base.as_second()))
            .arg("--")
            .args(chunk)
            .env("TZ", zone.unwrap_or("UTC"))
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .output()
            .expect("cannot run systemd-analyze");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "systemd-analyze rejects one of {chunk:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut blocks: Vec<Vec<Timestamp>> = Vec::new();
        let mut after_original = false;
        for line in stdout.lines().map(str::trim) {
            if line.starts_with("Original form:") {
                blocks.push(Vec::new());
                after_original = true;
            } else if line.starts_with("Normalized form:") {
                if !after_original {
                    blocks.push(Vec::new());
                }
                after_original = false;
            } else if let Some((label, value)) = line.split_once(':')
                && (label == "Next elapse"
                    || label.starts_with("Iter. #") // systemd 252
                    || label.starts_with("Iteration #") // systemd 257
                    || label == "(in UTC)")
            {
                let value = value.trim();
                let block = blocks.last_mut().expect("a block");
                if label == "(in UTC)" {
                    // The UTC form of the local time just read.
                    block.pop().expect("a local time before (in UTC)");
                    block.push(parse_utc(value));
                } else if value != "never" {
                    block.push(if zone.is_some_and(|z| z != "UTC") {
                        Timestamp::UNIX_EPOCH // replaced by the (in UTC) line that follows
                    } else {
                        parse_utc(value)
                    });
                }
            }
        }
        assert_eq!(blocks.len(), chunk.len(), "one block per spec: {stdout}");
        all.extend(blocks);
    }
    all
}

/// `Mon 2026-11-23 08:00:00 UTC` -> the instant.
fn parse_utc(value: &str) -> Timestamp {
    let w: Vec<&str> = value.split_whitespace().collect();
    let [_, date, time, "UTC"] = w.as_slice() else {
        panic!("unexpected systemd-analyze time {value:?}");
    };
    format!("{date}T{time}Z")
        .parse()
        .unwrap_or_else(|e| panic!("{value:?}: {e}"))
}

/// For each case (one list of `OnCalendar=` lines), the first `n` of the union of its lines'
/// firings, as systemd computes them.
fn systemd_union(
    base: Timestamp,
    n: usize,
    lines: &[Vec<String>],
    zone: Option<&str>,
) -> Vec<Vec<Timestamp>> {
    let flat: Vec<String> = lines.iter().flatten().cloned().collect();
    let mut firings = systemd_firings(base, n, &flat, zone).into_iter();
    lines
        .iter()
        .map(|l| {
            let set: BTreeSet<Timestamp> = firings.by_ref().take(l.len()).flatten().collect();
            set.into_iter().take(n).collect()
        })
        .collect()
}

#[test]
fn corpus_is_big_and_covers_the_forms() {
    let c = corpus();
    assert!(c.len() >= 200, "only {} expressions", c.len());
    let unique: BTreeSet<&String> = c.iter().collect();
    assert_eq!(unique.len(), c.len(), "duplicates in the corpus");
    for form in [
        "*/", "-", ",", "/", "@weekly", "@yearly", "sun", "MON", "jan", " 7", " 0",
    ] {
        assert!(c.iter().any(|e| e.contains(form)), "no {form:?} in corpus");
    }
}

/// piar's DST policy applied to croniter's answer (croniter alone is not cron here):
/// - a time in the repeated autumn hour runs once, at its first occurrence (cronie runs a
///   fixed-time job once; systemd fires once): croniter's second occurrence is dropped;
/// - a time in the spring-forward gap of a fixed-time job runs at the first valid instant,
///   the end of the gap (croniter and cronie agree; systemd alone would skip the day): piar
///   writes dated compensating lines for the next `COMPENSATION_YEARS` only, so beyond that
///   horizon a croniter firing exactly at the end of a gap that systemd lacks is dropped;
/// - a wildcard job (cronie's MIN_STAR/HR_STAR) is not caught up (cronie, Debian
///   crontab(5)): croniter's gap-end firing is dropped unless the job fires at that wall
///   time anyway.
fn apply_dst_policy(
    base: Timestamp,
    croniter: &[Timestamp],
    systemd: &[Timestamp],
    tz: &jiff::tz::TimeZone,
    expr: &piar::schedule::cron::CronExpr,
) -> Vec<Timestamp> {
    let second = jiff::SignedDuration::from_secs(1);
    // A day of margin below the horizon piar's compensating lines were written for.
    let days = 365 * piar::schedule::dst::COMPENSATION_YEARS - 1;
    let compensated_until = base + jiff::SignedDuration::from_hours(24 * days);
    croniter
        .iter()
        .copied()
        .filter(|t| {
            let dt = t.to_zoned(tz.clone()).datetime();
            let repeated = match tz.to_ambiguous_timestamp(dt).offset() {
                jiff::tz::AmbiguousOffset::Fold { after, .. } => tz.to_offset(*t) == after,
                _ => false,
            };
            let gap_end = t
                .checked_sub(second)
                .map(|p| tz.to_offset(p) < tz.to_offset(*t))
                .unwrap_or(false);
            let skipped_by_systemd =
                gap_end && *t >= compensated_until && systemd.binary_search(t).is_err();
            let wildcard_catch_up = gap_end && !expr.fixed_time() && !expr.fires_at(dt);
            !(repeated || skipped_by_systemd || wildcard_catch_up)
        })
        .collect()
}

#[test]
fn systemd_agrees_with_croniter_on_the_corpus() {
    let entries: Vec<(String, String)> = corpus_entries()
        .into_iter()
        .filter(|(e, _)| !star_step_day_rule(e))
        .collect();
    let horizon: Timestamp = SYSTEMD_HORIZON.parse().expect("horizon");
    // All croniter work first, in parallel with systemd's.
    let pending: Vec<_> = CASES
        .iter()
        .map(|(tz, base)| {
            let base: Timestamp = base.parse().expect("base");
            let cases: Vec<(String, String)> = entries
                .iter()
                .map(|(_, c)| (c.clone(), tz.to_string()))
                .collect();
            let child = croniter_start(base, &cases);
            (tz, base, cases, child)
        })
        .collect();
    let mut failures = Vec::new();
    let mut compared = 0usize;
    for (tz, base, cases, child) in pending {
        let zone = jiff::tz::TimeZone::get(tz).expect("zone");
        // Submitted at the base time: the compensating DST lines start there.
        let lines: Vec<Vec<String>> = entries
            .iter()
            .map(|(e, _)| piar_lines_at(e, tz, base))
            .collect();
        let got = systemd_union(base, N, &lines, Some(tz));
        let want = croniter_collect(child, &cases);
        for (((expr, _), lines), (want, got)) in
            entries.iter().zip(&lines).zip(want.iter().zip(&got))
        {
            let parsed = piar::schedule::cron::CronExpr::parse(expr).expect("corpus parses");
            let want: Vec<Timestamp> = apply_dst_policy(base, want, got, &zone, &parsed)
                .into_iter()
                .filter(|t| *t < horizon)
                .collect();
            // The policy may drop some of croniter's N: compare up to croniter's last one.
            let last = *want.last().unwrap_or(&horizon);
            let got: Vec<Timestamp> = got
                .iter()
                .copied()
                .filter(|t| *t <= last && *t < horizon)
                .collect();
            compared += 1;
            if got != want {
                let first = got
                    .iter()
                    .zip(&want)
                    .position(|(g, w)| g != w)
                    .unwrap_or(got.len().min(want.len()));
                failures.push(format!(
                    "{expr:?} in {tz} from {base}: piar writes {lines:?}; first difference at \
                     #{first}: systemd {:?}, croniter {:?} (systemd {} firings, croniter {})",
                    got.get(first),
                    want.get(first),
                    got.len(),
                    want.len()
                ));
            }
        }
    }
    assert!(compared >= 200 * 3, "only {compared} comparisons");
    assert!(
        failures.is_empty(),
        "{} of {compared} disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Dropping the zone suffix and setting `TZ` (the fast path of [`systemd_firings`]) gives
/// what systemd computes for the zoned spec itself: first 20 firings of every corpus line.
#[test]
fn zoned_specs_agree() {
    for (tz, base) in CASES {
        let base: Timestamp = base.parse().expect("base");
        let lines: Vec<String> = corpus()
            .iter()
            .flat_map(|e| piar_lines_at(e, tz, base))
            .collect();
        let zoned = systemd_firings(base, 20, &lines, None);
        let local = systemd_firings(base, 20, &lines, Some(tz));
        for ((line, z), l) in lines.iter().zip(&zoned).zip(&local) {
            assert_eq!(z, l, "{line} from {base}");
        }
    }
}

/// Day fields starting with `*` are unrestricted (Vixie/Debian cron): ANDed with a restricted
/// other day field. Expectations derived by hand from a calendar; base Sat 2026-11-21 00:00 UTC.
#[test]
fn star_step_day_fields_and() {
    let base: Timestamp = "2026-11-21T00:00:00Z".parse().expect("base");
    let table: &[(&str, &[&str])] = &[
        // Mondays that are odd days of the month: Nov 23, Dec 7, Dec 21, Jan 11, Jan 25.
        (
            "0 0 */2 * 1",
            &[
                "2026-11-23",
                "2026-12-07",
                "2026-12-21",
                "2027-01-11",
                "2027-01-25",
            ],
        ),
        // The 1st, when it is Sun, Tue, Thu or Sat (*/2 over 0-7 = 0,2,4,6): Dec 1 2026 Tue,
        // Jan 1 2027 Fri (no), Feb 1 and Mar 1 Mon (no), Apr 1 Thu, May 1 Sat, Jun 1 Tue,
        // Jul 1 Thu.
        (
            "0 0 1 * */2",
            &[
                "2026-12-01",
                "2027-04-01",
                "2027-05-01",
                "2027-06-01",
                "2027-07-01",
            ],
        ),
        // Days 1, 11, 21, 31 that are Fridays: Dec 11 2026, Jan 1 2027, May 21, Jun 11, Oct 1.
        (
            "0 0 */10 * fri",
            &[
                "2026-12-11",
                "2027-01-01",
                "2027-05-21",
                "2027-06-11",
                "2027-10-01",
            ],
        ),
        // Both start with `*`: AND. Odd days that are Sun/Tue/Thu/Sat: Nov 21 (Sat, after
        // 00:00 base so not included), Nov 29 Sun, Dec 1 Tue, Dec 3 Thu, Dec 5 Sat.
        (
            "0 0 */2 * */2",
            &[
                "2026-11-29",
                "2026-12-01",
                "2026-12-03",
                "2026-12-05",
                "2026-12-13",
            ],
        ),
    ];
    for (expr, days) in table {
        assert!(star_step_day_rule(expr), "{expr} is not in the */n class");
        let lines = piar_lines(expr, "UTC");
        let got = systemd_union(base, days.len(), std::slice::from_ref(&lines), None)
            .pop()
            .expect("one case");
        let want: Vec<Timestamp> = days
            .iter()
            .map(|d| format!("{d}T00:00:00Z").parse().expect("day"))
            .collect();
        assert_eq!(got, want, "{expr}: piar writes {lines:?}");
    }
    // Every such expression in the corpus compiles to one ANDed line (no OR split).
    for expr in corpus().iter().filter(|e| star_step_day_rule(e)) {
        assert_eq!(piar_lines(expr, "UTC").len(), 1, "{expr}");
    }
}
