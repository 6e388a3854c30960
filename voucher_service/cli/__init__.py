"""The command line, ``voucher-service``: one Typer app assembled from a module per area.

    server.py   serve, migrate, probe                 (panel "Run the service")
    people.py   create-key, create-account,           (panel "Keys and accounts")
                unlock-account, demo
    books.py    verify, expire                        (panel "The books")
    settle.py   settle close|approve|pay|export       (a group)
    confirmations.py  confirmations list|confirm|reject|withdraw  (a group: maker-checker)
    audit.py    audit seal|keygen|checkpoint|sample   (a group)
    witness.py  witness init|show|cosign|serve        (a group: the auditor's cosigner)
    webhooks.py webhooks deliver [--once]             (a group: providers' webhooks)
    notices.py  notices close                         (a group: public notice, 公示)
    measure.py  bench, bench-scrape                   (panel "Measure")
    worker.py   worker                                (panel "Run the service": notifications)
    common.py   output, the command's transaction, progress bars, --today/--force

Adding a command: a function decorated with ``@app.command()`` in its area's module, with a
docstring (its help) and ``help=`` on each option; defaults are shown. A new group is a module
with its own ``app = typer.Typer(help=...)``, added below with ``add_typer(..., name=...)``.
Import what the command needs inside the function, so that ``--help`` stays fast.

Exit codes: 0 success; 1 the command failed (verify found violations, the service refused:
the message names the error code); 2 a usage error (unknown option, bad value, a --today
after today without --force, a database URL that is not one); 3 the database cannot be
reached, has no tables, or is a SQLite file in a directory that does not exist (only
``migrate`` makes it). A user's mistake is said in one line with its fix, never a
traceback (``user_mistake``).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from voucher_service.cli import (
    audit,
    books,
    confirmations,
    measure,
    notices,
    people,
    programs,
    server,
    settle,
    webhooks,
    witness,
    worker,
)
from voucher_service.cli.common import BOOKS, RUN, missing_database_directory

app = typer.Typer(
    name="voucher-service",
    help="Run Wuhan's compute-voucher service (算力服务券) and keep its books.",
    epilog="Settings come from VOUCHER_* environment variables or .env (docs/operator.md).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_show_locals=False,
)


def _say_version(asked: bool) -> None:
    if asked:
        from voucher_service import __version__

        print(f"voucher-service {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_say_version,
            is_eager=True,
            help="Say the version (CHANGELOG.md tells what each one changed) and stop.",
        ),
    ] = False,
) -> None:
    """Options of the command line itself, before a command."""


for area in (server, people, books, measure):
    app.add_typer(area.app)
app.add_typer(settle.app, name="settle", rich_help_panel=BOOKS)
app.add_typer(confirmations.app, name="confirmations", rich_help_panel=BOOKS)
app.add_typer(programs.app, name="programs", rich_help_panel=BOOKS)
app.add_typer(audit.app, name="audit", rich_help_panel=BOOKS)
app.add_typer(witness.app, name="witness", rich_help_panel=BOOKS)
app.add_typer(worker.app)
app.add_typer(webhooks.app, name="webhooks", rich_help_panel=RUN)
app.add_typer(notices.app, name="notices", rich_help_panel=BOOKS)
# Before `audit seal`, sealing was a command of its own; scheduled jobs may still call it.
app.command("seal", hidden=True, help="The same as `audit seal`.")(audit.seal)


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: the process's arguments); return the exit
    code instead of exiting, so tests can call it. A command's database connections have
    the connect timeout and no statement, lock or idle deadline (``db.session``)."""
    from voucher_service.db.session import run_as_command

    run_as_command()
    try:
        app(args=argv, prog_name="voucher-service")
    except SystemExit as end:
        return end.code if isinstance(end.code, int) else 0 if end.code is None else 1
    except Exception as error:  # a user's mistake is one line; a defect keeps its traceback
        mistake = user_mistake(error)
        if mistake is None:
            raise
        message, code = mistake
        print(f"error: {message}", file=sys.stderr)
        return code
    return 0


def user_mistake(error: Exception) -> tuple[str, int] | None:
    """What a person did wrong, said in one line with its fix, and the exit code (2: the
    settings or arguments, 3: the database), for the errors a setting or an argument causes
    (``VOUCHER_DATABASE_URL`` unreadable, its driver absent, its server unreachable, its schema
    missing; a file that cannot be written); None for anything else, a defect."""
    from sqlalchemy import exc

    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    url_fix = "set VOUCHER_DATABASE_URL to sqlite:///PATH or postgresql://USER@HOST:5432/DB"
    if isinstance(error, exc.ArgumentError):
        return f"VOUCHER_DATABASE_URL is not a database URL ({first}): {url_fix}", 2
    if isinstance(error, exc.NoSuchModuleError | ModuleNotFoundError):
        return f"the database URL names a driver this service has not ({first}): {url_fix}", 2
    if isinstance(error, exc.DBAPIError):
        text = str(error.orig or error).lower()
        if "unable to open database file" in text:
            missing = missing_database_directory()
            return missing or "the SQLite database cannot be opened: check its permissions", 3
        if "no such table" in text or ("relation" in text and "does not exist" in text):
            return "the database has no tables yet: run `voucher-service migrate` first", 3
        if isinstance(error, exc.OperationalError | exc.InterfaceError):
            return f"the database cannot be reached ({first}): is it running?", 3
        return None
    if isinstance(error, OSError) and error.filename:
        return f"cannot use {error.filename}: {error.strerror or first}", 1
    return None
