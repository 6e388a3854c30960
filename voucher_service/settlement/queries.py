"""Reading statements, one call per use case for the API and the console: a
``StatementQuery`` holds the list's filters as a caller has them (a provider's credit code,
a period, a status) and ``find_statements`` resolves them; ``provider_statement`` reads one
of a provider's own statements (another's is not found)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from voucher_service.db.tables.settlement import Statement, StatementStatus
from voucher_service.fields import parse_uscc_param
from voucher_service.pagination import PageParams, Slice
from voucher_service.providers.service import get_provider
from voucher_service.settlement.service import StatementView, get_statement, list_statements


@dataclass(frozen=True)
class StatementQuery:
    """Statements of one provider (its credit code), one period (``2026-03``), one status."""

    provider: str | None = None
    period: str | None = None
    status: StatementStatus | None = None
    q: str | None = None  # the number, part of the provider's name or credit code, the period


def find_statements(
    session: Session, page: PageParams, query: StatementQuery
) -> Slice[StatementView]:
    """A page of the statements ``query`` selects; an unknown provider is NotFound."""
    provider = get_provider(session, parse_uscc_param(query.provider)) if query.provider else None
    return list_statements(
        session,
        page,
        provider_id=provider.id if provider else None,
        period=query.period,
        status=query.status,
        q=query.q,
    )


def provider_statement(session: Session, uscc: str, statement_id: int) -> Statement:
    """One of the provider's own statements: another provider's is NotFound, as a missing
    one is."""
    provider = get_provider(session, parse_uscc_param(uscc))
    return get_statement(session, statement_id, provider_id=provider.id)
