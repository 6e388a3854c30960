"""Who may call what. Every endpoint under /v1 declares one access rule; a test walks every
route and fails if one has none, then checks each rule with a key of every role.

Semantics: no key or a bad one -> 401; a valid key whose role may not do this -> 403;
another principal's enterprise or provider -> 404 (its existence is not revealed).

The key is checked by the gate (``gate.py``), in a short transaction of its own, before the
request's body is read (``authenticate_key``); the rules here only read the caller the gate
put on the request: no query, no thread hop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from voucher_service import audit_log
from voucher_service.auth.service import Caller, authenticate
from voucher_service.db.tables.auth import Role
from voucher_service.domain.uscc import USCCError, validate_uscc
from voucher_service.errors import ErrorCode, Forbidden, NotFound, Unauthorized
from voucher_service.metrics import AUTH_FAILURES


def actor_of(caller: Caller) -> audit_log.Actor:
    """How a key's holder is named in the audit log."""
    who = caller.enterprise_uscc or caller.provider_uscc or caller.name
    return audit_log.Actor(caller.principal_id, caller.key_id, f"{caller.role.value}:{who}")


def authenticate_key(
    session: Session, headers: dict[str, str], *, client: str, now: datetime
) -> dict[str, Any]:
    """The gate's check of ``Authorization: Bearer <key>``: what it puts on the request's
    state (the caller, and the audit actor), or Unauthorized / TooManyFailures."""
    scheme, _, key = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        AUTH_FAILURES.labels("missing").inc()
        raise Unauthorized("send an API key: Authorization: Bearer vsk_...")
    caller = authenticate(session, key.strip(), now=now, client=client)
    return {"caller": caller, "actor": actor_of(caller)}


async def current_caller(request: Request) -> Caller:
    """The principal the gate authenticated for this request."""
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is None:
        raise Unauthorized("send an API key: Authorization: Bearer vsk_...")
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


class Access:
    """An access rule: the roles allowed, and whether the path's ``{uscc}`` must be the
    caller's own enterprise (``owner=Role.ENTERPRISE``) or provider (``Role.PROVIDER``)."""

    def __init__(self, *roles: Role, owner: Role | None = None):
        assert owner in (None, Role.ENTERPRISE, Role.PROVIDER), owner
        self.roles = frozenset(roles)
        self.owner = owner

    async def __call__(self, request: Request, caller: CallerDep) -> Caller:
        self.check(request, caller)
        return caller

    def check(self, request: Request, caller: Caller) -> None:
        """Refuse ``caller`` (403 or 404) unless this rule lets it make ``request``."""
        if caller.role not in self.roles:
            raise Forbidden(
                f"the role {caller.role.value} may not {request.method} {request.url.path}"
            )
        if self.owner is not None:
            enterprise = self.owner is Role.ENTERPRISE
            own = caller.enterprise_uscc if enterprise else caller.provider_uscc
            try:
                asked = validate_uscc(request.path_params.get("uscc", ""))
            except USCCError:
                asked = None
            if asked is not None and asked != own:
                code = (
                    ErrorCode.ENTERPRISE_NOT_FOUND if enterprise else ErrorCode.PROVIDER_NOT_FOUND
                )
                raise NotFound(f"no {self.owner} {asked}", code=code)

    def __repr__(self) -> str:
        owner = f", owner={self.owner}" if self.owner else ""
        return f"Access({', '.join(sorted(r.value for r in self.roles))}{owner})"


ADMIN_ONLY = Access(Role.BUREAU_ADMIN)
BUREAU_STAFF = Access(Role.BUREAU_ADMIN, Role.BUREAU_REVIEWER)
BUREAU_READ = Access(Role.BUREAU_ADMIN, Role.BUREAU_REVIEWER, Role.AUDITOR)
AUDIT_READ = Access(Role.BUREAU_ADMIN, Role.AUDITOR)
ENTERPRISE_SELF = Access(Role.ENTERPRISE, owner=Role.ENTERPRISE)
PROVIDER_SELF = Access(Role.PROVIDER, owner=Role.PROVIDER)


def rule(access: Access) -> list[Callable[..., Caller]]:
    """For a route decorator: ``dependencies=rule(BUREAU_READ)``."""
    return [Depends(access)]


def allow(access: Access) -> object:
    """For a handler parameter that needs the caller: ``caller: Annotated[Caller, allow(X)]``."""
    return Depends(access)
