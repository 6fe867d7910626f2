#!/usr/bin/env bash
# Starts Scanopy: the server on the embedded database (./data) with the integrated daemon, UI at
# http://localhost:60072. Installs npm packages and builds the web UI first when needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

# Rebuild the UI when it is missing or any of its sources changed since the last build.
if [ ! -f apps/web/build/index.html ] || [ -n "$(find apps/web/src apps/web/static packages/contracts/src -newer apps/web/build/index.html -type f 2>/dev/null | head -1)" ]; then
  echo "==> building the web UI"
  npm run build -w apps/web
fi

exec node --import tsx apps/server/src/main.ts "$@"
