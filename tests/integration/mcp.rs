//! `piar mcp` driven by the official MCP Python SDK's stdio client (PyPI `mcp`,
//! tests/mcp_client.py) inside the box: locally in system scope, and over ssh
//! (an sshd of the test's own on 127.0.0.1, key auth, a forced
//! `command="piar --user mcp",restrict` key) to the box's lingering test user.
//! Also: the server exits when stdin closes and leaves no piar process behind.
//!
//! The SDK lives in a venv at `<target>/mcp-venv` (scripts/test creates it), or
//! `PIAR_MCP_PYTHON`. Without it these tests FAIL.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Piar, TestUser, piar_bin, poll_until, require_box, unique};

const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp_client.py");

/// The Python that has the `mcp` SDK; panics with instructions if there is none.
fn python() -> PathBuf {
    let candidate = std::env::var_os("PIAR_MCP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let bin = piar_bin();
            let target = bin.parent().and_then(|p| p.parent()).unwrap();
            target.join("mcp-venv/bin/python3")
        });
    let ok = Command::new(&candidate)
        .args(["-c", "import mcp.client.stdio"])
        .stdin(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "MCP tests need Python with the `mcp` package at {} (or set PIAR_MCP_PYTHON): \
         python3 -m venv <target>/mcp-venv && <target>/mcp-venv/bin/pip install mcp \
         (scripts/test does this)",
        candidate.display()
    );
    candidate
}

/// Run the Python client against `server` (argv) with `plan`; its report.
fn client(server: &[&str], plan: Value) -> Value {
    require_box();
    let mut child = Command::new(python())
        .arg(CLIENT)
        .args(server)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the MCP client");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(plan.to_string().as_bytes())
        .unwrap();
    let pid = child.id();
    // Bound the whole session: a hung server must fail the test, not hang it.
    let out = std::thread::scope(|s| {
        let h = s.spawn(move || child.wait_with_output().unwrap());
        let start = std::time::Instant::now();
        while !h.is_finished() {
            if start.elapsed() > Duration::from_secs(180) {
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        h.join().unwrap()
    });
    assert!(
        out.status.success(),
        "MCP client failed ({}): {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "client report is not JSON: {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The common scenario: schedule, run with wait, result, a refused approve,
/// invalid inputs answered as tool errors, a resource, the logs. Returns the
/// report. `output_in_result`: the run's output must be in run_result's
/// output tail (system scope; in user scope journald attributes the lines of
/// a process that exits at once to its user unit only when it read the
/// cgroup in time, see the README, so there it is not required).
fn scenario(server: &[&str], name: &str, output_in_result: bool) -> Value {
    let marker = format!("hello-from-{name}");
    let plan = json!([
        {"tool": "schedule_job", "args": {
            "name": name, "command": ["sh", "-c", format!("echo {marker}")], "manual": true,
            "metadata": {"task": "mcp-test"}, "timeout": "1m"}},
        {"tool": "list_jobs", "args": {"name_contains": name}},
        {"tool": "run_now", "args": {"name": name, "wait": true, "timeout_seconds": 60}},
        {"tool": "run_result", "args": {"run_id": "$run_id"}},
        {"tool": "approve_job", "args": {"name": name}},
        {"tool": "schedule_job", "args": {"command": ["true"], "cron": "99 9 * * *"}},
        {"tool": "schedule_job", "args": {"command": "not a list", "manual": true}},
        {"tool": "schedule_job", "args": {"command": ["true"], "at": "in 1h", "every": "5m"}},
        {"tool": "show_job", "args": {"name": "no-such-job-mcp"}},
        {"read": format!("piar://job/{name}")},
        {"tool": "run_logs", "args": {"name": name, "lines": 50}},
        {"tool": "schedule_job", "args": {
            "name": format!("{name}-p"), "command": ["true"], "cron": "0 3 * * *"}},
        {"tool": "pause_job", "args": {"name": format!("{name}-p"), "until": "in 1h"}},
        {"tool": "resume_job", "args": {"name": format!("{name}-p")}},
        {"tool": "remove_job", "args": {"name": format!("{name}-p")}},
    ]);
    let r = client(server, plan);
    let steps = r["steps"].as_array().unwrap();
    let step = |i: usize| &steps[i];

    assert_eq!(r["server"]["name"], "piar", "{r}");
    let tools: Vec<&str> = r["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    for t in [
        "schedule_job",
        "preview_schedule",
        "list_jobs",
        "show_job",
        "job_history",
        "run_result",
        "run_logs",
        "run_now",
        "wait_for_run",
        "stop_run",
        "pause_job",
        "resume_job",
        "edit_job",
        "remove_job",
    ] {
        assert!(tools.contains(&t), "tool {t} missing: {tools:?}");
    }
    assert!(!tools.contains(&"approve_job") && !tools.contains(&"reject_job"));
    // The input schema says what schedule_job needs.
    assert_eq!(
        r["schemas"]["schedule_job"]["properties"]["command"]["type"], "array",
        "{}",
        r["schemas"]["schedule_job"]
    );

    // schedule_job: the CLI's submit --json object.
    assert_eq!(step(0)["is_error"], false, "{}", step(0));
    assert_eq!(step(0)["structured"]["name"], name, "{}", step(0));
    let listed = step(1)["structured"]["jobs"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{}", step(1));
    assert_eq!(listed[0]["name"], name);

    // run_now with wait: the run record of a succeeded run.
    assert_eq!(step(2)["is_error"], false, "{}", step(2));
    assert_eq!(step(2)["structured"]["status"], "succeeded", "{}", step(2));
    let run_id = step(2)["structured"]["id"].as_str().unwrap().to_string();
    // run_result: that run, with its output.
    assert_eq!(step(3)["is_error"], false, "{}", step(3));
    assert_eq!(step(3)["structured"]["id"], run_id.as_str());
    assert_eq!(step(3)["structured"]["status"], "succeeded");
    assert_eq!(step(3)["structured"]["exit_code"], 0);
    if output_in_result {
        assert!(
            step(3)["structured"].to_string().contains(&marker),
            "{}",
            step(3)
        );
    }

    // approve is refused: no such tool without --allow-approval.
    let refused = step(4)["protocol_error"].as_str().unwrap_or_default();
    assert!(refused.contains("--allow-approval"), "{}", step(4));

    // Invalid input is a tool error with the CLI's code and exit code; the
    // server keeps serving (later steps answered).
    for i in [5, 6, 7] {
        assert_eq!(step(i)["is_error"], true, "{}", step(i));
        assert_eq!(
            step(i)["structured"]["error"]["code"],
            "invalid",
            "{}",
            step(i)
        );
        assert_eq!(
            step(i)["structured"]["error"]["exit_code"],
            2,
            "{}",
            step(i)
        );
    }
    assert!(
        step(5)["structured"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("minute"),
        "{}",
        step(5)
    );
    assert_eq!(
        step(8)["structured"]["error"]["code"],
        "not_found",
        "{}",
        step(8)
    );
    assert_eq!(step(8)["structured"]["error"]["exit_code"], 3);

    // The job resource is `piar show NAME --json`.
    let text = step(9)["contents"][0]["text"].as_str().unwrap_or_default();
    let shown: Value = serde_json::from_str(text).unwrap_or_else(|_| panic!("{}", step(9)));
    assert_eq!(shown["name"], name, "{shown}");
    assert_eq!(step(10)["is_error"], false, "{}", step(10));
    assert!(step(10)["structured"]["lines"].is_array(), "{}", step(10));

    // pause_job with until: paused now, a resume time set (RFC 3339 UTC, ms);
    // resume_job: enabled again, no resume time left.
    assert_eq!(step(11)["is_error"], false, "{}", step(11));
    let paused = &step(12)["structured"];
    assert_eq!(step(12)["is_error"], false, "{}", step(12));
    assert_eq!(paused["enabled"], false, "{paused}");
    let at = paused["resume_at"]
        .as_str()
        .unwrap_or_else(|| panic!("{paused}"));
    let at: jiff::Timestamp = at.parse().unwrap_or_else(|_| panic!("{paused}"));
    let ahead = at.duration_since(jiff::Timestamp::now());
    assert!(
        ahead > jiff::SignedDuration::from_mins(55) && ahead <= jiff::SignedDuration::from_mins(61),
        "{paused}"
    );
    let resumed = &step(13)["structured"];
    assert_eq!(resumed["enabled"], true, "{resumed}");
    assert_eq!(resumed["resume_at"], Value::Null, "{resumed}");
    assert_eq!(step(14)["is_error"], false, "{}", step(14));
    r
}

#[test]
fn mcp_local_schedule_run_result_and_tool_errors() {
    let name = unique("mcp-local");
    let bin = piar_bin();
    let bin = bin.to_str().unwrap();
    scenario(&[bin, "--system", "mcp"], &name, true);
    // The CLI sees the job and the run the MCP client made.
    let shown = Piar::new()
        .args(["show", &name, "--json"])
        .run()
        .success()
        .json_value();
    assert_eq!(shown["name"], name.as_str());
    assert_eq!(shown["manifest"]["metadata"]["task"], "mcp-test", "{shown}");
    let runs = Piar::new()
        .args(["history", &name, "--json"])
        .run()
        .success()
        .json_value();
    assert_eq!(runs["runs"][0]["status"], "succeeded", "{runs}");
    Piar::new().args(["rm", &name, "--purge"]).run().success();
}

#[test]
fn mcp_allow_approval_offers_approve_for_a_person() {
    let name = unique("mcp-approve");
    let bin = piar_bin();
    let bin = bin.to_str().unwrap();
    let r = client(
        &[bin, "--system", "mcp", "--allow-approval"],
        json!([
            {"tool": "schedule_job", "args": {"name": name, "command": ["true"],
                "manual": true, "require_approval": true}},
            {"tool": "run_now", "args": {"name": name}},
            {"tool": "approve_job", "args": {"name": name}},
        ]),
    );
    let tools = r["tools"].to_string();
    assert!(
        tools.contains("approve_job") && tools.contains("reject_job"),
        "{tools}"
    );
    let steps = &r["steps"];
    assert_eq!(steps[0]["is_error"], false, "{}", steps[0]);
    // Pending approval: run_now is refused with the CLI's conflict (exit 4).
    assert_eq!(
        steps[1]["structured"]["error"]["code"], "conflict",
        "{}",
        steps[1]
    );
    assert_eq!(steps[1]["structured"]["error"]["exit_code"], 4);
    assert_eq!(steps[2]["is_error"], false, "{}", steps[2]);
    let shown = Piar::new()
        .args(["show", &name, "--json"])
        .run()
        .success()
        .json_value();
    assert_ne!(shown["state"], "pending-approval", "{shown}");
    Piar::new().args(["rm", &name, "--purge"]).run().success();
}

/// PIDs of the processes whose parent is `ppid` (from /proc/*/stat).
fn children_of(ppid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces, split after ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        if rest.split_whitespace().nth(1) == Some(&ppid.to_string()) {
            out.push(pid);
        }
    }
    out
}

#[test]
fn mcp_server_exits_when_stdin_closes_and_leaves_no_piar_behind() {
    require_box();
    let name = unique("mcp-eof");
    Piar::new()
        .args(["submit", "--name", &name, "--manual", "--", "true"])
        .run()
        .success();
    let mut server = Command::new(piar_bin())
        .args(["--system", "mcp"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = server.id();
    let mut stdin = server.stdin.take().unwrap();
    let msgs = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "eof-test", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        // Blocks in a `piar wait` child: the job never runs by itself.
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "wait_for_run", "arguments": {"target": name, "timeout_seconds": 600}}}),
    ];
    for m in msgs {
        writeln!(stdin, "{m}").unwrap();
    }
    stdin.flush().unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let init: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(init["id"], 1, "{line}");
    let kids = poll_until(
        "the server's piar wait child",
        Duration::from_secs(20),
        || {
            let k = children_of(pid);
            (!k.is_empty()).then_some(k)
        },
    );
    // Close stdin: the client went away.
    drop(stdin);
    let status = poll_until("the server to exit", Duration::from_secs(30), || {
        server.try_wait().unwrap()
    });
    assert!(status.success(), "{status}");
    // Everything it wrote on stdout is JSON-RPC.
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    for l in rest.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"));
        assert_eq!(v["jsonrpc"], "2.0", "{l}");
    }
    for k in kids {
        poll_until(
            &format!("child {k} of the server to be gone"),
            Duration::from_secs(10),
            || (!Path::new(&format!("/proc/{k}")).exists()).then_some(()),
        );
    }
    Piar::new().args(["rm", &name, "--purge"]).run().success();
}

/// Processes of `uid` whose command line contains `needle`.
fn processes_of(uid: u32, needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let p = e.path();
        let Ok(status) = std::fs::read_to_string(p.join("status")) else {
            continue;
        };
        let owner = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|u| u.parse::<u32>().ok());
        let cmd = std::fs::read(p.join("cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        if owner == Some(uid) && cmd.contains(needle) {
            out.push(cmd);
        }
    }
    out
}

/// An sshd of this test on 127.0.0.1:PORT as a transient unit; stopped on drop.
struct Sshd {
    unit: String,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = Command::new("systemctl")
            .args(["stop", &self.unit])
            .stdin(Stdio::null())
            .status();
    }
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn mcp_over_ssh_to_a_lingering_user() {
    require_box();
    let user = TestUser::get();
    let name = unique("mcp-ssh");
    let port = 22022;
    let dir = PathBuf::from(format!("/var/lib/piar-mcp-ssh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let host_key = dir.join("host_key");
    let client_key = dir.join("client_key");
    for k in [&host_key, &client_key] {
        run_ok(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", "piar-test", "-f"])
                .arg(k),
        );
    }
    // The key may only start `piar --user mcp` (the docs' authorized_keys line).
    let ssh_dir = user.home.join(".ssh");
    std::fs::create_dir_all(&ssh_dir).unwrap();
    let pubkey = std::fs::read_to_string(client_key.with_extension("pub")).unwrap();
    let line = format!(
        "command=\"{} --user mcp\",restrict {}",
        piar_bin().display(),
        pubkey.trim()
    );
    std::fs::write(ssh_dir.join("authorized_keys"), format!("{line}\n")).unwrap();
    run_ok(
        Command::new("chown")
            .args(["-R", &format!("{}:{}", user.uid, user.gid)])
            .arg(&ssh_dir),
    );
    run_ok(Command::new("chmod").args(["700"]).arg(&ssh_dir));
    run_ok(
        Command::new("chmod")
            .args(["600"])
            .arg(ssh_dir.join("authorized_keys")),
    );
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile none\nUsePAM yes\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
             AuthorizedKeysFile .ssh/authorized_keys\nAllowUsers {}\nPermitRootLogin no\n",
            host_key.display(),
            user.name
        ),
    )
    .unwrap();
    std::fs::create_dir_all("/run/sshd").unwrap();
    let unit = format!("piar-test-sshd-{}", std::process::id());
    run_ok(
        Command::new("/usr/sbin/sshd")
            .arg("-t")
            .arg("-f")
            .arg(&config),
    );
    run_ok(
        Command::new("systemd-run")
            .arg(format!("--unit={unit}"))
            .args(["--property=Type=exec", "/usr/sbin/sshd", "-D", "-e", "-f"])
            .arg(&config),
    );
    let _sshd = Sshd { unit: unit.clone() };
    poll_until(
        "sshd to listen on 127.0.0.1",
        Duration::from_secs(20),
        || std::net::TcpStream::connect(("127.0.0.1", port)).ok(),
    );

    let port_s = port.to_string();
    let key_s = client_key.to_str().unwrap().to_string();
    let target = format!("{}@127.0.0.1", user.name);
    let ssh = [
        "ssh",
        "-i",
        &key_s,
        "-p",
        &port_s,
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        &target,
        "piar",
        "--user",
        "mcp",
    ];
    scenario(&ssh, &name, false);
    // The job is the lingering user's, in user scope.
    let shown = Piar::new()
        .user(Some(user))
        .args(["show", &name, "--json"])
        .run()
        .success()
        .json_value();
    assert_eq!(shown["name"], name.as_str());
    assert!(
        user.home
            .join(format!(".config/systemd/user/piar-{name}.service"))
            .exists()
    );
    // The connection is gone: no `piar --user mcp` of the user is left.
    poll_until(
        "no piar mcp of the user left",
        Duration::from_secs(20),
        || processes_of(user.uid, " mcp").is_empty().then_some(()),
    );
    Piar::new()
        .user(Some(user))
        .args(["rm", &name, "--purge"])
        .run()
        .success();
    let _ = std::fs::remove_dir_all(&dir);
}
