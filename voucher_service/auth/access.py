"""Who may call what. Every endpoint under /v1 declares one access rule; a test walks every
route and fails if one has none, then checks each rule with a key of every role.

Semantics: no key or a bad one -> 401; a valid key whose role may not do this -> 403;
another principal's enterprise or provider -> 404 (its existence is not revealed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import Depends, Request

from voucher_service.audit import service as audit
from voucher_service.auth.service import Caller, authenticate
from voucher_service.db.tables.auth import Role
from voucher_service.deps import NowDep, SessionDep
from voucher_service.domain.uscc import USCCError, validate_uscc
from voucher_service.errors import Forbidden, NotFound, Unauthorized
from voucher_service.metrics import AUTH_FAILURES


def current_caller(request: Request, session: SessionDep, now: NowDep) -> Caller:
    """The principal behind the request's ``Authorization: Bearer <key>``."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        AUTH_FAILURES.labels("missing").inc()
        raise Unauthorized("send an API key: Authorization: Bearer vsk_...")
    client = request.client.host if request.client else "unknown"
    try:
        caller = authenticate(session, key.strip(), now=now, client=client)
    except Unauthorized:
        # The request is refused, but its failure must count: this dependency owns the
        # transaction, and nothing else has been written in it yet.
        session.commit()
        raise
    who = caller.enterprise_uscc or caller.provider_uscc or caller.name
    audit.set_actor(
        session, audit.Actor(caller.principal_id, caller.key_id, f"{caller.role.value}:{who}")
    )
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


class Access:
    """An access rule: the roles allowed, and whether the path's ``{uscc}`` must be the
    caller's own enterprise or provider."""

    def __init__(self, *roles: Role, owner: Literal["enterprise", "provider"] | None = None):
        self.roles = frozenset(roles)
        self.owner = owner

    def __call__(self, request: Request, caller: CallerDep) -> Caller:
        if caller.role not in self.roles:
            raise Forbidden(
                f"a {caller.role.value} key may not {request.method} {request.url.path}"
            )
        if self.owner is not None:
            own = caller.enterprise_uscc if self.owner == "enterprise" else caller.provider_uscc
            try:
                asked = validate_uscc(request.path_params.get("uscc", ""))
            except USCCError:
                asked = None
            if asked is not None and asked != own:
                raise NotFound(f"no {self.owner} {asked}", code=f"{self.owner}_not_found")
        return caller

    def __repr__(self) -> str:
        owner = f", owner={self.owner}" if self.owner else ""
        return f"Access({', '.join(sorted(r.value for r in self.roles))}{owner})"


ADMIN_ONLY = Access(Role.BUREAU_ADMIN)
BUREAU_STAFF = Access(Role.BUREAU_ADMIN, Role.BUREAU_REVIEWER)
BUREAU_READ = Access(Role.BUREAU_ADMIN, Role.BUREAU_REVIEWER, Role.AUDITOR)
AUDIT_READ = Access(Role.BUREAU_ADMIN, Role.AUDITOR)
ENTERPRISE_SELF = Access(Role.ENTERPRISE, owner="enterprise")
PROVIDER_SELF = Access(Role.PROVIDER, owner="provider")


def rule(access: Access) -> list[Callable[..., Caller]]:
    """For a route decorator: ``dependencies=rule(BUREAU_READ)``."""
    return [Depends(access)]


def allow(access: Access) -> object:
    """For a handler parameter that needs the caller: ``caller: Annotated[Caller, allow(X)]``."""
    return Depends(access)
