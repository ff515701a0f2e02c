# tierdesk as a service: `docker build -t tierdesk .` then
# `docker run -p 8080:8080 -v tierdesk-data:/data -e SLACK_BOT_TOKEN=… tierdesk`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md config.example.toml ./
COPY bot ./bot
COPY adapters ./adapters
COPY storage ./storage
COPY kb ./kb
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin tierdesk \
    && mkdir -p /data /etc/tierdesk \
    && chown tierdesk:tierdesk /data
COPY deploy/config.toml /etc/tierdesk/config.toml

USER tierdesk
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080

# /healthz answers 503 naming the failing part (database, scheduler, a chat platform).
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=8).status != 200)"]

# SIGTERM (docker stop) ends it cleanly after the deliveries in flight.
ENTRYPOINT ["tierdesk", "--config", "/etc/tierdesk/config.toml"]
CMD ["run"]
