"""The audit log and the head of its hash chain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.types import BigInt, UTCDateTime


class AuditEntry(SQLModel, table=True):
    """Who did what, when, with the values before and after. Written unchained in the
    action's own transaction; a sealing step later gives it its place in the hash chain
    (seq, prev_hash, hash). Sealed entries cannot be changed (trigger in the migration)."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        UniqueConstraint("seq"),
        Index(None, "target_type", "target_id"),
        Index(None, "action"),
        Index(None, "principal_id"),
        Index(None, "occurred_at"),
        # The entries the sealer has still to chain, a few at any time (migration 0016).
        Index(
            "ix_audit_entry_unsealed",
            "id",
            postgresql_where=text("hash IS NULL"),
            sqlite_where=text("hash IS NULL"),
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInt, primary_key=True))
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    principal_id: int | None = None
    key_id: int | None = None
    actor: str = Field(sa_column=Column(String(250), nullable=False))
    action: str = Field(sa_column=Column(String(60), nullable=False))
    target_type: str = Field(sa_column=Column(String(40), nullable=False))
    target_id: str = Field(sa_column=Column(String(100), nullable=False))
    before: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    after: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    seq: int | None = Field(default=None, sa_column=Column(BigInt, nullable=True))
    prev_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


class AuditChainHead(SQLModel, table=True):
    """The end of the audit chain: one row, locked while entries are sealed."""

    __tablename__ = "audit_chain_head"

    id: int = Field(primary_key=True)
    seq: int = Field(sa_column=Column(BigInt, nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False))
