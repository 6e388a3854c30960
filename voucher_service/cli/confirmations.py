"""``confirmations``: the checker's queue (maker-checker, docs/access.md) — list what waits
for a second person, confirm or reject another's proposal, withdraw one's own; as the person
``--as`` names, refused exactly where ``/v1/admin/confirmations`` refuses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from voucher_service.cli.common import Acting, cli_session, out

if TYPE_CHECKING:
    from voucher_service.auth.proposals import ConfirmationView

app = typer.Typer(
    help="Proposals waiting for a second person: list, confirm, reject, withdraw.",
    no_args_is_help=True,
)

ConfirmationId = Annotated[int, typer.Option("--id", help="The proposal's id (from list).")]


def _line(item: ConfirmationView) -> str:
    row = item.confirmation
    decided = f", {row.status} by {item.decided_by}" if item.decided_by else ""
    return (
        f"{row.id} {row.kind} {row.target_id}: {row.summary} "
        f"(proposed by {item.proposed_by}{decided})"
    )


@app.command("list")
def list_(
    acting: Acting = None,
    everyone: Annotated[
        bool, typer.Option(help="Every pending proposal, not only those --as may confirm.")
    ] = False,
) -> None:
    """List the pending proposals, oldest first: those the person --as names may confirm
    (others', of the kinds their duties check), or every one (--everyone, or no --as)."""
    from voucher_service.audit_log import actor_of
    from voucher_service.auth.access import BUREAU_READ
    from voucher_service.confirmations import service

    with cli_session(acting=acting, access=BUREAU_READ) as session:
        principal = None if everyone else actor_of(session).principal_id
        items = service.waiting(session, principal)
        for item in items:
            out.print(_line(item), markup=False)
        if not items:
            out.print("nothing waits for a second person")


@app.command()
def confirm(proposal: ConfirmationId, acting: Acting = None) -> None:
    """Confirm another person's proposal (--as: holding its duty, never its proposer): what
    it proposes is done now, or refused with nothing written if it no longer holds."""
    _decide("confirm", proposal, acting)


@app.command()
def reject(proposal: ConfirmationId, acting: Acting = None) -> None:
    """Reject another person's proposal (--as: holding its duty): nothing is done."""
    _decide("reject", proposal, acting)


@app.command()
def withdraw(proposal: ConfirmationId, acting: Acting = None) -> None:
    """Withdraw one's own proposal (--as: its proposer): nothing is done."""
    _decide("withdraw", proposal, acting)


def _decide(verb: str, proposal: int, acting: str | None) -> None:
    from voucher_service.auth.access import CHECK
    from voucher_service.config import get_settings
    from voucher_service.confirmations import service
    from voucher_service.db.types import utcnow

    now = utcnow()
    with cli_session(acting=acting, access=CHECK) as session:
        if verb == "confirm":
            service.confirm(session, proposal, today=get_settings().today(), now=now)
        elif verb == "reject":
            service.reject(session, proposal, now=now)
        else:
            service.withdraw(session, proposal, now=now)
        item = service.view(session, proposal)
    out.print(_line(item), markup=False)
