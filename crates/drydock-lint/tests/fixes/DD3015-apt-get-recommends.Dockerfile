FROM debian:bookworm
# the demo package
RUN apt-get update && apt-get install -y drydock-demo && rm -rf /var/lib/apt/lists/*
