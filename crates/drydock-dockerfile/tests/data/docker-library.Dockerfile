# syntax=docker/dockerfile:1
ARG PY=3.12
FROM python:${PY}-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    LANG=C.UTF-8

RUN set -eux; \
	savedAptMark="$(apt-mark showmanual)"; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		gcc \
		libpq-dev \
	; \
# keep the build deps small
	rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY --link requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
COPY <<EOF /etc/app.ini
[app]
debug = false
EOF

FROM python:${PY}-slim-bookworm
COPY --from=build /usr/local /usr/local
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --retries=3 CMD ["python", "-c", "import urllib.request"]
CMD ["gunicorn", "app:app"]
