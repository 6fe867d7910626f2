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

# Lint (eslint with type information, then prettier) is one long single-threaded job: it runs beside the type checks
# and the UI build on this 2-core machine kind, its output kept in a file and shown after.
echo "==> lint, beside the type checks and the web UI build"
lint_log="$(mktemp -t scanopy-lint-XXXXXX.log)"
npm run lint >"$lint_log" 2>&1 &
lint_pid=$!
check_status=0
{ echo "==> type check" && npm run check && echo "==> build web UI" && npm run build -w apps/web; } || check_status=$?
lint_status=0
wait "$lint_pid" || lint_status=$?
echo "==> lint (ran beside the type checks and the build)"
cat "$lint_log"
rm -f "$lint_log"
if [ "$check_status" -ne 0 ] || [ "$lint_status" -ne 0 ]; then
  echo "type check or build exited $check_status, lint exited $lint_status" >&2
  exit 1
fi
# The namespace lab tests spend their time waiting (polite scan rates, daemons starting), so they run beside the unit
# and integration tests; their output is kept in a file and shown after. Vitest's default of one worker per core minus
# one is a single worker on this 2-core machine kind, where most suites wait on PostgreSQL or sockets: two workers.
echo "==> unit and integration tests, with the network-namespace lab tests beside them"
lab_log="$(mktemp -t scanopy-lab-XXXXXX.log)"
npx vitest run --project lab --project daemon-netns >"$lab_log" 2>&1 &
lab_pid=$!
unit_status=0
npx vitest run --maxWorkers=2 --project contracts --project detection --project env --project server --project web \
  --project daemon --project deploy || unit_status=$?
lab_status=0
wait "$lab_pid" || lab_status=$?
echo "==> network-namespace lab tests (ran beside the unit tests)"
cat "$lab_log"
rm -f "$lab_log"
if [ "$unit_status" -ne 0 ] || [ "$lab_status" -ne 0 ]; then
  echo "unit tests exited $unit_status, lab tests exited $lab_status" >&2
  exit 1
fi
echo "==> browser tests"
npx vitest run --project e2e
