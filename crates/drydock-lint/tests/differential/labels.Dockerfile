# differential: label-schema=org.opencontainers.image.source:url,org.opencontainers.image.created:rfc3339,org.opencontainers.image.licenses:spdx,org.opencontainers.image.revision:hash,org.opencontainers.image.version:semver,maintainer.email:email,team:text
# differential: strict-labels
FROM debian:bookworm-slim
LABEL org.opencontainers.image.source="git.example.test/team/app"
LABEL org.opencontainers.image.created="2026-11-23 10:00"
LABEL org.opencontainers.image.licenses="Apache 2"
LABEL org.opencontainers.image.revision=main
LABEL org.opencontainers.image.version=v1.4
LABEL maintainer.email="Jane Doe"
LABEL team=""
LABEL extra=x
LABEL org.opencontainers.image.source="https://git.example.test/team/app"
LABEL org.opencontainers.image.created="2026-11-23T10:00:00Z"
LABEL org.opencontainers.image.licenses="MIT"
LABEL org.opencontainers.image.revision=4f1c2d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e
LABEL org.opencontainers.image.version=1.4.0
LABEL maintainer.email="jane@example.test"
