#!/usr/bin/env bash
# Makes the base images the deploy tests build on, since nothing can be pulled from a registry here:
#   scanopy-test-base:bookworm-node20-<hash>      Debian bookworm (debootstrap minbase) + this machine's node and npm,
#                                                 laid out like the official node:20-slim image (user node, uid 1000)
#   scanopy-test-postgres:bookworm-<hash>-<pg>    that base + Debian's postgresql, with an entrypoint that reads
#                                                 POSTGRES_USER/_DB/_PASSWORD(_FILE) like the official image
# <hash> covers RECIPE (raise it when the steps below change what goes into an image), the machine's CA bundle, and
# the node and npm versions, <pg> the postgres files, so a change rebuilds them; an image already present is reused
# (the first run on a machine pays debootstrap, about 3 minutes). Prints the two tags.
#
# usage: DOCKER_HOST=unix:///path/docker.sock deploy/test/base-images.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
docker=${DOCKER:-docker}
node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
node_version="$("$node_bin" --version)"
case "$node_version" in v20.*) ;; *) echo "base-images.sh: node 20 expected, found $node_version" >&2; exit 1 ;; esac
# The machine's CA bundle: where HTTPS goes through an inspecting proxy, npm inside the image builds needs its CA.
ca_bundle=/etc/ssl/certs/ca-certificates.crt
RECIPE=1
hash="$( (echo "recipe $RECIPE"; cat "$ca_bundle") | sha256sum | cut -c1-10)-$(echo "$node_version $(node "$npm_dir/bin/npm-cli.js" --version)" | sha256sum | cut -c1-6)"
base="scanopy-test-base:bookworm-node20-$hash"
# The postgres image also changes with its own files, which must not cost a new debootstrap.
pg="scanopy-test-postgres:bookworm-$hash-$(cat "$here"/postgres/* | sha256sum | cut -c1-6)"

if ! "$docker" image inspect "$base" >/dev/null 2>&1; then
  echo "==> debootstrap bookworm for $base" >&2
  root="$(mktemp -d /tmp/scanopy-base-XXXXXX)"
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase --include=ca-certificates bookworm "$root" http://deb.debian.org/debian >&2
  # What node:20-slim has: node and npm under /usr/local, a user node (1000:1000) with a home.
  install -m 0755 "$node_bin" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$root/etc/passwd"
  echo 'node:x:1000:' >>"$root/etc/group"
  echo 'node:*:19000:0:99999:7:::' >>"$root/etc/shadow"
  install -d -o 1000 -g 1000 "$root/home/node"
  install -m 0644 "$ca_bundle" "$root/usr/local/share/scanopy-test-ca.crt"
  # Smaller: apt lists, caches and docs are not needed to run node.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
  tar -C "$root" -c . | "$docker" import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/scanopy-test-ca.crt npm_config_cafile=/usr/local/share/scanopy-test-ca.crt' \
    -c 'CMD ["node"]' - "$base" >&2
  rm -rf "$root"
  trap - EXIT
fi

if ! "$docker" image inspect "$pg" >/dev/null 2>&1; then
  echo "==> building $pg" >&2
  DOCKER_BUILDKIT=0 "$docker" build -q --network host --build-arg "BASE_IMAGE=$base" -t "$pg" "$here/postgres" >&2
fi

# Older versions of these images (another node, another script) only take space.
for old in $("$docker" image ls --format '{{.Repository}}:{{.Tag}}' --filter 'reference=scanopy-test-*'); do
  [ "$old" = "$base" ] || [ "$old" = "$pg" ] || "$docker" image rm "$old" >/dev/null 2>&1 || true
done

echo "$base"
echo "$pg"
