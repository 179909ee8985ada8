# fix: unsafe
FROM debian:bookworm
ENTRYPOINT ["/bin/echo"]
CMD hello world
