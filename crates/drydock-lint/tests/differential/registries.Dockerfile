# differential: trusted-registries=registry.example.test,*.mirror.example.test
FROM quay.io/prometheus/busybox:latest AS tools
FROM debian:bookworm-slim AS hub
FROM eu.mirror.example.test/busybox:1.37 AS mirrored
FROM registry.example.test/base/debian:12
COPY --from=ghcr.io/tools/jq:1.7 /jq /usr/local/bin/jq
COPY --from=tools /bin/busybox /bin/busybox
