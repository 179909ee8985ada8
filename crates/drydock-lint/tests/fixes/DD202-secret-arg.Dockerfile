# fix: unsafe
FROM debian:bookworm
ARG NPM_TOKEN
RUN test -n "$NPM_TOKEN" \
    && echo "//registry.example.test/:_authToken=${NPM_TOKEN}" > /tmp/npmrc \
    && rm /tmp/npmrc
CMD ["true"]
