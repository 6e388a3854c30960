"""The console's own pages: sign-in and sign-out, the password change, and the bureau's
account management (the bureau's, enterprises' and providers' pages are in their packages).

Each page is guarded like its API endpoint, with the same access rule object
(``guard(AUDIT_READ)`` here, ``rule(AUDIT_READ)`` on ``GET /v1/admin/accounts``). Handlers
stay thin: parse the form, call one service function, render. A form whose service call is
refused is shown again with the reason; the call ran in a savepoint, so nothing of it is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from voucher_service.accounts import service as accounts
from voucher_service.accounts.service import Person, SignedIn
from voucher_service.auth.access import (
    AUDIT_READ,
    SYSTEM_ADMIN,
    Access,
)
from voucher_service.auth.service import Caller
from voucher_service.console.auth import (
    SecretDep,
    SignedInDep,
    clear_session_cookie,
    guard,
    set_session_cookie,
    signed_in_or_none,
)
from voucher_service.console.formatting import local_datetime
from voucher_service.console.i18n import Translator, language_of
from voucher_service.console.tables import Column, Filter, Table
from voucher_service.console.templating import render
from voucher_service.console.viewer import CONSOLE, Viewer
from voucher_service.db.tables.auth import Duty, Role
from voucher_service.deps import NowDep, PageDep, SessionDep
from voucher_service.errors import ErrorCode, ServiceError, TooManyFailures, Unauthorized
from voucher_service.pagination import PageParams
from voucher_service.routing import DatabaseRoute

router = APIRouter(
    route_class=DatabaseRoute,
)

MaybeSignedIn = Annotated[SignedIn | None, Depends(signed_in_or_none)]

# Notices a redirect may ask for (?done=...), by catalogue key: never text from the URL.
DONE = {"password": "password.changed", "signed_out": "sign_in.signed_out"}


def translator(request: Request) -> Translator:
    return Translator(language_of(request))


def describe(exc: ServiceError, t: Translator) -> str:
    """A refusal in the page's language: its code's message, else a generic one with the
    service's own (English) message as the detail."""
    key = f"code.{exc.code}"
    return t(key if key in t else "code.other", detail=exc.message)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(url: str | None) -> str:
    """Only a path inside the console: never another site (an open redirect)."""
    if url and url.startswith(f"{CONSOLE}/") and not url.startswith("//") and "\\" not in url:
        return url
    return ""


def notice(request: Request) -> str | None:
    key = DONE.get(request.query_params.get("done", ""))
    return translator(request)(key) if key else None


def attempt(session: Session, action: Callable[[], Any]) -> ServiceError | None:
    """Run a service call in a savepoint; a refusal is returned (for the form), not raised."""
    try:
        with session.begin_nested():
            action()
    except ServiceError as exc:
        return exc
    return None


@router.get("/")
def home(signed: MaybeSignedIn) -> RedirectResponse:
    if signed is None:
        return redirect(f"{CONSOLE}/sign-in")
    return redirect(Viewer.of(signed.person).overview_path)


@router.get("/sign-in")
def sign_in_page(request: Request, signed: MaybeSignedIn, next: str = "") -> Any:
    if signed is not None:
        return redirect(safe_next(next) or Viewer.of(signed.person).overview_path)
    required = translator(request)("sign_in.required") if safe_next(next) else None
    return render(
        request,
        "sign_in.html",
        next=safe_next(next),
        login="",
        error=None,
        notice=notice(request) or required,
    )


@router.post("/sign-in")
def sign_in(
    request: Request,
    session: SessionDep,
    now: NowDep,
    secret: SecretDep,
    login: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Any:
    t = translator(request)
    address = request.client.host if request.client else "unknown"
    again = {"next": safe_next(next), "login": login, "notice": None}
    try:
        person = accounts.sign_in(session, login=login, password=password, address=address, now=now)
    except TooManyFailures as exc:
        until = local_datetime(now + timedelta(seconds=exc.retry_after))
        refusal = render(
            request,
            "sign_in.html",
            status_code=429,
            error=t("sign_in.throttled", until=until),
            **again,
        )
        refusal.headers["Retry-After"] = str(exc.retry_after)
        return refusal
    except Unauthorized as exc:  # the failure is counted: this request commits normally
        key = "sign_in.disabled" if exc.code is ErrorCode.ACCOUNT_DISABLED else "sign_in.wrong"
        return render(request, "sign_in.html", status_code=401, error=t(key), **again)
    new = accounts.start_session(session, person, now=now)
    response = redirect(safe_next(next) or Viewer.of(person).overview_path)
    set_session_cookie(response, request, secret, new.token)
    return response


@router.post("/sign-out")
def sign_out(session: SessionDep, signed: MaybeSignedIn) -> RedirectResponse:
    if signed is not None:
        accounts.end_session(session, signed)
    response = redirect(f"{CONSOLE}/sign-in?done=signed_out")
    clear_session_cookie(response)
    return response


@router.get("/password")
def password_page(request: Request, signed: SignedInDep) -> Any:
    return render(request, "password.html", error=None)


@router.post("/password")
def change_password(
    request: Request,
    session: SessionDep,
    now: NowDep,
    secret: SecretDep,
    signed: SignedInDep,
    current: Annotated[str, Form(max_length=1000)],
    new: Annotated[str, Form(max_length=1000)],
    confirm: Annotated[str, Form(max_length=1000)],
) -> Any:
    t = translator(request)
    account_id: int = signed.person.account.id  # type: ignore[assignment]
    if new != confirm:
        return render(request, "password.html", status_code=422, error=t("password.mismatch"))
    refused = attempt(
        session,
        lambda: accounts.change_password(session, account_id, current=current, new=new, now=now),
    )
    if refused is not None:
        return render(
            request, "password.html", status_code=refused.status, error=describe(refused, t)
        )
    # Every session of the account has ended, this one too: the browser that made the change
    # goes on in a new one.
    person = accounts.get_person(session, account_id)
    fresh = accounts.start_session(session, person, now=now)
    response = redirect(f"{Viewer.of(person).overview_path}?done=password")
    set_session_cookie(response, request, secret, fresh.token)
    return response


ACCOUNT_COLUMNS = (
    Column("login", "accounts.login", "code"),
    Column("display_name", "accounts.display_name"),
    Column("role", "accounts.role", "label", prefix="role."),
    Column("uscc", "accounts.uscc", "code"),
    Column("status", "accounts.status", "status"),
    Column("created_at", "accounts.created_at", "datetime"),
)
ROLES = [r.value for r in Role]
ROLE_FILTER = Filter("role", "accounts.role", tuple((r, f"role.{r}") for r in ROLES))
BLANK_FORM = {
    "login": "",
    "display_name": "",
    "role": Role.ENTERPRISE.value,
    "uscc": "",
    "duties": [],
}


def _account_row(person: Person) -> dict[str, Any]:
    account = person.account
    status = (
        "disabled"
        if account.disabled_at
        else "must_change"
        if account.must_change_password
        else "active"
    )
    return {
        "id": account.id,
        "login": account.login,
        "display_name": account.display_name,
        "role": person.role.value,
        "uscc": person.enterprise_uscc or person.provider_uscc,
        "status": status,
        "created_at": account.created_at,
    }


@dataclass(frozen=True)
class AccountsPage:
    """The account management page, as a request shows it: its listing (filtered and paged
    from the query string), what its caller may change, and a message after an action."""

    request: Request
    params: PageParams
    caller: Caller

    def show(self, session: Session, *, status_code: int = 200, **context: Any) -> Any:
        role = self.request.query_params.get("role")
        people, cursor = accounts.list_people(
            session, self.params, role=Role(role) if role in ROLES else None
        )
        table = Table.page(
            self.request,
            id="accounts",
            caption="accounts.caption",
            columns=ACCOUNT_COLUMNS,
            rows=[_account_row(p) for p in people],
            next_cursor=cursor,
            filters=[ROLE_FILTER],
        )
        values = {"form": BLANK_FORM, "shown_once": None, "notice": None, "error": None}
        return render(
            self.request,
            "accounts.html",
            status_code=status_code,
            table=table,
            may_change=SYSTEM_ADMIN.allows(self.caller),
            roles=ROLES,
            duties=[d.value for d in Duty],
            **(values | context),
        )

    def refused(self, session: Session, exc: ServiceError, **context: Any) -> Any:
        error = describe(exc, translator(self.request))
        return self.show(session, status_code=exc.status, error=error, **context)


def accounts_page_for(access: Access) -> Any:
    """The page, for callers that ``access`` lets in (reading: AUDIT_READ; changing:
    SYSTEM_ADMIN, the rules of GET and POST /v1/admin/accounts)."""

    async def page(
        request: Request,
        params: PageDep,
        caller: Caller = guard(access),  # noqa: B008 (a closure: no Annotated alias)
    ) -> AccountsPage:
        return AccountsPage(request, params, caller)

    return Depends(page)


AccountsReader = Annotated[AccountsPage, accounts_page_for(AUDIT_READ)]
AccountsAdmin = Annotated[AccountsPage, accounts_page_for(SYSTEM_ADMIN)]


@router.get("/admin/accounts")
def accounts_page(page: AccountsReader, session: SessionDep, role: Role | None = None) -> Any:
    return page.show(session)


@router.post("/admin/accounts")
def create_account(
    page: AccountsAdmin,
    session: SessionDep,
    now: NowDep,
    login: Annotated[str, Form(max_length=200)],
    display_name: Annotated[str, Form(max_length=1000)],
    role: Annotated[Role, Form()],
    uscc: Annotated[str, Form(max_length=100)] = "",
    duties: Annotated[list[Duty] | None, Form(max_length=len(Duty))] = None,
) -> Any:
    """A new account; a bureau person (role bureau) with the duties ticked."""
    password = accounts.new_password()
    created: list[Person] = []
    refused = attempt(
        session,
        lambda: created.append(
            accounts.create_account(
                session,
                login=login,
                display_name=display_name,
                role=role,
                uscc=uscc or None,
                duties=frozenset(duties or ()),
                password=password,
                must_change_password=True,
                now=now,
            )
        ),
    )
    if refused is not None:
        form = {
            "login": login,
            "display_name": display_name,
            "role": role.value,
            "uscc": uscc,
            "duties": [d.value for d in duties or ()],
        }
        return page.refused(session, refused, form=form)
    return page.show(session, shown_once={"login": created[0].account.login, "password": password})


@router.post("/admin/accounts/{account_id}/reset-password")
def reset_password(account_id: int, page: AccountsAdmin, session: SessionDep, now: NowDep) -> Any:
    password = accounts.new_password()
    person = accounts.reset_password(session, account_id, password=password, now=now)
    return page.show(session, shown_once={"login": person.account.login, "password": password})


@router.post("/admin/accounts/{account_id}/disable")
def disable_account(account_id: int, page: AccountsAdmin, session: SessionDep, now: NowDep) -> Any:
    refused = attempt(session, lambda: accounts.disable_account(session, account_id, now=now))
    if refused is not None:
        return page.refused(session, refused)
    login = accounts.get_person(session, account_id).account.login
    return page.show(session, notice=translator(page.request)("accounts.disabled", login=login))
