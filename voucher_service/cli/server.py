"""Running the service: the API, its schema, the provider prober."""

from __future__ import annotations

from typing import Annotated

import typer

from voucher_service.cli.common import RUN, fail, missing_database_directory, out
from voucher_service.config import get_settings

app = typer.Typer()


@app.command(rich_help_panel=RUN)
def serve(
    host: Annotated[
        str | None,
        typer.Option(help="Address to listen on.", show_default="VOUCHER_HOST, 127.0.0.1"),
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on.", show_default="VOUCHER_PORT, 8000")
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="uvicorn worker processes. More than one needs PROMETHEUS_MULTIPROC_DIR set "
            "before the start (see docs/monitoring.md).",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API and the console with uvicorn.

    The access log is the service's own (request id, principal, latency), as text or, with
    VOUCHER_LOG_FORMAT=json, one JSON object a line. Request heads must arrive within
    VOUCHER_HEADER_READ_SECONDS (408) and be at most 64 KiB (431); bodies have their own
    deadlines at the gate (docs/reliability.md)."""
    import uvicorn

    from voucher_service import protocol
    from voucher_service.db.session import create_db_engine, run_as_api
    from voucher_service.logs import logging_config

    run_as_api()  # the API's database deadlines, not a command's
    settings = get_settings()
    # A database URL that is not one, or names a driver not installed, is said here in one
    # line (cli.user_mistake), not by each worker as it starts; so is a SQLite file whose
    # directory nobody made.
    create_db_engine(settings.database_url).dispose()
    missing = missing_database_directory()
    if missing:
        raise fail(missing, code=3)
    uvicorn.run(
        "voucher_service.api:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=logging_config(settings.log_format),
        access_log=False,
        # uvicorn would believe X-Forwarded-For from 127.0.0.1 by default: the gate alone
        # decides, from VOUCHER_TRUSTED_PROXIES (default: no proxy is trusted).
        proxy_headers=False,
        # httptools' protocol with a deadline and a size bound on request heads.
        http=protocol.PATH,
    )


@app.command(rich_help_panel=RUN)
def migrate(
    runtime_role: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL: after migrating, grant this role the service's privileges "
            "(DML; only INSERT on the append-only tables) and nothing more.",
            show_default="VOUCHER_DB_RUNTIME_ROLE, none",
        ),
    ] = None,
) -> None:
    """Apply the migrations the database lacks, naming each; then grant the runtime role.

    Alembic migrations are the only way the schema is made; on an up-to-date database this
    says so and names the revision it is at. In production run it as the role that owns the
    tables, with the runtime role the API and jobs connect as (docs/operations.md)."""
    from voucher_service.db.migrate import migrate as upgrade
    from voucher_service.db.roles import RoleError

    try:
        run = upgrade(runtime_role=runtime_role)
    except RoleError as error:
        raise fail(str(error)) from error
    if not run.applied:
        out.print(
            f"the database was already at the newest revision, {run.head.id} "
            f"({run.head.message}); nothing to apply",
            markup=False,
        )
    for revision in run.applied:
        out.print(f"applied {revision.id}: {revision.message}", markup=False)
    if run.applied:
        out.print(
            f"the database is at the newest revision, {run.head.id} ({len(run.applied)} applied)",
            markup=False,
        )
    if run.granted is not None:
        granted = run.granted
        out.print(
            f"granted {runtime_role or get_settings().db_runtime_role}: insert-only on "
            f"{', '.join(granted.append_only)}; read-only on {', '.join(granted.read_only)}; "
            f"read-write on {len(granted.read_write)} other table(s), "
            f"{granted.sequences} sequence(s)",
            markup=False,
        )


@app.command(rich_help_panel=RUN)
def probe(
    every: Annotated[
        float, typer.Option(min=0, help="Seconds between rounds (0: probe once and stop).")
    ] = 0,
    rounds: Annotated[int, typer.Option(min=0, help="Stop after this many rounds (0: never).")] = 0,
    timeout: Annotated[float, typer.Option(min=0, help="Seconds each probe may take.")] = 2.0,
) -> None:
    """Probe providers' health endpoints, once or every --every seconds.

    Run it as a sidecar or from cron. A round waits for its probes (each cut off at
    --timeout) before the next, so rounds never pile up."""
    import time

    from voucher_service.db.session import transaction
    from voucher_service.db.types import utcnow
    from voucher_service.monitoring.network import probe_providers

    done = 0
    while True:
        with transaction() as session:
            probes = probe_providers(session, now=utcnow(), timeout_s=timeout)
        up = sum(1 for p in probes if p.ok)
        out.print(f"probed {len(probes)} provider(s): {up} up, {len(probes) - up} down")
        out.file.flush()
        done += 1
        if not every or (rounds and done >= rounds):
            return
        time.sleep(every)
