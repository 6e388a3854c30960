"""Redemption (兑付/核销): an enterprise binds one of its vouchers to a provider, so that the
provider may deduct the subsidy at the point of sale (即领即用) and draw on the voucher.
A voucher may be redeemed with several providers; they draw on the same balance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service import audit_log
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.providers import Provider, ProviderStatus
from voucher_service.db.tables.redemptions import Redemption, RedemptionStatus
from voucher_service.db.tables.vouchers import Voucher, VoucherStatus
from voucher_service.db.types import utcnow
from voucher_service.errors import (
    AlreadyExists,
    ErrorCode,
    InvalidState,
    NotFound,
    ProviderSuspended,
)
from voucher_service.pagination import (
    PageParams,
    Slice,
    paginate_sorted,
    where_search,
)
from voucher_service.webhooks import events as webhooks

_S = TypeVar("_S", bound=Select[Any])


def redeem(
    session: Session, *, enterprise: Enterprise, voucher_code: str, provider: Provider
) -> Redemption:
    """Bind the enterprise's voucher to a provider. Another enterprise's voucher is reported
    as not found: its existence is not revealed."""
    voucher: Voucher | None = session.scalar(
        select(Voucher).where(Voucher.code == voucher_code, Voucher.enterprise_id == enterprise.id)
    )
    if voucher is None:
        raise NotFound(
            "you have no voucher {voucher_code}",
            voucher_code=voucher_code,
            code=ErrorCode.VOUCHER_NOT_FOUND,
        )
    if voucher.status != VoucherStatus.ACTIVE:
        raise InvalidState(
            "voucher {voucher_code} is {voucher_status}",
            voucher_code=voucher_code,
            voucher_status=voucher.status,
        )
    if provider.status != ProviderStatus.ACTIVE:
        raise ProviderSuspended(
            "provider {provider_uscc} is suspended: {status_reason}",
            provider_uscc=provider.uscc,
            status_reason=provider.status_reason,
        )
    existing: Redemption | None = session.scalar(
        select(Redemption)
        .where(Redemption.voucher_id == voucher.id, Redemption.provider_id == provider.id)
        .with_for_update()
    )
    if existing is not None:
        if existing.status == RedemptionStatus.ACTIVE:
            raise AlreadyExists(
                "voucher {voucher_code} is already redeemed with {provider_uscc}",
                voucher_code=voucher_code,
                provider_uscc=provider.uscc,
            )
        existing.status, existing.ended_at = RedemptionStatus.ACTIVE, None
        session.flush()
        _audit_redeem(session, existing, voucher_code, provider)
        webhooks.redemption_changed(session, existing, webhooks.EventType.REDEMPTION_CREATED)
        return existing
    redemption = Redemption(voucher_id=voucher.id, provider_id=provider.id)
    session.add(redemption)
    session.flush()
    _audit_redeem(session, redemption, voucher_code, provider)
    webhooks.redemption_changed(session, redemption, webhooks.EventType.REDEMPTION_CREATED)
    return redemption


def _audit_redeem(session: Session, redemption: Redemption, code: str, provider: Provider) -> None:
    audit_log.record(
        session,
        "redemption.create",
        "redemption",
        redemption.id,
        after={"voucher": code, "provider": provider.uscc},
    )


def get_redemption(session: Session, redemption_id: int, *, enterprise: Enterprise) -> Redemption:
    redemption: Redemption | None = session.scalar(
        select(Redemption)
        .join(Voucher, Voucher.id == Redemption.voucher_id)
        .where(Redemption.id == redemption_id, Voucher.enterprise_id == enterprise.id)
    )
    if redemption is None:
        raise NotFound(
            "you have no redemption {redemption_id}",
            redemption_id=redemption_id,
            code=ErrorCode.REDEMPTION_NOT_FOUND,
        )
    return redemption


def end_redemption(session: Session, redemption: Redemption) -> Redemption:
    """End a redemption: the provider may no longer draw on the voucher."""
    if redemption.status != RedemptionStatus.ACTIVE:
        raise InvalidState(
            "redemption {redemption_id} has already ended", redemption_id=redemption.id
        )
    redemption.status, redemption.ended_at = RedemptionStatus.ENDED, utcnow()
    session.flush()
    audit_log.record(
        session,
        "redemption.end",
        "redemption",
        redemption.id,
        before={"status": RedemptionStatus.ACTIVE},
        after={"status": RedemptionStatus.ENDED},
    )
    webhooks.redemption_changed(session, redemption, webhooks.EventType.REDEMPTION_ENDED)
    return redemption


@dataclass(frozen=True)
class RedemptionView:
    redemption: Redemption
    voucher_code: str
    uscc: str
    provider_uscc: str
    provider_name: str
    enterprise_name: str = ""


def list_redemptions(
    session: Session,
    params: PageParams,
    *,
    enterprise: Enterprise | None = None,
    provider: Provider | None = None,
    q: str | None = None,
) -> Slice[RedemptionView]:
    """The redemptions of an enterprise's vouchers or with a provider, oldest first, each with
    the names of both; ``q``: part of the voucher's code, of either's name or credit code."""
    query = _described(
        select(
            Redemption,
            Voucher.code,
            Enterprise.uscc,
            Provider.uscc,
            Provider.name,
            Enterprise.name,
        )
    )
    if enterprise is not None:
        query = query.where(Voucher.enterprise_id == enterprise.id)
    if provider is not None:
        query = query.where(Redemption.provider_id == provider.id)
    query = where_search(
        query,
        q,
        Enterprise.name,
        Enterprise.uscc,
        Provider.name,
        Provider.uscc,
        codes=[Voucher.code],
    )
    found = paginate_sorted(session, query, Redemption.id, params, {"id": Redemption.id})
    return found.map(lambda row: RedemptionView(*row))


def providers_of(session: Session, enterprise: Enterprise) -> list[Provider]:
    """The providers the enterprise has redeemed any of its vouchers with (now or before),
    in the order they were registered."""
    redeemed = (
        select(Redemption.provider_id)
        .join(Voucher, Voucher.id == Redemption.voucher_id)
        .where(Voucher.enterprise_id == enterprise.id)
    )
    return list(
        session.scalars(
            select(Provider).where(col(Provider.id).in_(redeemed)).order_by(Provider.id)
        )
    )


def _described(query: _S) -> _S:
    """Join what a redemption is known by: voucher code, holder, provider."""
    return (
        query.join(Voucher, Voucher.id == Redemption.voucher_id)
        .join(Enterprise, Enterprise.id == Voucher.enterprise_id)
        .join(Provider, Provider.id == Redemption.provider_id)
    )


def describe(session: Session, redemption: Redemption) -> RedemptionView:
    row = session.execute(
        _described(
            select(
                Voucher.code, Enterprise.uscc, Provider.uscc, Provider.name, Enterprise.name
            ).select_from(Redemption)
        ).where(Redemption.id == redemption.id)
    ).one()
    return RedemptionView(redemption, row[0], row[1], row[2], row[3], row[4])
