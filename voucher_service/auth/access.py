"""Who may call what. Every endpoint under /v1 declares one access rule; a test walks every
route and fails if one has none, then checks each rule with a key of every role.

Semantics: no key or a bad one -> 401; a valid key whose role may not do this -> 403;
another principal's enterprise or provider -> 404 (its existence is not revealed).

A bureau rule names duties (``Duty``): a bureau person passes when they hold one of them
(the legacy roles hold theirs by the mapping in db/tables/auth.py). Who checks whom
(maker-checker) is the services' rule, not the routes' (auth/duties.py).

The key is checked by the gate (``gate.py``), in a short transaction of its own, before the
request's body is read (``authenticate_key``); the rules here only read the caller the gate
put on the request: no query, no thread hop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from voucher_service import audit_log
from voucher_service.auth.service import Caller, authenticate
from voucher_service.db.tables.auth import Duty, Role
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


class Grantee(Protocol):
    """Whoever a rule is asked about: an API caller, or the console's signed-in person."""

    @property
    def role(self) -> Role: ...

    @property
    def duties(self) -> frozenset[Duty]: ...


class Access:
    """An access rule: the bureau duties allowed, or the role (enterprise, provider), and
    whether the path's ``{uscc}`` must be the caller's own enterprise
    (``owner=Role.ENTERPRISE``) or provider (``Role.PROVIDER``)."""

    def __init__(self, *grants: Duty | Role, owner: Role | None = None):
        assert owner in (None, Role.ENTERPRISE, Role.PROVIDER), owner
        self.duties = frozenset(g for g in grants if isinstance(g, Duty))
        self.roles = frozenset(g for g in grants if isinstance(g, Role))
        assert self.roles <= {Role.ENTERPRISE, Role.PROVIDER}, self.roles
        self.owner = owner

    async def __call__(self, request: Request, caller: CallerDep) -> Caller:
        self.check(request, caller)
        return caller

    def allows(self, who: Grantee) -> bool:
        """Whether ``who``'s role or duties pass this rule (the owner check aside)."""
        return who.role in self.roles or bool(who.duties & self.duties)

    def check(self, request: Request, caller: Caller) -> None:
        """Refuse ``caller`` (403 or 404) unless this rule lets it make ``request``."""
        self.require(caller, f"{request.method} {request.url.path}")
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
                raise NotFound("no {owner} {asked}", owner=self.owner, asked=asked, code=code)

    def require(self, caller: Caller, doing: str) -> None:
        """Forbidden unless ``caller`` passes this rule (the command line's ``--as`` too)."""
        if not self.allows(caller):
            held = ", ".join(sorted(d.value for d in caller.duties)) or "none"
            raise Forbidden(
                "the role {role} (duties: {duties}) may not {doing} (needs one of: {needed})",
                role=caller.role.value,
                duties=held,
                doing=doing,
                needed=self.describe(),
            )

    def describe(self) -> str:
        return ", ".join(sorted(g.value for g in self.duties | self.roles))

    def __repr__(self) -> str:
        owner = f", owner={self.owner}" if self.owner else ""
        return f"Access({self.describe()}{owner})"


SYSTEM_ADMIN = Access(Duty.SYSTEM)  # people, accounts, keys: never money
PROGRAM_ADMIN = Access(Duty.PROGRAM)  # programs, pools, rule versions, top-ups
REVIEW = Access(Duty.REVIEW)  # applications, selections, enterprises, providers, vouchers
FINANCE = Access(Duty.FINANCE)  # approving and paying statements
CLOSE = Access(Duty.FINANCE, Duty.REVIEW)  # closing a month (never approved by its closer)
CHECK = Access(Duty.REVIEW, Duty.PROGRAM)  # a proposal: its kind's duty (auth.proposals)
BUREAU_READ = Access(*Duty)
AUDIT_READ = Access(Duty.AUDIT, Duty.SYSTEM)  # the audit log, keys and accounts
ENTERPRISE_SELF = Access(Role.ENTERPRISE, owner=Role.ENTERPRISE)
PROVIDER_SELF = Access(Role.PROVIDER, owner=Role.PROVIDER)


def rule(access: Access) -> list[Callable[..., Caller]]:
    """For a route decorator: ``dependencies=rule(BUREAU_READ)``."""
    return [Depends(access)]


def allow(access: Access) -> object:
    """For a handler parameter that needs the caller: ``caller: Annotated[Caller, allow(X)]``."""
    return Depends(access)
