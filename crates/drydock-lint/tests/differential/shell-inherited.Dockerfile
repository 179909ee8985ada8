FROM debian:bookworm-slim AS pipefail
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# SHELL carries over to the stages built FROM a stage.
FROM pipefail
RUN cat /etc/os-release | grep NAME
