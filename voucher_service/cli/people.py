"""Keys and accounts: the first admin key, console accounts, and the demo's set of both."""

from __future__ import annotations

import sys
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from voucher_service.cli.common import (
    PEOPLE,
    Day,
    Force,
    as_of,
    cli_session,
    err,
    fail,
    out,
    working,
)
from voucher_service.config import get_settings
from voucher_service.db.tables.auth import Duty, Role

if TYPE_CHECKING:
    from voucher_service.demo import DemoResult

app = typer.Typer()

Uscc = Annotated[
    str | None,
    typer.Option(help="Enterprise and provider roles: the company's credit code."),
]

# The roles whose keys and accounts belong to a company, named by its credit code.
COMPANY_ROLES = (Role.ENTERPRISE, Role.PROVIDER)

Duties = Annotated[
    list[Duty] | None,
    typer.Option(
        "--duty",
        help="Role bureau: a duty the new person holds (repeat for several).",
        show_default="sysadmin: the first person of a fresh install",
    ),
]

# The demo prints its keys as shell lines: docs/ and README.md use these names (by the slot
# of demo.py's people).
KEY_VARIABLES = {
    "bureau_admin": "ADMIN_KEY",
    "sysadmin": "SYSADMIN_KEY",
    "program": "PROGRAM_KEY",
    "bureau_reviewer": "REVIEWER_KEY",
    "finance": "FINANCE_KEY",
    "auditor": "AUDITOR_KEY",
    "enterprise": "ENTERPRISE_KEY",
    "provider": "PROVIDER_KEY",
}


def _duties_of(role: Role, given: list[Duty] | None) -> frozenset[Duty]:
    """The duties asked for; a bureau person given none is the first system administrator of
    a fresh install."""
    return frozenset(given or ([Duty.SYSTEM] if role is Role.BUREAU else []))


@app.command("create-key", rich_help_panel=PEOPLE)
def create_key(
    role: Annotated[Role, typer.Option(help="What the key may do (docs/access.md).")] = (
        Role.BUREAU
    ),
    holder: Annotated[
        str, typer.Option(help="Bureau roles: the person or system holding the key.")
    ] = "administrator",
    uscc: Uscc = None,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "created on the command line",
    duty: Duties = None,
) -> None:
    """Create an API key: the first system administrator's key of a fresh install.

    The key is printed once, on standard output. All other keys are made through the API
    (POST /v1/admin/keys) by a system administrator."""
    from voucher_service.auth.service import create_key, key_holder
    from voucher_service.db.types import utcnow

    if uscc is not None and role not in COMPANY_ROLES:
        raise fail(
            f"--uscc is for the {' and '.join(COMPANY_ROLES)} roles: a {role.value} key has no "
            "credit code (leave --uscc out, or give --role enterprise or provider)",
            code=2,
        )
    duties = _duties_of(role, duty)
    with cli_session() as session:
        principal = key_holder(session, role, name=holder, uscc=uscc, duties=duties)
        new = create_key(session, principal, name=name, now=utcnow())
    out.print(new.key, markup=False)
    err.print(
        f"{role.value} key {new.view.key.prefix} for {principal.name}: shown once, store it safely",
        markup=False,
    )


@app.command("create-account", rich_help_panel=PEOPLE)
def create_account(
    login: Annotated[str, typer.Option(help="The sign-in name: 3-64 letters, digits, . _ @ -.")],
    display_name: Annotated[str, typer.Option(help="The name the console shows.")],
    role: Annotated[Role, typer.Option(help="What the person may do (docs/access.md).")] = (
        Role.BUREAU
    ),
    uscc: Uscc = None,
    duty: Duties = None,
    password_stdin: Annotated[
        bool,
        typer.Option(help="Read the password from the first line of standard input."),
    ] = False,
) -> None:
    """Open a console account for a person: the first administrator of a fresh install.

    Asks for the password twice, hidden, unless --password-stdin. The password is theirs to
    keep (no change is forced at the first sign-in); at least 10 characters, not containing
    the login name."""
    from voucher_service.accounts.service import create_account
    from voucher_service.db.types import utcnow

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    duties = _duties_of(role, duty)
    with cli_session() as session:
        person = create_account(
            session,
            login=login,
            display_name=display_name,
            role=role,
            password=password,
            uscc=uscc,
            duties=duties,
            now=utcnow(),
        )
        company = person.enterprise_uscc or person.provider_uscc
        of = f" of {company}" if company else ""
        held = f": {person.principal.duties}" if person.principal.duties else ""
        out.print(
            f"account {person.account.login} ({role.value}{of}{held}) created:"
            " sign in at /console/",
            markup=False,
        )


@app.command("unlock-account", rich_help_panel=PEOPLE)
def unlock_account(
    login: Annotated[str, typer.Option(help="The sign-in name of the account.")],
) -> None:
    """Lift the slow-down on an account's failed sign-ins and second-factor codes.

    A correct password is never refused; this is for a person told to wait after mistyping,
    or whose second-factor codes are refused after too many wrong ones."""
    from voucher_service.accounts.signin import find_account, unlock

    with cli_session() as session:
        person = unlock(session, find_account(session, login).account.id)
    out.print(f"account {person.account.login}: sign-in unlocked", markup=False)


@app.command(rich_help_panel=PEOPLE)
def demo(today: Day = None, force: Force = False) -> None:
    """Load the demo data, with an API key and a console account per role.

    The measure-2 program, its 2025 and 2026 pools, a dozen SMEs, vouchers, a provider and an
    application. The first run prints the keys (as shell lines the docs' examples use) and
    the accounts, each with the company it belongs to, once; a second run changes nothing."""
    from sqlalchemy.orm import Session

    from voucher_service.demo import PROGRAM_CODE, load_demo

    def preview(session: Session, day: date) -> str:
        would = load_demo(session, today=day)
        if not would.loaded:
            return "would change nothing: the demo data is already loaded"
        return f"would load the demo data with {len(would.vouchers)} voucher(s) issued on {day}"

    day = as_of(today, force=force, preview=preview)
    with working("loading the demo data"), cli_session() as session:
        result = load_demo(session, today=day)
    if not result.loaded:
        out.print(f"demo data already loaded (program {PROGRAM_CODE} exists); nothing changed")
        return
    out.print(f"loaded program {PROGRAM_CODE}, pools 2025 and 2026 of 10,000,000.00 yuan")
    out.print("enterprises:", ", ".join(result.enterprises))
    out.print("vouchers:", ", ".join(result.vouchers) or "(none: today is not in 2026)")
    out.print("provider:", result.provider)
    out.print(
        f"messages: {result.messages} in the console inboxes (demo.enterprise's also by mail: "
        "`voucher-service worker` sends them, or writes them to its log without VOUCHER_SMTP_HOST)"
    )
    settings = get_settings()
    _print_keys(result, api=f"http://{settings.host}:{settings.port}")
    _print_accounts(result, console=f"http://{settings.host}:{settings.port}/console/")
    out.print(
        "\nSeparation of duties (docs/access.md): demo.it gives duties and keys but moves no "
        "money; a statement is closed by one person and approved by another (demo.finance "
        "approves what demo.admin closed), and its approver never pays it. The pools and the "
        "top-up were proposed by demo.program and confirmed by demo admin (ADMIN_KEY), a second "
        "program administrator.",
        markup=False,
    )


def _print_keys(result: DemoResult, *, api: str) -> None:
    """The demo's API keys as shell lines, under the variable names docs/ and README.md use."""
    out.print(
        "\nAPI keys, shown once. The examples in README.md and docs/ use these variables: "
        "paste the lines into your shell.",
        markup=False,
    )
    lines = [(f"export B={api}", "the API")]
    for slot, variable in KEY_VARIABLES.items():
        lines.append((f"export {variable}={result.keys[slot]}", result.holders[slot]))
    if result.vouchers:
        holder = result.holders[Role.ENTERPRISE].removeprefix("enterprise: ")
        lines.append((f"export VOUCHER={result.vouchers[0]}", f"a voucher of {holder}"))
    width = max(len(line) for line, _ in lines)
    for line, comment in lines:
        out.print(f"{line:<{width}}  # {comment}", markup=False)


def _print_accounts(result: DemoResult, *, console: str) -> None:
    """The demo's console accounts with their passwords, each with its company and duties."""
    out.print(
        f"\nConsole accounts, shown once (sign in at {console}; make more with "
        "`voucher-service create-account`):",
        markup=False,
    )
    for account in result.accounts:
        duties = f" ({account.duties})" if account.duties else ""
        out.print(
            f"  {account.role:<16} {account.login:<16} {account.password:<18} "
            f"{account.holder}{duties}",
            markup=False,
        )
