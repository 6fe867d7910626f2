#!/usr/bin/env bash
# Installs what a fresh machine lacks: npm packages (when node_modules is missing or older than the lockfile) and,
# with --test, the Debian packages the test tiers need. Idempotent; prints what it does.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> installing npm packages"
  npm ci --no-audit --no-fund
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
