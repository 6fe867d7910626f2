# The Scanopy daemon image: the single-file daemon bundle on Node, nothing else. Build from the repository root:
#   docker build -f deploy/docker/daemon.Dockerfile -t scanopy/daemon .
# NODE_IMAGE is any Debian-based Node 20 image with npm and a user `node` (uid 1000), like the official one.
ARG NODE_IMAGE=node:20-slim

# The same first stage as server.Dockerfile (same instructions, so a build of either caches it for both).
FROM ${NODE_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/detection/package.json packages/detection/
COPY packages/env/package.json packages/env/
COPY apps/server/package.json apps/server/
COPY apps/daemon/package.json apps/daemon/
COPY apps/web/package.json apps/web/
COPY e2e/package.json e2e/
COPY lab/package.json lab/
RUN npm ci --no-audit --no-fund --loglevel=error

FROM deps AS build
COPY tsconfig.base.json tsconfig.json ./
COPY packages packages
COPY apps/daemon apps/daemon
COPY deploy/bundle.ts deploy/
RUN node --import tsx deploy/bundle.ts daemon

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    SCANOPY_CONFIG_PATH=/var/lib/scanopy-daemon/config.json \
    SCANOPY_DOCKER_SOCKET=/var/run/docker.sock
COPY --from=build /src/apps/daemon/dist/scanopy-daemon.mjs /usr/local/lib/scanopy-daemon.mjs
COPY deploy/docker/daemon-entrypoint.sh /usr/local/bin/daemon-entrypoint.sh
RUN chmod 0755 /usr/local/bin/daemon-entrypoint.sh \
 && mkdir -p /var/lib/scanopy-daemon && chown node:node /var/lib/scanopy-daemon
VOLUME /var/lib/scanopy-daemon
EXPOSE 60073
# Starts as root only to join the group of the mounted Docker socket, then runs the daemon as `node` with no
# capabilities (discovery uses ordinary sockets: TCP connects, UDP, the kernel's ARP table).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SCANOPY_DAEMON_PORT||60073)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/local/bin/daemon-entrypoint.sh"]
