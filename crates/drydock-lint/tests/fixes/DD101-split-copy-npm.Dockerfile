# fix: unsafe
FROM debian:bookworm
WORKDIR /srv/web
COPY . ./
# dependencies
RUN npm ci \
    --omit=dev
CMD ["node", "server.js"]
