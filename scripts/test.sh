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

# Runs the shell command $2 in the background, its output kept in a file, while the command after it runs; then shows
# that output under the title $1 and fails if either failed. Used for long jobs that mostly wait or use one core.
beside() {
  local title="$1" background="$2"
  shift 2
  local log pid fg_status=0 bg_status=0
  log="$(mktemp -t scanopy-beside-XXXXXX.log)"
  bash -c "$background" >"$log" 2>&1 &
  pid=$!
  "$@" || fg_status=$?
  wait "$pid" || bg_status=$?
  echo "==> $title (ran beside the step above)"
  cat "$log"
  rm -f "$log"
  if [ "$fg_status" -ne 0 ] || [ "$bg_status" -ne 0 ]; then
    echo "the step exited $fg_status, $title exited $bg_status" >&2
    exit 1
  fi
}

# (&& chains: `set -e` does not apply inside a function run as `cmd || …`, as `beside` runs it.)
check_and_build() {
  echo "==> type check" && npm run check && echo "==> build web UI" && npm run build -w apps/web
}

unit_tests() {
  echo "==> unit and integration tests"
  npx vitest run --maxWorkers=2 --project contracts --project detection --project env --project server --project web \
    --project daemon --project deploy
}

# Lint (eslint with type information, then prettier) is one long single-threaded job: it runs beside the type checks
# and the UI build on this 2-core machine kind.
beside "lint" "npm run lint" check_and_build
# The namespace lab tests spend their time waiting (polite scan rates, daemons starting), so they run beside the unit
# and integration tests. Vitest's default of one worker per core minus one is a single worker on this 2-core machine
# kind, where most suites wait on PostgreSQL or sockets: two workers.
beside "network-namespace lab tests" "npx vitest run --project lab --project daemon-netns" unit_tests
echo "==> browser tests"
npx vitest run --project e2e
