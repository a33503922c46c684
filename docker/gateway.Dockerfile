# syntax=docker/dockerfile:1
# The Honour gateway: GraphQL at /graphql, the stats beacon, unsubscribe links, health and metrics.
# Build from the repository root:  docker build -f docker/gateway.Dockerfile -t honour-gateway .
# It applies pending migrations at start-up, so start it before the worker (docker/compose.yml).
# docker/worker.Dockerfile is the same up to the runtime stage: change both together.

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
  HOST=0.0.0.0 \
  PORT=4000 \
  HONOUR_DATA_DIR=/app/data
WORKDIR /app
# Code stays owned by root and read-only to the app; only the data directory is writable.
COPY --from=prod-deps /app/ ./
COPY --from=build /dist/ ./
# The trusted documents partners may send by id (TRUSTED_DOCUMENTS_FILE's default): without it a
# partner key could run nothing, since PARTNER_TRUSTED_DOCUMENTS_ONLY is on by default.
COPY --from=build /app/packages/client/src/generated/persisted-documents.json ./packages/client/src/generated/
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# V8's young generation capped at 2 × 8 MiB instead of 2 × 16: 107 MiB resident once idle instead of
# 144, about 30 MiB less at the peak, the same CPU per request; 2 × 4 cost a third more CPU on the
# orders pages (docs/performance.md, "Start-up and memory").
CMD ["node", "--max-semi-space-size=8", "apps/gateway/dist/main.js"]
