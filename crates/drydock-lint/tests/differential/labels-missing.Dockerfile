# differential: label-schema=org.opencontainers.image.source:url,team:text
FROM debian:bookworm-slim
LABEL team=platform
CMD ["bash"]
