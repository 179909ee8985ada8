ARG BASE=ubuntu
ARG TAG=latest
FROM ${BASE} AS one
FROM node:${TAG} AS two
FROM ${BASE}:22.04
USER app
COPY --from=one /etc/os-release /one
COPY --from=two /etc/os-release /two
