"""Paperwork: the documents (materials) filed with an application, a model selection or a
claim after payment, and the objections raised against an application in public notice (公示)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, Integer, LargeBinary, String
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import one_of, timestamp

ONE_OWNER = (
    "(application_id IS NOT NULL AND selection_id IS NULL AND claim_id IS NULL)"
    " OR (application_id IS NULL AND selection_id IS NOT NULL AND claim_id IS NULL)"
    " OR (application_id IS NULL AND selection_id IS NULL AND claim_id IS NOT NULL)"
)


class Document(SQLModel, table=True):
    """One uploaded document. The bytes live in the row, so the database's backups (and
    point-in-time recovery) hold them with the decisions they support."""

    __tablename__ = "document"
    __table_args__ = (
        # Exactly one owner: an application, a model selection or a claim.
        CheckConstraint(ONE_OWNER, name="one_owner"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        Index(None, "application_id"),
        Index(None, "selection_id"),
        Index(None, "claim_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", nullable=False)
    application_id: int | None = Field(default=None, foreign_key="application.id")
    selection_id: int | None = Field(default=None, foreign_key="model_selection.id")
    claim_id: int | None = Field(default=None, foreign_key="claim.id")
    kind: str = Field(sa_column=Column(String(40), nullable=False))
    filename: str = Field(sa_column=Column(String(200), nullable=False))
    media_type: str = Field(sa_column=Column(String(40), nullable=False))
    size_bytes: int = Field(sa_column=Column(Integer, nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: str = Field(sa_column=Column(String(250), nullable=False))
    created_at: datetime = timestamp()  # type: ignore[assignment]


class ObjectionStatus(StrEnum):
    OPEN = "open"  # waiting in the reviewers' queue
    UPHELD = "upheld"  # the application went back to review
    DISMISSED = "dismissed"


class Objection(SQLModel, table=True):
    """An objection to an application in public notice, from the public form."""

    __tablename__ = "objection"
    __table_args__ = (
        one_of("status", ObjectionStatus),
        Index(None, "application_id"),
        Index(None, "status"),
        Index(None, "client_key", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", nullable=False)
    name: str = Field(sa_column=Column(String(100), nullable=False))
    contact: str = Field(sa_column=Column(String(200), nullable=False))
    text: str = Field(sa_column=Column(String(2000), nullable=False))
    # A keyed hash of the sender's address: what the rate limit counts, never the address.
    client_key: str = Field(sa_column=Column(String(64), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    decision_reason: str | None = Field(default=None, sa_column=Column(String(1000)))
    decided_by: str | None = Field(default=None, sa_column=Column(String(250)))
    decided_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    created_at: datetime = timestamp()  # type: ignore[assignment]
