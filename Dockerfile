# syntax=docker/dockerfile:1
# Tasklane's container image: the web app built with Node, the Python package installed into a
# virtualenv, and a slim runtime that runs `tasklane` as a non-root user.
#
#   docker build -t tasklane:0.1.0 .
#   docker run -p 8000:8000 -v tasklane-data:/data tasklane:0.1.0          # serve, SQLite in /data
#   docker run ... tasklane:0.1.0 worker                                    # any other command
#
# Not built on the machines this was written on (no container engine there): tests/deploy
# checks this file's instructions and runs the same commands as plain processes.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

# --- 1. the web app (web/dist): its build generates API types from docs/openapi.json ---------
FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY docs/openapi.json /src/docs/openapi.json
COPY web/ ./
RUN npm run build

# --- 2. the Python package and its pinned dependencies, in a virtualenv ----------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY src/ src/
RUN /opt/venv/bin/pip install -c constraints.txt .

# --- 3. the runtime -------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="Tasklane" \
      org.opencontainers.image.description="Self-hosted team task manager: REST API, live updates, web app." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/tasklane/tasklane"

# A fixed uid/gid, so volumes and Kubernetes' runAsUser/fsGroup can name it.
RUN groupadd --system --gid 10001 tasklane \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin tasklane \
 && mkdir -p /app /data \
 && chown 10001:10001 /data

COPY --from=builder /opt/venv /opt/venv
# tasklane.migrate looks for alembic.ini and migrations/ two folders above the installed package
# (site-packages/tasklane -> lib/python3.11), which is the repository root in a checkout.
COPY alembic.ini /opt/venv/lib/python3.11/alembic.ini
COPY migrations/ /opt/venv/lib/python3.11/migrations/
# The web app, where TASKLANE_WEB_DIR (below) points the server.
COPY --from=web /src/web/dist /app/web

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TASKLANE_DATA_DIR=/data \
    TASKLANE_WEB_DIR=/app/web \
    TASKLANE_HOST=0.0.0.0 \
    TASKLANE_PORT=8000

WORKDIR /app
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000

# /healthz answers while the process is up; only what the image has (no curl): Python's urllib.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('TASKLANE_PORT', '8000') + '/healthz', timeout=4)"]

ENTRYPOINT ["tasklane"]
CMD ["serve"]
