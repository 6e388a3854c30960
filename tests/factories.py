"""One-line builders of valid entities, with keyword arguments for what a test cares about."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from voucher_service import audit_log
from voucher_service.applications import selection
from voucher_service.applications.service import ApplicationInput, submit
from voucher_service.auth.service import create_key, key_holder, principal_for
from voucher_service.confirmations.service import by_two
from voucher_service.db.tables.applications import (
    Application,
    ModelSelection,
    Sector,
    SelectionStatus,
    SizeClass,
)
from voucher_service.db.tables.auth import Duty, Principal, Role
from voucher_service.db.tables.confirmations import Confirmation
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Pool, Program
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.redemptions import Redemption
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.db.types import utcnow
from voucher_service.domain.rules import CapScope
from voucher_service.domain.uscc import check_character
from voucher_service.enterprises.service import register_enterprise
from voucher_service.programs.proposals import (
    propose_pool,
    propose_rule_version,
    propose_top_up,
)
from voucher_service.programs.service import (
    Eligibility,
    RuleNumbers,
    create_program,
    get_pool,
)
from voucher_service.programs.stacking import Declaration
from voucher_service.providers.service import Offering, register_provider
from voucher_service.redemptions.service import redeem
from voucher_service.vouchers.service import issue_voucher

_serial = iter(range(1, 10**9))


def uscc(serial: int | None = None, division: str = "420106") -> str:
    first17 = f"91{division}MA{(serial or next(_serial)):07d}"
    return first17 + check_character(first17)


def make_program(
    session: Session,
    *,
    code: str | None = None,
    valid_from: date = date(2025, 3, 19),
    valid_to: date = date(2027, 3, 18),
    rate_bp: int = 5000,
    cap_fen: int = 200_000_00,
    cap_scope: CapScope = CapScope.LIFETIME,
    window_months: int = 36,
    pool_minimum_fen: int = 0,
    region_prefix: str = "4201",
    requires_selection: bool = False,
) -> Program:
    return create_program(
        session,
        code=code or f"TEST-{next(_serial)}",
        name="test program",
        description="",
        valid_from=valid_from,
        valid_to=valid_to,
        rules=RuleNumbers(
            effective_from=valid_from,
            rate_bp=rate_bp,
            cap_fen=cap_fen,
            cap_scope=cap_scope,
            window_months=window_months,
            pool_minimum_fen=pool_minimum_fen,
        ),
        eligibility=Eligibility(region_prefix=region_prefix, requires_selection=requires_selection),
    )


PROGRAM_MAKER, PROGRAM_CHECKER = "program admin zhou", "program admin wu"


def by_two_program_admins(
    session: Session, proposal: Callable[[datetime], Confirmation], *, today: date
) -> Confirmation:
    """Maker-checker for a service-level test: ``proposal(now)`` is made as one program
    administrator and confirmed as a second, then the session acts as before."""
    return by_two(
        session,
        proposal,
        maker=make_person(session, Duty.PROGRAM, name=PROGRAM_MAKER),
        checker=make_person(session, Duty.PROGRAM, name=PROGRAM_CHECKER),
        today=today,
    )


def make_pool(
    session: Session,
    program: Program,
    *,
    year: int = 2026,
    total_fen: int = 1_000_000_00,
    today: date = date(2026, 6, 15),
) -> Pool:
    """A program's pool, proposed and confirmed by two program administrators."""
    by_two_program_admins(
        session,
        lambda now: propose_pool(
            session, program, year=year, total_fen=total_fen, today=today, now=now
        ),
        today=today,
    )
    return get_pool(session, program, year)


def make_rule_version(
    session: Session, program: Program, rules: RuleNumbers, *, today: date
) -> None:
    """A rule version, proposed and confirmed by two program administrators."""
    by_two_program_admins(
        session,
        lambda now: propose_rule_version(session, program, rules, today=today, now=now),
        today=today,
    )


def make_top_up(
    session: Session,
    program: Program,
    base: Program,
    *,
    stack_order: int = 1,
    ceiling_bp: int = 7000,
    today: date | None = None,
) -> None:
    """``program`` declared a top-up of ``base``, proposed and confirmed by two program
    administrators (on the program's first day unless ``today``)."""
    day = today or program.valid_from
    declaration = Declaration(base, stack_order, ceiling_bp)
    by_two_program_admins(
        session,
        lambda now: propose_top_up(session, program, declaration, today=day, now=now),
        today=day,
    )


def make_enterprise(
    session: Session, *, name: str = "测试科技有限公司", division: str = "420106"
) -> Enterprise:
    return register_enterprise(session, uscc=uscc(division=division), name=name)


def make_voucher(
    session: Session,
    *,
    program: Program | None = None,
    enterprise: Enterprise | None = None,
    face_value_fen: int = 50_000_00,
    year: int = 2026,
    today: date = date(2026, 6, 1),
    valid_to: date | None = None,
) -> Voucher:
    """A voucher, with the program, its pool and the enterprise made as needed."""
    if program is None:
        program = make_program(session)
        make_pool(session, program, year=year)
    return issue_voucher(
        session,
        program=program,
        year=year,
        enterprise=enterprise or make_enterprise(session),
        face_value_fen=face_value_fen,
        today=today,
        valid_to=valid_to,
    )


def make_provider(
    session: Session,
    *,
    name: str = "武汉智算中心",
    offerings: tuple[Offering, ...] = (Offering("accelerator", "Ascend 910B", "card_hour", 12_50),),
) -> Provider:
    """A provider (division 420100) with a one-line price list unless given another."""
    return register_provider(
        session, uscc=uscc(division="420100"), name=name, offerings=list(offerings)
    )


def make_redemption(
    session: Session, *, voucher: Voucher | None = None, provider: Provider | None = None
) -> Redemption:
    """A voucher redeemed with a provider, each made as needed."""
    voucher = voucher or make_voucher(session)
    holder = session.get(Enterprise, voucher.enterprise_id)
    assert holder is not None
    return redeem(
        session,
        enterprise=holder,
        voucher_code=voucher.code,
        provider=provider or make_provider(session),
    )


def make_application(
    session: Session,
    *,
    program: Program,
    enterprise: Enterprise | None = None,
    year: int = 2026,
    requested_fen: int = 100_00,
    size_class: SizeClass = SizeClass.SMALL,
    headcount: int = 40,
    revenue_fen: int = 5_000_000_00,
    today: date = date(2026, 6, 15),
) -> Application:
    """An application (checked on submission: one failing a check is rejected at once)."""
    return submit(
        session,
        enterprise or make_enterprise(session),
        ApplicationInput(
            program=program,
            year=year,
            requested_fen=requested_fen,
            planned_use="training a defect-detection model",
            intended_providers=[],
            size_class=size_class,
            headcount=headcount,
            revenue_fen=revenue_fen,
            declares_no_related_party=True,
        ),
        today=today,
        now=utcnow(),
    )


def make_selection(
    session: Session,
    *,
    program: Program,
    enterprise: Enterprise | None = None,
    year: int = 2026,
    sector: Sector = Sector.MANUFACTURING,
    selected: bool = True,
    today: date = date(2026, 6, 15),
) -> ModelSelection:
    """A measure-3 model selection application, selected unless told otherwise."""
    row = selection.apply(
        session,
        enterprise or make_enterprise(session),
        selection.SelectionInput(
            program=program,
            year=year,
            model_name="工业质检大模型",
            sector=sector,
            filing_reference="Hubei-Test-20260101",
        ),
        today=today,
        now=utcnow(),
    )
    if selected:
        selection.decide(
            session, row, SelectionStatus.SELECTED, reason="", today=today, now=utcnow()
        )
    return row


def make_key(
    session: Session,
    role: Role,
    *,
    holder: str = "test admin",
    name: str = "test",
    duties: frozenset[Duty] = frozenset(),
    now: datetime | None = None,
) -> str:
    """An API key (the secret) of the bureau person called ``holder`` (of role ``bureau``:
    with ``duties``), or of the enterprise or provider whose credit code ``holder`` is."""
    uscc = holder if role in (Role.ENTERPRISE, Role.PROVIDER) else None
    principal = key_holder(session, role, name=holder, uscc=uscc, duties=duties)
    return create_key(session, principal, name=name, now=now or utcnow()).key


def make_person(session: Session, *duties: Duty, name: str | None = None) -> Principal:
    """A bureau person holding ``duties`` (a principal of role ``bureau``)."""
    name = name or f"person {'+'.join(d.value for d in duties)} {next(_serial)}"
    return principal_for(session, Role.BUREAU, name=name, duties=frozenset(duties))


def acting_as(session: Session, person: Principal) -> Principal:
    """Make ``person`` the one who acts in ``session`` (the audit actor the API, the console
    and the command line's ``--as`` set), for tests that call services directly."""
    audit_log.set_actor(session, audit_log.Actor(person.id, None, f"bureau:{person.name}"))
    return person


SECOND = "second admin"  # KeyedClient's other bureau_admin: a checker for the default one


def second_admin(client: Any) -> dict[str, str]:
    """Headers of a second bureau_admin person, to check what the KeyedClient's default
    admin made (maker-checker: the closer never approves, the approver never pays, a pool
    or a rule version waits for a second program administrator)."""
    return {"Authorization": f"Bearer {client.key(Role.BUREAU_ADMIN, SECOND)}"}


def confirmed(client: Any, proposed: Any, *, status: int = 200) -> Any:
    """Confirm, as ``second_admin``, the proposal a 202 answer (``proposed``) carries: the
    way an API test makes a pool, a rule version or a top-up layer take effect."""
    assert proposed.status_code == 202, proposed.text
    answer = client.post(
        f"/v1/admin/confirmations/{proposed.json()['id']}/confirm", headers=second_admin(client)
    )
    assert answer.status_code == status, answer.text
    return answer


def bureau_person(client: Any, *duties: Duty, name: str | None = None) -> dict[str, str]:
    """Headers of a bureau person (role bureau) holding ``duties``, made once per test."""
    holder = name or f"test {'+'.join(sorted(d.value for d in duties))}"
    if (Role.BUREAU, holder) not in client.keys:
        client.keys[(Role.BUREAU, holder)] = make_key(
            client.session, Role.BUREAU, holder=holder, duties=frozenset(duties)
        )
        client.session.commit()
    return {"Authorization": f"Bearer {client.keys[(Role.BUREAU, holder)]}"}


def maker_and_checker(
    client: Any, duty: Duty, maker: str, checker: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Headers of two bureau people holding ``duty``: one proposes, the other confirms."""
    return bureau_person(client, duty, name=maker), bureau_person(client, duty, name=checker)


def sysadmin(client: Any) -> dict[str, str]:
    """Headers of a system administrator (people, accounts, keys; never money)."""
    return bureau_person(client, Duty.SYSTEM, name="test sysadmin")


def auditor(client: Any) -> dict[str, str]:
    """Headers of an auditor (reads everything, the audit log included; changes nothing)."""
    return {"Authorization": f"Bearer {client.key(Role.AUDITOR, 'test auditor')}"}


def usage_body(
    record_id: str, voucher: str, holder: str, fee: str, *, start: datetime, end: datetime
) -> dict[str, Any]:
    """A usage record as a provider posts it: one card-hour of Ascend 910B at ``fee`` yuan."""
    return {
        "record_id": record_id,
        "voucher_code": voucher,
        "uscc": holder,
        "resource_kind": "accelerator",
        "resource_model": "Ascend 910B",
        "quantity": "1",
        "unit": "card_hour",
        "unit_price_yuan": fee,
        "fee_yuan": fee,
        "service_start": start.isoformat(),
        "service_end": end.isoformat(),
    }


def usage_on(record_id: str, voucher: str, holder: str, fee: str, day: str) -> dict[str, Any]:
    """``usage_body`` for one hour on the morning of ``day`` (YYYY-MM-DD) in Wuhan."""
    start = datetime.fromisoformat(f"{day}T09:00:00+08:00")
    return usage_body(record_id, voucher, holder, fee, start=start, end=start + timedelta(hours=1))


def demo_keys(out: str) -> dict[str, str]:
    """The demo's keys by their shell variable (``ADMIN_KEY``...), from what it printed."""
    return dict(re.findall(r"^export (\w+_KEY)=(\S+)", out, re.M))
