"""Accounts of people (beside the API keys of machines), their sessions and second factors,
and the secret that signs the console's cookies (failed sign-ins are counted with failed
keys, in ``auth_failure``).

An account is bound to a principal (db/tables/auth.py), so a person acts with exactly the role
and the isolation of that principal's API keys: an enterprise user is the enterprise's
principal, a bureau person has a principal of their own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, Index, Integer, String, UniqueConstraint
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
    # The second factor (TOTP, RFC 6238): the shared secret (base32) from enrolment on; the
    # factor counts once the person has confirmed it with a code. The last time step a code
    # was accepted for, so a code is never accepted twice.
    totp_secret: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    totp_confirmed_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]
    totp_last_step: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))


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


class RecoveryCode(SQLModel, table=True):
    """A single-use code that stands in for the second factor (a lost phone): only its
    SHA-256 is kept (the code has 80 random bits), and when it was used."""

    __tablename__ = "recovery_code"
    __table_args__ = (UniqueConstraint("code_hash"), Index(None, "account_id"))

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", nullable=False)
    code_hash: str = Field(sa_column=Column(String(64), nullable=False))
    used_at: datetime | None = timestamp(nullable=True)  # type: ignore[assignment]


class ConsoleSecret(SQLModel, table=True):
    """The key that signs console cookies and CSRF tokens: one row, made by the migration,
    shared by every API process through the database (no configuration to keep in step)."""

    __tablename__ = "console_secret"

    id: int = Field(primary_key=True)
    secret: str = Field(sa_column=Column(String(128), nullable=False))
