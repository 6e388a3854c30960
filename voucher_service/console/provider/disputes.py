"""My disputes (异议): disputing one of my usage records with a reason (the record's page,
``POST /v1/provider/{uscc}/usage-records/{record_id}/disputes``), and the list of my
disputes with the bureau's decision on each (``GET /v1/provider/{uscc}/disputes``). The
calls are the API's (``disputes.service``); nothing here moves money."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session

from voucher_service.auth.access import PROVIDER_SELF
from voucher_service.console import pages
from voucher_service.console.auth import guard
from voucher_service.console.pages import attempt, describe, redirect, translator
from voucher_service.console.people.disputes import COLUMNS, dispute_row, labels
from voucher_service.console.people.records import row as record_row
from voucher_service.console.tables import Table
from voucher_service.console.templating import render
from voucher_service.db.tables.providers import Provider
from voucher_service.deps import NowDep, PageDep, SessionDep
from voucher_service.disputes import service
from voucher_service.fields import parse_uscc_param
from voucher_service.pagination import PageParams
from voucher_service.providers.service import get_provider
from voucher_service.routing import DatabaseRoute
from voucher_service.usage import records

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(PROVIDER_SELF)])

DONE = {"disputed": "disputes.raised"}


def _provider(session: Session, uscc: str) -> Provider:
    return get_provider(session, parse_uscc_param(uscc))


def _record_page(
    request: Request,
    session: Session,
    provider: Provider,
    record_id: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    reason: str = "",
) -> Any:
    assert provider.id is not None
    view = records.get_record(session, provider.id, record_id)
    t = translator(request)
    mine, _ = service.list_disputes(session, PageParams(limit=100), provider_id=provider.id)
    earlier = [dispute_row(v) for v in mine if v.record_id == record_id]
    return render(
        request,
        "provider/dispute.html",
        status_code=status_code,
        record=record_row(view, t, {}),
        labels=labels(t, view.row.outcome, view.row.reason, None),
        disputable=view.row.kind == "usage" and not any(d["status"] == "open" for d in earlier),
        earlier=Table.whole("record-disputes", "disputes.of_record", COLUMNS, earlier, "id"),
        disputes_url=f"{request.url.path.split('/records/')[0]}/disputes",
        records_url=f"{request.url.path.split('/records/')[0]}/records",
        error=error,
        notice=None,
        reason=reason,
    )


@router.get("/{uscc}/records/{record_id:path}/dispute")
def dispute_page(uscc: str, record_id: str, request: Request, session: SessionDep) -> Any:
    """The record, its earlier disputes, and the form to dispute it."""
    return _record_page(request, session, _provider(session, uscc), record_id)


@router.post("/{uscc}/records/{record_id:path}/dispute")
def raise_dispute(
    uscc: str,
    record_id: str,
    request: Request,
    session: SessionDep,
    now: NowDep,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Any:
    provider = _provider(session, uscc)
    assert provider.id is not None
    provider_id = provider.id
    refused = attempt(
        session, lambda: service.raise_dispute(session, provider_id, record_id, reason, now=now)
    )
    if refused is not None:
        error = describe(refused, translator(request))
        return _record_page(
            request,
            session,
            provider,
            record_id,
            status_code=refused.status,
            error=error,
            reason=reason,
        )
    return redirect(f"{request.url.path.split('/records/')[0]}/disputes?done=disputed")


@router.get("/{uscc}/disputes")
def disputes_page(uscc: str, request: Request, session: SessionDep, page: PageDep) -> Any:
    """My disputes, oldest first, with the bureau's decision on each."""
    provider = _provider(session, uscc)
    views, cursor = service.list_disputes(session, page, provider_id=provider.id)
    table = Table.page(
        request,
        id="disputes",
        caption="disputes.mine",
        columns=COLUMNS,
        rows=[dispute_row(v) for v in views],
        next_cursor=cursor,
        row_key="id",
    )
    return render(
        request,
        "provider/disputes.html",
        table=table,
        notice=pages.notice(request, DONE),
        error=None,
    )
