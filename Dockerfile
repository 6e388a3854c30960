# The compute-voucher service. Set VOUCHER_DATABASE_URL to a PostgreSQL URL in production
# (postgresql://user:password@host:5432/db); without it the container uses a SQLite file.
#
# Reproducible: the base image is pinned by digest and every dependency is installed from
# requirements.lock, each file checked against its hash (`make lock` regenerates the lock
# from pyproject.toml). Two stages: the builder installs the lock into a virtualenv and the
# service's wheel on top; the final image holds that virtualenv and no build tools.
#
# The digest is python:3.12-slim's (the multi-arch index; Debian 12, CPython 3.12). To move
# to a newer one: `docker buildx imagetools inspect python:3.12-slim` and paste its digest,
# both stages at once (tests/deploy/test_dockerfile.py checks they agree).

FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
COPY requirements.lock ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY voucher_service ./voucher_service
# The service itself, without its dependencies: they are the lock's, already installed.
RUN /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/venv/bin/pip install --no-deps /wheels/*.whl

FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    VOUCHER_MIGRATIONS_DIR=/app/migrations \
    VOUCHER_DATABASE_URL=sqlite:////data/voucher.db \
    VOUCHER_HOST=0.0.0.0 \
    VOUCHER_PORT=8000

# User and group 10001, as deploy/kubernetes runs it (runAsUser, runAsGroup, fsGroup).
RUN groupadd --system --gid 10001 voucher \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home voucher \
    && mkdir -p /app /data /keys /checkpoints /witness \
    && chown 10001:10001 /data /keys /checkpoints /witness

# Printable documents (WeasyPrint): pango to lay them out, CJK fonts for their Chinese.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY migrations ./migrations
COPY alembic.ini ./

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"

# Migrations first (idempotent), then the API. Scale out with more containers, not workers.
CMD ["sh", "-c", "voucher-service migrate && exec voucher-service serve"]
