ENV LANG=C.UTF-8
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN echo ok
