FROM debian:bookworm
RUN --mount=type=tmpfs,target=/tmp true
RUN apt-get update && apt-get install -y --no-install-recommends drydock-demo
