"""Metering endpoints: providers post usage (single, batch, adjustments) and read their records;
enterprises read the records priced against their vouchers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from voucher_service.auth.access import ENTERPRISE_SELF, PROVIDER_SELF, rule
from voucher_service.db.tables.providers import Provider
from voucher_service.deps import NowDep, PageDep, SessionDep, SettingsDep
from voucher_service.enterprises.service import get_enterprise
from voucher_service.errors import RecordConflict
from voucher_service.fields import parse_uscc_param, parse_voucher_code_param
from voucher_service.metrics import BATCH_RECORDS, INGEST
from voucher_service.pagination import Page
from voucher_service.providers.service import get_provider
from voucher_service.usage import listing, service
from voucher_service.usage.schemas import (
    AdjustmentIn,
    BatchIn,
    BatchItemOut,
    BatchOut,
    ErrorOut,
    UsageRecordIn,
    UsageRecordOut,
    parse_record,
)

provider_router = APIRouter(tags=["metering (provider)"], dependencies=rule(PROVIDER_SELF))
enterprise_router = APIRouter(tags=["my subsidy (enterprise)"], dependencies=rule(ENTERPRISE_SELF))

REPLAY_HEADER = "Idempotent-Replay"
Outcome = Literal["subsidised", "partial", "refused", "adjusted"]


def _provider(session: Session, uscc: str) -> Provider:
    return get_provider(session, parse_uscc_param(uscc))


def _single(result: service.Ingested, response: Response, session: Session) -> UsageRecordOut:
    if result.conflict is not None:
        raise RecordConflict(result.conflict)
    assert result.record is not None
    if result.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers[REPLAY_HEADER] = "true"
    originals = listing.original_record_ids(session, [result.record])
    return UsageRecordOut.of(result.record, originals.get(result.record["original_id"]))


@provider_router.post(
    "/{uscc}/usage-records",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": f"A replay: the first outcome, with `{REPLAY_HEADER}: true`."}},
)
def post_usage(
    uscc: str,
    body: UsageRecordIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> UsageRecordOut:
    """Post one usage record and get its subsidy. Retrying with the same record id and body
    returns the first outcome; the same id with another body is refused (409)."""
    provider = _provider(session, uscc)
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
    uscc: str, body: BatchIn, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Post up to 10,000 records at once; each gets its own outcome, and a bad record never
    blocks or rolls back the others."""
    provider = _provider(session, uscc)
    parsed = [parse_record(raw) for raw in body.records]
    valid = [(i, p) for i, p in enumerate(parsed) if isinstance(p, UsageRecordIn)]
    BATCH_RECORDS.observe(len(body.records))
    with INGEST.labels("batch").time():
        results = service.ingest_usage(
            session,
            provider,
            [p.report() for _, p in valid],
            now=now,
            tz=settings.tz,
            grace_days=settings.grace_days,
        )
    by_index = dict(zip((i for i, _ in valid), results, strict=True))
    items: list[BatchItemOut] = []
    subsidy_fen = 0
    for index, (raw, item) in enumerate(zip(body.records, parsed, strict=True)):
        if isinstance(item, ErrorOut):
            record_id = raw.get("record_id") if isinstance(raw, dict) else None
            items.append(
                BatchItemOut(
                    index=index,
                    record_id=record_id if isinstance(record_id, str) else None,
                    status="invalid",
                    error=item,
                )
            )
            continue
        result = by_index[index]
        if result.conflict is not None:
            items.append(
                BatchItemOut(
                    index=index,
                    record_id=result.record_id,
                    status="conflict",
                    error=ErrorOut(code=RecordConflict.code, message=result.conflict),
                )
            )
            continue
        record = result.record
        assert record is not None
        if not result.replayed:
            subsidy_fen += record["subsidy_fen"]
        items.append(
            BatchItemOut.model_construct(
                index=index,
                record_id=result.record_id,
                status="replayed" if result.replayed else "created",
                outcome=record["outcome"],
                reason=record["reason"],
                fee_yuan=record["fee_fen"],
                subsidy_yuan=record["subsidy_fen"],
                enterprise_share_yuan=record["enterprise_share_fen"],
                error=None,
            )
        )
    counts = {
        s: sum(1 for i in items if i.status == s)
        for s in ("created", "replayed", "conflict", "invalid")
    }
    reply = BatchOut.model_construct(
        created=counts["created"],
        replayed=counts["replayed"],
        conflicts=counts["conflict"],
        invalid=counts["invalid"],
        subsidy_yuan=subsidy_fen,
        results=items,
    )
    # Serialised once, here: FastAPI would otherwise validate all 10,000 items again.
    return Response(reply.model_dump_json(), media_type="application/json")


@provider_router.post(
    "/{uscc}/adjustments",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": f"A replay: the first outcome, with `{REPLAY_HEADER}: true`."}},
)
def post_adjustment(
    uscc: str, body: AdjustmentIn, response: Response, session: SessionDep, now: NowDep
) -> UsageRecordOut:
    """Refund part or all of an earlier record's fee. The subsidy the reduced fee no longer
    earns goes back to the voucher, and the enterprise's cap is restored by as much."""
    provider = _provider(session, uscc)
    result = service.adjust_usage(session, provider, body.report(), now=now)
    return _single(result, response, session)


def record_filter(
    voucher: Annotated[str | None, Query(description="Voucher code.")] = None,
    outcome: Annotated[Outcome | None, Query()] = None,
    date_from: Annotated[
        date | None, Query(alias="from", description="First service date.")
    ] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Last service date.")] = None,
) -> listing.RecordFilter:
    """The filters every record listing takes; the owner is added by the endpoint."""
    return listing.RecordFilter(
        voucher_code=parse_voucher_code_param(voucher) if voucher else None,
        outcome=outcome,
        date_from=date_from,
        date_to=date_to,
    )


FilterDep = Annotated[listing.RecordFilter, Depends(record_filter)]


def _page(session: Session, rows: list[dict], cursor: str | None) -> Page[UsageRecordOut]:  # type: ignore[type-arg]
    originals = listing.original_record_ids(session, rows)
    return Page(
        items=[UsageRecordOut.of(r, originals.get(r["original_id"])) for r in rows],
        next_cursor=cursor,
    )


@provider_router.get("/{uscc}/usage-records")
def list_provider_records(
    uscc: str,
    session: SessionDep,
    page: PageDep,
    where: FilterDep,
) -> Page[UsageRecordOut]:
    provider = _provider(session, uscc)
    where = replace(where, provider_id=provider.id)
    return _page(session, *listing.list_records(session, page, where))


@provider_router.get("/{uscc}/usage-records.csv", response_class=PlainTextResponse)
def export_provider_records(
    uscc: str,
    session: SessionDep,
    page: PageDep,
    where: FilterDep,
    headers: Annotated[Literal["en", "zh"], Query(description="Column headers.")] = "en",
) -> Response:
    """CSV export (amounts in yuan). Up to `limit` rows; the `X-Next-Cursor` header gives
    the next page."""
    provider = _provider(session, uscc)
    where = replace(where, provider_id=provider.id)
    rows, cursor = listing.list_records(session, page, where)
    body = listing.records_csv(
        rows, listing.original_record_ids(session, rows), chinese=headers == "zh"
    )
    response = Response(content=body.encode("utf-8-sig"), media_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="usage-{provider.uscc}.csv"'
    if cursor:
        response.headers["X-Next-Cursor"] = cursor
    return response


@provider_router.get("/{uscc}/usage-records/{record_id}")
def get_provider_record(uscc: str, record_id: str, session: SessionDep) -> UsageRecordOut:
    provider = _provider(session, uscc)
    assert provider.id is not None
    row = listing.get_record(session, provider.id, record_id)
    return UsageRecordOut.of(
        row, listing.original_record_ids(session, [row]).get(row["original_id"])
    )


@enterprise_router.get("/{uscc}/usage-records")
def my_usage_records(
    uscc: str,
    session: SessionDep,
    page: PageDep,
    where: FilterDep,
) -> Page[UsageRecordOut]:
    """Every record priced against my vouchers: what was charged, subsidised, and why."""
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    where = replace(where, enterprise_id=enterprise.id)
    return _page(session, *listing.list_records(session, page, where))
