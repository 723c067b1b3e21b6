#!/usr/bin/env bash
# Installs the real peers the test suite runs against. Idempotent: a second run only checks.
#   - Debian packages on the host: the Go varlink peer, gjs, dbus-daemon, tmux, mmdebstrap, zip, podman (container
#     identity tests create containers from an empty rootfs in private storage: no image, no network)
#   - the Python varlink reference + python3-asyncvarlink (Debian sid .debs, unpacked, no system change)
#   - a Debian trixie root with systemd (varlinkctl, sd-varlink servers), gjs and GNOME Shell 48
#   - a Debian forky root with gjs and GNOME Shell 50 (the extension's newest supported shell)
# Everything but the host packages lives under $TEROK_PEERS (default /var/cache/terok-clearance).
set -euo pipefail
PEERS=${TEROK_PEERS:-/var/cache/terok-clearance}
log() { printf '[provision %s] %s\n' "$(date +%T)" "$*"; }
# The Debian mirror of this machine's own apt sources (TEROK_APT_MIRROR overrides): the roots and .debs come from it.
MIRROR=$(bash "$(dirname "${BASH_SOURCE[0]}")/apt-mirror.sh")

if [ "$(id -u)" != 0 ]; then
  echo "provision: run as root (it installs Debian packages and builds a chroot)" >&2
  exit 1
fi
mkdir -p "$PEERS"

host_pkgs=(varlink-go gjs dbus dbus-daemon tmux mmdebstrap zip libglib2.0-bin python3 debian-archive-keyring podman)
# libfaketime: the lasting-decisions tests move a hub's wall clock (a suspend) while its monotonic timers run on.
host_pkgs+=(faketime)
# The real terok-shield (test/e2e): nft inside network namespaces built with ip; pkill stops its reader.
host_pkgs+=(nftables iproute2 procps)
# The SO_PEERCRED addon (service/peercred) is compiled by `npm run build`: a C toolchain, and Node's headers when the
# Node package does not ship them (NodeSource's nodejs does; Debian's puts them in libnode-dev; N-API is ABI-stable).
host_pkgs+=(build-essential)
[ -f /usr/include/node/node_api.h ] || [ -f "$(dirname "$(dirname "$(command -v node)")")/include/node/node_api.h" ] || host_pkgs+=(libnode-dev)
missing=()
for p in "${host_pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Python peers: sid .debs unpacked into $PEERS/pyvl (PYTHONPATH=$PEERS/pyvl/usr/lib/python3/dist-packages).
if [ ! -d "$PEERS/pyvl/usr/lib/python3/dist-packages/asyncvarlink" ]; then
  log "fetching python3-varlink, python3-varlink-tests, python3-asyncvarlink from sid"
  alt="$PEERS/apt-alt"
  rm -rf "$alt" "$PEERS/debs"
  mkdir -p "$alt"/{state/lists/partial,cache/archives/partial,etc/sources.list.d,etc/preferences.d} "$PEERS/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR sid main" > "$alt/etc/sources.list"
  touch "$alt/state/status"
  A=(-o "Dir::State=$alt/state" -o "Dir::State::status=$alt/state/status" -o "Dir::Cache=$alt/cache"
     -o "Dir::Etc::sourcelist=$alt/etc/sources.list" -o "Dir::Etc::sourceparts=$alt/etc/sources.list.d"
     -o "Dir::Etc::preferencesparts=$alt/etc/preferences.d" -o "Acquire::Check-Valid-Until=false")
  apt-get "${A[@]}" update -qq
  (cd "$PEERS/debs" && apt-get "${A[@]}" download python3-varlink python3-varlink-tests python3-asyncvarlink)
  rm -rf "$PEERS/pyvl.tmp"
  for d in "$PEERS"/debs/*.deb; do dpkg -x "$d" "$PEERS/pyvl.tmp"; done
  rm -rf "$PEERS/pyvl"; mv "$PEERS/pyvl.tmp" "$PEERS/pyvl"
fi

# The real terok-shield 0.6.37 (test/e2e) at a fixed place, $PEERS/terok-shield/src. TEROK_SHIELD_SOURCE picks where
# it comes from: a source tree (default: ../shared/peers/terok-shield beside the repository), or "pip" to install
# terok-shield==0.6.37 from the registry pip is configured for. Its Python (TEROK_SHIELD_PYTHON, default python3)
# needs pydantic 2 and PyYAML.
SHIELD_VERSION=0.6.37
if [ ! -f "$PEERS/terok-shield/src/terok_shield/cli/main.py" ]; then
  source_choice=${TEROK_SHIELD_SOURCE:-$(cd "$(dirname "$0")/.." && pwd)/../shared/peers/terok-shield}
  rm -rf "$PEERS/terok-shield.tmp"
  if [ "$source_choice" = pip ]; then
    log "pip install terok-shield==$SHIELD_VERSION"
    python3 -m pip install --quiet --no-deps --target "$PEERS/terok-shield.tmp/src" "terok-shield==$SHIELD_VERSION"
  elif grep -q "^version = \"$SHIELD_VERSION\"" "$source_choice/pyproject.toml" 2>/dev/null; then
    log "terok-shield $SHIELD_VERSION from $source_choice"
    mkdir -p "$PEERS/terok-shield.tmp"
    cp -a "$source_choice/src" "$source_choice/LICENSE" "$source_choice/pyproject.toml" "$PEERS/terok-shield.tmp/"
  else
    echo "provision: no terok-shield $SHIELD_VERSION source at $source_choice; set TEROK_SHIELD_SOURCE to its source" \
      "tree, or to \"pip\" where a registry serves terok-shield==$SHIELD_VERSION" >&2
    exit 1
  fi
  mv "$PEERS/terok-shield.tmp" "$PEERS/terok-shield"
fi
shield_python=${TEROK_SHIELD_PYTHON:-python3}
"$shield_python" -c 'import pydantic, yaml, sys; sys.exit(int(pydantic.VERSION.split(".")[0]) < 2)' 2>/dev/null || {
  echo "provision: the real terok-shield needs a Python with pydantic 2 and PyYAML: $shield_python" \
    "($(command -v "$shield_python" || echo 'not found')) has not; set TEROK_SHIELD_PYTHON to one that has" >&2
  exit 1
}

# A Debian root for the shell e2e tests, built once into ROOT.tmp and moved into place, then reused.
#   build_root NAME SUITE MUST_HAVE PACKAGES [MMDEBSTRAP_OPTION...]   (MUST_HAVE: a file whose absence means rebuild)
shell_pkgs=gnome-shell,gnome-shell-common,dbus-daemon,libglib2.0-bin,dconf-gsettings-backend,libgl1-mesa-dri,fonts-cantarell,gjs,unzip
build_root() {
  local name=$1 root="$PEERS/$1" suite=$2 must_have=$3 pkgs=$4
  shift 4
  [ -x "$root/usr/bin/gnome-shell" ] && [ -x "$root$must_have" ] && return 0
  log "building the $suite root ($pkgs) in $root"
  rm -rf "$root" "$root.tmp"
  mmdebstrap --variant=apt --mode=root --quiet --include="$pkgs" "$@" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/help/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    "$suite" "$root.tmp" "$MIRROR"
  grep -q '^tester:' "$root.tmp/etc/passwd" || {
    echo 'tester:x:1000:1000::/home/tester:/bin/bash' >> "$root.tmp/etc/passwd"
    echo 'tester:x:1000:' >> "$root.tmp/etc/group"
  }
  mv "$root.tmp" "$root"
  log "$name root: $(chroot "$root" dpkg-query -W -f='${Package} ${Version}  ' gnome-shell gjs), $(du -sh "$root" | cut -f1)"
}

# Debian trixie: GNOME Shell 48 + gjs 1.82, and systemd 257 for varlinkctl and sd-varlink servers.
build_root trixie trixie /usr/bin/varlinkctl "$shell_pkgs,systemd"
# Debian forky: GNOME Shell 50, for the extension's newest supported shell. Its Release file on the mirror may be
# past its Valid-Until date (testing is signed for a week at a time).
build_root forky forky /usr/bin/gjs "$shell_pkgs" --aptopt='Acquire::Check-Valid-Until "false"'
log "peers ready in $PEERS"
