"""Accounts of people, managed by the bureau admin: create (with a temporary password shown
once), list, reset a password (shown once), disable, unlock sign-in, remove a second
factor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from voucher_service.accounts import second_factor, service, signin
from voucher_service.accounts.passwords import new_password
from voucher_service.accounts.schemas import (
    AccountCreate,
    AccountOut,
    AccountWithPassword,
    DutiesIn,
)
from voucher_service.accounts.service import Person
from voucher_service.auth.access import AUDIT_READ, SYSTEM_ADMIN, rule
from voucher_service.db.tables.auth import Role
from voucher_service.deps import NowDep, PageDep, SessionDep
from voucher_service.fields import Id
from voucher_service.pagination import Page
from voucher_service.routing import DatabaseRoute

admin_router = APIRouter(route_class=DatabaseRoute, tags=["accounts"])


def _shown_once(person: Person, password: str) -> AccountWithPassword:
    return AccountWithPassword(**AccountOut.of(person).model_dump(), temporary_password=password)


@admin_router.post(
    "/accounts", status_code=status.HTTP_201_CREATED, dependencies=rule(SYSTEM_ADMIN)
)
def create_account(body: AccountCreate, session: SessionDep, now: NowDep) -> AccountWithPassword:
    """An account for a person of the bureau, an enterprise or a provider, with a temporary
    password (shown once) that must be changed at the first sign-in."""
    password = new_password()
    person = service.create_account(
        session,
        login=body.login,
        display_name=body.display_name,
        role=body.role,
        uscc=body.uscc,
        duties=frozenset(body.duties),
        password=password,
        must_change_password=True,
        now=now,
    )
    return _shown_once(person, password)


@admin_router.get("/accounts", dependencies=rule(AUDIT_READ))
def list_accounts(
    session: SessionDep,
    page: PageDep,
    role: Annotated[Role | None, Query(description="Only accounts of this role.")] = None,
) -> Page[AccountOut]:
    """Every account (never a password or its hash)."""
    people, cursor = service.list_people(session, page, role=role)
    return Page(items=[AccountOut.of(p) for p in people], next_cursor=cursor)


@admin_router.post("/accounts/{account_id}/reset-password", dependencies=rule(SYSTEM_ADMIN))
def reset_password(account_id: Id, session: SessionDep, now: NowDep) -> AccountWithPassword:
    """A new temporary password (shown once); the person's sessions end now."""
    password = new_password()
    person = service.reset_password(session, account_id, password=password, now=now)
    return _shown_once(person, password)


@admin_router.post("/accounts/{account_id}/disable", dependencies=rule(SYSTEM_ADMIN))
def disable_account(account_id: Id, session: SessionDep, now: NowDep) -> AccountOut:
    """The person can no longer sign in; their sessions end now."""
    return AccountOut.of(service.disable_account(session, account_id, now=now))


@admin_router.post("/accounts/{account_id}/unlock", dependencies=rule(SYSTEM_ADMIN))
def unlock_account(account_id: Id, session: SessionDep) -> AccountOut:
    """Lift the slow-down on the person's failed sign-ins and second-factor codes at once
    (a correct password is never refused; codes are, past their limit)."""
    return AccountOut.of(signin.unlock(session, account_id))


@admin_router.post("/accounts/{account_id}/remove-second-factor", dependencies=rule(SYSTEM_ADMIN))
def remove_second_factor(account_id: Id, session: SessionDep) -> AccountOut:
    """The person lost the phone and every recovery code: they sign in with the password
    alone (and, where the setting requires one, set a new factor up first)."""
    return AccountOut.of(second_factor.remove(session, account_id))


@admin_router.put("/accounts/{account_id}/duties", dependencies=rule(SYSTEM_ADMIN))
def set_duties(account_id: Id, body: DutiesIn, session: SessionDep) -> AccountOut:
    """Give a bureau person (role bureau) exactly these duties; never one's own, never a
    system administrator's with a duty that moves money, never an auditor's with another."""
    return AccountOut.of(service.set_account_duties(session, account_id, frozenset(body.duties)))
