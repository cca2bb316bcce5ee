//! Hardening against a real systemd: many concurrent piar processes must
//! leave exactly the right jobs, every manifest parseable, every unit file
//! matching its manifest, and no orphans (issue 7; the Node runner we learn
//! from corrupted its store under 10 concurrent submits).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{Piar, piar_bin, unique};

/// Start `n` piar processes at once with `args(i)` and return their exit codes.
fn concurrently(n: usize, args: impl Fn(usize) -> Vec<String>) -> Vec<i32> {
    let children: Vec<_> = (0..n)
        .map(|i| {
            Command::new(piar_bin())
                .args(args(i))
                .env_remove("DBUS_SESSION_BUS_ADDRESS")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn piar")
        })
        .collect();
    children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().expect("wait for piar");
            let code = out.status.code().unwrap_or(-1);
            if code != 0 && code != 4 {
                eprintln!(
                    "piar exited {code}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            code
        })
        .collect()
}

fn piar_units_with_prefix(prefix: &str) -> BTreeSet<String> {
    std::fs::read_dir("/etc/systemd/system")
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("piar-{prefix}")))
        .collect()
}

#[test]
fn concurrent_submits_leave_exactly_the_right_jobs() {
    let prefix = unique("conc");
    let n = 200;
    // Calendar schedules (minute i % 60 of 03:xx) so nothing fires during the test.
    let codes = concurrently(n, |i| {
        let cron = format!("{} 3 * * *", i % 60);
        [
            "submit",
            "--name",
            &format!("{prefix}-{i}"),
            "--cron",
            &cron,
            "--tz",
            "UTC",
            "--",
            "true",
        ]
        .map(String::from)
        .to_vec()
    });
    assert!(codes.iter().all(|c| *c == 0), "exit codes: {codes:?}");

    // 50 at once with one name: exactly one wins, the others get "exists" (4).
    let same = format!("{prefix}-same");
    let codes = concurrently(50, |_| {
        [
            "submit",
            "--name",
            &same,
            "--cron",
            "0 3 * * *",
            "--",
            "true",
        ]
        .map(String::from)
        .to_vec()
    });
    assert_eq!(codes.iter().filter(|c| **c == 0).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 4).count(), 49, "{codes:?}");

    let rows: Vec<serde_json::Value> = Piar::new().args(["list", "--json"]).run().success().json();
    let mine: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| {
            r["name"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{prefix}-"))
        })
        .collect();
    assert_eq!(mine.len(), n + 1);
    let mut expected_units = BTreeSet::new();
    for row in &mine {
        let name = row["name"].as_str().unwrap();
        assert_eq!(row["state"], "waiting", "{row}");
        // The manifest parses (list would say "invalid") and the timer file
        // says what the manifest says.
        let manifest = std::fs::read_to_string(format!("/var/lib/piar/jobs/{name}.toml")).unwrap();
        let timer =
            std::fs::read_to_string(format!("/etc/systemd/system/piar-{name}.timer")).unwrap();
        assert!(timer.contains(&format!("Unit=piar-{name}.service")));
        if name == same {
            assert!(manifest.contains("cron = \"0 3 * * *\""), "{manifest}");
            assert!(timer.contains("OnCalendar=*-*-* 03:00:00"), "{timer}");
        } else {
            let i: u64 = name.rsplit('-').next().unwrap().parse().unwrap();
            let cron = format!("cron = \"{} 3 * * *\"", i % 60);
            assert!(manifest.contains(&cron), "{manifest}");
            let line = format!("OnCalendar=*-*-* 03:{:02}:00 UTC", i % 60);
            assert!(timer.contains(&line), "{timer}");
        }
        expected_units.insert(format!("piar-{name}.service"));
        expected_units.insert(format!("piar-{name}.timer"));
    }
    // No orphaned unit files.
    assert_eq!(piar_units_with_prefix(&prefix), expected_units);

    // And they all go away concurrently too.
    let names: Vec<String> = mine
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    let codes = concurrently(names.len(), |i| {
        vec!["rm".into(), names[i].clone(), "--purge".into()]
    });
    assert!(codes.iter().all(|c| *c == 0), "{codes:?}");
    assert!(piar_units_with_prefix(&prefix).is_empty());
    assert!(!Path::new(&format!("/var/lib/piar/jobs/{prefix}-0.toml")).exists());
}
