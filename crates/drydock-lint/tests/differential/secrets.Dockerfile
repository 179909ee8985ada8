FROM node:22-slim
ARG NPM_TOKEN
ENV DB_PASSWORD=changeme
ARG APP_VERSION=1.0
RUN --mount=type=secret,id=npm npm ci
