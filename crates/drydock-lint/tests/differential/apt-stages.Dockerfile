FROM debian:bookworm-slim AS build
# A build stage whose files are not shipped wholesale: lists and recommends do not reach the image.
RUN apt-get update && apt-get install -y gcc=4:12.2.0-3
RUN make

FROM debian:bookworm-slim
RUN echo 'APT::Install-Recommends "false";' > /etc/apt/apt.conf.d/99-no-recommends
RUN apt-get update && apt-get install -y curl=7.88.1-10+deb12u12 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/app /usr/local/bin/app
CMD ["app"]
