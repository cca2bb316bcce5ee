#!/usr/bin/env bash
# bench/durability.sh - the cost of durability (issue 12): median wall time of `piar submit`,
# `pause` and `rm` with the box's disk on an ext4 image (tests/box/powercut.sh's layout), for
# one or more piar binaries side by side (e.g. a build from before src/durable.rs and now).
#
#   bench/durability.sh WORK BIN...      N=20 samples per command (env N)
#
# WORK: a directory on the root filesystem (as for powercut.sh). Needs root. Not a test.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SDBOX=$HERE/../tests/box/sdbox.sh
WORK=${1:?WORK}; shift
N=${N:-20}
MNT=$WORK/mnt BOX=$WORK/mnt/box IMG=$WORK/disk.img
"$SDBOX" stop "$BOX" >/dev/null 2>&1 || true
mountpoint -q "$MNT" && umount "$MNT"
mkdir -p "$BOX"; rm -f "$IMG"; truncate -s 1G "$IMG"; mkfs.ext4 -q -F "$IMG"
mount -o loop "$IMG" "$MNT"; mkdir -p "$BOX"
trap '"$SDBOX" stop "$BOX" >/dev/null 2>&1 || true; umount "$MNT" || true' EXIT
"$SDBOX" start "$BOX" >/dev/null
printf '%-40s %10s %10s %10s\n' binary submit_ms pause_ms rm_ms
for bin in "$@"; do
  "$SDBOX" exec "$BOX" -- bash -c '
    bin=$1 n=$2
    ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000 )); }
    med() { sort -n | awk "{a[NR]=\$1} END {printf \"%.1f\", a[int((NR+1)/2)]/1000}"; }
    s=() p=() r=()
    for i in $(seq "$n"); do s+=("$(ms "$bin" submit --name "db-$i" --cron "0 3 * * *" -- true)"); done
    for i in $(seq "$n"); do p+=("$(ms "$bin" pause "db-$i")"); done
    for i in $(seq "$n"); do r+=("$(ms "$bin" rm "db-$i")"); done
    printf "%-40s %10s %10s %10s\n" "$bin" "$(printf "%s\n" "${s[@]}" | med)" \
      "$(printf "%s\n" "${p[@]}" | med)" "$(printf "%s\n" "${r[@]}" | med)"
  ' _ "$bin" "$N" | tail -1
done
