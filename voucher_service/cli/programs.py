"""``programs``: a program as a file (programs/files.py) — ``diff`` says what applying it
would propose, ``apply`` proposes it as the program administrator ``--as`` names (a second
one confirms: ``confirmations confirm``), ``schema`` prints the file's JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from voucher_service.cli.common import Acting, cli_session, fail, out

if TYPE_CHECKING:
    from voucher_service.programs.files import Plan, ProgramFile

app = typer.Typer(
    help="Programs as files: diff a file against the service, apply it (as proposals), "
    "print its schema.",
    no_args_is_help=True,
)

ProgramPath = Annotated[
    Path, typer.Option("--file", "-f", metavar="FILE", help="The program file (TOML).")
]


def _read(path: Path) -> ProgramFile:
    from voucher_service.errors import ServiceError
    from voucher_service.programs.files import read

    try:
        return read(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise fail(f"{path}: cannot read it ({exc.strerror})", code=2) from exc
    except UnicodeDecodeError as exc:
        raise fail(f"{path}: not UTF-8 text ({exc.reason})", code=2) from exc
    except ServiceError as error:
        raise fail(f"{path}: {error.message}", code=2) from error


def _say(plan: Plan) -> None:
    for change in plan.changes:
        out.print(f"propose {change.kind.value} {change.target}: {change.said}", markup=False)
    for change, waiting in plan.waiting:
        out.print(
            f"waiting {change.kind.value} {change.target}: proposal {waiting} waits for a "
            "second program administrator",
            markup=False,
        )
    for later in plan.later:
        out.print(f"later: {later}", markup=False)
    for conflict in plan.conflicts:
        out.print(f"conflict: {conflict}", markup=False)
    if plan.settled:
        out.print("the service holds this program as the file says")


@app.command()
def diff(path: ProgramPath) -> None:
    """Say what applying the file would propose (nothing is written). Exit 0: the service
    holds the program as the file says; 1: there is something to propose or confirm; 2: the
    file is invalid or conflicts with what no proposal can change."""
    from voucher_service.programs.files import plan

    program_file = _read(path)
    with cli_session(dry_run=True) as session:
        result = plan(session, program_file)
    _say(result)
    if result.conflicts:
        raise typer.Exit(2)
    if not result.settled:
        raise typer.Exit(1)


@app.command()
def apply(path: ProgramPath, acting: Acting = None) -> None:
    """Propose what the file calls for, as the program administrator --as names; a second
    one confirms each proposal. Nothing is proposed if the file conflicts with the service.
    Apply the file again after the confirmations until `diff` says nothing is left."""
    from voucher_service.auth.access import PROGRAM_ADMIN
    from voucher_service.config import get_settings
    from voucher_service.db.types import utcnow
    from voucher_service.programs.files import propose

    program_file = _read(path)
    with cli_session(acting=acting, access=PROGRAM_ADMIN) as session:
        result, made = propose(session, program_file, today=get_settings().today(), now=utcnow())
        for row in made:
            out.print(f"proposed {row.id} {row.kind} {row.target_id}: {row.summary}", markup=False)
    for change, waiting in result.waiting:
        out.print(f"waiting {change.kind.value} {change.target}: proposal {waiting}", markup=False)
    for later in result.later:
        out.print(f"later: {later}", markup=False)
    if not made and not result.waiting:
        out.print("nothing to propose: the service holds this program as the file says")


@app.command()
def schema() -> None:
    """Print the program file's JSON Schema (for editors and reviews)."""
    from voucher_service.programs.files import ProgramFile

    print(json.dumps(ProgramFile.model_json_schema(), ensure_ascii=False, indent=2))
