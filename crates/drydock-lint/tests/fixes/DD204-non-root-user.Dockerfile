# fix: unsafe
FROM debian:bookworm AS build
RUN echo built > /built

FROM debian:bookworm
COPY --from=build /built /built
CMD ["cat", "/built"]
