FROM python:3.12-slim AS build
# Nothing of this stage is shipped but the copied wheel: its layers, caches and extra
# packages never reach the image.
RUN pip install build==1.2.2
RUN python -m build --wheel
USER root

FROM python:3.12-slim
COPY --from=build /dist/app-1.0-py3-none-any.whl /tmp/
RUN pip install --no-cache-dir /tmp/app-1.0-py3-none-any.whl
USER 10001
CMD ["app"]
