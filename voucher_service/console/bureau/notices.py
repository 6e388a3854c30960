"""The reviewers' side of materials and public notice: an application's documents (download),
the objections queue, and upholding or dismissing an objection — the same service calls,
under the same rules, as ``/v1/admin/objections`` and ``.../materials``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request

from voucher_service.auth.access import BUREAU_READ, REVIEW
from voucher_service.console.auth import guard
from voucher_service.console.bureau.common import allows
from voucher_service.console.pages import act_then, describe, redirect, translator
from voucher_service.console.templating import render
from voucher_service.console.viewer import CONSOLE
from voucher_service.db.tables.paperwork import ObjectionStatus
from voucher_service.deps import NowDep, SessionDep
from voucher_service.materials import service as materials
from voucher_service.materials.files import download_response
from voucher_service.notices import service
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)
QUEUE = f"{CONSOLE}/bureau/objections"


@router.get(
    "/bureau/applications/{application_id}/materials/{document_id}",
    dependencies=[guard(BUREAU_READ)],
)
def download(application_id: int, document_id: int, session: SessionDep) -> Any:
    owner = materials.application_owner(session, application_id)
    return download_response(materials.download(session, owner, document_id))


def _queue(
    request: Request, session: SessionDep, *, error: str | None = None, status: int = 200
) -> Any:
    done = request.query_params.get("done") == "decided"
    return render(
        request,
        "bureau/objections.html",
        status_code=status,
        objections=service.list_objections(session, status=ObjectionStatus.OPEN),
        may_decide=allows(request, REVIEW),
        error=error,
        notice=translator(request)("objection.decided") if done else None,
    )


@router.get("/bureau/objections", dependencies=[guard(BUREAU_READ)])
def objections_page(request: Request, session: SessionDep) -> Any:
    return _queue(request, session)


@router.post("/bureau/objections/{objection_id}/{verdict}", dependencies=[guard(REVIEW)])
def decide(
    objection_id: int,
    verdict: str,
    request: Request,
    session: SessionDep,
    now: NowDep,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Any:
    act = {"uphold": service.uphold, "dismiss": service.dismiss}.get(verdict)
    if act is None:
        return redirect(QUEUE)
    return act_then(
        session,
        lambda: act(session, objection_id, reason=reason, now=now),
        f"{QUEUE}?done=decided",
        lambda refused: _queue(
            request, session, error=describe(refused, translator(request)), status=refused.status
        ),
    )
