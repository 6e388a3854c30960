"""The second factor: enrolment confirmed by a code, codes accepted once and within the
drift, single-use recovery codes stored hashed, the wrong-code limit checked before the
code, and the bureau removing a lost factor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from tests.factories import NOW, People, code_at, enrol, wrong_code
from voucher_service.accounts import second_factor, signin
from voucher_service.accounts.service import Person
from voucher_service.db.tables.accounts import RecoveryCode
from voucher_service.errors import InvalidInput, InvalidState, TooManyFailures, Unauthorized


def check(session: Session, person: Person, code: str, at=NOW, client="10.2.2.2") -> str:  # type: ignore[no-untyped-def]
    return signin.check_second_factor(session, person, code=code, client=client, now=at)


def test_enrolment_needs_a_matching_code(session: Session, people: People) -> None:
    person = people.reviewer
    enrolment = second_factor.new_enrolment(person.account)
    with pytest.raises(InvalidInput) as refused:
        second_factor.confirm_enrolment(
            session,
            person.account.id,
            secret=enrolment.secret,
            code=wrong_code(enrolment.secret),
            now=NOW,  # type: ignore[arg-type]
        )
    assert refused.value.code == "wrong_code" and not second_factor.enrolled(person.account)
    assert person.account.totp_secret is None  # nothing kept from a refused enrolment
    with pytest.raises(InvalidInput):
        second_factor.confirm_enrolment(
            session,
            person.account.id,
            secret="not base32!",
            code="000000",
            now=NOW,  # type: ignore[arg-type]
        )
    assert second_factor.retry_enrolment(person.account, "not base32!").secret != "not base32!"
    assert second_factor.retry_enrolment(person.account, enrolment.secret) == enrolment
    secret, codes = enrol(session, person)
    assert second_factor.enrolled(person.account) and len(set(codes)) == 10
    stored = session.scalars(
        select(RecoveryCode.code_hash).where(RecoveryCode.account_id == person.account.id)
    ).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # hashes only
    with pytest.raises(InvalidState):
        enrol(session, person)


def test_a_code_is_accepted_once_and_within_one_step(session: Session, people: People) -> None:
    person = people.admin
    secret, _ = enrol(session, person)
    with pytest.raises(Unauthorized) as wrong:
        check(session, person, wrong_code(secret))
    assert wrong.value.code == "wrong_code"
    assert check(session, person, code_at(secret)) == "totp"
    with pytest.raises(Unauthorized):
        check(session, person, code_at(secret))  # the same code again: replayed
    # A request that read the account before the code was taken (another process, racing):
    # the database's conditional update refuses it all the same.
    set_committed_value(person.account, "totp_last_step", None)
    with pytest.raises(Unauthorized):
        check(session, person, code_at(secret))
    later = NOW + timedelta(seconds=60)
    assert check(session, person, code_at(secret, later - timedelta(seconds=30)), at=later)
    with pytest.raises(Unauthorized):  # two steps old
        check(session, person, code_at(secret, later), at=later + timedelta(seconds=90))


def test_a_recovery_code_works_once(session: Session, people: People) -> None:
    person = people.auditor
    _, codes = enrol(session, person)
    assert check(session, person, codes[0].upper().replace("-", " ")) == "recovery_code"
    with pytest.raises(Unauthorized):
        check(session, person, codes[0])
    assert second_factor.recovery_codes_left(session, person.account.id) == 9  # type: ignore[arg-type]


def test_wrong_codes_past_the_limit_are_refused_unchecked_until_unlocked(
    session: Session, people: People
) -> None:
    person = people.reviewer
    secret, _ = enrol(session, person)
    for _ in range(signin.CODE_FAILURE_LIMIT):
        with pytest.raises(Unauthorized):
            check(session, person, wrong_code(secret))
    with pytest.raises(TooManyFailures):
        check(session, person, code_at(secret))  # even the right one: not checked
    signin.unlock(session, person.account.id)  # type: ignore[arg-type]
    assert check(session, person, code_at(secret)) == "totp"


def test_the_setting_requires_bureau_accounts_only(session: Session, people: People) -> None:
    for bureau in (people.admin, people.reviewer, people.auditor):
        assert second_factor.applies_to(bureau, required=True)
        assert not second_factor.applies_to(bureau, required=False)
    for company in (people.enterprise, people.provider):
        assert not second_factor.applies_to(company, required=True)
    enrol(session, people.enterprise)  # whoever set one up uses it
    assert second_factor.applies_to(people.enterprise, required=False)


def test_the_bureau_removes_a_lost_factor(session: Session, people: People) -> None:
    person = people.provider
    enrol(session, person)
    second_factor.remove(session, person.account.id)  # type: ignore[arg-type]
    assert not second_factor.enrolled(person.account) and person.account.totp_secret is None
    assert second_factor.recovery_codes_left(session, person.account.id) == 0  # type: ignore[arg-type]
    with pytest.raises(InvalidState):
        second_factor.remove(session, person.account.id)  # type: ignore[arg-type]
