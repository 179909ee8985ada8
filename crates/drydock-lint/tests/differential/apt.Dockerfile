FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u12 \
    && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get install -y curl git=1:2.39.5-0+deb12u1
RUN apt-get install --no-install-recommends jq=1.6-2.1
RUN apt-get -qq install --no-install-recommends make=4.3-4.1 && apt-get -y -q install --no-install-recommends less=590-2
RUN apt update && apt install -y vim
RUN apt-get update && apt-get install -y --no-install-recommends -t bookworm-backports git/bookworm-backports
# Differences: apt-get purge asks too; a cache mount keeps the lists out of the layer.
RUN apt-get purge curl
RUN --mount=type=cache,target=/var/lib/apt,sharing=locked --mount=type=cache,target=/var/cache/apt \
    apt-get update && apt-get install -y --no-install-recommends wget=1.21.3-1+b2
RUN apt-get -y dist-upgrade
