FROM debian:bookworm
HEALTHCHECK CMD test -d /etc
ENTRYPOINT /bin/echo \
    hello
