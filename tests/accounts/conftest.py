"""Accounts of each kind, made with the service function the command line uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from tests.factories import NOW, make_enterprise, uscc
from voucher_service.accounts import passwords, second_factor
from voucher_service.accounts.service import Person, create_account
from voucher_service.db.tables.auth import Duty, Role
from voucher_service.providers.service import register_provider

PASSWORD = "长江大桥-1957-wuhan"
PRODUCTION_HASHER = passwords.PASSWORD_HASHER
# Real argon2id, with the cost turned down: the tests sign in hundreds of times.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "PASSWORD_HASHER", FAST_HASHER)


def code_at(secret: str, moment=NOW) -> str:  # type: ignore[no-untyped-def]
    return pyotp.TOTP(secret).at(moment)


def wrong_code(secret: str, moment=NOW) -> str:  # type: ignore[no-untyped-def]
    """A six-digit code that is not the right one at ``moment``."""
    return "000000" if code_at(secret, moment) != "000000" else "111111"


def enrol(session: Session, person: Person) -> tuple[str, list[str]]:
    enrolment = second_factor.new_enrolment(person.account)
    assert enrolment.uri.startswith("otpauth://totp/") and enrolment.secret in enrolment.uri
    codes = second_factor.confirm_enrolment(
        session,
        person.account.id,  # type: ignore[arg-type]
        secret=enrolment.secret,
        code=code_at(enrolment.secret, NOW - timedelta(minutes=1)),
        now=NOW - timedelta(minutes=1),
    )
    return enrolment.secret, codes


@dataclass
class People:
    admin: Person
    reviewer: Person
    auditor: Person
    enterprise: Person
    other_enterprise: Person
    provider: Person
    sysadmin: Person  # role bureau: system administration only
    finance: Person  # role bureau: finance only

    def of(self, role: Role) -> Person:
        return {
            Role.BUREAU: self.sysadmin,
            Role.BUREAU_ADMIN: self.admin,
            Role.BUREAU_REVIEWER: self.reviewer,
            Role.AUDITOR: self.auditor,
            Role.ENTERPRISE: self.enterprise,
            Role.PROVIDER: self.provider,
        }[role]


def make_person(
    session: Session, login: str, role: Role, *, uscc: str | None = None, **kw: object
) -> Person:
    return create_account(
        session,
        login=login,
        display_name=f"{login} 测试",
        role=role,
        uscc=uscc,
        password=PASSWORD,
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def people(session: Session) -> People:
    mine, theirs = make_enterprise(session), make_enterprise(session)
    provider = register_provider(session, uscc=uscc(division="420100"), name="智算", offerings=[])
    made = People(
        admin=make_person(session, "admin.wang", Role.BUREAU_ADMIN),
        reviewer=make_person(session, "reviewer.li", Role.BUREAU_REVIEWER),
        auditor=make_person(session, "auditor.zhao", Role.AUDITOR),
        enterprise=make_person(session, "finance.chen", Role.ENTERPRISE, uscc=mine.uscc),
        other_enterprise=make_person(session, "finance.zhou", Role.ENTERPRISE, uscc=theirs.uscc),
        provider=make_person(session, "ops.sun", Role.PROVIDER, uscc=provider.uscc),
        sysadmin=make_person(session, "it.qian", Role.BUREAU, duties=frozenset({Duty.SYSTEM})),
        finance=make_person(session, "caiwu.liu", Role.BUREAU, duties=frozenset({Duty.FINANCE})),
    )
    session.commit()
    return made
