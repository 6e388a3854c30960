"""API keys and the principals they belong to.

A key looks like ``vsk_k7d2m9qa_Xs8...`` — a public prefix (how it is found and named in
lists and logs) and a 256-bit secret. Only the SHA-256 of the whole key is stored: the key is
shown once, at creation. A principal may hold several keys so that they can be rotated
(create the new key, switch clients over, revoke the old one); keys may expire.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service import audit_log
from voucher_service.auth import throttle
from voucher_service.auth.duties import check_duties, duties_of
from voucher_service.db.statements import first_row
from voucher_service.db.tables.auth import (
    ApiKey,
    Duty,
    Principal,
    Role,
    format_duties,
    parse_duties,
)
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.providers import Provider
from voucher_service.errors import (
    ErrorCode,
    InvalidInput,
    InvalidState,
    NotFound,
    Unauthorized,
)
from voucher_service.metrics import AUTH_FAILURES
from voucher_service.pagination import where_given

KEY_PREFIX = "vsk"
# Failed authentications are throttled per key prefix (from anywhere) and per client
# address (auth/throttle.py, shared with console passwords); a correct key is never refused.
FAILURE_LIMIT = 10  # per existing key prefix
_PREFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_PREFIX_SET = frozenset(_PREFIX_ALPHABET)
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    """The authenticated principal of a request, and the key it used (no key: a person
    signed in to the console, see accounts/)."""

    principal_id: int
    role: Role
    name: str
    key_id: int | None
    key_prefix: str | None
    enterprise_id: int | None = None
    enterprise_uscc: str | None = None
    provider_id: int | None = None
    provider_uscc: str | None = None
    # A provider's standing, read with the key: metering refuses a suspended provider's
    # records without looking the provider up again.
    provider_status: str | None = None
    provider_status_reason: str = ""
    # A bureau person's duties (what the access rules check); none for the others.
    duties: frozenset[Duty] = frozenset()


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a well-formed key, else None."""
    parts = key.split("_", 2)  # the secret may itself contain "_"
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 8 or len(parts[2]) < 32:
        return None
    if not set(parts[1]) <= _PREFIX_SET:
        return None
    return parts[1], parts[2]


def principal_for(
    session: Session,
    role: Role,
    *,
    name: str | None = None,
    enterprise: Enterprise | None = None,
    provider: Provider | None = None,
    duties: frozenset[Duty] = frozenset(),
) -> Principal:
    """The principal of an enterprise, a provider, or a named bureau person (made if new,
    with ``duties``: see ``duties.check_duties``). An existing bureau person keeps theirs:
    duties change only through ``duties.set_duties``, by someone else."""
    if role is Role.ENTERPRISE:
        if enterprise is None:
            raise InvalidInput("an enterprise key needs the enterprise's credit code")
        where = Principal.enterprise_id == enterprise.id
        name = enterprise.name
    elif role is Role.PROVIDER:
        if provider is None:
            raise InvalidInput("a provider key needs the provider's credit code")
        where = Principal.provider_id == provider.id
        name = provider.name
    else:
        if not name:
            raise InvalidInput("a bureau key needs the name of the person or system holding it")
        where = (Principal.role == role.value) & (Principal.name == name)
    principal: Principal | None = session.scalar(select(Principal).where(where))
    if principal is None:
        principal = Principal(
            role=role.value,
            name=name,
            enterprise_id=enterprise.id if enterprise else None,
            provider_id=provider.id if provider else None,
            duties=format_duties(check_duties(role, duties)),
        )
        session.add(principal)
        session.flush()
    elif duties and frozenset(duties) != duties_of(principal):
        raise InvalidInput(
            (
                "{name} already holds {value}: change a person's duties with "
                "PUT /v1/admin/people/{{name}}/duties"
            ),
            name=name,
            value=principal.duties or "no duties",
            code=ErrorCode.DUTIES_CONFLICT,
        )
    return principal


def key_holder(
    session: Session,
    role: Role,
    *,
    name: str | None = None,
    uscc: str | None = None,
    duties: frozenset[Duty] = frozenset(),
) -> Principal:
    """The principal a new key is for: the bureau user or system called ``name``, or the
    enterprise or provider whose credit code is ``uscc`` (looked up in its table here, so that
    access control needs none of the capabilities built on it)."""
    enterprise = provider = None
    if role is Role.ENTERPRISE and uscc:
        enterprise = _by_credit_code(session, Enterprise, uscc, ErrorCode.ENTERPRISE_NOT_FOUND)
    if role is Role.PROVIDER and uscc:
        provider = _by_credit_code(session, Provider, uscc, ErrorCode.PROVIDER_NOT_FOUND)
    return principal_for(
        session, role, name=name, enterprise=enterprise, provider=provider, duties=duties
    )


def _by_credit_code(session: Session, table: Any, uscc: str, code: ErrorCode) -> Any:
    row = session.scalar(select(table).where(table.uscc == uscc))
    if row is None:
        raise NotFound(
            "no {kind} with credit code {uscc}", kind=table.__tablename__, uscc=uscc, code=code
        )
    return row


@dataclass(frozen=True)
class KeyView:
    key: ApiKey
    principal: Principal


@dataclass(frozen=True)
class NewKey:
    key: str  # shown once
    view: KeyView


def create_key(
    session: Session,
    principal: Principal,
    *,
    name: str,
    expires_at: datetime | None = None,
    created_by: Caller | None = None,
    now: datetime,
) -> NewKey:
    """A new key for ``principal``; the secret is returned once and stored only as a hash."""
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("expires_at must be in the future", code=ErrorCode.INVALID_EXPIRY)
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        principal_id=principal.id,
        prefix=prefix,
        secret_hash=_hash(key),
        name=name,
        created_by_key_id=created_by.key_id if created_by else None,
        created_at=now,
        expires_at=expires_at,
    )
    audit_log.created(
        session,
        row,
        "key.create",
        "api_key",
        by=prefix,
        after={
            "role": principal.role,
            "holder": principal.name,
            "name": name,
            "expires_at": expires_at,
        },
    )
    return NewKey(key=key, view=KeyView(row, principal))


def create_own_key(
    session: Session, caller: Caller, *, name: str, expires_at: datetime | None, now: datetime
) -> NewKey:
    """A new key for the caller's own principal (rotation: create, switch, revoke the old)."""
    principal = session.get(Principal, caller.principal_id)
    assert principal is not None
    return create_key(
        session, principal, name=name, expires_at=expires_at, created_by=caller, now=now
    )


# Every request's first query: plain columns (no ORM entities to build), compiled once.
_KEY_COLUMNS: tuple[Any, ...] = (
    col(ApiKey.id).label("key_id"),
    ApiKey.prefix,
    ApiKey.secret_hash,
    ApiKey.revoked_at,
    ApiKey.expires_at,
    ApiKey.last_used_at,
    col(Principal.id).label("principal_id"),
    Principal.role,
    Principal.name,
    Principal.duties,
    Principal.enterprise_id,
    Principal.provider_id,
    col(Enterprise.uscc).label("enterprise_uscc"),
    col(Provider.uscc).label("provider_uscc"),
    col(Provider.status).label("provider_status"),
    Provider.status_reason,
)
_KEY_LOOKUP = (
    select(*_KEY_COLUMNS)
    .join(Principal, col(Principal.id) == ApiKey.principal_id)
    .outerjoin(Enterprise, col(Enterprise.id) == Principal.enterprise_id)
    .outerjoin(Provider, col(Provider.id) == Principal.provider_id)
    .where(ApiKey.prefix == bindparam("prefix"))
)


def authenticate(session: Session, key: str, *, now: datetime, client: str) -> Caller:
    """The caller a bearer key stands for, or Unauthorized (malformed, unknown, expired or
    revoked), or TooManyFailures.

    A correct key always authenticates, in one query: a key's prefix is public (it is in
    every request), so counting failures against it must never lock its holder out. A
    failure is counted per client address and, when the prefix is a key's, per prefix;
    past a limit it is answered 429 instead of 401. The caller must commit the count (the
    request itself is refused)."""
    parts = split_key(key)
    row = None
    if parts is not None:
        row = first_row(session, _KEY_LOOKUP, {"prefix": parts[0]})
    if parts is None:
        _fail(
            session,
            now,
            client,
            None,
            "malformed",
            "malformed API key: expected vsk_<prefix>_<secret>",
        )
    if row is None:
        _fail(session, now, client, None, "unknown", "unknown API key")
    if not hmac.compare_digest(row.secret_hash, _hash(key)):
        _fail(session, now, client, row.prefix, "unknown", "unknown API key")
    if row.revoked_at is not None:
        _fail(
            session, now, client, row.prefix, "revoked", "API key {key} was revoked", key=row.prefix
        )
    if row.expires_at is not None and row.expires_at <= now:
        _fail(
            session,
            now,
            client,
            row.prefix,
            "expired",
            "API key {key} expired at {expired_at}",
            key=row.prefix,
            expired_at=row.expires_at.isoformat(),
        )
    if row.last_used_at is None or row.last_used_at < now - LAST_USED_RESOLUTION:
        session.execute(update(ApiKey).where(ApiKey.id == row.key_id).values(last_used_at=now))
    return Caller(
        principal_id=row.principal_id,
        role=Role(row.role),
        name=row.name,
        key_id=row.key_id,
        key_prefix=row.prefix,
        enterprise_id=row.enterprise_id,
        enterprise_uscc=row.enterprise_uscc,
        provider_id=row.provider_id,
        provider_uscc=row.provider_uscc,
        provider_status=row.provider_status,
        provider_status_reason=row.status_reason or "",
        duties=parse_duties(row.duties),
    )


def _fail(
    session: Session,
    now: datetime,
    client: str,
    prefix: str | None,
    reason: str,
    message: str,
    **params: object,
) -> NoReturn:
    """Count a failure for the client's address and, if the prefix is a key's, for that
    prefix (an unknown prefix gets no counter: rotating random prefixes adds nothing), then
    refuse: 401, or 429 once a source is past its limit (``auth/throttle.py``)."""
    AUTH_FAILURES.labels(reason).inc()
    sources = {throttle.address_source(client): throttle.ADDRESS_FAILURE_LIMIT}
    if prefix is not None:
        sources[f"key:{prefix}"] = FAILURE_LIMIT
    counted = throttle.count_failure(session, sources, now=now)
    raise counted.refusal(now, "authentications") or Unauthorized(message, **params)


def _keys(principal_id: int | None) -> Select[ApiKey, Principal]:
    """Keys with their holders: of ``principal_id`` only, when given."""
    query = select(ApiKey, Principal).join(Principal, Principal.id == ApiKey.principal_id)
    return where_given(query, (ApiKey.principal_id, principal_id))


def list_keys(session: Session, *, principal_id: int | None = None) -> list[KeyView]:
    return [KeyView(k, p) for k, p in session.execute(_keys(principal_id).order_by(ApiKey.id))]


def revoke_key(
    session: Session, prefix: str, *, now: datetime, principal_id: int | None = None
) -> KeyView:
    """Revoke a key (of ``principal_id`` only, when given: others' keys are not found)."""
    query = _keys(principal_id).where(ApiKey.prefix == prefix)
    row = session.execute(query.with_for_update(of=ApiKey)).first()
    if row is None:
        raise NotFound("no API key {prefix}", prefix=prefix, code=ErrorCode.KEY_NOT_FOUND)
    key, principal = row
    if key.revoked_at is not None:
        raise InvalidState("API key {prefix} is already revoked", prefix=prefix)
    key.revoked_at = now
    session.flush()
    audit_log.record(session, "key.revoke", "api_key", prefix, after={"holder": principal.name})
    return KeyView(key, principal)
