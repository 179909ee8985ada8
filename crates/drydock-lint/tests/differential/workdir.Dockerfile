FROM python:3.12-slim AS base
COPY . .
WORKDIR /srv/app
COPY . .

FROM base
COPY app.py app/

FROM python:3.12-slim
COPY config.toml etc/
COPY config.toml /etc/app/
