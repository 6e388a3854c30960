"""``settle``: the monthly settlement (结算) — close, approve, pay, export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from voucher_service.cli.common import (
    Acting,
    Day,
    Force,
    Update,
    as_of,
    cli_session,
    fail,
    out,
    progress_bar,
)
from voucher_service.money import fen_to_yuan

app = typer.Typer(
    help="Monthly settlement: close each provider's month, approve, pay, export.",
    no_args_is_help=True,
)

StatementId = Annotated[int, typer.Option("--statement", help="The statement's id.")]


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class Headers(StrEnum):
    en = "en"
    zh = "zh"


@dataclass(frozen=True)
class Closed:
    uscc: str
    statement_id: int
    created: bool
    records: int
    subsidy_fen: int

    def totals(self) -> str:
        return f"{self.records} records, {fen_to_yuan(self.subsidy_fen)} yuan"


def close_months(
    session: Session, period: str, provider: str | None, *, day: date, update: Update | None
) -> list[Closed]:
    """Close ``period`` for one provider or all of them, one after the other."""
    from voucher_service.db.types import utcnow
    from voucher_service.providers.service import all_providers, get_provider
    from voucher_service.settlement.service import close_month

    providers = [get_provider(session, provider)] if provider else all_providers(session)
    closed = []
    for done, each in enumerate(providers):
        if update is not None:
            update(done, len(providers), f"closing {period} of {each.uscc}")
        statements, created = close_month(session, each, period, today=day, now=utcnow())
        closed += [
            Closed(each.uscc, s.id, created, s.record_count, s.subsidy_fen) for s in statements
        ]
    if update is not None:
        update(len(providers), len(providers))
    return closed


@app.command()
def close(
    period: Annotated[str, typer.Option(help="The month to close.", metavar="YYYY-MM")],
    provider: Annotated[
        str | None,
        typer.Option(help="One provider's credit code.", show_default="every provider"),
    ] = None,
    today: Day = None,
    force: Force = False,
    acting: Acting = None,
) -> None:
    """Close a month's statement for every provider (or one), once the month has ended.

    A statement freezes each subsidy and correction serviced up to the month's end that no
    earlier statement holds. Closing twice changes nothing. The closer (--as, finance or
    review) never approves the statements they closed."""

    def preview(session: Session, day: date) -> str:
        closed = close_months(session, period, provider, day=day, update=None)
        return (
            f"would close {period} before it has ended in fact ("
            + "; ".join(f"{c.uscc}: {c.totals()}" for c in closed)
            + "); records serviced later in that month would go on the next month's "
            "statement, marked late"
        )

    from voucher_service.auth.access import CLOSE

    day = as_of(today, force=force, preview=preview, acting=acting)
    with (
        progress_bar(f"closing {period}") as update,
        cli_session(acting=acting, access=CLOSE) as session,
    ):
        closed = close_months(session, period, provider, day=day, update=update)
    for c in closed:
        state = "closed" if c.created else "already closed"
        out.print(f"{c.uscc} {period}: statement {c.statement_id} {state}, {c.totals()}")


@app.command()
def approve(statement: StatementId, acting: Acting = None) -> None:
    """Approve a closed statement, as a person of finance (--as) who did not close it."""
    from voucher_service.auth.access import FINANCE
    from voucher_service.db.types import utcnow
    from voucher_service.settlement import service

    with cli_session(acting=acting, access=FINANCE) as session:
        row = service.approve_statement(
            session, service.get_statement(session, statement), now=utcnow()
        )
        out.print(f"statement {row.id} ({row.period}): {row.status}")


@app.command()
def pay(
    statement: StatementId,
    reference: Annotated[
        str, typer.Option(help="The treasury's payment reference, e.g. WH-TREAS-2026-06-01.")
    ],
    acting: Acting = None,
) -> None:
    """Mark an approved statement paid, as a person of finance (--as) who did not approve it.

    The ledger moves its total from the provider's payable account to paid. A paid
    statement never changes."""
    from voucher_service.auth.access import FINANCE
    from voucher_service.db.types import utcnow
    from voucher_service.settlement import service

    with cli_session(acting=acting, access=FINANCE) as session:
        row = service.pay_statement(
            session, service.get_statement(session, statement), reference=reference, now=utcnow()
        )
        out.print(f"statement {row.id} ({row.period}): {row.status}")


@app.command()
def export(
    statement: StatementId,
    format: Annotated[
        Format | None,
        typer.Option(
            help="CSV, or XLSX with a summary sheet.",
            show_default="--out's extension, else csv",
        ),
    ] = None,
    headers: Annotated[
        Headers, typer.Option(help="Column names and values in English or Chinese.")
    ] = Headers.en,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="The file to write, named .csv or .xlsx (its extension and --format agree).",
            show_default="statement-<id>.<format>",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Write a statement to a file, and say where.

    One line per record with totals, amounts in yuan with two decimals; the XLSX adds a
    summary sheet per enterprise and voucher."""
    from voucher_service.settlement import service
    from voucher_service.settlement.export import statement_file

    chosen = file_format(format, out_path)
    with cli_session() as session:
        row = service.get_statement(session, statement)
        detail = service.statement_detail(session, row)
        file = statement_file(row, detail, fmt=chosen.value, chinese=headers is Headers.zh)
        path = out_path or Path(f"statement-{row.id}.{chosen.value}")
        path.write_bytes(file.body)
        out.print(
            f"statement {row.id} ({detail.provider.uscc} {row.period}, {row.status}): "
            f"wrote {path.resolve()}",
            markup=False,
        )


def file_format(given: Format | None, out_path: Path | None) -> Format:
    """The format a statement is written in: ``--format``, else ``--out``'s extension, else
    CSV. A file is never named for one format and written in the other: a disagreement, or
    an extension that is neither, is a usage error (exit 2)."""
    if out_path is None:
        return given or Format.csv
    extension = out_path.suffix.lower().removeprefix(".")
    named = Format(extension) if extension in set(Format) else None
    if named is None:
        wanted = f".{given.value}" if given else ".csv or .xlsx"
        raise fail(f"--out {out_path} is not named {wanted}: name the file so", code=2)
    if given is not None and given is not named:
        raise fail(
            f"--format {given.value} but --out {out_path} is a .{named.value} file: "
            f"name it .{given.value}, or leave --format out",
            code=2,
        )
    return named
