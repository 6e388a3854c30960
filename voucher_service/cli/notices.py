"""``voucher-service notices close``: issue the vouchers whose public notice (公示) ended."""

from __future__ import annotations

from datetime import date

import typer
from sqlalchemy.orm import Session

from voucher_service.cli.common import Day, Force, as_of, cli_session, fail, out

app = typer.Typer(help="Public notice (公示): issue what has stood its period.")


@app.command()
def close(today: Day = None, force: Force = False) -> None:
    """Issue the voucher of every application whose notice ended before today with no open
    objection (one with an open objection waits for a reviewer). Run it daily, from cron or
    the worker: a second run, or several at once, issue each voucher once."""
    from voucher_service.db.types import utcnow
    from voucher_service.notices.service import close_due

    def preview(session: Session, day: date) -> str:
        run = close_due(session, today=day, now=utcnow())
        return f"would issue {len(run.issued)} voucher(s)"

    day = as_of(today, force=force, preview=preview)
    with cli_session() as session:
        run = close_due(session, today=day, now=utcnow())
    out.print(
        f"issued {len(run.issued)} voucher(s); {len(run.held)} held by open objections; "
        f"{len(run.failed)} failed"
    )
    for application_id, why in sorted(run.failed.items()):
        out.print(f"application {application_id}: {why}", markup=False)
    if run.failed:
        raise fail(f"{len(run.failed)} application(s) could not be issued")
