# scripts/lib/common.sh - shared by scripts/test, scripts/demo and .ci/run (sourced, not run).
#
# Sets REPO (absolute repo root) and provides piar_target_dir, which picks CARGO_TARGET_DIR so
# that the built binaries are visible inside the systemd box (tests/box/sdbox.sh) and usable
# by the box's unprivileged test user.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# Where the target dir goes when the checkout cannot hold it (see piar_target_dir).
PIAR_FALLBACK_TARGET=/var/lib/piar-test/target

# True when every directory from / down to $1 can be traversed by other users (o+x), so a
# non-root user inside the box can execute binaries below it.
world_traversable() {
  local p=$1
  while [ -n "$p" ] && [ "$p" != / ]; do
    if [ -d "$p" ] && [ "$(( $(stat -c '%#a' "$p") & 1 ))" -eq 0 ]; then return 1; fi
    p=$(dirname "$p")
  done
}

# Prints the target dir to use: $CARGO_TARGET_DIR if set, else <repo>/target, except when the
# checkout lives where the box cannot see it (/tmp, /var/tmp, /run are fresh tmpfs inside) or
# where its test user cannot reach it (a parent dir without o+x, e.g. /root): then
# /var/lib/piar-test/target. Explains the choice on stderr.
piar_target_dir() {
  if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    mkdir -p "$CARGO_TARGET_DIR" && (cd "$CARGO_TARGET_DIR" && pwd -P)
    return
  fi
  case "$REPO/" in
    /tmp/*|/var/tmp/*|/run/*)
      echo "note: $REPO is under /tmp, /var/tmp or /run, which the systemd box cannot see;" \
           "building in $PIAR_FALLBACK_TARGET" >&2
      echo "$PIAR_FALLBACK_TARGET"; return ;;
  esac
  if ! world_traversable "$REPO"; then
    echo "note: a parent of $REPO is not world-searchable (o+x), so the box's test user" \
         "could not run piar from it; building in $PIAR_FALLBACK_TARGET" >&2
    echo "$PIAR_FALLBACK_TARGET"; return
  fi
  echo "$REPO/target"
}

# True when this machine runs systemd as PID 1 (not the case in most containers and in CI).
systemd_is_pid1() {
  [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]
}
