"""My posted records (计量记录), refusals and their reasons included, as
``GET /v1/provider/{uscc}/usage-records`` lists them (filters: period, voucher, outcome),
and their download as CSV or XLSX (the API's ``usage-records.csv|xlsx``).

For a provider without an API integration, the same page takes a spreadsheet of records
(``POST .../records/upload``, the API's ``usage-records/upload``: one call,
``usage.upload.ingest_file``) and shows each row's outcome as the batch endpoint gives it;
the template to fill in is at ``.../records/template?format=csv|xlsx``. Each usage record
has a link to dispute it (``provider/disputes.py``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from sqlalchemy.orm import Session

from voucher_service.auth.access import PROVIDER_SELF
from voucher_service.console.auth import guard
from voucher_service.console.i18n import language_of
from voucher_service.console.pages import attempt, describe, translator
from voucher_service.console.people import records
from voucher_service.console.tables import Column, Table
from voucher_service.console.templating import render
from voucher_service.db.tables.usage import RecordKind
from voucher_service.deps import NowDep, SessionDep, SettingsDep
from voucher_service.exports import MEDIA_TYPES, ExportFile, Format
from voucher_service.fields import parse_uscc_param
from voucher_service.pagination import PageParams
from voucher_service.providers.service import get_provider
from voucher_service.routing import DatabaseRoute
from voucher_service.usage import upload
from voucher_service.usage.batches import ItemStatus
from voucher_service.usage.params import RecordPages, RecordQueryDep
from voucher_service.usage.queries import RecordQuery, provider_records

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(PROVIDER_SELF)])

DISPUTE = Column("dispute", "records.dispute_column", link="dispute_url")
OUTCOME_COLUMNS = (
    Column("row", "upload.row", "number"),
    Column("record_id", "records.record_id", "code"),
    Column("status", "upload.status", "label", prefix="upload.status."),
    Column("outcome", "records.outcome", "label", prefix="usage.outcome."),
    Column("reason", "records.reason", "label", prefix="usage.reason."),
    Column("fee_fen", "records.fee", "money"),
    Column("subsidy_fen", "records.subsidy", "money"),
    Column("enterprise_share_fen", "upload.enterprise_share", "money"),
    Column("error", "upload.error"),
)


def _records_table(
    request: Request, session: Session, uscc: str, page: PageParams, query: RecordQuery
) -> Table:
    t = translator(request)
    table = records.table(
        request,
        session,
        page,
        provider_records(session, uscc, query),
        t=t,
        columns=records.PROVIDER_COLUMNS,
        record_filters=records.filters(),
        provider_names={},
    )
    base = request.url.path.removesuffix("/upload")
    rows = [
        {
            **row,
            "dispute": t("records.dispute") if row["kind"] == RecordKind.USAGE else None,
            "dispute_url": f"{base}/{row['record_id']}/dispute"
            if row["kind"] == RecordKind.USAGE
            else None,
        }
        for row in table.rows
    ]
    table = replace(table, columns=[*table.columns, DISPUTE], rows=rows)
    if base != request.url.path:  # shown after an upload: the listing's links are the page's
        downloads = {fmt: f"{base}/export?format={fmt}" for fmt in table.download_urls}
        table = replace(table, url=base, download_urls=downloads)
    return table


def _show(request: Request, table: Table, *, status_code: int = 200, **context: Any) -> Any:
    return render(
        request,
        "provider/records.html",
        status_code=status_code,
        table=table,
        export_limit=records.EXPORT_MAX_RECORDS,
        upload_limit_rows=upload.MAX_UPLOAD_ROWS,
        upload_limit_mb=upload.MAX_UPLOAD_BYTES >> 20,
        records_url=request.url.path.removesuffix("/upload"),
        **({"error": None, "notice": None, "uploaded": None, "outcomes": None} | context),
    )


@router.get("/{uscc}/records")
def records_page(
    uscc: str, request: Request, session: SessionDep, page: RecordPages, query: RecordQueryDep
) -> Any:
    return _show(request, _records_table(request, session, uscc, page, query))


@router.get("/{uscc}/records/export")
def records_download(
    uscc: str,
    request: Request,
    session: SessionDep,
    query: RecordQueryDep,
    fmt: Annotated[Format, Query(alias="format")] = "csv",
) -> Response:
    scoped = provider_records(session, uscc, query)
    return records.download(request, session, scoped, fmt, uscc=uscc)


@router.get("/{uscc}/records/template")
def upload_template(
    uscc: str, request: Request, fmt: Annotated[Format, Query(alias="format")] = "xlsx"
) -> Response:
    """The spreadsheet to fill in: the headers (Chinese on the Chinese page) and one example."""
    chinese = language_of(request) == "zh-CN"
    body = upload.template(fmt, chinese=chinese)
    return ExportFile(f"usage-records-template.{fmt}", MEDIA_TYPES[fmt], body).response()


@router.post("/{uscc}/records/upload")
def upload_records(
    uscc: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    file: Annotated[UploadFile, File()],
) -> Any:
    """``POST /v1/provider/{uscc}/usage-records/upload``: each row's outcome, shown above
    the records; a file that cannot be read is refused whole, with the reason."""
    provider = get_provider(session, parse_uscc_param(uscc))
    body = file.file.read(upload.MAX_UPLOAD_BYTES + 1)
    done: list[upload.Uploaded] = []

    def act() -> None:
        done.append(
            upload.ingest_file(
                session, provider, body, now=now, tz=settings.tz, grace_days=settings.grace_days
            )
        )

    refused = attempt(session, act)
    table = _records_table(request, session, uscc, PageParams(), RecordQuery())
    if refused is not None:
        error = describe(refused, translator(request))
        return _show(request, table, status_code=refused.status, error=error)
    [uploaded] = done
    counts = {status.value: uploaded.result.count(status) for status in ItemStatus}
    return _show(
        request,
        table,
        uploaded=uploaded,
        counts=counts,
        outcomes=_outcomes(uploaded),
        file_name=file.filename,
    )


def _outcomes(uploaded: upload.Uploaded) -> Table:
    rows = []
    for item in uploaded.result.items:
        record = item.record
        rows.append(
            {
                "row": uploaded.file.row_numbers[item.index],
                "record_id": item.record_id or "—",
                "status": item.status.value,
                "outcome": record.outcome if record else None,
                "reason": record.reason if record else None,
                "fee_fen": record.fee_fen if record else None,
                "subsidy_fen": record.subsidy_fen + item.top_up_fen if record else None,
                "enterprise_share_fen": record.enterprise_share_fen - item.top_up_fen
                if record
                else None,
                "error": item.error,
            }
        )
    return Table.whole("upload-outcomes", "upload.outcomes", OUTCOME_COLUMNS, rows, row_key="row")
