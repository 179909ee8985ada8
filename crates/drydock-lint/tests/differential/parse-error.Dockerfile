FROM debian:bookworm-slim
RUNN apt-get update
