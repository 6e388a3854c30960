"""The usage-record table of the enterprise's and the provider's pages, and its downloads.

The rows are the API's: the page reads the same query parameters as
``GET /v1/{enterprise|provider}/{uscc}/usage-records`` (``usage.params.record_query``:
``voucher``, ``outcome``, ``from``, ``to``) and narrows them to the company by the same call
(``usage.queries.enterprise_records`` / ``provider_records``), and the downloads are the
API's export files (``usage.export.records_file``), in the page's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from voucher_service.config import get_settings
from voucher_service.console.i18n import Translator, language_of
from voucher_service.console.tables import Column, Filter, Table
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.usage import RecordKind
from voucher_service.domain.usage import Outcome
from voucher_service.exports import Format
from voucher_service.fields import parse_uscc_param
from voucher_service.pagination import PageParams, decode_cursor
from voucher_service.usage import records
from voucher_service.usage.export import records_file
from voucher_service.usage.records import RecordView
from voucher_service.usage.repository import RecordFilter

# A download holds at most this many records (the newest filters first): beyond it, narrow
# the period, or page through the API's export with its X-Next-Cursor.
EXPORT_MAX_RECORDS = 20_000

_DATE = Column("service_date", "records.service_date", "date", sort="service_date")
_ID = Column("record_id", "records.record_id", "code", sort="id")
_FIGURES = (
    Column("resource", "records.resource"),
    Column("fee_fen", "records.fee", "money", sort="fee"),
    Column("subsidy_fen", "records.subsidy", "money", sort="subsidy"),
    Column("top_up_fen", "records.top_ups", "money"),
    Column("enterprise_pays_fen", "records.enterprise_pays", "money"),
    Column("outcome", "records.outcome", "status", prefix="usage.outcome."),
    Column("reason", "records.reason", "label", prefix="usage.reason."),
)
# No kind for the enterprise: a district's layer reads "<record>+<program>", a refund "adjusted".
ENTERPRISE_COLUMNS = (
    _DATE,
    _ID,
    Column("provider", "records.provider"),
    Column("voucher_code", "records.voucher", "code"),
    *_FIGURES,
)
PROVIDER_COLUMNS = (
    _DATE,
    _ID,
    Column("kind", "records.kind", "label", prefix="usage.kind."),
    Column("enterprise_name", "names.enterprise"),
    Column("uscc", "records.enterprise", "code"),
    Column("voucher_code", "records.voucher", "code"),
    *_FIGURES,
)


def filters(
    *,
    vouchers: Sequence[str] | None = None,
    providers: Sequence[Provider] | None = None,
) -> list[Filter]:
    """The filters of a record page, named as the API names them: the service period, the
    voucher (a list of the company's own, or a text box), the provider (an enterprise's), the
    outcome."""
    found = [
        Filter("q", "search.label", input_type="search", hint="search.hint_records"),
        Filter("from", "records.from", input_type="date"),
        Filter("to", "records.to", input_type="date"),
        Filter("voucher", "records.voucher", tuple((v, v) for v in vouchers), literal_options=True)
        if vouchers is not None
        else Filter("voucher", "records.voucher"),
    ]
    if providers is not None:
        options = tuple((p.uscc, p.name) for p in providers)
        found.append(Filter("provider", "records.provider", options, literal_options=True))
    found.append(
        Filter(
            "outcome", "records.outcome", tuple((o.value, f"usage.outcome.{o}") for o in Outcome)
        )
    )
    return found


def row(view: RecordView, t: Translator, provider_names: dict[int, str]) -> dict[str, Any]:
    record = view.row
    unit = t(f"usage.unit.{record.unit}")
    return {
        **record._asdict(),
        "provider": provider_names.get(record.provider_id, ""),
        "enterprise_name": view.enterprise_name,
        "resource": f"{record.resource_model} × {record.quantity} {unit}",
        "top_up_fen": sum(layer.subsidy_fen for layer in view.top_ups) if view.top_ups else None,
        # A district's layer has no fee of its own: what the enterprise pays is on the record
        # it belongs to (the API's figure for the layer alone is its subsidy, negated).
        "enterprise_pays_fen": None
        if record.kind == RecordKind.TOP_UP
        else view.enterprise_pays_fen,
    }


def table(
    request: Request,
    session: Session,
    params: PageParams,
    where: RecordFilter,
    *,
    t: Translator,
    columns: Sequence[Column],
    record_filters: Sequence[Filter],
    provider_names: dict[int, str],
    default_sort: str | None = None,
) -> Table:
    """One page of the records ``where`` selects, as the table shows it, with its downloads:
    numbered pages, in the order asked for (``default_sort`` when none)."""
    if params.after_id == 0:  # people read numbered pages; a cursor still works
        params = params.model_copy(update={"page": params.page or 1})
        params = params.model_copy(update={"sort": params.sort or default_sort})
    found = records.list_records(session, params, where)
    views = found.items
    if not any(v.top_ups for v in views):  # most programs have no district top-up
        columns = [c for c in columns if c.key != "top_up_fen"]
    return Table.page(
        request,
        id="records",
        caption="records.caption",
        columns=columns,
        rows=[row(v, t, provider_names) for v in views],
        next_cursor=found.next_cursor,
        filters=record_filters,
        download_url=f"{request.url.path}/export",
        row_key="record_id",
        total=found.total,
        page_number=found.page,
        limit=params.limit,
    )


def every_record(session: Session, where: RecordFilter) -> list[RecordView]:
    """The records ``where`` selects, oldest first, a page at a time, up to the download's
    limit."""
    found: list[RecordView] = []
    params = PageParams(limit=get_settings().page_size_max)
    while len(found) < EXPORT_MAX_RECORDS:
        views, cursor = records.list_records(session, params, where)
        found += views
        if cursor is None:
            break
        params = PageParams(limit=params.limit, after_id=decode_cursor(cursor))
    return found[:EXPORT_MAX_RECORDS]


def download(
    request: Request, session: Session, where: RecordFilter, fmt: Format, *, uscc: str
) -> Response:
    """The records ``where`` selects of the company ``uscc`` as the API's export file (named
    as the API names it), in the page's language."""
    chinese = language_of(request) == "zh-CN"
    stem = f"usage-{parse_uscc_param(uscc)}"
    file = records_file(every_record(session, where), fmt=fmt, chinese=chinese, stem=stem)
    return file.response()
