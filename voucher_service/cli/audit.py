"""``audit``: the hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from voucher_service.cli.common import cli_session, out

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


@app.command()
def sample(
    seed: Annotated[int, typer.Option(help="The draw's seed: the same seed, the same sample.")],
    n: Annotated[int, typer.Option(min=1, max=100_000, help="How many priced records to draw.")],
    out_path: Annotated[
        Path, typer.Option("--out", help="The file to write: .xlsx, or CSV for any other name.")
    ],
    program: Annotated[str | None, typer.Option(help="Only this program's records.")] = None,
    date_from: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First service date (YYYY-MM-DD)."),
    ] = None,
    date_to: Annotated[
        datetime | None,
        typer.Option("--to", formats=["%Y-%m-%d"], help="Last service date (YYYY-MM-DD)."),
    ] = None,
) -> None:
    """Draw a reproducible random sample of priced usage records for a third-party audit.

    Each record comes with its voucher, redemption, rule version, postings and audit
    entries; the same seed on the same books draws the same records."""
    from voucher_service.audit.commands import sample as draw

    with cli_session() as session:
        said = draw(
            session,
            seed=seed,
            n=n,
            out_path=out_path,
            program=program,
            date_from=date_from.date() if date_from else None,
            date_to=date_to.date() if date_to else None,
        )
    out.print(said, markup=False)
