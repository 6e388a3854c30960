"""Accounts: argon2 passwords, the binding to principals, and the bureau's management."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import (
    NOW,
    PASSWORD,
    PRODUCTION_HASHER,
    People,
    make_account,
    make_enterprise,
    uscc,
)
from voucher_service.accounts import passwords, service, signin
from voucher_service.auth.service import principal_for
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.errors import AlreadyExists, InvalidInput, NotFound, Unauthorized


def test_the_service_hashes_with_argon2_s_recommended_parameters() -> None:
    hasher = PRODUCTION_HASHER  # the tests run with a cheaper one (conftest)
    assert hasher.type is Type.ID and hasher.time_cost >= 3 and hasher.memory_cost >= 64 * 1024


def test_passwords_are_salted_argon2id_hashes() -> None:
    first, second = passwords.hash_password(PASSWORD), passwords.hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and first != second
    assert passwords.verify_password(first, PASSWORD) and passwords.verify_password(
        second, PASSWORD
    )
    assert not passwords.verify_password(first, PASSWORD + " ")
    assert not passwords.verify_password("not a hash", PASSWORD)


def test_a_weaker_hash_is_upgraded_at_sign_in(session: Session, people: People) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    people.reviewer.account.password_hash = weak
    session.flush()
    signin.check_password(
        session, login="reviewer.li", password=PASSWORD, client="10.0.0.1", now=NOW
    )
    upgraded = people.reviewer.account.password_hash
    assert upgraded != weak and passwords.verify_password(upgraded, PASSWORD)
    assert not passwords.PASSWORD_HASHER.check_needs_rehash(upgraded)


def test_password_and_login_rules() -> None:
    for weak in ("short", "x" * (passwords.PASSWORD_MAX_LENGTH + 1), "my-zhangsan-pass"):
        with pytest.raises(InvalidInput) as refused:
            passwords.check_new_password(weak, "zhangsan")
        assert refused.value.code == "weak_password"
    passwords.check_new_password(PASSWORD, "zhangsan")
    assert service.normalise_login("  ZhangSan@Bureau ") == "zhangsan@bureau"
    for bad in ("ab", ".dot", "张三", "a" * 65, "has space"):
        with pytest.raises(InvalidInput):
            service.normalise_login(bad)
    generated = passwords.new_password()
    passwords.check_new_password(generated, "zhangsan")
    assert generated != passwords.new_password()


def test_accounts_act_as_the_principal_of_their_role(session: Session, people: People) -> None:
    enterprise_caller = people.enterprise.caller()
    assert enterprise_caller.role is Role.ENTERPRISE and enterprise_caller.key_id is None
    # The enterprise's users share its principal: the one its API keys belong to.
    enterprise = session.scalar(
        select(Enterprise).where(Enterprise.uscc == people.enterprise.enterprise_uscc)
    )
    assert (
        enterprise_caller.principal_id
        == principal_for(session, Role.ENTERPRISE, enterprise=enterprise).id
    )
    assert enterprise_caller.enterprise_uscc == people.enterprise.enterprise_uscc
    assert people.provider.caller().provider_uscc == people.provider.provider_uscc
    # Each bureau person has a principal of their own.
    assert people.admin.principal.id != people.reviewer.principal.id
    assert people.admin.caller().role is Role.BUREAU_ADMIN
    assert people.enterprise.actor().name == (
        f"enterprise:{people.enterprise.enterprise_uscc}/finance.chen"
    )
    assert people.admin.actor().name == "bureau_admin:admin.wang"


def test_creation_refusals(session: Session, people: People) -> None:
    with pytest.raises(AlreadyExists):
        make_account(session, "ADMIN.WANG", Role.AUDITOR)
    with pytest.raises(InvalidInput) as missing:
        make_account(session, "no.code", Role.ENTERPRISE)
    assert missing.value.code == "uscc_required"
    with pytest.raises(InvalidInput):
        make_account(session, "bureau.code", Role.BUREAU_REVIEWER, uscc=uscc())
    with pytest.raises(NotFound):
        make_account(session, "ghost", Role.ENTERPRISE, uscc=uscc())
    with pytest.raises(InvalidInput) as bad:
        make_account(
            session, "typo", Role.ENTERPRISE, uscc=make_enterprise(session).uscc[:17] + "#"
        )
    assert bad.value.code == "invalid_uscc"


def test_creation_reset_and_disabling_are_audited(session: Session, people: People) -> None:
    account_id = people.enterprise.account.id
    service.reset_password(session, account_id, password="临时密码-0000-abcd", now=NOW)
    service.disable_account(session, account_id, now=NOW)
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.target_id == "finance.chen").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == [
        "account.create",
        "account.reset_password",
        "account.disable",
    ]
    assert PASSWORD not in "".join(str(e.after) for e in entries)
    with pytest.raises(Unauthorized) as refused:
        signin.check_password(
            session, login="finance.chen", password="临时密码-0000-abcd", client="x", now=NOW
        )
    assert refused.value.code == "account_disabled"
