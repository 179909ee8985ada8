FROM debian:bookworm
RUN apt-get update \
    # one package
    && apt-get install -y --no-install-recommends drydock-demo # keep the comment
