"""Disputes over HTTP: the provider raises and reads its own
(``/v1/provider/{uscc}/usage-records/{record_id}/disputes``, ``/v1/provider/{uscc}/disputes``);
the bureau reads the queue (BUREAU_READ) and a reviewer (REVIEW) accepts or declines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from voucher_service.auth.access import BUREAU_READ, PROVIDER_SELF, REVIEW, rule
from voucher_service.db.tables.disputes import DisputeStatus
from voucher_service.deps import NowDep, PageDep, SessionDep
from voucher_service.disputes import service
from voucher_service.disputes.schemas import AcceptIn, DeclineIn, DisputeIn, DisputeOut
from voucher_service.fields import USCC, Id, RecordId, parse_uscc_param
from voucher_service.pagination import Page
from voucher_service.providers.service import get_provider
from voucher_service.routing import DatabaseRoute

provider_router = APIRouter(
    route_class=DatabaseRoute, tags=["metering (provider)"], dependencies=rule(PROVIDER_SELF)
)
admin_router = APIRouter(route_class=DatabaseRoute, tags=["disputes (bureau)"])


def _provider_id(session: SessionDep, uscc: str) -> int:
    provider = get_provider(session, parse_uscc_param(uscc))
    assert provider.id is not None
    return provider.id


@provider_router.post(
    "/{uscc}/usage-records/{record_id}/disputes", status_code=status.HTTP_201_CREATED
)
def raise_dispute(
    uscc: USCC, record_id: RecordId, body: DisputeIn, session: SessionDep, now: NowDep
) -> DisputeOut:
    """Dispute one of my usage records (refused or priced), with a reason. One open dispute
    per record (409 ``dispute_open``); refunds and top-up layers are not disputable (409
    ``not_disputable``): dispute the usage record they belong to."""
    provider_id = _provider_id(session, uscc)
    return DisputeOut.of(
        service.raise_dispute(session, provider_id, record_id, body.reason, now=now)
    )


StatusQuery = Annotated[DisputeStatus | None, Query(description="open, accepted or declined.")]


@provider_router.get("/{uscc}/disputes")
def my_disputes(
    uscc: USCC, session: SessionDep, page: PageDep, status: StatusQuery = None
) -> Page[DisputeOut]:
    """My disputes, oldest first, with the bureau's decision on each."""
    views, cursor = service.list_disputes(
        session, page, provider_id=_provider_id(session, uscc), status=status
    )
    return Page(items=[DisputeOut.of(v) for v in views], next_cursor=cursor)


@provider_router.get("/{uscc}/disputes/{dispute_id}")
def my_dispute(uscc: USCC, dispute_id: Id, session: SessionDep) -> DisputeOut:
    provider_id = _provider_id(session, uscc)
    return DisputeOut.of(service.get_dispute(session, dispute_id, provider_id=provider_id))


@admin_router.get("/disputes", dependencies=rule(BUREAU_READ))
def dispute_queue(
    session: SessionDep, page: PageDep, status: StatusQuery = None
) -> Page[DisputeOut]:
    """Disputes, oldest first: ``status=open`` is the queue waiting for a reviewer."""
    views, cursor = service.list_disputes(session, page, status=status)
    return Page(items=[DisputeOut.of(v) for v in views], next_cursor=cursor)


@admin_router.get("/disputes/{dispute_id}", dependencies=rule(BUREAU_READ))
def get_dispute(dispute_id: Id, session: SessionDep) -> DisputeOut:
    return DisputeOut.of(service.get_dispute(session, dispute_id))


@admin_router.post("/disputes/{dispute_id}/accept", dependencies=rule(REVIEW))
def accept(dispute_id: Id, body: AcceptIn, session: SessionDep, now: NowDep) -> DisputeOut:
    """Accept an open dispute, naming the correction agreed: ``repost`` (the provider posts
    the work again under a new record id), ``refund`` (an adjustment of the disputed record)
    or ``none``. No money moves here: the correction goes through the ordinary paths, and
    ``correction_record_id`` names its record when it exists already."""
    return DisputeOut.of(service.decide(session, dispute_id, body.decision(), now=now))


@admin_router.post("/disputes/{dispute_id}/decline", dependencies=rule(REVIEW))
def decline(dispute_id: Id, body: DeclineIn, session: SessionDep, now: NowDep) -> DisputeOut:
    """Decline an open dispute with a reason: the record stands as priced."""
    return DisputeOut.of(service.decide(session, dispute_id, body.decision(), now=now))
