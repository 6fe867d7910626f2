# The Scanopy server image: the API, the built web UI, and the daemon bundle (run as the integrated daemon). Build
# from the repository root:
#   docker build -f deploy/docker/server.Dockerfile -t scanopy/server .
# NODE_IMAGE is any Debian-based Node 20 image with npm and a user `node` (uid 1000), like the official one.
ARG NODE_IMAGE=node:20-slim

# All dependencies (dev included) to build with; shared with daemon.Dockerfile, so one build caches both.
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
COPY apps/web apps/web
RUN npm run build -w apps/web
COPY apps/daemon apps/daemon
COPY apps/server apps/server
COPY deploy/bundle.ts deploy/
RUN node --import tsx deploy/bundle.ts

# Only the packages the server bundle leaves external (PGlite, argon2), at the versions it was built against: no dev
# tools, no TypeScript loader, nothing else in node_modules.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY --from=build /src/apps/server/dist/external-packages.json package.json
RUN npm install --omit=dev --no-package-lock --no-audit --no-fund --loglevel=error

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    SCANOPY_DATA_DIR=/data \
    SCANOPY_SERVER_PORT=60072 \
    SCANOPY_WEB_DIR=/app/apps/web/build
WORKDIR /app
# The repository's layout, so the bundle finds ../package.json, its migrations and the web build.
COPY --from=prod-deps /app/node_modules node_modules
COPY --from=build /src/apps/server/package.json apps/server/package.json
COPY --from=build /src/apps/server/dist apps/server/dist
COPY --from=build /src/apps/daemon/package.json apps/daemon/package.json
COPY --from=build /src/apps/daemon/dist apps/daemon/dist
COPY --from=build /src/apps/web/build apps/web/build
COPY deploy/docker/scanopy /usr/local/bin/scanopy
RUN mkdir -p /data && chown node:node /data && chmod 0755 /usr/local/bin/scanopy
USER node
VOLUME /data
EXPOSE 60072
# node as PID 1 handles SIGTERM itself (main.ts: graceful shutdown, database closed).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SCANOPY_SERVER_PORT||60072)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["scanopy"]
CMD ["serve"]
