#!/usr/bin/env bash
# The deploy tier: builds a Debian base image (debootstrap, cached in a private Docker data root between runs), the
# server and daemon images on it, and runs the compose stack with PostgreSQL (deploy/test/stack.docker.test.ts).
# Separate from `npm test` because a cold run (debootstrap, npm ci and the web build inside the images) takes longer
# than that budget allows; warm runs reuse the base images and the build cache. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages for the deploy tier: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "==> deploy tier (docker)"
npx vitest run --project deploy-docker
