"""Compute providers: registration with a catalogue, suspension and reinstatement."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service import audit_log
from voucher_service.db.tables.providers import (
    Provider,
    ProviderOffering,
    ProviderStatus,
    ProviderStatusChange,
)
from voucher_service.errors import AlreadyExists, ErrorCode, InvalidInput, InvalidState, NotFound
from voucher_service.pagination import PageParams, paginate, where_given


@dataclass(frozen=True)
class Offering:
    resource_kind: str
    resource_model: str
    unit: str
    list_price_fen: int


def register_provider(
    session: Session, *, uscc: str, name: str, offerings: list[Offering]
) -> Provider:
    """Register a provider (its credit code already validated) with its price list."""
    if session.scalar(select(Provider.id).where(Provider.uscc == uscc)) is not None:
        raise AlreadyExists("provider {uscc} is already registered", uscc=uscc)
    keys = [(o.resource_kind, o.resource_model, o.unit) for o in offerings]
    if len(set(keys)) != len(keys):
        raise InvalidInput("the catalogue lists the same resource and unit twice")
    provider = Provider(uscc=uscc, name=name)
    session.add(provider)
    session.flush()
    session.add_all(ProviderOffering(provider_id=provider.id, **o.__dict__) for o in offerings)
    session.flush()
    audit_log.record(
        session,
        "provider.register",
        "provider",
        uscc,
        after={"name": name, "offerings": [o.__dict__ for o in offerings]},
    )
    return provider


def get_provider(session: Session, uscc: str) -> Provider:
    provider: Provider | None = session.scalar(select(Provider).where(Provider.uscc == uscc))
    if provider is None:
        raise NotFound(
            "no provider with credit code {uscc}", uscc=uscc, code=ErrorCode.PROVIDER_NOT_FOUND
        )
    return provider


def all_providers(session: Session) -> list[Provider]:
    """Every provider, in the order they were registered (for the command line and the
    network view: a few dozen, never a page's worth)."""
    return list(session.scalars(select(Provider).order_by(Provider.id)))


def list_providers(
    session: Session, params: PageParams, *, status: ProviderStatus | None = None
) -> tuple[list[Provider], str | None]:
    query = where_given(select(Provider), (Provider.status, status))
    return paginate(session, query, Provider.id, params)


def set_status(
    session: Session, provider: Provider, *, status: ProviderStatus, reason: str
) -> Provider:
    """Suspend or reinstate a provider; the reason is kept in its status history."""
    if not reason.strip():
        raise InvalidInput("a reason is required", code=ErrorCode.REASON_REQUIRED)
    locked: Provider | None = session.scalar(
        select(Provider)
        .where(Provider.id == provider.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert locked is not None
    if locked.status == status:
        raise InvalidState("provider {uscc} is already {status}", uscc=locked.uscc, status=status)
    audit_log.record(
        session,
        "provider.suspend" if status is ProviderStatus.SUSPENDED else "provider.reinstate",
        "provider",
        locked.uscc,
        before={"status": locked.status},
        after={"status": status, "reason": reason.strip()},
    )
    locked.status = status
    locked.status_reason = reason.strip()
    session.add(ProviderStatusChange(provider_id=locked.id, status=status, reason=reason.strip()))
    session.flush()
    return locked


@dataclass(frozen=True)
class ProviderView:
    """A provider with its price list and its status history (oldest first)."""

    provider: Provider
    offerings: list[ProviderOffering]
    history: list[ProviderStatusChange]


def describe(session: Session, providers: list[Provider]) -> list[ProviderView]:
    """The views of ``providers``, in their order: two queries for any number of them."""
    ids = [p.id for p in providers]
    offerings = _per_provider(session, ProviderOffering, ids)
    history = _per_provider(session, ProviderStatusChange, ids)
    return [ProviderView(p, offerings[p.id], history[p.id]) for p in providers]


def _per_provider(session: Session, model: Any, ids: list[int | None]) -> dict[Any, list[Any]]:
    """The rows of ``model`` belonging to each of the providers ``ids``, oldest first."""
    found: dict[Any, list[Any]] = defaultdict(list)
    query = select(model).where(col(model.provider_id).in_(ids)).order_by(model.id)
    for row in session.scalars(query):
        found[row.provider_id].append(row)
    return found
