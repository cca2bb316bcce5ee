#!/usr/bin/env bash
# tests/box/powercut.sh - a power cut for the systemd box (issue 12: "a command that returned 0
# has made its change durable").
#
#   powercut.sh test WORK [PIAR]    run the scenario below; exit 0 when nothing acknowledged
#                                   was lost, 1 (listing what was) otherwise
#   powercut.sh teardown WORK       stop a box and unmount the image left by a killed run
#
# WORK is an absolute directory on the root filesystem (not /tmp, /var/tmp, /run: the box only
# sees the root fs). The box's disk (its overlay upper and work dirs) lives on an ext4 image of
# its own, WORK/disk.img mounted at WORK/mnt, box dir WORK/mnt/box; WORK/mnt/box also exists on
# the root fs under the mount point, because the overlay's lower dir is `/`.
#
# The cut: EXT4_IOC_SHUTDOWN with EXT4_GOING_FLAGS_NOLOGFLUSH (ioctl 0x8004587d, arg 2) on the
# image, which drops every write not yet committed by an fsync/journal commit exactly as a
# power loss would, then SIGKILL of the box's PID 1. The image is remounted (journal replay),
# the surviving upper dir copied to WORK/saved, and the box booted again from it
# (SDBOX_PRESEED=WORK/saved) on a fresh image.
#
# Scenario, one boot-cut-boot cycle per step (POWERCUT_STEPS, default all six), each step
# the LAST write before the cut (an fsync commits ext4's whole journal, so an earlier step
# would be flushed by a later one): a job is submitted and the disk synced, then `piar submit`
# (of a new job), `pause`, `rm` or `edit --manual` returns 0, and 1 s later the power is cut.
# After boot the acknowledged change must be there: a submitted timer enabled and active; a
# paused manifest with its timer neither enabled nor active; no manifest, unit file, link or
# active timer of a removed job; no timer of a job edited to --manual. Step every-catchup
# checks that an interval job's slots missed while off are caught up exactly once (catchup()).
# Step run-cut checks that a run cut by the power is recorded at boot by piar-recover.service
# (runcut()).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SDBOX=$HERE/sdbox.sh
cmd=${1:?usage: powercut.sh test|teardown WORK [PIAR]}
WORK=${2:?WORK dir}
PIAR=${3:-$(cd "$HERE/../.." && pwd)/target/debug/piar}
IMG=$WORK/disk.img MNT=$WORK/mnt BOX=$WORK/mnt/box

log() { echo "powercut: $*" >&2; }

teardown() {
  "$SDBOX" stop "$BOX" >/dev/null 2>&1 || true
  if mountpoint -q "$MNT"; then umount "$MNT" || umount -l "$MNT"; fi
}

fresh_image() {
  teardown
  mkdir -p "$BOX"                 # on the root fs, under the mount point (overlay lower)
  rm -f "$IMG"
  truncate -s 1G "$IMG"
  mkfs.ext4 -q -F "$IMG"
  mount -o loop "$IMG" "$MNT"
  mkdir -p "$BOX"
}

inbox() { "$SDBOX" exec "$BOX" -- "$@"; }

# The cut: shut the ext4 down without flushing its log, kill PID 1, keep what survived.
cut() {
  local pid
  pid=$(<"$BOX/state/pid")
  python3 -c 'import fcntl,os,struct,sys
fd=os.open(sys.argv[1],os.O_RDONLY)
fcntl.ioctl(fd,0x8004587d,struct.pack("I",2))' "$MNT"
  kill -KILL "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  "$SDBOX" stop "$BOX" >/dev/null 2>&1 || true
  # The dead box's last processes may hold the mount for a moment: a lazy unmount here
  # would let the remount below reuse the shut-down superblock (reads fail with EIO).
  local i
  for i in $(seq 100); do umount "$MNT" 2>/dev/null && break; sleep 0.1; done
  ! mountpoint -q "$MNT" || { log "cannot unmount $MNT after the cut"; exit 2; }
  mount -o loop "$IMG" "$MNT"     # journal replay: what a reboot would see
  rm -rf "$WORK/saved"
  cp -a "$BOX/upper" "$WORK/saved"
}

en() { inbox systemctl is-enabled "piar-$1.timer" 2>/dev/null || true; }
act() { inbox systemctl is-active "piar-$1.timer" 2>/dev/null || true; }

# One cycle: boot a fresh disk, set up job J (unless the step submits it), sync the disk, run
# the acknowledged STEP, wait 1 s, cut the power, boot again, check. Appends to `lost`.
cycle() {
  local step=$1 J=pc-$1-$$-$RANDOM
  fresh_image
  "$SDBOX" start "$BOX" >/dev/null
  if [ "$step" = every-catchup ]; then catchup "$J"; return; fi
  if [ "$step" = run-cut ]; then runcut "$J"; return; fi
  if [ "$step" != submit ]; then
    inbox "$PIAR" submit --name "$J" --cron '0 3 * * *' -- true >/dev/null
  fi
  inbox sync
  case $step in
    submit) inbox "$PIAR" submit --name "$J" --cron '0 3 * * *' -- true >/dev/null ;;
    pause) inbox "$PIAR" pause "$J" >/dev/null ;;
    rm) inbox "$PIAR" rm "$J" >/dev/null ;;
    edit-manual) inbox "$PIAR" edit "$J" --manual >/dev/null ;;
  esac
  sleep 1
  log "$step $J returned 0; cutting the power 1 s later"
  cut
  umount "$MNT"
  fresh_image
  SDBOX_PRESEED=$WORK/saved "$SDBOX" start "$BOX" >/dev/null
  case $step in
    submit)
      inbox test -e "/var/lib/piar/jobs/$J.toml" || lost+=("submit $J: manifest gone")
      [ "$(en "$J")" = enabled ] || lost+=("submit $J: timer is '$(en "$J")', not enabled")
      [ "$(act "$J")" = active ] || lost+=("submit $J: timer is '$(act "$J")', not active") ;;
    pause)
      inbox grep -q '^enabled = false' "/var/lib/piar/jobs/$J.toml" || lost+=("pause $J: manifest not paused")
      [ "$(en "$J")" != enabled ] || lost+=("pause $J: timer still enabled")
      [ "$(act "$J")" != active ] || lost+=("pause $J: timer still active") ;;
    rm)
      ! inbox test -e "/var/lib/piar/jobs/$J.toml" || lost+=("rm $J: manifest back")
      ! inbox test -e "/etc/systemd/system/piar-$J.timer" || lost+=("rm $J: timer file back")
      ! inbox test -L "/etc/systemd/system/timers.target.wants/piar-$J.timer" || lost+=("rm $J: enablement link back")
      [ "$(act "$J")" != active ] || lost+=("rm $J: timer active") ;;
    edit-manual)
      ! inbox test -e "/etc/systemd/system/piar-$J.timer" || lost+=("edit $J --manual: timer file back")
      [ "$(act "$J")" != active ] || lost+=("edit $J --manual: timer active") ;;
  esac
  teardown
}

runs_of() { inbox sh -c "ls /var/lib/piar/runs/$1/*.json 2>/dev/null | wc -l"; }

# Interval catch-up: `--every 15s` runs at submit (t0); the disk is synced (the timer's
# Persistent= stamp is systemd's to write, not piar's), the power cut at t0+2 s and the box
# left off until t0+35 s, so the slots t0+15 and t0+30 are missed. After boot the job must
# run exactly once for them (Persistent=), before its next slot at t0+45.
catchup() {
  local J=$1 t0 n
  inbox "$PIAR" submit --name "$J" --every 15s -- true >/dev/null
  t0=$(date +%s)
  for _ in $(seq 100); do [ "$(runs_of "$J")" -ge 1 ] && break; sleep 0.1; done
  inbox sync
  log "every-catchup $J: first run recorded; cutting the power"
  cut
  umount "$MNT"
  fresh_image
  while [ "$(date +%s)" -lt $((t0 + 35)) ]; do sleep 0.2; done
  SDBOX_PRESEED=$WORK/saved "$SDBOX" start "$BOX" >/dev/null
  for _ in $(seq 50); do [ "$(runs_of "$J")" -ge 2 ] && break; sleep 0.1; done
  while [ "$(date +%s)" -lt $((t0 + 42)) ]; do sleep 0.2; done
  n=$(runs_of "$J")
  [ "$n" = 2 ] || lost+=("every 15s $J: $n runs by t0+42 s, expected 2 (the first + one catch-up for the two slots missed while off)")
  teardown
}

# A run cut by the power: `piar run` of a job that sleeps, the disk synced while it runs
# (so its `running` record and the journal's "Started" line are on disk), the power cut.
# At the next boot piar-recover.service (installed and enabled as the package does, its
# ExecStart pointed at $PIAR) must record the run's outcome without a person: `lost`, as
# the journal has no end for it, ending when it was last seen (issue 12 point 4).
runcut() {
  local J=$1 st result
  sed "s|/usr/bin/piar|$PIAR|" "$HERE/../../units/piar-recover.service" |
    inbox sh -c 'cat > /etc/systemd/system/piar-recover.service'
  inbox systemctl enable piar-recover.service >/dev/null 2>&1
  inbox "$PIAR" submit --name "$J" --manual -- sleep 120 >/dev/null
  inbox "$PIAR" run "$J" >/dev/null
  for _ in $(seq 100); do
    inbox sh -c "grep -qs '\"status\": \"running\"' /var/lib/piar/runs/$J/*.json" && break; sleep 0.1
  done
  inbox sync
  sleep 1
  log "run-cut $J: run in progress; cutting the power"
  cut
  umount "$MNT"
  fresh_image
  SDBOX_PRESEED=$WORK/saved "$SDBOX" start "$BOX" >/dev/null
  for _ in $(seq 100); do
    [ "$(inbox systemctl is-active piar-recover.service 2>/dev/null)" != activating ] && break; sleep 0.1
  done
  st=$(inbox sh -c "grep -h '\"status\"' /var/lib/piar/runs/$J/*.json" | tr -d ' ,')
  result=$(inbox systemctl show -p Result --value piar-recover.service)
  case $st in
    *'"lost"'*) log "run-cut $J: recorded at boot as $st (piar-recover.service: $result)" ;;
    *) lost+=("run-cut $J: after boot the run is $st, not lost (piar-recover.service: $result)") ;;
  esac
  teardown
}

run_test() {
  [ -x "$PIAR" ] || { log "no piar binary at $PIAR (cargo build first)"; exit 2; }
  case $WORK in /tmp/*|/var/tmp/*|/run/*|/) log "WORK must be on the root fs, not $WORK"; exit 2;; esac
  mkdir -p "$WORK/mnt"
  lost=()
  for step in ${POWERCUT_STEPS:-submit pause rm edit-manual every-catchup run-cut}; do cycle "$step"; done
  if [ ${#lost[@]} -gt 0 ]; then
    log "LOST after the power cut (${#lost[@]}):"; printf '  %s\n' "${lost[@]}" >&2; exit 1
  fi
  log "ok: every acknowledged change survived the power cut"
}

case $cmd in
  test) run_test ;;
  teardown) teardown ;;
  *) log "unknown command $cmd"; exit 2 ;;
esac
