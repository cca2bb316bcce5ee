#!/usr/bin/env python3
"""bench/report.py RESULTS_DIR - print bench/run's report from its raw samples.

RESULTS_DIR holds KEY.us files (one wall time in microseconds per line), helper_vmhwm.kib
("VmHWM RssAnon RssFile" of the trigger helper, KiB, one line per run) and facts (key=value lines). For each
comparison it prints median and spread (interquartile range, min..max) of both sides and the
ratio of the medians against the target. A missed target is reported, never an error: the
benchmarks are not tests.
"""

import os
import statistics
import sys


def load(out, name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [int(line) for line in f if line.strip()]


def quartiles(xs):
    if len(xs) < 2:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def ms(us):
    return f"{us / 1000:.1f}"


def describe(xs):
    """'median 12.3 ms (IQR 11.9-12.8, min-max 11.0-20.1, n=40)'."""
    lo, hi = quartiles(xs)
    return (
        f"median {ms(statistics.median(xs)):>7} ms  "
        f"(IQR {ms(lo)}-{ms(hi)}, min-max {ms(min(xs))}-{ms(max(xs))}, n={len(xs)})"
    )


def main():
    out = sys.argv[1]
    facts = {}
    with open(os.path.join(out, "facts")) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                facts[k] = v

    print()
    print("piar benchmarks (bench/run), inside the systemd box")
    print(f"  date     {facts.get('date')}  ({facts.get('mode')} mode, {facts.get('bench_seconds', '?')} s in the box)")
    print(f"  machine  {facts.get('cpu')}, {facts.get('cores')} cores, {facts.get('memory')}, "
          f"load before {facts.get('loadavg_before')}")
    print(f"  os       {facts.get('os')}, kernel {facts.get('kernel')}, {facts.get('systemd')}")
    print(f"  piar     {facts.get('piar_version')} (release build, commit {facts.get('commit', '?')})")
    print()

    n_jobs = facts.get('installed_timers', '?')
    # (title, key, baseline title, baseline key, target ratio or None); targets: issue 18
    rows = [
        ("submit a cron job (0 jobs installed)", "submit_piar_0",
         "systemd-run --on-calendar, same spec", "submit_systemd_run", 1.5),
        (f"submit with {n_jobs} jobs installed", "submit_piar_many",
         "submit with 0 jobs installed", "submit_piar_0", 1.2),
        (f"systemd-run with {n_jobs} jobs installed (reference)",
         "submit_systemd_run_many", "systemd-run with 0 jobs installed", "submit_systemd_run", None),
        ("submit (0 jobs installed) vs the same by hand (reference)", "submit_piar_0",
         "by hand: 2 unit files + daemon-reload + enable --now", "hand_0", None),
        (f"submit with {n_jobs} jobs vs the same by hand (reference)", "submit_piar_many",
         f"by hand with {n_jobs} jobs installed", "hand_many", None),
        (f"piar list --json ({n_jobs} jobs)", "list_piar",
         f"systemctl list-timers --all --output=json ({facts.get('list_timers_rows', '?')} timers)",
         "list_systemctl", 1.5),
        ("timer elapse -> job start via piar's helper", "trigger_piar",
         "timer elapse -> job start, plain .service", "trigger_plain", 1.3),
    ]
    for title, a, btitle, b, target in rows:
        xa, xb = load(out, a + ".us"), load(out, b + ".us")
        if not xa or not xb:
            print(f"{title}: no samples")
            print()
            continue
        ratio = statistics.median(xa) / statistics.median(xb)
        print(f"{title}")
        print(f"  measured  {describe(xa)}")
        print(f"  baseline  {describe(xb)}   <- {btitle}")
        if target is None:
            print(f"  ratio     {ratio:.2f}x   (no target: a reference)")
        else:
            verdict = "met" if ratio <= target else "MISSED"
            print(f"  ratio     {ratio:.2f}x   target <= {target}x: {verdict}")
        print()
    reload = load(out, "daemon_reload_many.us")
    if reload:
        print(f"systemctl daemon-reload with {facts.get('installed_timers', '?')} jobs (what submit avoids)")
        print(f"  measured  {describe(reload)}")
        print()

    path = os.path.join(out, "helper_vmhwm.kib")
    triples = []
    if os.path.exists(path):
        with open(path) as f:
            triples = [[int(x) for x in line.split()] for line in f if line.strip()]
    hwm = [t[0] for t in triples]
    if hwm:
        peak = max(hwm)
        verdict = "met" if peak <= 3072 else "MISSED"
        print(f"helper ({facts.get('helper_exe', '?')}) peak RSS while a run is active (VmHWM)")
        print(f"  max {peak / 1024:.2f} MiB, median {statistics.median(hwm) / 1024:.2f} MiB "
              f"over {len(hwm)} runs   target <= 3 MiB: {verdict}")
        last = max(triples, key=lambda t: t[0])
        if len(last) == 3:
            print(f"  at the last read of the largest: RssAnon {last[1] / 1024:.2f} MiB, "
                  f"RssFile {last[2] / 1024:.2f} MiB (pages of the binary and libraries)")
        print(f"  cgroup memory.peak available: {facts.get('cgroup_memory_peak')}")
        print()

    v, s = load(out, "version_piar.us"), load(out, "version_systemctl.us")
    if v:
        print("piar --version (a fresh process each time; the page cache is warm)")
        print(f"  piar      {describe(v)}")
        if s:
            print(f"  reference {describe(s)}   <- systemctl --version")
        print()
    print("sizes (release profile, stripped)")
    size = int(facts['binary_bytes'])
    verdict = "met" if size <= 6 * 1048576 else "MISSED"
    print(f"  piar (full CLI)            {size / 1048576:.2f} MiB ({size} bytes; after strip "
          f"again: {facts.get('binary_bytes_after_strip', '?')})   target <= 6 MiB: {verdict}")
    for b in ("trigger", "mcp"):
        if f"binary_bytes_{b}" in facts:
            n = int(facts[f"binary_bytes_{b}"])
            print(f"  piar-{b:<8}               {n / 1048576:.2f} MiB ({n} bytes)")
    if "deb_bytes" in facts:
        print(f"  .deb                       {int(facts['deb_bytes']) / 1048576:.2f} MiB "
              f"({facts['deb_bytes']} bytes, {facts['deb_file']}; installed size {facts['deb_installed_kib']} KiB)")
    else:
        print("  .deb                       not built (--no-deb)")
    print()
    irs = [(k, facts[k]) for k in ("ir_trigger_helper", "ir_trigger_cli", "ir_submit", "ir_version") if k in facts]
    if irs:
        print("instructions (valgrind --tool=callgrind, user space of the piar process only)")
        names = {"ir_trigger_helper": "one trigger, piar-trigger helper",
                 "ir_trigger_cli": "one trigger, `piar trigger` (full CLI)",
                 "ir_submit": "one submit (0 jobs installed)",
                 "ir_version": "piar --version"}
        for k, v in irs:
            print(f"  {names[k]:<40} {int(v):>13,}")
        print()
    if "remove_jobs_us" in facts:
        removal = f"{int(facts['remove_jobs_us']) / 1e6:.1f} s"
    else:
        removal = "not timed (--quick: they go with the box)"
    install = int(facts.get('install_jobs_us', 0)) / 1e6
    verdict = "met" if install <= 5 else "MISSED"
    print(f"installing {n_jobs} jobs with one `piar sync` from drop-ins: "
          f"{install:.1f} s   target <= 5 s: {verdict}")
    print(f"removing them the same way: {removal}")
    print(f"raw samples: {out}")


if __name__ == "__main__":
    main()
