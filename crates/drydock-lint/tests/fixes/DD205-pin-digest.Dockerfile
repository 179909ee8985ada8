# fix: unsafe
# fixture: digest=debian:bookworm=sha256:0000000000000000000000000000000000000000000000000000000000000001
FROM debian:bookworm
CMD ["true"]
