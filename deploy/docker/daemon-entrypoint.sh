#!/bin/sh
# Runs the daemon as the unprivileged user `node`, with no capabilities and no way to gain any. When the Docker
# socket is mounted, the daemon also joins the socket's group (whatever its number on this host) so Docker
# discovery can read it. Started as another user (`docker run --user …`), it runs the daemon as that user directly.
set -eu
daemon=/usr/local/lib/scanopy-daemon.mjs
if [ "$(id -u)" != 0 ]; then exec node "$daemon" "$@"; fi
state="$(dirname "${SCANOPY_CONFIG_PATH:-/var/lib/scanopy-daemon/config.json}")"
mkdir -p "$state" && chown node:node "$state"
groups="$(id -g node)"
socket="${SCANOPY_DOCKER_SOCKET:-/var/run/docker.sock}"
if [ -S "$socket" ]; then groups="$groups,$(stat -c %g "$socket")"; fi
export HOME=/home/node
exec setpriv --reuid=node --regid=node --groups="$groups" --inh-caps=-all --bounding-set=-all --no-new-privs \
  node "$daemon" "$@"
