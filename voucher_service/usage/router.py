"""Metering endpoints: providers post usage (single, batch, adjustments) and read their records;
enterprises read the records priced against their vouchers."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile, status
from sqlalchemy.orm import Session

from voucher_service.auth.access import ENTERPRISE_SELF, PROVIDER_SELF, CallerDep, rule
from voucher_service.db.tables.providers import Provider
from voucher_service.deps import NowDep, PageDep, SessionDep, SettingsDep
from voucher_service.errors import RecordConflict
from voucher_service.exports import MEDIA_TYPES, Format
from voucher_service.fields import (
    USCC,
    RecordRef,
    parse_uscc_param,
)
from voucher_service.metrics import BATCH_RECORDS, INGEST
from voucher_service.pagination import Page, PageParams
from voucher_service.providers.service import get_provider
from voucher_service.routing import DatabaseRoute, downloads
from voucher_service.usage import adjustments, batches, queries, records, service, upload
from voucher_service.usage.export import records_file
from voucher_service.usage.params import RecordPages, RecordQueryDep
from voucher_service.usage.repository import RecordFilter
from voucher_service.usage.schemas import (
    AdjustmentIn,
    BatchIn,
    BatchOut,
    UsageRecordIn,
    UsageRecordOut,
    parse_batch,
)

provider_router = APIRouter(
    route_class=DatabaseRoute, tags=["metering (provider)"], dependencies=rule(PROVIDER_SELF)
)
enterprise_router = APIRouter(
    route_class=DatabaseRoute, tags=["my subsidy (enterprise)"], dependencies=rule(ENTERPRISE_SELF)
)

REPLAY_HEADER = "Idempotent-Replay"


def _provider(session: Session, uscc: str) -> Provider:
    return get_provider(session, parse_uscc_param(uscc))


async def calling_provider(uscc: USCC, caller: CallerDep) -> service.CallingProvider:
    """The provider posting: the caller itself (the access rule made sure a well-formed
    credit code in the path is the caller's), with no second look-up."""
    parse_uscc_param(uscc)  # a malformed one is refused here, as everywhere (422)
    return service.CallingProvider.of(caller)


Poster = Annotated[service.CallingProvider, Depends(calling_provider)]


def _single(result: service.Ingested, response: Response, session: Session) -> UsageRecordOut:
    if result.conflict is not None:
        raise RecordConflict(
            "record id {record_id!r} was already used with another body", record_id=result.record_id
        )
    assert result.record is not None
    if result.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers[REPLAY_HEADER] = "true"
    [view] = records.describe(session, [result.record])
    return UsageRecordOut.of(view)


@provider_router.post(
    "/{uscc}/usage-records",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": f"A replay: the first outcome, with `{REPLAY_HEADER}: true`."}},
)
def post_usage(
    body: UsageRecordIn,
    response: Response,
    provider: Poster,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> UsageRecordOut:
    """Post one usage record and get its subsidy. Retrying with the same record id and body
    returns the first outcome; the same id with another body is refused (409)."""
    with INGEST.labels("single").time():
        [result] = service.ingest_usage(
            session,
            provider,
            [body.report()],
            now=now,
            tz=settings.tz,
            grace_days=settings.grace_days,
        )
    return _single(result, response, session)


@provider_router.post("/{uscc}/usage-records/batch", response_model=BatchOut)
def post_usage_batch(
    body: BatchIn, provider: Poster, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Post up to 10,000 records at once; each gets its own outcome, and a bad record never
    blocks or rolls back the others."""
    BATCH_RECORDS.observe(len(body.records))
    with INGEST.labels("batch").time():
        result = batches.ingest_batch(
            session,
            provider,
            parse_batch(body.records),
            now=now,
            tz=settings.tz,
            grace_days=settings.grace_days,
        )
    # Serialised once, here: FastAPI would otherwise validate all 10,000 items again.
    return Response(BatchOut.json_of(result), media_type="application/json")


@provider_router.post("/{uscc}/usage-records/upload", response_model=BatchOut)
def upload_usage(
    file: Annotated[UploadFile, File(description="A CSV or XLSX in the template's layout.")],
    provider: Poster,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """Post a spreadsheet of usage records (CSV or XLSX, docs/provider.md): each row goes
    through the batch path and gets its outcome as a batch's record does; uploading the same
    file again replays it. A file that cannot be read as a whole is refused (422
    ``invalid_upload``) and nothing of it is posted."""
    body = file.file.read(upload.MAX_UPLOAD_BYTES + 1)
    uploaded = upload.ingest_file(
        session, provider, body, now=now, tz=settings.tz, grace_days=settings.grace_days
    )
    return Response(BatchOut.json_of(uploaded.result), media_type="application/json")


@provider_router.post(
    "/{uscc}/adjustments",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": f"A replay: the first outcome, with `{REPLAY_HEADER}: true`."}},
)
def post_adjustment(
    body: AdjustmentIn, response: Response, provider: Poster, session: SessionDep, now: NowDep
) -> UsageRecordOut:
    """Refund part or all of an earlier record's fee. The subsidy the reduced fee no longer
    earns goes back to the voucher, and the enterprise's cap is restored by as much."""
    result = adjustments.adjust_usage(session, provider, body.report(), now=now)
    return _single(result, response, session)


@provider_router.get("/{uscc}/usage-records")
def list_provider_records(
    uscc: USCC, session: SessionDep, page: RecordPages, query: RecordQueryDep
) -> Page[UsageRecordOut]:
    """My records, oldest first (``sort``: another order, with numbered pages)."""
    found = queries.list_provider_records(session, page, uscc, query)
    return Page.of(found, UsageRecordOut.of)


Headers = Annotated[Literal["en", "zh"], Query(description="Column headers.")]
EXPORT = {
    "response_class": Response,
    "responses": downloads(*MEDIA_TYPES.values()),
    "description": "CSV, or XLSX of one sheet (amounts in yuan; `headers=zh` for Chinese "
    "headers and values). Up to `limit` records; the `X-Next-Cursor` header gives the next page.",
}


def _export(
    session: Session, page: PageParams, where: RecordFilter, fmt: Format, headers: str, stem: str
) -> Response:
    described, cursor = records.list_records(session, page, where)
    file = records_file(described, fmt=fmt, chinese=headers == "zh", stem=stem)
    response = file.response()
    if cursor:
        response.headers["X-Next-Cursor"] = cursor
    return response


@provider_router.get("/{uscc}/usage-records.{fmt}", summary="Export my usage records", **EXPORT)
def export_provider_records(
    uscc: USCC,
    fmt: Format,
    session: SessionDep,
    page: PageDep,
    query: RecordQueryDep,
    headers: Headers = "en",
) -> Response:
    where = queries.provider_records(session, uscc, query)
    return _export(session, page, where, fmt, headers, f"usage-{parse_uscc_param(uscc)}")


@provider_router.get("/{uscc}/usage-records/{record_id}")
def get_provider_record(uscc: USCC, record_id: RecordRef, session: SessionDep) -> UsageRecordOut:
    provider = _provider(session, uscc)
    assert provider.id is not None
    return UsageRecordOut.of(records.get_record(session, provider.id, record_id))


ProviderQuery = Annotated[
    USCC | None, Query(alias="provider", description="Only this provider's (its credit code).")
]


@enterprise_router.get("/{uscc}/usage-records")
def my_usage_records(
    uscc: USCC,
    session: SessionDep,
    page: RecordPages,
    query: RecordQueryDep,
    provider: ProviderQuery = None,
) -> Page[UsageRecordOut]:
    """Every record priced against my vouchers: what was charged, subsidised, and why
    (``sort=-service_date``: the newest first, with numbered pages)."""
    query = replace(query, provider=provider)
    return Page.of(queries.list_enterprise_records(session, page, uscc, query), UsageRecordOut.of)


@enterprise_router.get("/{uscc}/usage-records.{fmt}", summary="Export my usage records", **EXPORT)
def export_my_usage_records(
    uscc: USCC,
    fmt: Format,
    session: SessionDep,
    page: PageDep,
    query: RecordQueryDep,
    provider: ProviderQuery = None,
    headers: Headers = "en",
) -> Response:
    where = queries.enterprise_records(session, uscc, replace(query, provider=provider))
    return _export(session, page, where, fmt, headers, f"usage-{parse_uscc_param(uscc)}")
