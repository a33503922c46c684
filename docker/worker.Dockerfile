# syntax=docker/dockerfile:1
# The Honour worker: no HTTP API; claims jobs from the database and runs the schedules.
# Build from the repository root:  docker build -f docker/worker.Dockerfile -t honour-worker .
# It expects the schema to be migrated already (the gateway does that at start-up).
# docker/gateway.Dockerfile is the same up to the runtime stage: change both together.

ARG NODE_IMAGE=node:20-bookworm-slim

# Compilers for better-sqlite3's native addon, and the npm version the lockfile was made with.
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
RUN npm install -g npm@11.19.1 --no-audit --no-fund
# Build native addons against the image's own Node headers instead of downloading them.
ENV npm_config_nodedir=/usr/local \
  TURBO_TELEMETRY_DISABLED=1 \
  TURBO_NO_UPDATE_NOTIFIER=1
WORKDIR /app

# Only the package manifests, so the install layers stay cached while the source changes.
FROM ${NODE_IMAGE} AS manifests
COPY . /src
RUN mkdir /manifests \
  && cd /src \
  && cp package.json package-lock.json /manifests/ \
  && for manifest in packages/*/package.json apps/*/package.json tools/*/package.json; do \
       mkdir -p "/manifests/$(dirname "$manifest")" && cp "$manifest" "/manifests/$manifest"; \
     done

# Production dependencies only (turbo and the test tools are devDependencies).
FROM toolchain AS prod-deps
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

# Everything, then the compiled dist/ of each workspace.
FROM toolchain AS build
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
  && mkdir /dist \
  && for dir in packages/* apps/*; do \
       if [ -d "$dir/dist" ]; then mkdir -p "/dist/$dir" && cp -a "$dir/dist" "/dist/$dir/"; fi; \
     done

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
  HONOUR_DATA_DIR=/app/data
WORKDIR /app
# Code stays owned by root and read-only to the app; only the data directory is writable.
COPY --from=prod-deps /app/ ./
COPY --from=build /dist/ ./
RUN mkdir -p /app/data && chown node:node /app/data
USER node
CMD ["node", "apps/worker/dist/main.js"]
