#!/usr/bin/env bash
# tests/box/sdbox.sh - piar's test harness: boot a throw-away, isolated systemd (the host's own
# /usr and /etc, seen through an overlayfs) inside Linux namespaces, for integration tests and
# the demo that need a REAL systemd. Taken from the team's sdbox.sh and kept self-contained so
# the project runs its tests without anything outside the repository (see docs/testing.md).
#
#   sdbox.sh start DIR              boot; returns when the box is running/degraded
#   sdbox.sh exec  DIR -- CMD...    run CMD inside (mount,uts,ipc,net,pid,cgroup ns)
#   sdbox.sh exec-user DIR USER -- CMD...  same, as USER (created, lingering, user manager up)
#   sdbox.sh shell DIR              interactive bash inside
#   sdbox.sh status DIR             print pid, state, bus addresses
#   sdbox.sh stop  DIR              clean poweroff (SIGKILL of the box's PID 1 after a timeout)
#   sdbox.sh check                  check the host has what a box needs (root, tools, cgroup2)
#
# Needs root on the host and: util-linux (unshare, nsenter, setpriv, findmnt), mount, systemd
# (252 or later), dbus; user managers also need libpam-systemd and dbus-user-session.
#
# Isolation (what the host never sees):
#   * /            overlayfs: lower=/ (read-only use), upper+work in DIR/upper, DIR/work.
#                  Only the root filesystem is seen: directories on other host mounts (and
#                  anything under /tmp, /var/tmp, /run) are NOT visible inside the box.
#   * /run         private tmpfs (like real systemd; NOT a host dir: journald only moves its
#                  runtime journal to /var when /run is tmpfs). Host access to the box goes
#                  through /proc/<pid>/root; start creates DIR/system_bus_socket and DIR/rootfs
#                  symlinks to it (stop removes them).
#   * /tmp,/var/tmp fresh tmpfs;  /dev: tmpfs with null,zero,full,random,urandom,tty + own devpts
#                  (no /dev/kmsg, no /dev/console, no disks)
#   * /proc/sys, /proc/sysrq-trigger and /sys are read-only; cgroup2 is a private sub-tree
#     (cgroup namespace rooted at <host cgroup2>/sdbox-<hash>); no controllers are delegated,
#     so MemoryMax= and friends are accepted but not enforced
#   * own pid, mount, uts, ipc and net namespace (only "lo" inside)
#   * PID 1 runs with container=sdbox, so systemd uses its container code paths
#     (no clock setting, no kmod loading, no core_pattern writes, ...); the clock is the host's
#   * the journal is persistent inside the box (/var/log/journal in the overlay), so journald
#     splits per-user journal files and `journalctl --user` works for a lingering user
# Env knobs:
#   SDBOX_BIND="/abs/path ..."   extra host dirs bind-mounted read-write at the same path
#   SDBOX_MASK="unit ..."        extra units to mask
#   SDBOX_PRESEED=/dir           copy /dir/. into the box's / (overlay upper) before boot
#   SDBOX_BOOT_TIMEOUT (90) SDBOX_STOP_TIMEOUT (30)
#   SDBOX_KEEP_POLICY_RC=1       keep the host's /usr/sbin/policy-rc.d visible in the box
#   SDBOX_LOWER=/path/to/root    the overlay's lower dir instead of the host's / (e.g. a
#                                debootstrapped Debian 13 root: scripts/trixie-root). The box
#                                then runs THAT root's systemd, dbus and tools; host-side
#                                checks (systemd binary, D-Bus config, enabled units to mask,
#                                policy-rc.d, journal dir) read that root. Host dirs the box
#                                needs (checkout, target dir) go in with SDBOX_BIND.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
SYSTEMD_BIN=${SDBOX_SYSTEMD:-/lib/systemd/systemd}
# The overlay's lower dir; "" means the host's /. $L prefixes host-side reads of that root.
LOWER=${SDBOX_LOWER:-}
if [ -n "$LOWER" ]; then
  LOWER=$(readlink -f "$LOWER") || { echo "sdbox: SDBOX_LOWER $SDBOX_LOWER does not exist" >&2; exit 1; }
  [ "$LOWER" = / ] && LOWER=
fi
L=$LOWER
BOOT_TIMEOUT=${SDBOX_BOOT_TIMEOUT:-90}
STOP_TIMEOUT=${SDBOX_STOP_TIMEOUT:-30}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}

# Units that make no sense or touch the host from inside a box. Every unit enabled on the
# host through /etc/systemd/system/*.wants/ is masked as well (see prepare_upper), except the
# few in KEEP_RE.
MASK_STATIC=(
  getty.target console-getty.service getty-static.service serial-getty@.service
  systemd-timesyncd.service systemd-pstore.service systemd-random-seed.service
  systemd-modules-load.service kmod-static-nodes.service systemd-sysctl.service procps.service
  systemd-binfmt.service proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount
  systemd-remount-fs.service systemd-firstboot.service systemd-machine-id-commit.service
  systemd-hwdb-update.service systemd-udevd.service systemd-udev-trigger.service
  systemd-udev-settle.service systemd-udevd-control.socket systemd-udevd-kernel.socket
  sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount
  sys-fs-fuse-connections.mount dev-hugepages.mount systemd-journald-audit.socket
  systemd-repart.service systemd-pcrphase.service systemd-pcrphase-sysinit.service
  networking.service systemd-networkd.service systemd-networkd.socket
  systemd-networkd-wait-online.service systemd-resolved.service
  ssh.service ssh.socket cron.service atd.service rsyslog.service
  systemd-tmpfiles-clean.timer apt-daily.timer apt-daily-upgrade.timer man-db.timer
  fstrim.timer e2scrub_all.timer e2scrub_reap.service logrotate.timer dpkg-db-backup.timer
  hwclock.service
)
KEEP_RE='^(dbus\.(service|socket)|systemd-logind\.service|systemd-journald.*|systemd-user-sessions\.service|systemd-tmpfiles-setup.*|systemd-sysusers\.service|.*\.target)$'

die() { echo "sdbox: $*" >&2; exit 1; }
log() { echo "sdbox: $*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

cg2_root() {
  local m
  m=$(findmnt -n -t cgroup2 -o TARGET 2>/dev/null | head -n1 || true)
  [ -n "$m" ] || die "no cgroup2 hierarchy is mounted on the host"
  echo "$m"
}

resolve_dir() {  # DIR -> absolute path (created), with sanity checks
  local d=${1:?DIR missing}
  mkdir -p "$d"
  d=$(readlink -f "$d")
  case "$d" in
    /|/tmp|/var/tmp|/run|/proc*|/sys*|/dev*|/usr|/etc|/var|/home|/root)
      die "refusing to use $d as a box directory";;
    /tmp/*|/var/tmp/*|/run/*)
      die "a box directory cannot live under /tmp, /var/tmp or /run (the box mounts fresh tmpfs there); use e.g. /var/lib/sdbox/NAME or a dir in your checkout";;
  esac
  echo "$d"
}

cg_name() { echo "sdbox-$(printf %s "$1" | md5sum | cut -c1-12)"; }

# PID (host view) of the box's PID 1, verified against PID reuse; fails if not running.
box_pid() {
  local d=$1 pid
  [ -f "$d/state/pid" ] || return 1
  pid=$(<"$d/state/pid")
  [ -n "$pid" ] && [ -r "/proc/$pid/cgroup" ] || return 1
  grep -Eq "^0::/$(<"$d/state/cgname")(/|\$)" "/proc/$pid/cgroup" 2>/dev/null || return 1
  [ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] || return 1
  echo "$pid"
}

NSENTER() { local pid=$1; shift; nsenter -t "$pid" -m -u -i -n -p -C "$@"; }

# Preflight: everything a box needs from the host, with a hint instead of a cryptic failure.
cmd_check() {
  local t missing=()
  [ "$(id -u)" = 0 ] || die "needs root on the host (namespaces, mounts, cgroups)"
  for t in unshare nsenter setpriv findmnt mount setsid md5sum mknod systemd-id128; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [ ${#missing[@]} -eq 0 ] ||
    die "missing tools: ${missing[*]} (apt-get install util-linux mount systemd coreutils)"
  if [ -n "$L" ]; then
    [ -d "$L/usr" ] && [ -d "$L/etc" ] || die "SDBOX_LOWER=$L is not a root filesystem (no usr/ and etc/)"
    case "$L/" in /tmp/*|/var/tmp/*|/run/*) die "SDBOX_LOWER=$L is under /tmp, /var/tmp or /run";; esac
  fi
  [ -x "$L$SYSTEMD_BIN" ] || die "$L$SYSTEMD_BIN not found (apt-get install systemd systemd-sysv${L:+ in $L})"
  [ -e "$L/usr/share/dbus-1/system.conf" ] || [ -e "$L/etc/dbus-1/system.conf" ] ||
    die "no D-Bus system bus configuration in ${L:-/} (apt-get install dbus)"
  grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
    die "the kernel has no overlayfs"
  cg2_root >/dev/null
}

# Shown when a boot fails: why PID 1 or a unit did not come up.
boot_diagnostics() {
  local d=$1 pid=${2:-} u
  log "console log ($d/console.log):"
  sed 's/^/  | /' "$d/console.log" >&2 || true
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 0
  log "units not up:"
  NSENTER "$pid" systemctl list-jobs --no-pager 2>&1 | sed 's/^/  | /' >&2 || true
  NSENTER "$pid" systemctl --failed --no-legend --plain --no-pager 2>&1 | sed 's/^/  | /' >&2 || true
  log "journal (last 40 lines):"
  NSENTER "$pid" journalctl -b -n 40 --no-pager 2>&1 | sed 's/^/  | /' >&2 || true
}

# ---------------------------------------------------------------- host-side preparation
prepare_upper() {
  local d=$1 name=$2 u=$1/upper f unit
  mkdir -p "$u/etc/systemd/system"
  # persistent journal in the box even where the host has none (Debian creates /var/log/journal
  # in systemd's postinst): only then does journald split per-user files that a user may read
  if [ ! -d "$L/var/log/journal" ]; then
    mkdir -p "$u/var/log/journal"
    chgrp systemd-journal "$u/var/log/journal" 2>/dev/null || true
    chmod 2755 "$u/var/log/journal"
  fi
  systemd-id128 new > "$u/etc/machine-id"
  echo "$name" > "$u/etc/hostname"
  printf '# sdbox: no host mounts inside the box\n' > "$u/etc/fstab"
  ln -sfn /lib/systemd/system/multi-user.target "$u/etc/systemd/system/default.target"
  local -a masks=("${MASK_STATIC[@]}")
  for f in "$L"/etc/systemd/system/*.wants/*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    unit=${f##*/}
    [[ $unit =~ $KEEP_RE ]] || masks+=("$unit")
  done
  # shellcheck disable=SC2206
  masks+=(${SDBOX_MASK:-})
  for unit in "${masks[@]}"; do ln -sfn /dev/null "$u/etc/systemd/system/$unit"; done
  printf '%s\n' "${masks[@]}" | sort -u > "$d/state/masked"
  # Docker-style images ship /usr/sbin/policy-rc.d ("exit 101"), which makes deb-systemd-invoke
  # refuse to start units from maintainer scripts. Hide it in the box with an overlay whiteout.
  if [ -e "$L/usr/sbin/policy-rc.d" ] && [ -z "${SDBOX_KEEP_POLICY_RC:-}" ]; then
    mkdir -p "$u/usr/sbin" && mknod "$u/usr/sbin/policy-rc.d" c 0 0
  fi
}

cmd_start() {
  local d name cg cgname t0 upid pid state i rc
  d=$(resolve_dir "$1")
  if pid=$(box_pid "$d"); then die "box $d already running (pid $pid)"; fi
  cmd_check
  name=${SDBOX_HOSTNAME:-sdbox-$(basename "$d" | tr -c 'a-zA-Z0-9-\n' '-' | cut -c1-40)}
  cgname=$(cg_name "$d"); cg=$(cg2_root)/$cgname
  # fresh state every boot (only ever below $d)
  rm -rf "$d/upper" "$d/work" "$d/state" "$d/console.log"
  rm -f "$d/system_bus_socket" "$d/rootfs"
  mkdir -p "$d/upper" "$d/work" "$d/root" "$d/state"
  echo "$cgname" > "$d/state/cgname"
  prepare_upper "$d" "$name"
  # optional: files to pre-seed into the box's / (e.g. units, users) before it boots
  if [ -n "${SDBOX_PRESEED:-}" ]; then cp -a "$SDBOX_PRESEED"/. "$d/upper"/; fi
  if [ -d "$cg" ]; then   # stale, empty cgroups from a crashed box: remove (rmdir only works if empty)
    find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || die "stale cgroup $cg still has processes"
  fi
  mkdir "$cg"
  t0=$(now_ms)
  # setsid: own session, no controlling tty; stdin from /dev/null so CI-style invocations work
  ( exec setsid unshare --mount --uts --ipc --net --pid --fork --propagation private \
      env SDBOX_CG="$cg" SDBOX_NAME="$name" SDBOX_BIND="${SDBOX_BIND:-}" SDBOX_LOWER="$LOWER" \
      "$SELF" __init "$d" ) </dev/null >"$d/console.log" 2>&1 &
  upid=$!
  echo "$upid" > "$d/state/unshare.pid"
  # 1) wait for PID 1 to exist and for systemd's private socket
  for ((i = 0; i < BOOT_TIMEOUT * 10; i++)); do
    if ! kill -0 "$upid" 2>/dev/null; then
      log "box died during boot"; boot_diagnostics "$d"; cmd_stop "$d" >&2; return 1
    fi
    pid=$(box_pid "$d") && [ -S "/proc/$pid/root/run/systemd/private" ] && break
    pid=
    sleep 0.1
  done
  [ -n "${pid:-}" ] || { log "timeout waiting for systemd"; boot_diagnostics "$d"; cmd_stop "$d" >&2; return 1; }
  # 2) wait until the boot transaction is done
  rc=0
  state=$(timeout "$BOOT_TIMEOUT" nsenter -t "$pid" -m -u -i -n -p -C \
            systemctl is-system-running --wait 2>&1) || rc=$?
  local t1; t1=$(now_ms)
  echo "$state" > "$d/state/boot-state"
  ln -sfn "/proc/$pid/root/run/dbus/system_bus_socket" "$d/system_bus_socket"
  ln -sfn "/proc/$pid/root" "$d/rootfs"
  # short form (sun_path is limited to 107 bytes; DIR/system_bus_socket may be longer)
  echo "unix:path=/proc/$pid/root/run/dbus/system_bus_socket" > "$d/state/bus-address"
  echo "state=$state pid=$pid boot_ms=$((t1 - t0)) dir=$d bus=$(<"$d/state/bus-address")"
  case "$state" in
    running) ;;
    degraded)
      echo "failed units:"
      NSENTER "$pid" systemctl --failed --no-legend --plain --no-pager | sed 's/^/  /'
      local u
      for u in $(NSENTER "$pid" systemctl --failed --no-legend --plain --no-pager | awk '{print $1}'); do
        echo "--- $u"
        NSENTER "$pid" journalctl -b -u "$u" -n 8 --no-pager -o cat | sed 's/^/  /'
      done ;;
    *) log "boot did not finish (rc=$rc, state=$state); stopping"
       boot_diagnostics "$d" "$pid"; cmd_stop "$d" >&2; return 1 ;;
  esac
}

# ------------------------------------------------------- runs inside the new namespaces
# __init: PID 1 of the new pid namespace, still on the host root.
cmd_init() {
  local d=$1 hostpid _x
  read -r hostpid _x < /proc/self/stat      # host procfs is still mounted here: host view PID
  echo 0 > "$SDBOX_CG/cgroup.procs"          # join the box cgroup, then root a cgroup ns there
  echo "$hostpid" > "$d/state/pid"           # this PID execs systemd later
  exec env SDBOX_HOSTPID="$hostpid" unshare --cgroup "$SELF" __init2 "$d"
}

cmd_init2() {
  local d=$1 r=$1/root n p
  set -x
  hostname "$SDBOX_NAME"
  mount -t overlay overlay -o "lowerdir=${LOWER:-/},upperdir=$d/upper,workdir=$d/work" "$r"
  # /proc of the new pid ns; kernel tunables read-only so nothing global can be changed
  mount -t proc -o nosuid,nodev,noexec proc "$r/proc"
  mount --bind "$r/proc/sys" "$r/proc/sys"
  mount -o remount,bind,ro "$r/proc/sys"
  if [ -e "$r/proc/sysrq-trigger" ]; then
    mount --bind "$r/proc/sysrq-trigger" "$r/proc/sysrq-trigger"
    mount -o remount,bind,ro "$r/proc/sysrq-trigger"
  fi
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$r/sys"
  mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$r/sys/fs/cgroup"
  # minimal /dev
  mount -t tmpfs -o mode=755,nosuid,strictatime,size=4m tmpfs "$r/dev"
  for n in null zero full random urandom tty; do
    touch "$r/dev/$n"; mount --bind "/dev/$n" "$r/dev/$n"
  done
  mkdir -p "$r/dev/pts" "$r/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$r/dev/pts"
  ln -s pts/ptmx "$r/dev/ptmx"
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$r/dev/shm"
  ln -s /proc/self/fd "$r/dev/fd"
  ln -s /proc/self/fd/0 "$r/dev/stdin"
  ln -s /proc/self/fd/1 "$r/dev/stdout"
  ln -s /proc/self/fd/2 "$r/dev/stderr"
  mount -t tmpfs -o mode=755,nosuid,nodev,size=20%,nr_inodes=800k tmpfs "$r/run"
  mkdir -p "$r/run/lock"
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$r/tmp"
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$r/var/tmp"
  for p in ${SDBOX_BIND:-}; do
    case "$p" in /tmp*|/var/tmp*|/run*|/dev*|/proc*|/sys*|"$d"*) echo "refusing bind $p" >&2; exit 1;; esac
    mkdir -p "$r$p"; mount --bind "$p" "$r$p"
  done
  # hide the scratch dir inside the box (avoids overlay self-recursion, ELOOP), also where a
  # bind (e.g. the checkout holding target/piar-box) brought it in; a SDBOX_LOWER root lacks it
  mkdir -p "$r$d"
  mount -t tmpfs -o size=1m,mode=755 tmpfs "$r$d"
  cd "$r"
  pivot_root . .
  umount -l .
  cd /
  # Shared propagation inside the box, as systemd sets up on a real host (it skips that in
  # a container): services' private mounts such as /run/credentials/UNIT are created in a
  # child namespace and must propagate back. Our namespace was created private, so nothing
  # propagates to the host.
  mount --make-rshared /
  set +x
  exec env -i container=sdbox TERM=dumb \
       PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
       "$SYSTEMD_BIN" --system
}

# ---------------------------------------------------------------------- other commands
cmd_exec() {
  local d pid
  d=$(readlink -f "${1:?DIR missing}"); shift
  [ "${1:-}" = "--" ] && shift
  [ $# -gt 0 ] || die "usage: sdbox.sh exec DIR -- CMD..."
  pid=$(box_pid "$d") || die "box $d is not running"
  # NB: nsenter --wd=PATH resolves PATH in the *host* mount ns (cwd then points outside the
  # box root); so cd inside instead: same $PWD if it exists in the box, else /.
  exec nsenter -t "$pid" -m -u -i -n -p -C \
       env -u DBUS_SESSION_BUS_ADDRESS -u DBUS_SYSTEM_BUS_ADDRESS -u XDG_RUNTIME_DIR \
       SYSTEMD_PAGER=cat \
       /bin/sh -c 'cd -- "$0" 2>/dev/null || cd /; exec "$@"' "$PWD" "$@"
}

# exec-user DIR USER -- CMD: run CMD as USER (created + lingering if needed) with its user
# manager reachable (systemctl --user, systemd-run --user, journalctl --user work).
cmd_exec_user() {
  local d user
  d=$(readlink -f "${1:?DIR missing}"); user=${2:?USER missing}; shift 2
  [ "${1:-}" = "--" ] && shift
  [ $# -gt 0 ] || die "usage: sdbox.sh exec-user DIR USER -- CMD..."
  box_pid "$d" >/dev/null || die "box $d is not running"
  "$SELF" exec "$d" -- /bin/sh -c '
    u=$1
    id "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash "$u" || exit 1
    uid=$(id -u "$u")
    loginctl enable-linger "$u" || exit 1
    i=0
    until systemctl is-active -q "user@$uid.service" && [ -S "/run/user/$uid/bus" ]; do
      i=$((i+1)); [ $i -gt 200 ] && { echo "sdbox: user@$uid.service did not start" >&2; exit 1; }
      sleep 0.05
    done' sh "$user" || exit 1
  local uid home
  uid=$("$SELF" exec "$d" -- id -u "$user"); home=$("$SELF" exec "$d" -- sh -c 'getent passwd "$1" | cut -d: -f6' sh "$user")
  exec "$SELF" exec "$d" -- setpriv --reuid="$uid" --regid="$(
       "$SELF" exec "$d" -- id -g "$user")" --init-groups --reset-env \
       env HOME="$home" USER="$user" LOGNAME="$user" XDG_RUNTIME_DIR="/run/user/$uid" \
       DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$uid/bus" SYSTEMD_PAGER=cat \
       PATH=/usr/local/bin:/usr/bin:/bin "$@"
}

cmd_status() {
  local d pid
  d=$(readlink -f "${1:?DIR missing}")
  if pid=$(box_pid "$d"); then
    echo "pid=$pid state=$(NSENTER "$pid" systemctl is-system-running 2>&1 || true)"
    echo "system bus from the host: unix:path=$d/system_bus_socket"
    echo "  (= unix:path=/proc/$pid/root/run/dbus/system_bus_socket; needs root on the host)"
    echo "box root from the host:   $d/rootfs -> /proc/$pid/root"
  else
    echo "not running"; return 1
  fi
}

cmd_stop() {
  local d pid upid t0 i cg
  d=$(readlink -f "${1:?DIR missing}")
  [ -f "$d/state/cgname" ] || die "$d is not a box dir"
  cg=$(cg2_root)/$(<"$d/state/cgname")
  upid=$(cat "$d/state/unshare.pid" 2>/dev/null || true)
  t0=$(now_ms)
  if pid=$(box_pid "$d"); then
    kill -s SIGRTMIN+4 "$pid"               # systemd: start poweroff.target
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
      [ -d "/proc/$pid" ] || break
      sleep 0.1
    done
    if [ -d "/proc/$pid" ] && box_pid "$d" >/dev/null; then
      log "clean shutdown timed out, SIGKILL to box PID 1 ($pid)"
      kill -KILL "$pid"                       # kills the whole pid namespace
      sleep 0.5
    fi
  else
    log "box not running"
  fi
  # never leave links/addresses that could point at a reused PID
  rm -f "$d/system_bus_socket" "$d/rootfs" "$d/state/bus-address"
  # the unshare parent exits right after its child (it is not our child: just wait for it)
  if [ -n "$upid" ]; then
    for ((i = 0; i < 50; i++)); do
      [ -d "/proc/$upid" ] && ! grep -q '^State:.*Z' "/proc/$upid/status" 2>/dev/null || break
      sleep 0.1
    done
  fi
  if [ -d "$cg" ]; then
    for ((i = 0; i < 50; i++)); do
      find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null && break
      sleep 0.1
    done
    [ -d "$cg" ] && log "warning: could not remove cgroup $cg"
  fi
  echo "stopped stop_ms=$(( $(now_ms) - t0 ))"
}

main() {
  local cmd=${1:-}; shift || true
  case "$cmd" in
    start)  [ $# -eq 1 ] || die "usage: sdbox.sh start DIR"; cmd_start "$1" ;;
    exec)   cmd_exec "$@" ;;
    exec-user) cmd_exec_user "$@" ;;
    shell)  cmd_exec "${1:?DIR missing}" -- bash -l ;;
    status) cmd_status "$@" ;;
    stop)   cmd_stop "$@" ;;
    check)  cmd_check && echo "sdbox: host can run a box" ;;
    __init)  cmd_init "$@" ;;
    __init2) cmd_init2 "$@" ;;
    *) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$SELF" >&2; exit 2 ;;
  esac
}
main "$@"
