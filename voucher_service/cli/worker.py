"""``worker``: the notification worker (mail from the outbox, the periodic notifications,
pruning), until SIGTERM or SIGINT."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from voucher_service.cli.common import RUN, fail, missing_database_directory
from voucher_service.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer()


@app.command(rich_help_panel=RUN)
def worker(
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Run the periodic notifications and one batch of each drain, then stop "
            "(a cron job's or a test's).",
        ),
    ] = False,
) -> None:
    """Send the outbox's mail (SMTP, or the log when VOUCHER_SMTP_HOST is empty), run the
    periodic notifications (vouchers expiring, caps 80% used, the daily digests) and prune
    what was delivered. Stops after the batch in hand on SIGTERM or SIGINT; several workers
    may run side by side (docs/operations.md: the notification worker)."""
    import logging.config

    from prometheus_client import start_http_server

    from voucher_service.db.session import get_engine
    from voucher_service.logs import logging_config
    from voucher_service.notices.service import close_due
    from voucher_service.notifications.outbox import queued
    from voucher_service.notifications.scheduled import JOBS
    from voucher_service.notifications.worker import Worker

    def close_notices(session: Session, today: date, now: datetime, _: object) -> int:
        """Public notice (公示): issue what stood its period, as `notices close` does."""
        return len(close_due(session, today=today, now=now).issued)

    settings = get_settings()
    missing = missing_database_directory()
    if missing:
        raise fail(missing, code=3)
    engine = get_engine()
    # A database that is not one, cannot be reached or has no tables is said now, in one
    # line (cli.user_mistake), not retried for ever by the loop.
    queued(engine)
    logging.config.dictConfig(logging_config(settings.log_format))
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port, addr=settings.host)
    loop = Worker(engine, settings, jobs=(*JOBS, ("notices.close", close_notices)))
    if once:
        loop.run_jobs()
        loop.run_once()
        return
    loop.run()
