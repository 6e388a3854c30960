"""Every person's inbox (SME, provider, bureau): their notifications, newest first, marked
read one by one or all at once, and the page where they choose which events also come by
mail. A person sees only their own messages (another's is 404)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request

from voucher_service.console.auth import SignedInDep
from voucher_service.console.i18n import language_of
from voucher_service.console.pages import attempt, describe, notice, redirect, translator
from voucher_service.console.templating import render
from voucher_service.console.viewer import CONSOLE
from voucher_service.deps import NowDep, SessionDep
from voucher_service.notifications import service as notifications
from voucher_service.notifications.events import audience_of
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)

INBOX = f"{CONSOLE}/inbox"
SHOWN = 200  # the newest messages a page shows (older ones are pruned once read)
DONE = {"read": "inbox.done_read", "mail": "inbox.done_mail"}


def _account(signed: SignedInDep) -> int:
    account_id = signed.person.account.id
    assert account_id is not None
    return account_id


@router.get("/inbox")
def inbox_page(request: Request, session: SessionDep, signed: SignedInDep) -> Any:
    account_id = _account(signed)
    messages = notifications.inbox(session, account_id, language=language_of(request), limit=SHOWN)
    return render(
        request,
        "inbox.html",
        messages=messages,
        unread=notifications.unread_count(session, account_id),
        notice=notice(request, DONE),
        error=None,
    )


@router.post("/inbox/read")
def read_all(session: SessionDep, now: NowDep, signed: SignedInDep) -> Any:
    notifications.mark_all_read(session, _account(signed), now=now)
    return redirect(f"{INBOX}?done=read")


@router.post("/inbox/{message_id}/read")
def read_one(message_id: int, session: SessionDep, now: NowDep, signed: SignedInDep) -> Any:
    notifications.mark_read(session, _account(signed), message_id, now=now)
    return redirect(INBOX)


def _mail_page(request: Request, session: SessionDep, signed: SignedInDep, **context: Any) -> Any:
    role = signed.person.role
    choice = notifications.mail_choice(session, _account(signed), audience_of(role))
    context.setdefault("address", choice.address)
    context.setdefault("chosen", {e.value for e in choice.events})
    context.setdefault("notice", None)
    return render(request, "inbox_mail.html", offered=choice.offered, **context)


@router.get("/inbox/mail")
def mail_page(request: Request, session: SessionDep, signed: SignedInDep) -> Any:
    return _mail_page(request, session, signed, error=None)


@router.post("/inbox/mail")
def choose_mail(
    request: Request,
    session: SessionDep,
    now: NowDep,
    signed: SignedInDep,
    address: Annotated[str, Form(max_length=320)] = "",
    events: Annotated[list[str] | None, Form(max_length=40)] = None,
) -> Any:
    chosen = events or []
    refused = attempt(
        session,
        lambda: notifications.choose_mail(
            session,
            _account(signed),
            audience_of(signed.person.role),
            address=address,
            events=chosen,
            now=now,
        ),
    )
    if refused is not None:
        return _mail_page(
            request,
            session,
            signed,
            address=address,
            chosen=set(chosen),
            error=describe(refused, translator(request)),
            status_code=refused.status,
        )
    return redirect(f"{INBOX}?done=mail")
