#!/usr/bin/env bash
# Runs everything CI runs: lint, type checks, then every test tier (unit, server on PGlite and PostgreSQL,
# daemon, deployment (bundles, backups, systemd units), network-namespace lab, browser). Installs what is missing
# and makes sure PostgreSQL is up.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --test

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "==> starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

echo "==> lint"
npm run lint
echo "==> type check"
npm run check
echo "==> build web UI"
npm run build -w apps/web
echo "==> unit and integration tests"
npx vitest run --project contracts --project detection --project env --project server --project web --project daemon --project deploy
echo "==> network-namespace lab tests"
npx vitest run --project lab --project daemon-netns
echo "==> browser tests"
npx vitest run --project e2e
