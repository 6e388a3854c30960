"""Who receives a notification: the people (accounts) of an enterprise, of a provider, or of
the bureau holding a duty. Disabled accounts receive nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service.db.tables.accounts import Account
from voucher_service.db.tables.auth import LEGACY_DUTIES, Duty, Principal, Role


@dataclass(frozen=True)
class Person:
    account_id: int
    display_name: str


@dataclass(frozen=True)
class Recipients:
    """A group of people, resolved to accounts when a notification is written."""

    enterprise_id: int | None = None
    provider_id: int | None = None
    duty: Duty | None = None

    def condition(self) -> ColumnElement[bool]:
        if self.enterprise_id is not None:
            return col(Principal.enterprise_id) == self.enterprise_id
        if self.provider_id is not None:
            return col(Principal.provider_id) == self.provider_id
        assert self.duty is not None
        legacy = [role.value for role, duties in LEGACY_DUTIES.items() if self.duty in duties]
        return or_(
            Principal.role.in_(legacy),  # type: ignore[attr-defined]
            (Principal.role == Role.BUREAU) & Principal.duties.contains(self.duty.value),  # type: ignore[attr-defined]
        )

    def people(self, session: Session) -> list[Person]:
        rows = session.execute(
            select(Account.id, Account.display_name)
            .join(Principal, Principal.id == Account.principal_id)
            .where(self.condition(), Account.disabled_at.is_(None))  # type: ignore[union-attr]
            .order_by(Account.id)
        )
        return [Person(account_id, name) for account_id, name in rows]


def of_enterprise(enterprise_id: int | None) -> Recipients:
    """The people who act for an enterprise."""
    assert enterprise_id is not None
    return Recipients(enterprise_id=enterprise_id)


def of_provider(provider_id: int | None) -> Recipients:
    """The people who act for a provider."""
    assert provider_id is not None
    return Recipients(provider_id=provider_id)


def of_bureau(duty: Duty) -> Recipients:
    """The bureau's people holding ``duty`` (the legacy roles that imply it included)."""
    return Recipients(duty=duty)
