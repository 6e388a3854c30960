"""The console's own pages: sign-in (password, then the second factor's code when the
account has one) and sign-out, the password change, setting up a second factor, and the
bureau's account management, unlocking and removing a second factor included (the
bureau's, enterprises' and providers' pages are in their packages).

Each page is guarded like its API endpoint, with the same access rule object
(``guard(AUDIT_READ)`` here, ``rule(AUDIT_READ)`` on ``GET /v1/admin/accounts``). Handlers
stay thin: parse the form, call one service function, render. A form whose service call is
refused is shown again with the reason; the call ran in a savepoint, so nothing of it is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from voucher_service.accounts import second_factor, signin
from voucher_service.accounts import service as accounts
from voucher_service.accounts.passwords import new_password
from voucher_service.accounts.service import Person
from voucher_service.accounts.sessions import SessionPolicy, SignedIn, end_session, start_session
from voucher_service.auth.access import (
    AUDIT_READ,
    SYSTEM_ADMIN,
    Access,
)
from voucher_service.auth.service import Caller
from voucher_service.config import Settings
from voucher_service.console.auth import (
    PasswordChangeRequired,
    SecretDep,
    SignedInDep,
    clear_session_cookie,
    guard,
    pending_account,
    pending_second_factor,
    set_session_cookie,
    signed_in_or_none,
)
from voucher_service.console.formatting import local_datetime
from voucher_service.console.i18n import Translator, language_of
from voucher_service.console.tables import Column, Filter, Table
from voucher_service.console.templating import render
from voucher_service.console.viewer import CONSOLE, Viewer
from voucher_service.db.tables.auth import Duty, Role
from voucher_service.deps import NowDep, PageDep, SessionDep, SettingsDep
from voucher_service.error_language import say
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
    """A refusal in the page's language: its code's message, else a generic one, with the
    service's own message, said in the page's language, as the detail."""
    key = f"code.{exc.code}"
    return t(key if key in t else "code.other", detail=say(exc.template, exc.params, t.language))


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(url: str | None) -> str:
    """Only a path inside the console: never another site (an open redirect)."""
    if url and url.startswith(f"{CONSOLE}/") and not url.startswith("//") and "\\" not in url:
        return url
    return ""


def notice(request: Request, done: Mapping[str, str] = DONE) -> str | None:
    """The notice a redirect asked for (``?done=``), if ``done`` names it."""
    key = done.get(request.query_params.get("done", ""))
    return translator(request)(key) if key else None


def attempt(session: Session, action: Callable[[], Any]) -> ServiceError | None:
    """Run a service call in a savepoint; a refusal is returned (for the form), not raised."""
    try:
        with session.begin_nested():
            action()
    except ServiceError as exc:
        return exc
    return None


def act_then(
    session: Session, action: Callable[[], Any], done: str, refused: Callable[[ServiceError], Any]
) -> Any:
    """A form's service call (``action``, in a savepoint), then on to ``done`` (the page
    with its notice: post, redirect, get) or, refused, ``refused(refusal)``: the page again
    saying why (nothing of the call is kept)."""
    refusal = attempt(session, action)
    return redirect(done) if refusal is None else refused(refusal)


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
        pending=None,
        error=None,
        notice=notice(request) or required,
    )


def client_of(request: Request) -> str:
    """The client's address as the gate read it (through the trusted proxies)."""
    return getattr(request.state, "client", None) or "unknown"


@dataclass(frozen=True)
class SignInStep:
    """What each step of signing in (the password, then the code) works with (not the
    database session: ``DatabaseRoute`` hands that to the handler only)."""

    request: Request
    now: datetime
    secret: bytes
    settings: Settings

    def form_again(self, error: str, status_code: int, **context: Any) -> Any:
        """The sign-in form again (its code step when ``pending`` is given), saying why."""
        values = {"notice": None, "pending": None, "login": ""} | context
        return render(self.request, "sign_in.html", status_code=status_code, error=error, **values)

    def refused(self, exc: ServiceError, **context: Any) -> Any:
        """The sign-in form (or its code step) again, saying why: wrong, disabled, or slowed
        down until a given time (with ``Retry-After``)."""
        t = translator(self.request)
        if isinstance(exc, TooManyFailures):
            until = local_datetime(self.now + timedelta(seconds=exc.retry_after))
            error = t("sign_in.throttled", until=until)
        else:
            error = t(
                {
                    ErrorCode.ACCOUNT_DISABLED: "sign_in.disabled",
                    ErrorCode.WRONG_CODE: "sign_in.wrong_code",
                }.get(exc.code, "sign_in.wrong")
            )
        response = self.form_again(error, exc.status, **context)
        if isinstance(exc, TooManyFailures):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    def signed_in(
        self, session: Session, person: Person, *, next: str, second: str | None
    ) -> RedirectResponse:
        """A new session for the browser, and on to the page it asked for."""
        new = start_session(
            session,
            person,
            policy=SessionPolicy.of(self.settings),
            client=client_of(self.request),
            second_factor=second,
            now=self.now,
        )
        response = redirect(safe_next(next) or Viewer.of(person).overview_path)
        set_session_cookie(response, self.request, self.secret, new.token)
        return response


async def sign_in_step(
    request: Request, now: NowDep, secret: SecretDep, settings: SettingsDep
) -> SignInStep:
    return SignInStep(request, now, secret, settings)


SignInStepDep = Annotated[SignInStep, Depends(sign_in_step)]


@router.post("/sign-in")
def sign_in(
    step: SignInStepDep,
    session: SessionDep,
    login: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Any:
    """The password first: the right one always passes (a refusal is counted and recorded,
    and this request commits normally). An account with a second factor is asked its code."""
    again = {"next": safe_next(next), "login": login}
    try:
        person = signin.check_password(
            session,
            login=login,
            password=password,
            client=client_of(step.request),
            now=step.now,
        )
    except (TooManyFailures, Unauthorized) as exc:
        return step.refused(exc, **again)
    if second_factor.enrolled(person.account):
        pending = pending_second_factor(step.secret, person.account.id, step.now)
        return render(
            step.request, "sign_in.html", error=None, notice=None, pending=pending, **again
        )
    return step.signed_in(session, person, next=next, second=None)


@router.post("/sign-in/code")
def sign_in_code(
    step: SignInStepDep,
    session: SessionDep,
    pending: Annotated[str, Form(max_length=200)],
    code: Annotated[str, Form(max_length=100)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Any:
    """The second factor: a code from the app, or a recovery code (used up)."""
    account_id = pending_account(step.secret, pending, step.now)
    if account_id is None:  # forged, or the five minutes have passed: the password again
        expired = translator(step.request)("sign_in.code_expired")
        return step.form_again(expired, 401, next=safe_next(next))
    person = accounts.get_person(session, account_id)
    again = {"next": safe_next(next), "login": person.account.login, "pending": pending}
    try:
        if person.account.disabled_at is not None:
            raise Unauthorized("account disabled", code=ErrorCode.ACCOUNT_DISABLED)
        method = signin.check_second_factor(
            session, person, code=code, client=client_of(step.request), now=step.now
        )
    except (TooManyFailures, Unauthorized) as exc:
        return step.refused(exc, **again)
    return step.signed_in(session, person, next=next, second=method)


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep, signed: MaybeSignedIn) -> RedirectResponse:
    """The session ends in the database (the old cookie signs nobody in, anywhere) and the
    browser forgets it; pages are never stored (``Cache-Control: no-store``), so Back
    asks the server, which sends the browser to sign in."""
    if signed is not None:
        end_session(session, signed)
    response = redirect(f"{CONSOLE}/sign-in?done=signed_out")
    clear_session_cookie(response, request)
    return response


def second_factor_page(request: Request, *, status_code: int = 200, **context: Any) -> Any:
    """The set-up page: the secret to type or import and a form for a code from the app;
    or the factor on (its recovery codes shown once, right after it was turned on)."""
    values: dict[str, Any] = {"enrolled": False, "required": False, "enrolment": None}
    values |= {"error": None, "recovery_codes": None, "codes_left": 0}
    return render(request, "second_factor.html", status_code=status_code, **(values | context))


@router.get("/second-factor")
def show_second_factor(
    request: Request, signed: SignedInDep, session: SessionDep, settings: SettingsDep
) -> Any:
    """Set up the second factor (a TOTP app), or see that it is on."""
    person = signed.person
    if person.account.must_change_password:
        raise PasswordChangeRequired
    if second_factor.enrolled(person.account):
        left = second_factor.recovery_codes_left(session, person.account.id)
        return second_factor_page(request, enrolled=True, codes_left=left)
    return second_factor_page(
        request,
        required=second_factor.applies_to(person, required=settings.require_second_factor),
        enrolment=second_factor.new_enrolment(person.account),
    )


@router.post("/second-factor")
def confirm_second_factor(
    request: Request,
    session: SessionDep,
    now: NowDep,
    signed: SignedInDep,
    secret: Annotated[str, Form(max_length=64)],
    code: Annotated[str, Form(max_length=100)],
) -> Any:
    """Turn the factor on with a code from the app; the recovery codes, shown once."""
    account = signed.person.account
    account_id: int = account.id  # type: ignore[assignment]
    codes: list[str] = []
    refused = attempt(
        session,
        lambda: codes.extend(
            second_factor.confirm_enrolment(session, account_id, secret=secret, code=code, now=now)
        ),
    )
    if refused is not None:
        return second_factor_page(
            request,
            status_code=refused.status,
            enrolment=second_factor.retry_enrolment(account, secret),
            error=describe(refused, translator(request)),
        )
    return second_factor_page(request, enrolled=True, recovery_codes=codes, codes_left=len(codes))


@router.get("/password")
def password_page(request: Request, signed: SignedInDep) -> Any:
    return render(request, "password.html", error=None)


@router.post("/password")
def change_password(
    request: Request,
    session: SessionDep,
    now: NowDep,
    secret: SecretDep,
    settings: SettingsDep,
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
    fresh = start_session(
        session,
        person,
        policy=SessionPolicy.of(settings),
        client=client_of(request),
        now=now,
    )
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


def _account_row(person: Person, slowed: set[str]) -> dict[str, Any]:
    account = person.account
    status = (
        "disabled"
        if account.disabled_at
        else "slowed"
        if account.login in slowed
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
        "second_factor": account.totp_secret is not None,
    }


@dataclass(frozen=True)
class AccountsPage:
    """The account management page, as a request shows it: its listing (filtered and paged
    from the query string), what its caller may change, and a message after an action."""

    request: Request
    params: PageParams
    caller: Caller
    now: datetime

    def show(self, session: Session, *, status_code: int = 200, **context: Any) -> Any:
        role = self.request.query_params.get("role")
        people, cursor = accounts.list_people(
            session, self.params, role=Role(role) if role in ROLES else None
        )
        slowed = signin.slowed_down(session, [p.account.login for p in people], now=self.now)
        table = Table.page(
            self.request,
            id="accounts",
            caption="accounts.caption",
            columns=ACCOUNT_COLUMNS,
            rows=[_account_row(p, slowed) for p in people],
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
        now: NowDep,
        caller: Caller = guard(access),  # noqa: B008 (a closure: no Annotated alias)
    ) -> AccountsPage:
        return AccountsPage(request, params, caller, now)

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
    password = new_password()
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
    password = new_password()
    person = accounts.reset_password(session, account_id, password=password, now=now)
    return page.show(session, shown_once={"login": person.account.login, "password": password})


@router.post("/admin/accounts/{account_id}/disable")
def disable_account(account_id: int, page: AccountsAdmin, session: SessionDep, now: NowDep) -> Any:
    refused = attempt(session, lambda: accounts.disable_account(session, account_id, now=now))
    if refused is not None:
        return page.refused(session, refused)
    login = accounts.get_person(session, account_id).account.login
    return page.show(session, notice=translator(page.request)("accounts.disabled", login=login))


@router.post("/admin/accounts/{account_id}/unlock")
def unlock_account(account_id: int, page: AccountsAdmin, session: SessionDep) -> Any:
    """Lift the slow-down on the person's sign-ins and second-factor codes."""
    login = signin.unlock(session, account_id).account.login
    return page.show(session, notice=translator(page.request)("accounts.unlocked", login=login))


@router.post("/admin/accounts/{account_id}/remove-second-factor")
def remove_second_factor(account_id: int, page: AccountsAdmin, session: SessionDep) -> Any:
    """A lost phone and no recovery code left: the person sets a new factor up."""
    refused = attempt(session, lambda: second_factor.remove(session, account_id))
    if refused is not None:
        return page.refused(session, refused)
    login = accounts.get_person(session, account_id).account.login
    notice = translator(page.request)("accounts.second_factor_removed", login=login)
    return page.show(session, notice=notice)
