"""Column helpers shared by the tables of every capability."""

from __future__ import annotations

from sqlalchemy import Column
from sqlmodel import Field

from voucher_service.db.types import BigInt, UTCDateTime, utcnow


def money(**kw: object) -> object:
    return Field(sa_column=Column(BigInt, nullable=False, **kw))


def timestamp(nullable: bool = False) -> object:
    return Field(
        default_factory=utcnow if not nullable else None,
        sa_column=Column(UTCDateTime, nullable=nullable),
    )
