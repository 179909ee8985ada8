FROM debian:bookworm
RUN apk add curl=8.5.0-r0
