#!/usr/bin/env bash
# bench/sync-scale.sh - INSIDE a throw-away systemd box only (tests/box/sdbox.sh exec BOX --
# env PIAR=/abs/piar JOBS=1000 bench/sync-scale.sh): write $JOBS drop-ins to /etc/piar/jobs.d,
# time one `piar sync` (install), check the timers, time a second (no-op) sync. Removal:
# delete the drop-ins and time one more `piar sync`. STRACE="strace -f -tt -o FILE" wraps
# the timed sync. Used for the before/after table in docs/performance.md (issue 18).
set -euo pipefail
: "${PIAR:?}" "${JOBS:=1000}"
mkdir -p /etc/piar/jobs.d
rm -f /etc/piar/jobs.d/*
for ((i = 0; i < JOBS; i++)); do
  printf 'version = 1\nname = "bench-many%d"\ncommand = ["true"]\n[schedule]\ncron = "30 4 1 1 *"\ntz = "Etc/UTC"\n' "$i" >"/etc/piar/jobs.d/bench-many$i.toml"
done
t0=$EPOCHREALTIME
${STRACE:-} "$PIAR" sync >/dev/null
t1=$EPOCHREALTIME
echo "sync $JOBS: $(( (10#${t1/./} - 10#${t0/./})/1000 )) ms"
ls /etc/systemd/system/piar-bench-many*.timer | wc -l
ls /etc/systemd/system/timers.target.wants/ | wc -l
systemctl list-timers --all 'piar-bench-many*' --no-legend | wc -l
t0=$EPOCHREALTIME
"$PIAR" sync >/dev/null
t1=$EPOCHREALTIME
echo "sync again: $(( (10#${t1/./} - 10#${t0/./})/1000 )) ms"
