# Odoo Gateway: a slim image with runtime dependencies only, run as a non-root user.
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000

WORKDIR /srv/gateway
COPY requirements.txt .
RUN pip install -r requirements.txt \
    && useradd --system --uid 10001 --no-create-home gateway \
    && mkdir -p /var/lib/odoo-gateway && chown gateway:gateway /var/lib/odoo-gateway

COPY --chown=root:root app ./app
COPY --chown=root:root wsgi.py gunicorn.conf.py ./

USER gateway
EXPOSE 3000
# The filesystem can be mounted read-only. Only these places are written: the revocation list
# (REVOCATION_DB: put it on a volume, e.g. /var/lib/odoo-gateway, owned by the gateway user and
# copied into a new named volume, so that revoked keys stay revoked across restarts; or set
# REDIS_URL), the host's rate-limit counters (a file in /dev/shm),
# gunicorn's worker heartbeat files and the workers' metrics (/dev/shm). gunicorn's control socket
# is disabled. Healthy means ready (configuration valid, revocation store reachable), not merely alive.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3000\")}/ready', timeout=2)" || exit 1
ENTRYPOINT ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
