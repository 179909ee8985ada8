FROM debian:bookworm
RUN apt-get update
ENV LANG=C.UTF-8
RUN apt-get install -y --no-install-recommends drydock-demo \
    && rm -rf /var/lib/apt/lists/*
