//! `piar list` with enough jobs to read their timers over several threads
//! (`status::summarize_all`, serial below 16 jobs): every row is there, in the
//! store's (name) order, with the next elapse systemd reports for its timer.

use crate::support::{Piar, unique};

#[test]
fn list_reads_many_timers_in_parallel_and_keeps_the_order() {
    // 20 jobs of our own; other tests' jobs may be listed too (same scope)
    let names: Vec<String> = (0..20).map(|i| unique(&format!("lm{i:02}"))).collect();
    for name in &names {
        Piar::new()
            .args(["submit", "--name", name, "--cron", "30 4 1 1 *"])
            .args(["--tz", "Etc/UTC", "--", "true"])
            .run()
            .success();
    }
    let before = jiff::Timestamp::now();
    let rows = Piar::new()
        .args(["list", "--json"])
        .run()
        .success()
        .json_value();
    let rows = rows.as_array().expect("list --json prints an array");
    assert!(rows.len() >= names.len(), "{rows:?}");
    let listed: Vec<&str> = rows.iter().filter_map(|r| r["name"].as_str()).collect();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(listed, sorted, "rows are not in name order");
    for name in &names {
        let row = rows
            .iter()
            .find(|r| r["name"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} not listed"));
        assert_eq!(row["state"], "waiting", "{row}");
        let next: jiff::Timestamp = row["next_run"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no next_run: {row}"))
            .parse()
            .expect("next_run is RFC 3339");
        // Jan 1, 04:30 UTC: the next one after now, as systemd computed it
        assert!(
            next > before,
            "{name}: next_run {next} is not in the future"
        );
        assert!(
            next.to_string().ends_with("-01-01T04:30:00Z"),
            "{name}: next_run {next}"
        );
    }
    for name in &names {
        Piar::new().args(["rm", name]).run().success();
    }
}
