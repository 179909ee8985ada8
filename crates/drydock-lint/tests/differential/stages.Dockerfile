ARG NODE_VERSION=22
ARG PLATFORM=linux/amd64
FROM golang AS build
RUN go build -o /out/app .
FROM golang:latest AS build
FROM --platform=linux/amd64 alpine:3.20 AS scratch
FROM --platform=$BUILDPLATFORM alpine:3.20 AS tools
FROM --platform=$TARGETPLATFORM node:${NODE_VERSION} AS web
FROM --platform=${PLATFORM} debian:bookworm-slim AS Web
FROM gcr.io/distroless/static-debian12 AS final
COPY --from=builder /out/app /app
COPY --from=build /out/app /app
COPY --from=final /app /app2
COPY --from=build / /
USER nonroot
USER 65532
USER root
