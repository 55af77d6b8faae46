# syntax=docker/dockerfile:1
# hr-okta-sync: one image for the worker, the codec server and the other subcommands.
# Build: docker build -t hr-okta-sync:1.0.0 .   Run: docker run hr-okta-sync:1.0.0 worker -c /etc/hr-okta-sync/config.yaml

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# Production dependencies only, from the lock file.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# The workflow bundle, built once here so that every replica runs byte-identical workflow code and starts fast.
FROM deps AS bundle
COPY . .
RUN node scripts/build-workflow-bundle.ts dist/workflow-bundle.js

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HR_OKTA_SYNC_CONFIG=/etc/hr-okta-sync/config.yaml \
    HR_OKTA_SYNC_CACHE_DIR=/tmp/hr-okta-sync
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json tsconfig.json ./
COPY --chown=root:root activities ./activities
COPY --chown=root:root cli ./cli
COPY --chown=root:root client ./client
COPY --chown=root:root codec ./codec
COPY --chown=root:root config ./config
COPY --chown=root:root connection ./connection
COPY --chown=root:root contracts ./contracts
COPY --chown=root:root local-stack ./local-stack
COPY --chown=root:root observability ./observability
COPY --chown=root:root okta-emulator ./okta-emulator
COPY --chown=root:root worker ./worker
COPY --chown=root:root workflows ./workflows
COPY --from=bundle --chown=root:root /app/dist/workflow-bundle.js ./dist/workflow-bundle.js
# Writable state (planning reports) goes to a volume mounted here; everything else is read-only in compose.
RUN mkdir -p /var/lib/hr-okta-sync && chown node:node /var/lib/hr-okta-sync
# The code is root-owned and read-only to the process, which runs as the image's unprivileged `node` user (uid 1000).
USER node
EXPOSE 9090 9091 8888
ENTRYPOINT ["node", "cli/cli.ts"]
CMD ["worker", "--workflow-bundle", "dist/workflow-bundle.js"]
