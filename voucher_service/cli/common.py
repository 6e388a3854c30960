"""What every command shares: where it writes, its transaction, its progress bar, and the
rule for dates in the future.

Standard output carries the result (a key, a line a script may read); notes, warnings,
errors and progress go to standard error. Progress bars show only on a terminal, so a cron
job's log holds results, not redraws.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated, Protocol

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.orm import Session

from voucher_service.audit_log import CLI, set_actor
from voucher_service.config import get_settings
from voucher_service.errors import ServiceError

if TYPE_CHECKING:
    from voucher_service.auth.access import Access
    from voucher_service.auth.service import Caller

# Rich writes to whatever sys.stdout/sys.stderr are at the time (tests capture them); it never
# wraps a line (scripts read them) and colours nothing it was not asked to.
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

# The help screen's panels: commands are listed by what an operator is doing.
RUN = "Run the service"
PEOPLE = "Keys and accounts"
BOOKS = "The books"
MEASURE = "Measure"

Day = Annotated[
    date | None,
    typer.Option(
        "--today",
        parser=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="Act as if today were this date. A date after today needs --force.",
        show_default="today in VOUCHER_TIMEZONE",
    ),
]
Force = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Go ahead with a --today after today: the change is as final as any other.",
    ),
]


Acting = Annotated[
    str | None,
    typer.Option(
        "--as",
        envvar="VOUCHER_AS",
        metavar="KEY|LOGIN",
        help="Who acts (money moves only by a named person, checked as the API checks them): "
        "an API key, or a console login (its password from VOUCHER_PASSWORD, or asked).",
        show_default="nobody: refused",
    ),
]


@contextmanager
def cli_session(
    *, dry_run: bool = False, acting: str | None = None, access: Access | None = None
) -> Iterator[Session]:
    """One transaction for a command's work, the command line as its audit actor, or the
    person ``acting`` names (``--as``: a key, or a login and its password) whom ``access``,
    the API's rule for the same action, must let in; committed at the end (rolled back on
    error, or always for a dry run). A refusal of the service ends the command with exit
    code 1 and its message, naming the error code."""
    from voucher_service.auth.access import actor_of
    from voucher_service.db.session import transaction

    try:
        with transaction() as session:
            set_actor(session, CLI)
            if acting:
                caller = acting_caller(session, acting)
                if access is not None:
                    access.require(caller, f"do this ({access.describe()} only)")
                set_actor(session, actor_of(caller))
            yield session
            if dry_run:
                session.rollback()
    except ServiceError as error:
        raise fail(f"{error.message} ({error.code})") from error


def acting_caller(session: Session, who: str) -> Caller:
    """The person ``--as`` names: a key, authenticated as the API does (unknown, revoked or
    expired keys are refused), or a console login with its password (signed in as the
    console does, throttled alike)."""
    from voucher_service.accounts.signin import check_password, check_second_factor
    from voucher_service.auth.service import authenticate
    from voucher_service.db.types import utcnow

    now = utcnow()
    if who.startswith("vsk_"):
        return authenticate(session, who, now=now, client="command line")
    password = os.environ.get("VOUCHER_PASSWORD") or typer.prompt(
        f"Password of {who}", hide_input=True, err=True
    )
    person = check_password(session, login=who, password=password, client="command line", now=now)
    if person.account.totp_confirmed_at is not None:
        # A person with a second factor proves it here too, as in the console.
        code = os.environ.get("VOUCHER_CODE") or typer.prompt(
            f"Authenticator code (or a recovery code) of {who}", err=True
        )
        check_second_factor(session, person, code=code, client="command line", now=now)
    caller: Caller = person.caller()
    return caller


def missing_database_directory() -> str | None:
    """What to do when the settings' SQLite file lies in a directory that does not exist
    (None: it exists, or the database is not a SQLite file). Only ``migrate`` makes it."""
    from voucher_service.db.session import sqlite_directory

    directory = sqlite_directory(get_settings().database_url)
    if directory is None or directory.is_dir():
        return None
    return (
        f"the database's directory {directory} does not exist: run `voucher-service migrate` "
        "first (it makes it), or correct VOUCHER_DATABASE_URL"
    )


def fail(message: str, *, code: int = 1) -> typer.Exit:
    """Say why on standard error; raise the result to end the command with ``code``."""
    err.print(f"error: {message}", markup=False)
    return typer.Exit(code)


def as_of(
    today: date | None,
    *,
    force: bool,
    preview: Callable[[Session, date], str],
    acting: str | None = None,
) -> date:
    """The day a command acts as of. A day after today changes the books as if time had
    passed (vouchers expire early, an open month closes), and cannot be undone: without
    ``--force``, run the work in a transaction that is rolled back, say what it would have
    done (``preview(session, day)`` does the work and returns that sentence) and stop with
    exit code 2 (a usage error)."""
    real = get_settings().today()
    if today is None or today <= real:
        return today or real
    if force:
        err.print(f"--today {today} is after today ({real}); going ahead (--force)", markup=False)
        return today
    with cli_session(dry_run=True, acting=acting) as session:
        would = preview(session, today)
    err.print(
        f"--today {today} is after today ({real}). As of {today}, this {would}.\n"
        "Nothing was changed. Run it again with --force to do it.",
        markup=False,
    )
    raise typer.Exit(2)


class Update(Protocol):
    def __call__(self, done: int, total: int, now: str | None = None) -> None: ...


@contextmanager
def _live(description: str, *columns: ProgressColumn) -> Iterator[tuple[Progress, TaskID]]:
    """A spinner, the description and ``columns`` on standard error: on a terminal only, and
    gone once the work is done (the result says what happened)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        *columns,
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as live:
        yield live, live.add_task(description, total=None)


@contextmanager
def progress_bar(description: str) -> Iterator[Update]:
    """A progress bar; yields ``update(done, total)``, which may also say what is being done
    ``now``."""
    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with _live(description, *columns) as (live, task):

        def update(done: int, total: int, now: str | None = None) -> None:
            live.update(task, completed=done, total=total, description=now or description)

        yield update


@contextmanager
def working(description: str) -> Iterator[Callable[[str], None]]:
    """A spinner with the time spent, for work whose size is unknown in advance; yields
    ``step(description)`` to say what it is doing now."""
    with _live(description, TimeElapsedColumn()) as (live, task):
        yield lambda now: live.update(task, description=now)
