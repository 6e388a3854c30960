"""``audit``: the hash-chained audit log."""

from __future__ import annotations

import typer

from voucher_service.cli.common import out

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@app.command()
def seal() -> None:
    """Chain the audit entries written since the last seal.

    Each API process also does it every VOUCHER_AUDIT_SEAL_SECONDS."""
    from voucher_service.audit.service import seal as chain
    from voucher_service.db.session import transaction

    with transaction() as session:
        sealed = chain(session)
    out.print(f"sealed {sealed} audit entr{'y' if sealed == 1 else 'ies'} into the chain")
