# fix: unsafe
FROM debian:bookworm
WORKDIR /app
COPY --chown=0:0 . .
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir -r requirements.txt
CMD ["python3", "app.py"]
