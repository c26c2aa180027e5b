# syntax=docker/dockerfile:1.7
#
# The API and worker image: one image, two commands.
#   docker build -t event-planner .
#   docker run IMAGE            # = api (PORT, default 8000)
#   docker run IMAGE worker     # /metrics and /healthz on WORKER_METRICS_PORT (9464)
# The six MCP server images (mcp-servers/<name>/Dockerfile) repeat the deps and build stages below
# verbatim (a test keeps them identical), so BuildKit builds them once for all seven images.

ARG NODE_IMAGE=node:20.19.5-alpine3.22

# deps: exactly the lockfile, dev dependencies included (the build needs TypeScript).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

# build: compile to dist/ (with the SQL migrations), then drop the dev dependencies.
FROM deps AS build
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# runtime: compiled code and production dependencies only, owned by root and run as `node`, so
# the process cannot rewrite its own code.
FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it forwards SIGTERM to node (graceful drain) and reaps zombies.
RUN apk add --no-cache tini && mkdir -p /data && chown node:node /data
ENV NODE_ENV=production \
    EVENT_PLANNER_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
USER node
EXPOSE 8000 9464
# The API's /healthz; a worker has its own on WORKER_METRICS_PORT (set HEALTHCHECK_PORT=9464, or
# override the check as docker-compose.yml does).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HEALTHCHECK_PORT || process.env.PORT || 8000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/sbin/tini", "--", "node", "bin/event-planner.js"]
CMD ["api"]
