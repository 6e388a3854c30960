"""Listing usage records, one call for the API and the console: a ``RecordQuery`` holds the
filters as a caller has them (a voucher code as typed, a provider's credit code), and
``provider_records`` / ``enterprise_records`` check them, resolve the company and give the
``RecordFilter`` every listing and export of those records reads with."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy.orm import Session

from voucher_service.domain.usage import Outcome
from voucher_service.enterprises.service import get_enterprise
from voucher_service.fields import parse_uscc_param, parse_voucher_code_param
from voucher_service.pagination import PageParams, Slice
from voucher_service.providers.service import get_provider
from voucher_service.usage.records import RecordView, list_records
from voucher_service.usage.repository import RecordFilter


@dataclass(frozen=True)
class RecordQuery:
    """The filters every record listing takes (``voucher``, ``outcome``, ``from``, ``to``),
    and, for an enterprise's, one provider (its credit code)."""

    voucher: str | None = None
    outcome: Outcome | None = None
    date_from: date | None = None
    date_to: date | None = None
    provider: str | None = None
    q: str | None = None  # the record's id, its voucher's code, the enterprise's name or code


def _filter(query: RecordQuery) -> RecordFilter:
    return RecordFilter(
        voucher_code=parse_voucher_code_param(query.voucher) if query.voucher else None,
        outcome=query.outcome,
        date_from=query.date_from,
        date_to=query.date_to,
        search=query.q,
    )


def provider_records(session: Session, uscc: str, query: RecordQuery) -> RecordFilter:
    """A provider's own records that ``query`` selects (its ``provider`` is not a filter
    here); an unknown provider is NotFound."""
    where = _filter(query)
    provider = get_provider(session, parse_uscc_param(uscc))
    return replace(where, provider_id=provider.id)


def enterprise_records(session: Session, uscc: str, query: RecordQuery) -> RecordFilter:
    """The records priced against an enterprise's vouchers that ``query`` selects, of one
    provider if it names one; an unknown enterprise or provider is NotFound."""
    where = _filter(query)
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    provider = get_provider(session, parse_uscc_param(query.provider)) if query.provider else None
    provider_id = provider.id if provider else None
    return replace(where, enterprise_id=enterprise.id, provider_id=provider_id)


def list_provider_records(
    session: Session, page: PageParams, uscc: str, query: RecordQuery
) -> Slice[RecordView]:
    """A page of a provider's records, each as it is shown."""
    return list_records(session, page, provider_records(session, uscc, query))


def list_enterprise_records(
    session: Session, page: PageParams, uscc: str, query: RecordQuery
) -> Slice[RecordView]:
    """A page of an enterprise's records, each as it is shown."""
    return list_records(session, page, enterprise_records(session, uscc, query))
