"""Column helpers shared by the tables of every capability."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, String
from sqlmodel import Field

from voucher_service.db.types import BigInt, UTCDateTime, utcnow


def money(**kw: object) -> object:
    return Field(sa_column=Column(BigInt, nullable=False, **kw))


def timestamp(nullable: bool = False) -> object:
    return Field(
        default_factory=utcnow if not nullable else None,
        sa_column=Column(UTCDateTime, nullable=nullable),
    )


def one_of(column: str, values: type[StrEnum], *, name: str = "status_known") -> CheckConstraint:
    """A CHECK that ``column`` holds one of an enum's values: the vocabulary is written once,
    in the enum, and the database refuses anything else."""
    listed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


def status_column(default: StrEnum) -> object:
    """A status column (16 characters, never null) starting at ``default``."""
    return Field(default=default.value, sa_column=Column(String(16), nullable=False))
