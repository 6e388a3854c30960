"""Compute providers: registration with a catalogue, suspension and reinstatement."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from voucher_service.audit import service as audit
from voucher_service.db.tables.providers import Provider, ProviderOffering, ProviderStatusChange
from voucher_service.errors import AlreadyExists, ErrorCode, InvalidInput, InvalidState, NotFound
from voucher_service.pagination import PageParams, paginate

ACTIVE, SUSPENDED = "active", "suspended"


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
        raise AlreadyExists(f"provider {uscc} is already registered")
    keys = [(o.resource_kind, o.resource_model, o.unit) for o in offerings]
    if len(set(keys)) != len(keys):
        raise InvalidInput("the catalogue lists the same resource and unit twice")
    provider = Provider(uscc=uscc, name=name)
    session.add(provider)
    session.flush()
    session.add_all(ProviderOffering(provider_id=provider.id, **o.__dict__) for o in offerings)
    session.flush()
    audit.record(
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
        raise NotFound(f"no provider with credit code {uscc}", code=ErrorCode.PROVIDER_NOT_FOUND)
    return provider


def offerings_of(session: Session, provider_id: int) -> list[ProviderOffering]:
    return list(
        session.scalars(
            select(ProviderOffering)
            .where(ProviderOffering.provider_id == provider_id)
            .order_by(ProviderOffering.id)
        )
    )


def list_providers(
    session: Session, params: PageParams, *, status: str | None = None
) -> tuple[list[Provider], str | None]:
    query = select(Provider)
    if status is not None:
        query = query.where(Provider.status == status)
    return paginate(session, query, Provider.id, params)


def set_status(session: Session, provider: Provider, *, status: str, reason: str) -> Provider:
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
        raise InvalidState(f"provider {locked.uscc} is already {status}")
    audit.record(
        session,
        "provider.suspend" if status == SUSPENDED else "provider.reinstate",
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


def status_history(session: Session, provider_id: int) -> list[ProviderStatusChange]:
    return list(
        session.scalars(
            select(ProviderStatusChange)
            .where(ProviderStatusChange.provider_id == provider_id)
            .order_by(ProviderStatusChange.id)
        )
    )
