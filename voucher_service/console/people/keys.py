"""My API keys, for an enterprise's or a provider's person: create (the key is shown once),
list, revoke. The same service functions and schema as ``/v1/{enterprise|provider}/{uscc}/keys``
(``auth.router._self_service``), guarded by the same rule; the key belongs to the company's
principal, as one its API caller makes, and the audit log names the person who made it.

Rotation, as the API has it: create a new key, switch the system to it, revoke the old one.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session

from voucher_service.auth import service as keys
from voucher_service.auth.access import Access
from voucher_service.auth.schemas import SelfKeyCreate
from voucher_service.auth.service import Caller, KeyView, NewKey
from voucher_service.config import get_settings
from voucher_service.console.auth import guard
from voucher_service.console.formatting import last_day
from voucher_service.console.pages import translator
from voucher_service.console.people.forms import Refused, act_on, read_form
from voucher_service.console.people.pages import done, notice
from voucher_service.console.tables import Column, Table
from voucher_service.console.templating import render
from voucher_service.deps import NowDep, SessionDep

COLUMNS = (
    Column("prefix", "keys.prefix", "code"),
    Column("name", "keys.name"),
    Column("status", "keys.status", "status", prefix="key.status."),
    Column("created_at", "keys.created_at", "datetime"),
    Column("last_used_at", "keys.last_used_at", "datetime"),
    Column("expires_at", "keys.expires_at", "date"),  # the last day it works
)
LABELS = {"name": "keys.name", "expires_at": "keys.expires_on"}


def status_of(view: KeyView, now: datetime) -> str:
    key = view.key
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"


def expiry(text: str) -> datetime | str | None:
    """The form's last day (``2026-12-31``, in the program's timezone, inclusive) as the
    instant the key stops working: midnight after it. Anything else goes to the schema as
    typed, which refuses it."""
    if not text.strip():
        return None
    try:
        last_day = date.fromisoformat(text.strip())
    except ValueError:
        return text
    return datetime.combine(last_day + timedelta(days=1), time(0), get_settings().tz)


def show(
    request: Request,
    session: Session,
    caller: Caller,
    now: datetime,
    *,
    status_code: int = 200,
    **context: Any,
) -> Any:
    """The key page of ``caller``'s company: its keys, and ``context`` (an error, a new key)."""
    views = keys.list_keys(session, principal_id=caller.principal_id)
    rows = [
        {
            "prefix": v.key.prefix,
            "name": v.key.name,
            "status": status_of(v, now),
            "created_at": v.key.created_at,
            "last_used_at": v.key.last_used_at,
            "expires_at": last_day(v.key.expires_at) if v.key.expires_at else None,
        }
        for v in views
    ]
    table = Table.whole("keys", "keys.caption", COLUMNS, rows, row_key="prefix")
    values = {"shown_once": None, "error": None, "notice": notice(request), "name": ""}
    return render(
        request, "people/keys.html", status_code=status_code, table=table, **(values | context)
    )


def create(
    request: Request, session: Session, caller: Caller, now: datetime, name: str, expires_on: str
) -> Any:
    """The create form: the page with the new key shown once, or with the refusal."""
    t = translator(request)

    def act() -> NewKey:
        data = {"name": name, "expires_at": expiry(expires_on)}
        body = read_form(SelfKeyCreate, data, t, LABELS)
        return keys.create_own_key(
            session, caller, name=body.name, expires_at=body.expires_at, now=now
        )

    made = act_on(session, t, act)
    if isinstance(made, Refused):
        return show(request, session, caller, now, **made.shown())
    shown = {"key": made.key, "name": made.view.key.name}
    return show(request, session, caller, now, status_code=201, shown_once=shown)


def revoke(request: Request, session: Session, caller: Caller, now: datetime, prefix: str) -> Any:
    """The revoke form: back to the page with a notice, or the page with the refusal."""
    refused = act_on(
        session,
        translator(request),
        lambda: keys.revoke_key(session, prefix, now=now, principal_id=caller.principal_id),
    )
    if isinstance(refused, Refused):
        return show(request, session, caller, now, **refused.shown())
    return done(request.url.path.removesuffix(f"/{prefix}/revoke"), "revoked")


def key_pages(router: APIRouter, access: Access) -> None:
    """The key page and its two forms at ``/{uscc}/keys`` of ``router``, guarded by ``access``
    (the routes are declared here, where ``access`` is known; what they do is above)."""

    @router.get("/{uscc}/keys")
    def keys_page(
        uscc: str,
        request: Request,
        session: SessionDep,
        now: NowDep,
        caller: Caller = guard(access),  # noqa: B008 (a closure: no Annotated alias)
    ) -> Any:
        return show(request, session, caller, now)

    @router.post("/{uscc}/keys")
    def create_key(
        uscc: str,
        request: Request,
        session: SessionDep,
        now: NowDep,
        name: Annotated[str, Form(max_length=1000)] = "",
        expires_on: Annotated[str, Form(max_length=40)] = "",
        caller: Caller = guard(access),  # noqa: B008 (a closure: no Annotated alias)
    ) -> Any:
        return create(request, session, caller, now, name, expires_on)

    @router.post("/{uscc}/keys/{prefix}/revoke")
    def revoke_key(
        uscc: str,
        prefix: str,
        request: Request,
        session: SessionDep,
        now: NowDep,
        caller: Caller = guard(access),  # noqa: B008 (a closure: no Annotated alias)
    ) -> Any:
        return revoke(request, session, caller, now, prefix)
