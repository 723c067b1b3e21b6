#!/usr/bin/env bash
# One headless GNOME Shell session in the Debian root, for the e2e tests. Started by harness.ts as
#   unshare --mount --pid --fork --propagation private --kill-child=SIGKILL bash session.sh ROOT UUID LOG
# so this script is PID 1 of its own PID and mount namespaces: the mounts below are invisible to the rest
# of the machine, and when this script exits (its stdin closed by the harness, or the harness died) the
# kernel kills every process of the session and drops the mounts. Nothing is left behind on failure.
# Packs the extension (under the session lock, so parallel test files never race on dist/), installs
# it, prints "READY" on stdout once the shell is up with it enabled, and copies the shell's log to LOG
# (a host path) when the session ends, however it ends.
set -euo pipefail
ROOT=$1 UUID=$2 LOG=$3
REPO=$(cd "$(dirname "$0")/../.." && pwd)
RUN=/run/user/1000            # XDG_RUNTIME_DIR inside the root
WORK=/tmp/terok-shell-e2e     # logs and screenshots inside the root
log() { printf '[session %s] %s\n' "$(date +%T.%3N)" "$*" >&2; }

# One session per root at a time (jest runs test files in parallel); released when this process exits.
exec 9>"$ROOT.shell-e2e.lock"
flock -w 300 9 || { log "another shell session holds $ROOT.shell-e2e.lock"; exit 1; }
ZIP=$(node "$REPO/build/pack.mjs")

mount -t proc proc "$ROOT/proc"
mount --rbind /dev "$ROOT/dev"
mount --rbind /sys "$ROOT/sys"

# A fresh user state every session: no dconf, extensions or caches from an earlier run.
rm -rf "$ROOT/home/tester" "$ROOT$RUN" "$ROOT$WORK"
mkdir -p "$ROOT/home/tester/.local/share/gnome-shell" "$ROOT$WORK"
mkdir -p -m 0700 "$ROOT$RUN"
touch "$ROOT/home/tester/.local/share/gnome-shell/lock-warning-shown"  # no first-run banner in screenshots
cp "$ZIP" "$ROOT$WORK/extension.zip"
chown -R 1000:1000 "$ROOT/home/tester" "$ROOT$RUN" "$ROOT$WORK"
trap 'mkdir -p "$(dirname "$LOG")" && cp "$ROOT$WORK/shell.log" "$LOG" 2>/dev/null || true' EXIT

as_tester() {
  chroot --userspec=1000:1000 "$ROOT" /usr/bin/env -i \
    HOME=/home/tester USER=tester LANG=C.UTF-8 PATH=/usr/bin:/bin NO_AT_BRIDGE=1 \
    XDG_RUNTIME_DIR=$RUN XDG_SESSION_TYPE=wayland XDG_CURRENT_DESKTOP=GNOME \
    DBUS_SESSION_BUS_ADDRESS=unix:path=$RUN/bus DBUS_SYSTEM_BUS_ADDRESS=unix:path=$RUN/system_bus_socket \
    "$@"
}

# The shell aborts without a system bus; an empty private one is enough.
as_tester dbus-daemon --config-file=/usr/share/dbus-1/session.conf --address=unix:path=$RUN/system_bus_socket \
  --fork --nopidfile
as_tester dbus-daemon --session --address=unix:path=$RUN/bus --fork --nopidfile

as_tester gnome-extensions install --force $WORK/extension.zip
as_tester gsettings set org.gnome.desktop.interface enable-animations false
# The virtual pointer starts at (0, 0) on GNOME 50: in the hot corner, whose barriers then hold it at the top edge
# and open the overview. Tests click where they mean to, so no hot corner.
as_tester gsettings set org.gnome.desktop.interface enable-hot-corners false
as_tester gsettings set org.gnome.shell enabled-extensions "[]"

log "starting $(as_tester gnome-shell --version)"
as_tester gnome-shell --headless --wayland --no-x11 --virtual-monitor 1280x800 --unsafe-mode \
  >"$ROOT$WORK/shell.log" 2>&1 &
shell=$!

eval_js() {
  as_tester gdbus call --session --dest org.gnome.Shell --object-path /org/gnome/Shell \
    --method org.gnome.Shell.Eval "$1" 2>/dev/null
}
for _ in $(seq 300); do
  kill -0 $shell 2>/dev/null || { log "gnome-shell exited during startup"; tail -n 30 "$ROOT$WORK/shell.log" >&2; exit 1; }
  [ "$(eval_js 'Main.layoutManager._startingUp')" = "(true, 'false')" ] && break
  sleep 0.1
done
[ "$(eval_js 'Main.layoutManager._startingUp')" = "(true, 'false')" ] || { log "shell not ready after 30 s"; exit 1; }
log "shell ready"
eval_js 'Main.overview.hide()' >/dev/null  # the session starts in the overview; tests want the desktop

as_tester gnome-extensions enable "$UUID"
echo READY

# Hold the session until the harness closes our stdin.
cat >/dev/null || true
log "stopping"
