# The compute-voucher service. Set VOUCHER_DATABASE_URL to a PostgreSQL URL in production
# (postgresql://user:password@host:5432/db); without it the container uses a SQLite file.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VOUCHER_MIGRATIONS_DIR=/app/migrations \
    VOUCHER_DATABASE_URL=sqlite:////data/voucher.db \
    VOUCHER_HOST=0.0.0.0 \
    VOUCHER_PORT=8000

WORKDIR /app
COPY pyproject.toml README.md ./
COPY voucher_service ./voucher_service
COPY migrations ./migrations
COPY alembic.ini ./
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app voucher \
    && mkdir -p /data /keys /checkpoints /witness \
    && chown voucher /data /keys /checkpoints /witness

USER voucher
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"

# Migrations first (idempotent), then the API. Scale out with more containers, not workers.
CMD ["sh", "-c", "voucher-service migrate && exec voucher-service serve"]
