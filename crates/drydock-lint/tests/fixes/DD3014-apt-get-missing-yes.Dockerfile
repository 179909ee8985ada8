FROM debian:bookworm
RUN apt-get update \
    && apt-get install --no-install-recommends drydock-demo \
    && rm -rf /var/lib/apt/lists/*
