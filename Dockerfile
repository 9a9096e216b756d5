# syntax=docker/dockerfile:1
# One image recipe for every Node service of HMS; the service is a build argument:
#   docker build --build-arg SERVICE=billing -t hms/billing .
# SERVICE is one of gateway, appointments, billing, queue, audit. The image runs
# as a non-root user, writes nothing to its own filesystem (a read-only root
# works; the only scratch space is /tmp, an emptyDir in the chart), and runs
# tini as PID 1 so SIGTERM reaches Node and the service shuts down gracefully.

ARG NODE_IMAGE=node:20.19-bookworm-slim

# ---- build: every workspace's dependencies, generated code, TypeScript --------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV PRISMA_SCHEMA_ENGINE_BINARY=/bin/false
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY proto/package.json proto/
COPY packages/platform/package.json packages/platform/
COPY services/gateway/package.json services/gateway/
COPY services/appointments/package.json services/appointments/
COPY services/billing/package.json services/billing/
COPY services/queue/package.json services/queue/
COPY services/audit/package.json services/audit/
COPY e2e/package.json e2e/
RUN npm ci --no-audit --no-fund --loglevel=error
COPY proto proto
COPY packages packages
COPY services services
RUN npm run build
# For docker compose's one-shot `bootstrap` (roles, schemas, topics); never in a service image.
COPY scripts/bootstrap.ts scripts/

# ---- runtime: production dependencies only, one service's build output -------------
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
# tini as PID 1: forwards SIGTERM to Node and reaps zombies.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini=0.19.0-1 \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY proto/package.json proto/
COPY packages/platform/package.json packages/platform/
COPY services/gateway/package.json services/gateway/
COPY services/appointments/package.json services/appointments/
COPY services/billing/package.json services/billing/
COPY services/queue/package.json services/queue/
COPY services/audit/package.json services/audit/
COPY e2e/package.json e2e/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
  && npm cache clean --force
# The contracts are loaded from their .proto files at run time.
COPY --from=build /app/proto/hms proto/hms
COPY --from=build /app/proto/dist proto/dist
COPY --from=build /app/packages/platform/dist packages/platform/dist
COPY --from=build /app/packages/platform/migrations packages/platform/migrations
COPY --from=build /app/services/${SERVICE}/dist services/${SERVICE}/dist
COPY --from=build /app/services/${SERVICE}/prisma/migrations services/${SERVICE}/prisma/migrations
# The node image's unprivileged user (uid 1000); numeric so that Kubernetes can
# verify runAsNonRoot without resolving names.
USER 1000:1000
ENV HMS_SERVICE=${SERVICE}
ENTRYPOINT ["/usr/bin/tini", "--"]
# Exec form cannot expand the variable; `exec` replaces the shell, so Node is tini's child.
CMD ["sh", "-c", "exec node services/${HMS_SERVICE}/dist/main.js"]
