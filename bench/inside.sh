#!/usr/bin/env bash
# bench/inside.sh - the measurements of bench/run, executed as root INSIDE the project's
# throw-away systemd box (bench/run boots it and passes this file's text to `bash -c`, so it
# works even where the box cannot see the checkout). Never run it on a host whose systemd you
# care about: it installs 1000 jobs and stops every `bench-*` unit it created.
#
# Env (set by bench/run): PIAR (release binary), OUT (results dir, visible from the host),
# N (samples per timed command), TRIG_N (timer-elapse samples per side), RSS_N (helper runs),
# JOBS (jobs installed for the "many jobs" measurements), REMOVE_JOBS (0: leave them to the
# box's teardown instead of timing their removal).
#
# Every timed sample is one line "<microseconds>" in $OUT/<key>.us; pairs meant to be compared
# are measured interleaved (A, B, A, B, ...) in the same loop. Other facts go to $OUT/facts as
# "key=value". bench/run turns both into the report.
set -euo pipefail
: "${PIAR:?}" "${OUT:?}" "${N:?}" "${TRIG_N:?}" "${RSS_N:?}" "${JOBS:?}"

say() { printf 'bench: %s\n' "$*" >&2; }
fact() { printf '%s=%s\n' "$1" "$2" >>"$OUT/facts"; }
fail() { say "FAILED: $*"; exit 1; }
us_now() { local t=$EPOCHREALTIME; echo $(( 10#${t/./} )); }

# time_one KEY CMD...: run CMD once (output discarded, stderr kept in $OUT/stderr), append
# its wall time in microseconds to $OUT/KEY.us. $EPOCHREALTIME avoids forking a clock.
time_one() {
  local key=$1 t0 t1; shift
  t0=$EPOCHREALTIME
  "$@" >/dev/null 2>>"$OUT/stderr" </dev/null || fail "$key: $* (see $OUT/stderr)"
  t1=$EPOCHREALTIME
  echo $(( 10#${t1/./} - 10#${t0/./} )) >>"$OUT/$key.us"
}

# The schedule used for every submitted job: cron `30 4 1 1 *` (Jan 1, 04:30) compiles to this
# OnCalendar spec (checked below with --dry-run), so no job fires while the bench runs.
CRON='30 4 1 1 *'
SPEC='*-01-01 04:30:00 Etc/UTC'
STATE=/var/lib/piar-bench
mkdir -p "$STATE"

created_transient=()
cleanup() {
  local rc=$? u
  for u in "${created_transient[@]}"; do systemctl stop "$u" >/dev/null 2>&1 || true; done
  systemctl stop bench-plain.timer bench-plain.service >/dev/null 2>&1 || true
  rm -f /etc/systemd/system/bench-plain.timer /etc/systemd/system/bench-plain.service
  # the single jobs of a failed step; the bench-many* drop-in jobs go with the box
  for j in $("$PIAR" list --json 2>/dev/null | python3 -c 'import json,sys; [print(r["name"]) for r in json.load(sys.stdin) if r["name"].startswith("bench") and not r["name"].startswith("bench-many")]' 2>/dev/null); do
    "$PIAR" rm "$j" >/dev/null 2>&1 || true
  done
  exit "$rc"
}
trap cleanup EXIT

# ------------------------------------------------------------------ facts about this box
fact systemd "$(systemctl --version | head -n1)"
fact piar_version "$("$PIAR" --version)"
"$PIAR" submit --dry-run --name bench-spec --cron "$CRON" -- true | grep -qxF "OnCalendar=$SPEC" ||
  fail "piar compiles cron '$CRON' to something other than OnCalendar=$SPEC"

# ------------------------------------------------------------ 1) piar --version, many runs
say "1/6 piar --version ($((N * 4)) runs; systemctl --version alongside as a reference)"
for ((i = 0; i < N * 4; i++)); do
  time_one version_piar "$PIAR" --version
  time_one version_systemctl systemctl --version
done

# ------------------------------------- 2) submit vs systemd-run --on-calendar, no jobs yet
say "2/6 submit vs systemd-run --on-calendar ($N each, interleaved, 0 jobs installed)"
for ((i = 0; i < N; i++)); do
  time_one submit_piar_0 "$PIAR" submit --name "bench-s$i" --cron "$CRON" -- true
  time_one submit_systemd_run systemd-run --unit="bench-sr$i" --on-calendar="$SPEC" \
    --timer-property=AccuracySec=1s --timer-property=Persistent=true -- true
  created_transient+=("bench-sr$i.timer")
  # untimed: keep "0 jobs installed" true for the next sample
  "$PIAR" rm "bench-s$i" >/dev/null
  systemctl stop "bench-sr$i.timer" >/dev/null
done

# ------------------------------------------------- 3) trigger overhead and helper's RSS
# Both sides run the same command, which appends its own CLOCK_REALTIME (µs) to a file; the
# elapse time is the timer's LastTriggerUSec (µs, realtime) read over D-Bus after each line.
# Latency = command's clock - LastTriggerUSec. The two timers run one after the other (not
# at once) so that neither competes with the other for the CPU.
trigger_samples() {  # KEY TIMER LOGFILE COUNT
  local key=$1 timer=$2 log=$3 count=$4 seen=0 lines last trig obj deadline
  obj=/org/freedesktop/systemd1/unit/$(printf %s "$timer" | sed 's/-/_2d/g; s/\./_2e/g')
  deadline=$(( $(us_now) + (count * 3 + 30) * 1000000 ))
  while [ "$seen" -lt "$count" ]; do
    [ "$(us_now)" -lt "$deadline" ] || fail "$key: only $seen of $count timer elapses arrived"
    lines=0; [ -f "$log" ] && lines=$(wc -l <"$log")
    if [ "$lines" -gt "$seen" ]; then
      last=$(tail -n1 "$log")
      trig=$(busctl get-property org.freedesktop.systemd1 "$obj" org.freedesktop.systemd1.Timer LastTriggerUSec | awk '{print $2}')
      # a line from before the elapse we read (a later elapse raced us) is skipped
      if [ "$last" -ge "$trig" ] && [ $((last - trig)) -lt 900000 ]; then
        echo $((last - trig)) >>"$OUT/$key.us"
      else
        say "$key: skipped a sample (command clock $last, LastTriggerUSec $trig)"
      fi
      seen=$lines
    fi
    sleep 0.02
  done
}
say "3/6 timer elapse -> job start: piar job vs plain .service ($TRIG_N each, --every 1s)"
rm -f "$STATE/piar.log" "$STATE/plain.log"
"$PIAR" submit --name bench-trig --every 1s -- sh -c "date +%s%6N >>$STATE/piar.log" >/dev/null
trigger_samples trigger_piar piar-bench-trig.timer "$STATE/piar.log" "$TRIG_N"
"$PIAR" rm bench-trig >/dev/null
# the same timer settings piar renders for --every 1s (OnActiveSec, OnUnitActiveSec, AccuracySec)
cat >/etc/systemd/system/bench-plain.service <<EOF
[Service]
Type=oneshot
ExecStart=sh -c "date +%%s%%6N >>$STATE/plain.log"
EOF
cat >/etc/systemd/system/bench-plain.timer <<EOF
[Timer]
OnActiveSec=1s
OnUnitActiveSec=1s
AccuracySec=1s
EOF
systemctl daemon-reload
systemctl start bench-plain.timer
trigger_samples trigger_plain bench-plain.timer "$STATE/plain.log" "$TRIG_N"
systemctl stop bench-plain.timer
rm -f /etc/systemd/system/bench-plain.timer /etc/systemd/system/bench-plain.service
systemctl daemon-reload

# ------------------------------------- 2b) what a person does by hand, 0 jobs installed
# write the two unit files, `systemctl daemon-reload`, `systemctl enable --now` the timer
by_hand() {  # NAME
  printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' >"/etc/systemd/system/$1.service"
  printf '[Timer]\nOnCalendar=%s\nAccuracySec=1s\nPersistent=true\n[Install]\nWantedBy=timers.target\n' \
    "$SPEC" >"/etc/systemd/system/$1.timer"
  systemctl daemon-reload && systemctl enable --now "$1.timer" 2>/dev/null
}
by_hand_undo() {  # NAME
  systemctl disable --now "$1.timer" >/dev/null 2>&1 || true
  rm -f "/etc/systemd/system/$1.service" "/etc/systemd/system/$1.timer"
}
HAND_N=$(( N / 3 > 3 ? N / 3 : 3 ))
say "2b/6 by hand: unit files + daemon-reload + enable --now ($HAND_N, 0 jobs installed)"
for ((i = 0; i < HAND_N; i++)); do
  time_one hand_0 by_hand "bench-h$i"
  by_hand_undo "bench-h$i"
done
systemctl daemon-reload

say "  helper peak RSS: VmHWM of piar-bench-rss.service's MainPID (the helper), $RSS_N runs"
fact cgroup_memory_peak "$( [ -e /sys/fs/cgroup/system.slice/memory.peak ] && echo yes || echo "no (no memory controller delegated to the box)")"
"$PIAR" submit --name bench-rss --manual -- sleep 1 >/dev/null
for ((i = 0; i < RSS_N; i++)); do
  # what the timer does: start the job's service (`piar run` uses a manual trigger unit)
  systemctl start --no-block piar-bench-rss.service
  pid=0 deadline=$(( $(us_now) + 10000000 ))
  while [ "$pid" = 0 ] && [ "$(us_now)" -lt "$deadline" ]; do
    pid=$(systemctl show -P MainPID piar-bench-rss.service); sleep 0.005
  done
  [ "$pid" != 0 ] || fail "piar-bench-rss.service never got a MainPID"
  hwm='' run_seen=no
  # read until the helper exits: the last value read is its peak over (almost) its life
  # VmHWM (peak RSS), and the current RssAnon / RssFile (file = mapped binary and libc pages)
  while v=$(awk '/^(VmHWM|RssAnon|RssFile):/ {printf "%s ", $2}' "/proc/$pid/status" 2>/dev/null) &&
        [ -n "$v" ]; do
    hwm=$v
    [ -n "$(systemctl list-units --no-legend --state=active 'piar-bench-rss.run-*')" ] && run_seen=yes
    sleep 0.02
  done
  [ -n "$hwm" ] || fail "could not read VmHWM of the helper (pid $pid)"
  [ "$run_seen" = yes ] || say "note: the run unit was not seen active during sample $i"
  echo "$hwm" >>"$OUT/helper_vmhwm.kib"   # "VmHWM RssAnon RssFile" in KiB
done
fact helper_exe "$(systemctl show -P ExecStart piar-bench-rss.service | sed -n 's/.*path=\([^ ;]*\).*/\1/p')"
"$PIAR" rm bench-rss >/dev/null

# ------------------------------------ 3b) instruction counts (valgrind, deterministic-ish)
# Ir of one `trigger` (the helper units run, and the full CLI's verb for comparison) and
# one `submit`, counted by callgrind: stable across noisy machines, unlike wall time. The
# process runs directly (not under its unit), so systemd's side is not counted.
if command -v valgrind >/dev/null; then
  say "3b/6 instruction counts (valgrind --tool=callgrind): one trigger, one submit"
  ir() {  # KEY CMD...: callgrind's "Collected" count of CMD
    local key=$1 n; shift
    n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null </dev/null |
        sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p')
    [ -n "$n" ] && fact "$key" "$n"
  }
  HELPER=$(dirname "$PIAR")/piar-trigger
  "$PIAR" submit --name bench-ic --manual -- true >/dev/null
  [ -x "$HELPER" ] && ir ir_trigger_helper "$HELPER" --system trigger bench-ic
  ir ir_trigger_cli "$PIAR" --system trigger bench-ic
  "$PIAR" rm bench-ic >/dev/null
  ir ir_submit "$PIAR" submit --name bench-ic2 --cron "$CRON" -- true
  "$PIAR" rm bench-ic2 >/dev/null
  ir ir_version "$PIAR" --version
else
  say "3b/6 no valgrind in the box: instruction counts skipped"
fi

# ------------------------------------------------------------ 4) install $JOBS jobs
say "4/6 installing $JOBS jobs: drop-ins in /etc/piar/jobs.d + one \`piar sync\`"
mkdir -p /etc/piar/jobs.d
for ((i = 0; i < JOBS; i++)); do
  printf 'version = 1\nname = "bench-many%d"\ncommand = ["true"]\n[schedule]\ncron = "%s"\ntz = "Etc/UTC"\n' \
    "$i" "$CRON" >"/etc/piar/jobs.d/bench-many$i.toml"
done
t0=$(us_now)
"$PIAR" sync >/dev/null 2>>"$OUT/stderr" || fail "piar sync (installing $JOBS jobs)"
fact install_jobs_us $(( $(us_now) - t0 ))
installed=$(ls /etc/systemd/system/piar-bench-many*.timer | wc -l)
[ "$installed" -eq "$JOBS" ] || fail "piar sync installed $installed timers, expected $JOBS"
fact installed_timers "$installed"

# ------------------------------------------------------- 5) submit with $JOBS installed
# systemd-run alongside (interleaved) shows how much of the growth is systemd's own; one
# `systemctl daemon-reload` per sample shows the cost piar avoids by not reloading.
say "5/6 submit with $JOBS jobs installed ($N; systemd-run and daemon-reload alongside)"
for ((i = 0; i < N; i++)); do
  time_one submit_piar_many "$PIAR" submit --name "bench-m$i" --cron "$CRON" -- true
  time_one submit_systemd_run_many systemd-run --unit="bench-mr$i" --on-calendar="$SPEC" \
    --timer-property=AccuracySec=1s --timer-property=Persistent=true -- true
  created_transient+=("bench-mr$i.timer")
  "$PIAR" rm "bench-m$i" >/dev/null
  systemctl stop "bench-mr$i.timer" >/dev/null
  [ $((i % 5)) -eq 0 ] && time_one daemon_reload_many systemctl daemon-reload
done
say "  by hand with $JOBS jobs installed (3: each daemon-reload re-reads every unit)"
for ((i = 0; i < 3; i++)); do
  time_one hand_many by_hand "bench-hm$i"
  by_hand_undo "bench-hm$i"
done

# ----------------------------------- 6) list --json vs systemctl list-timers, $JOBS jobs
rows=$("$PIAR" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$rows" -ge "$JOBS" ] || fail "piar list --json shows $rows jobs, expected $JOBS"
say "6/6 piar list --json vs systemctl list-timers --all --output=json ($N each, interleaved)"
for ((i = 0; i < N; i++)); do
  time_one list_piar "$PIAR" list --json
  time_one list_systemctl systemctl list-timers --all --output=json
done
fact list_timers_rows "$(systemctl list-timers --all --output=json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"

# ------------------------------------------------------------------------ cleanup
if [ "${REMOVE_JOBS:-1}" = 0 ]; then
  say "leaving the $JOBS jobs to the box's teardown (--quick: the box is discarded)"
  exit 0
fi
say "removing the $JOBS jobs (drop-ins gone + one \`piar sync\`)"
rm -f /etc/piar/jobs.d/bench-many*.toml
t0=$(us_now)
"$PIAR" sync >/dev/null 2>>"$OUT/stderr" || fail "piar sync (removing $JOBS jobs)"
fact remove_jobs_us $(( $(us_now) - t0 ))
left=$(find /etc/systemd/system -name 'piar-bench*' | wc -l)
[ "$left" -eq 0 ] || fail "$left piar-bench unit files left after the removal"
say "done"
