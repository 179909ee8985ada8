# syntax=docker/dockerfile:1.7
# A typical three-stage build: dependencies, build, runtime.
ARG NODE_VERSION=22
ARG DEBIAN=bookworm

FROM node:${NODE_VERSION}-${DEBIAN}-slim AS deps
WORKDIR /app
ENV NODE_ENV=production \
    NPM_CONFIG_LOGLEVEL=warn
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      git \
      python3 \
      make \
      g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev

FROM deps AS build
ENV NODE_ENV=development
COPY --link tsconfig.json ./
COPY --link src ./src
RUN --mount=type=cache,target=/root/.npm \
    npm ci && npm run build && npm prune --omit=dev
RUN set -eux; \
    for f in dist/*.map; do \
      rm -f "$f"; \
    done; \
    if [ -d dist/test ]; then rm -rf dist/test; fi
RUN <<EOF
set -e
echo "build finished" > /app/dist/BUILD
date -u +%FT%TZ >> /app/dist/BUILD
EOF

FROM gcr.io/distroless/nodejs${NODE_VERSION}-debian12:nonroot
LABEL org.opencontainers.image.title="web" \
      org.opencontainers.image.source="https://example.com/web" \
      org.opencontainers.image.licenses="MIT"
ARG NODE_VERSION
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
COPY --from=deps --chown=nonroot:nonroot /app/node_modules ./node_modules
COPY --from=build --chown=nonroot:nonroot /app/dist ./dist
COPY --chown=nonroot:nonroot package.json ./
COPY <<EOF /app/config.json
{"port": 8080, "log": "info"}
EOF
USER nonroot
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/nodejs/bin/node", "dist/healthcheck.js"]
STOPSIGNAL SIGTERM
VOLUME ["/app/data"]
ENTRYPOINT ["/nodejs/bin/node"]
CMD ["dist/server.js"]
# end
