#!/usr/bin/env bash
# Installs what a fresh machine lacks: npm packages (when node_modules is missing or older than the lockfile) and,
# with --test, the Debian packages the test tiers need. Idempotent; prints what it does.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> installing npm packages"
  npm ci --no-audit --no-fund
fi

# The daemon's native connect prober (apps/daemon/native, a small C addon): built from source with npm's own node-gyp
# against the installed Node headers, nothing downloaded. Without a compiler the scanner uses net.Socket instead
# (same results, lower top speed), so a failed build is a warning, not an error.
addon=apps/daemon/native/build/Release/scanopy_connect.node
if [ ! -f "$addon" ] || [ -n "$(find apps/daemon/native/src apps/daemon/native/binding.gyp -newer "$addon" 2>/dev/null | head -1)" ]; then
  if command -v make >/dev/null 2>&1 && command -v cc >/dev/null 2>&1; then
    echo "==> building the daemon's native connect prober"
    npm run build:native -w apps/daemon || echo "warning: native prober not built; the scanner falls back to net.Socket" >&2
  else
    echo "note: no C compiler (make, cc): the scanner uses net.Socket (apt-get install -y build-essential for the native prober)"
  fi
fi

# --test: what the test tiers run beyond Node: Debian chromium (browser tests), and for the lab tests a Docker
# Engine (images are made with `docker import` from busybox-static, nothing is pulled), tcpdump, nftables,
# redis-server and python3; for the deploy tests, systemd-analyze (Debian's systemd) to verify the units.
if [ "${1:-}" = "--test" ]; then
  missing=()
  need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
  need chromium chromium
  need dockerd docker.io
  need tcpdump tcpdump
  need nft nftables
  need redis-server redis-server
  need python3 python3
  need systemd-analyze systemd
  dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing Debian packages for the test tiers: ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
