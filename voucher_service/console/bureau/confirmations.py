"""The checker's queue (待复核): proposals waiting for a second person — an approval or a
revocation above the program's second-review amount (a reviewer checks it), a pool, a rule
version, a top-up layer or a second-review amount (a program administrator checks it) —
with who proposed what and the difference it makes, in the reader's language; confirm or
reject another's where one holds its duty, withdraw one's own. Guarded like ``GET
/v1/admin/confirmations`` (reading BUREAU_READ) and its ``confirm``, ``reject`` and
``withdraw`` (CHECK; the service checks each kind's duty), calling the same service
functions (``confirmations.service``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request

from voucher_service.auth.access import BUREAU_READ, CHECK
from voucher_service.auth.proposals import DUTY_OF, ConfirmationView, payload_of
from voucher_service.auth.service import Caller
from voucher_service.confirmations import service
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import notice
from voucher_service.console.bureau.menu import BUREAU
from voucher_service.console.formatting import yuan
from voucher_service.console.i18n import Translator
from voucher_service.console.pages import act_then, describe, translator
from voucher_service.console.templating import render
from voucher_service.db.tables.confirmations import ConfirmationKind
from voucher_service.deps import NowDep, SessionDep, TodayDep
from voucher_service.errors import ServiceError
from voucher_service.programs.settings import ProgramSettings
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)
PAGE = f"{BUREAU}/confirmations"


@dataclass(frozen=True)
class QueueItem:
    """A proposal as the queue shows it: what it does in words, and what the viewer may do."""

    view: ConfirmationView
    said: str
    may_decide: bool  # another's, of a kind the viewer's duties check
    may_withdraw: bool  # the viewer's own


def _item(view: ConfirmationView, caller: Caller, t: Translator) -> QueueItem:
    row = view.confirmation
    mine = row.proposed_by_id == caller.principal_id
    holds = DUTY_OF[ConfirmationKind(row.kind)] in caller.duties
    return QueueItem(
        view,
        said(row.kind, {"target": row.target_id, **payload_of(row)}, row.summary, t),
        holds and not mine,
        mine,
    )


def said(kind: str, payload: dict[str, Any], summary: str, t: Translator) -> str:
    """What a proposal does, in the reader's language (the catalogue's
    ``confirmations.kind.*``); the service's own words where the catalogue has none."""
    key = f"confirmations.kind.{kind}"
    if key not in t:
        return summary
    values = {k: yuan(v) if k.endswith("_fen") and v is not None else v for k, v in payload.items()}
    for amount in ("before_fen", "second_review_above_fen"):
        if amount in payload and payload[amount] is None:
            values[amount] = t("confirmations.never")
    if "rate_bp" in payload:
        values["rate"] = f"{payload['rate_bp'] / 100:g}%"
    if "ceiling_bp" in payload:
        values["ceiling"] = f"{payload['ceiling_bp'] / 100:g}%"
    if "voucher_validity" in payload:
        settings = ProgramSettings.from_payload(payload)
        values["validity"] = t(
            f"programs.validity.{settings.voucher_validity.value}",
            months=settings.voucher_validity_months,
        )
        values["fields"] = "、".join(f.name for f in settings.fields())
    return t(key, **values)


def _page(
    request: Request, session: SessionDep, caller: Caller, error: ServiceError | None = None
) -> Any:
    t = translator(request)
    items = [_item(view, caller, t) for view in service.waiting(session, None)]
    return render(
        request,
        "bureau/confirmations.html",
        status_code=error.status if error else 200,
        items=items,
        error=describe(error, t) if error else None,
        notice=notice(request),
    )


@router.get("/bureau/confirmations")
def queue(
    request: Request, session: SessionDep, caller: Annotated[Caller, guard(BUREAU_READ)]
) -> Any:
    """Every pending proposal, oldest first: another's to confirm or reject, one's own to
    withdraw."""
    return _page(request, session, caller)


@router.post("/bureau/confirmations/{confirmation_id}/{verb}")
def decide(
    confirmation_id: int,
    verb: Literal["confirm", "reject", "withdraw"],
    request: Request,
    session: SessionDep,
    today: TodayDep,
    now: NowDep,
    caller: Annotated[Caller, guard(CHECK)],
) -> Any:
    """``POST /v1/admin/confirmations/{id}/confirm`` (``reject``, ``withdraw``)."""

    def act() -> None:
        if verb == "confirm":
            service.confirm(session, confirmation_id, today=today, now=now)
        elif verb == "reject":
            service.reject(session, confirmation_id, now=now)
        else:
            service.withdraw(session, confirmation_id, now=now)

    return act_then(
        session,
        act,
        f"{PAGE}?done={DONE[verb]}",
        lambda refused: _page(request, session, caller, refused),
    )


DONE = {"confirm": "confirmed", "reject": "proposal_rejected", "withdraw": "withdrawn"}
