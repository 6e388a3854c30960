"""Accounts of people (beside the API keys of machines), their sessions, the sign-in failure
counters, and the secret that signs the console's cookies.

An account is bound to a principal (db/tables/auth.py), so a person acts with exactly the role
and the isolation of that principal's API keys: an enterprise user is the enterprise's
principal, a bureau person has a principal of their own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from voucher_service.db import base  # noqa: F401  (naming convention before any table)
from voucher_service.db.columns import timestamp
from voucher_service.db.types import UTCDateTime


class Account(SQLModel, table=True):
    """A person who signs in to the console. Only an argon2 hash of the password is kept."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("login"), Index(None, "principal_id"))

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(sa_column=Column(String(64), nullable=False))
    display_name: str = Field(sa_column=Column(String(200), nullable=False))
    principal_id: int = Field(foreign_key="principal.id", nullable=False)
    password_hash: str = Field(sa_column=Column(String(200), nullable=False))
    # Set when the bureau gave the password (creation, reset): the person must choose their own.
    must_change_password: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, default=False)
    )
    created_at: datetime = timestamp()  # type: ignore[assignment]
    password_changed_at: datetime = timestamp()  # type: ignore[assignment]
    disabled_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]


class AccountSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored.
    Sign-out, a password change or reset and disabling the account delete the row, which ends
    the session in every API process at once: nothing about sessions is kept in memory."""

    __tablename__ = "account_session"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        Index(None, "account_id"),
        Index(None, "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False))
    account_id: int = Field(foreign_key="account.id", nullable=False)
    created_at: datetime = timestamp()  # type: ignore[assignment]
    last_seen_at: datetime = timestamp()  # type: ignore[assignment]
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class SignInFailure(SQLModel, table=True):
    """Failed sign-ins per login name and per client address, in a fixed window. Rows whose
    window has passed are deleted as new failures arrive, so the table stays small."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (UniqueConstraint("source"), Index(None, "window_start"))

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(sa_column=Column(String(200), nullable=False))
    window_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    failures: int


class ConsoleSecret(SQLModel, table=True):
    """The key that signs console cookies and CSRF tokens: one row, made by the migration,
    shared by every API process through the database (no configuration to keep in step)."""

    __tablename__ = "console_secret"

    id: int = Field(primary_key=True)
    secret: str = Field(sa_column=Column(String(128), nullable=False))
