"""Key management: the bureau creates keys for anyone; enterprises and providers create,
list and revoke their own (rotation: create a new key, switch, revoke the old one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from voucher_service.auth import service
from voucher_service.auth.access import (
    AUDIT_READ,
    ENTERPRISE_SELF,
    PROVIDER_SELF,
    SYSTEM_ADMIN,
    Access,
    allow,
    rule,
)
from voucher_service.auth.schemas import KeyCreate, KeyOut, NewKeyOut, SelfKeyCreate
from voucher_service.auth.service import Caller
from voucher_service.deps import NowDep, PageDep, SessionDep
from voucher_service.fields import USCC, KeyPrefix
from voucher_service.pagination import Page
from voucher_service.routing import DatabaseRoute

admin_router = APIRouter(route_class=DatabaseRoute, tags=["keys"])
enterprise_router = APIRouter(
    route_class=DatabaseRoute, tags=["keys"], dependencies=rule(ENTERPRISE_SELF)
)
provider_router = APIRouter(
    route_class=DatabaseRoute, tags=["keys"], dependencies=rule(PROVIDER_SELF)
)


@admin_router.post("/keys", status_code=status.HTTP_201_CREATED)
def create_key(
    body: KeyCreate,
    session: SessionDep,
    now: NowDep,
    caller: Annotated[Caller, allow(SYSTEM_ADMIN)],
) -> NewKeyOut:
    """Create a key for a bureau user, an enterprise or a provider. Shown once."""
    principal = service.key_holder(
        session, body.role, name=body.holder, uscc=body.uscc, duties=frozenset(body.duties)
    )
    new = service.create_key(
        session, principal, name=body.name, expires_at=body.expires_at, created_by=caller, now=now
    )
    return NewKeyOut.of_new(new)


@admin_router.get("/keys", dependencies=rule(AUDIT_READ))
def list_keys(session: SessionDep, page: PageDep) -> Page[KeyOut]:
    """Every key (never the secrets)."""
    return Page(items=[KeyOut.of(v) for v in service.list_keys(session)])


@admin_router.post("/keys/{prefix}/revoke", dependencies=rule(SYSTEM_ADMIN))
def revoke_key(prefix: KeyPrefix, session: SessionDep, now: NowDep) -> KeyOut:
    return KeyOut.of(service.revoke_key(session, prefix, now=now))


def _self_service(router: APIRouter, access: Access, audience: str) -> None:
    """Create, list and revoke one's own keys: the same three routes for each audience."""

    @router.post(
        "/{uscc}/keys",
        status_code=status.HTTP_201_CREATED,
        name=f"create_{audience}_key",
        summary="Create one of my keys (shown once)",
    )
    def create_own_key(
        uscc: USCC,
        body: SelfKeyCreate,
        session: SessionDep,
        now: NowDep,
        caller: Caller = Depends(access),  # noqa: B008 (a closure: no Annotated alias)
    ) -> NewKeyOut:
        new = service.create_own_key(
            session, caller, name=body.name, expires_at=body.expires_at, now=now
        )
        return NewKeyOut.of_new(new)

    @router.get("/{uscc}/keys", name=f"list_{audience}_keys", summary="My keys")
    def list_own_keys(
        uscc: USCC,
        session: SessionDep,
        caller: Caller = Depends(access),  # noqa: B008 (a closure: no Annotated alias)
    ) -> Page[KeyOut]:
        views = service.list_keys(session, principal_id=caller.principal_id)
        return Page(items=[KeyOut.of(v) for v in views])

    @router.post(
        "/{uscc}/keys/{prefix}/revoke",
        name=f"revoke_{audience}_key",
        summary="Revoke one of my keys",
    )
    def revoke_own_key(
        uscc: USCC,
        prefix: KeyPrefix,
        session: SessionDep,
        now: NowDep,
        caller: Caller = Depends(access),  # noqa: B008 (a closure: no Annotated alias)
    ) -> KeyOut:
        view = service.revoke_key(session, prefix, now=now, principal_id=caller.principal_id)
        return KeyOut.of(view)


_self_service(enterprise_router, ENTERPRISE_SELF, "enterprise")
_self_service(provider_router, PROVIDER_SELF, "provider")
