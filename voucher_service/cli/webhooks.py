"""``webhooks``: deliver providers' webhook events (the drain the worker runs, on its own)."""

from __future__ import annotations

from typing import Annotated

import typer

from voucher_service.cli.common import out

app = typer.Typer(
    help="Providers' webhooks: deliver the events that are due, signed, with retries.",
    no_args_is_help=True,
)


@app.command()
def deliver(
    once: Annotated[
        bool,
        typer.Option("--once", help="One round: deliver what is due now, then stop."),
    ] = False,
    batch: Annotated[
        int, typer.Option(min=1, max=1000, help="The most deliveries one round claims.")
    ] = 50,
    idle: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait when nothing was due.")
    ] = 2.0,
) -> None:
    """Deliver due webhook events (signed, logged, retried with backoff for a day). Several
    may run at once: each attempt is claimed by one of them. Without --once it runs until
    stopped (Ctrl-C or SIGTERM)."""
    import contextlib
    import signal

    from voucher_service.db.session import transaction
    from voucher_service.webhooks.delivery import deliver_due, deliver_until_idle

    if once:
        done = deliver_due(transaction, limit=batch)
        out.print(f"attempted {done.attempted}, delivered {done.delivered}, failed {done.failed}")
        return
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stop between rounds' posts
        deliver_until_idle(transaction, stop=lambda: stopping, idle_seconds=idle, limit=batch)
