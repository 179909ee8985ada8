FROM debian:bookworm-slim
ONBUILD FROM alpine:3.20
