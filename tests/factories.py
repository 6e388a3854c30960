"""One-line builders of valid entities, with keyword arguments for what a test cares about.

The one module of builders every test folder uses: entities made with the services (first),
then the suite's fixed clock and keyed client, scenes made through the API as users make
them (the metering scene, a year of books), accounts that sign in, and readers of what a
console page shows. Fixtures stay in conftest.py files as thin wrappers over these; no test
imports from a conftest (tests/test_suite_layout.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import unescape
from typing import Any

import pyotp
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voucher_service import audit_log
from voucher_service.accounts import passwords, second_factor
from voucher_service.accounts.service import Person, create_account
from voucher_service.applications import selection
from voucher_service.applications.service import ApplicationInput, submit
from voucher_service.auth.service import create_key, key_holder, principal_for
from voucher_service.confirmations.service import by_two
from voucher_service.console.formatting import fen_from_display
from voucher_service.db.tables.applications import (
    Application,
    ModelSelection,
    Sector,
    SelectionStatus,
    SizeClass,
)
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.auth import Duty, Principal, Role
from voucher_service.db.tables.confirmations import Confirmation
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.grants import Funding
from voucher_service.db.tables.programs import Pool, Program
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.redemptions import Redemption
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.db.types import utcnow
from voucher_service.domain.rules import CapScope
from voucher_service.domain.uscc import check_character
from voucher_service.enterprises.service import get_enterprise, register_enterprise
from voucher_service.money import yuan_to_fen
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
from voucher_service.programs.settings import ProgramSettings
from voucher_service.programs.stacking import Declaration
from voucher_service.providers.service import Offering, get_provider, register_provider
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
    settings: ProgramSettings = ProgramSettings(),  # noqa: B008  (frozen: never changed)
    pool_maximum_fen: int | None = None,
    funding: Funding = Funding.VOUCHERS,
    year_cap_fen: int | None = None,
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
            pool_maximum_fen=pool_maximum_fen,
            year_cap_fen=year_cap_fen,
        ),
        eligibility=Eligibility(region_prefix=region_prefix, requires_selection=requires_selection),
        settings=settings,
        funding=funding,
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


# --- The suite's clock and its test client ---------------------------------------------------

# Tests run on a fixed clock: noon in Wuhan on 2026-06-15, so they never depend on the date.
NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)
TODAY = date(2026, 6, 15)


class KeyedClient(TestClient):
    """A test client that, unless a request says otherwise, sends the key of whoever owns
    the path: a bureau admin for /v1/admin, else the enterprise or provider named in it.
    Keys are made in the test's own transaction, so authentication is real in every test."""

    def __init__(self, app: Any, session: Session) -> None:
        super().__init__(app)
        self.session = session
        self.keys: dict[tuple[str, str], str] = {}

    def key(self, role: Role, subject: str = "test admin") -> str:
        if (role, subject) not in self.keys:
            self.keys[(role, subject)] = make_key(self.session, role, holder=subject, now=NOW)
            self.session.commit()
        return self.keys[(role, subject)]

    def auth_for(self, path: str) -> dict[str, str]:
        parts = path.split("?")[0].strip("/").split("/")
        if parts[:2] == ["v1", "admin"]:
            return {"Authorization": f"Bearer {self.key(Role.BUREAU_ADMIN)}"}
        if len(parts) >= 3 and parts[0] == "v1" and parts[1] in ("enterprise", "provider"):
            role, table = (
                (Role.ENTERPRISE, Enterprise)
                if parts[1] == "enterprise"
                else (Role.PROVIDER, Provider)
            )
            uscc = parts[2].upper()
            if self.session.scalar(select(table.id).where(table.uscc == uscc)) is not None:
                return {"Authorization": f"Bearer {self.key(role, uscc)}"}
        return {}

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        headers = dict(kwargs.pop("headers", None) or {})
        if not any(k.lower() == "authorization" for k in headers):
            headers.update(self.auth_for(str(url)))
        return super().request(method, url, headers=headers, **kwargs)


def as_role(client: KeyedClient, role: Role, subject: str) -> dict[str, str]:
    """Headers of the key of ``subject`` in ``role`` (made once per test)."""
    return {"Authorization": f"Bearer {client.key(role, subject)}"}


# --- Made through the API, as users make them ------------------------------------------------


def post_provider(client: TestClient, code: str | None = None) -> str:
    """A provider (division 420100) with a one-line price list, registered by the bureau
    through the API; its credit code."""
    code = code or uscc(division="420100")
    response = client.post(
        "/v1/admin/providers",
        json={
            "uscc": code,
            "name": "武汉智算中心",
            "offerings": [
                {
                    "resource_kind": "accelerator",
                    "resource_model": "Ascend 910B",
                    "unit": "card_hour",
                    "list_price_yuan": "12.50",
                }
            ],
        },
    )
    assert response.status_code == 201, response.text
    return code


def post_voucher(
    client: TestClient, program: str, enterprise: str, face: str, valid_from: str = "2026-06-01"
) -> str:
    """A voucher of the program's 2026 pool issued by the bureau through the API; its code."""
    response = client.post(
        "/v1/admin/vouchers",
        json={
            "program_code": program,
            "year": 2026,
            "uscc": enterprise,
            "face_value_yuan": face,
            "valid_from": valid_from,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["code"]  # type: ignore[no-any-return]


def post_redemption(client: TestClient, enterprise: str, voucher: str, provider: str) -> None:
    """The enterprise redeems its voucher with the provider through the API."""
    response = client.post(
        f"/v1/enterprise/{enterprise}/redemptions",
        json={"voucher_code": voucher, "provider_uscc": provider},
    )
    assert response.status_code == 201, response.text


def telemetry_snapshot(
    price: str, *, available: int = 64, at: str = "2026-06-15T11:50:00+08:00"
) -> dict[str, Any]:
    """A provider's capacity snapshot as it posts it: 64 of 512 Ascend 910B free at ``price``."""
    return {
        "observed_at": at,
        "resource_model": "Ascend 910B",
        "total": 512,
        "available": available,
        "utilisation_percent": 87,
        "queue_wait_seconds": 300,
        "list_price_yuan": price,
    }


@dataclass
class Scene:
    """The metering scene: a program, its 2026 pool, an enterprise with a redeemed voucher,
    and a provider (codes), with the API calls tests make on them."""

    client: TestClient
    program: str
    enterprise: str
    provider: str
    voucher: str

    def record(self, record_id: str, fee: str = "100.00", **changes: Any) -> dict[str, Any]:
        """A valid usage record: 8 card-hours at 12.50 = 100.00 on the morning of June 15."""
        quantity, price = {"100.00": ("8", "12.50")}.get(fee, ("1", fee))
        body = {
            "record_id": record_id,
            "voucher_code": self.voucher,
            "uscc": self.enterprise,
            "resource_kind": "accelerator",
            "resource_model": "Ascend 910B",
            "quantity": quantity,
            "unit": "card_hour",
            "unit_price_yuan": price,
            "fee_yuan": fee,
            "service_start": "2026-06-15T08:00:00+08:00",
            "service_end": "2026-06-15T09:00:00+08:00",
            "attributes": {"job_id": record_id},
        }
        body.update(changes)
        return body

    def post(self, record_id: str, fee: str = "100.00", **changes: Any):  # type: ignore[no-untyped-def]
        return self.client.post(
            f"/v1/provider/{self.provider}/usage-records",
            json=self.record(record_id, fee, **changes),
        )

    def status(self) -> dict[str, Any]:
        response = self.client.get(
            f"/v1/enterprise/{self.enterprise}/status", params={"program": self.program}
        )
        return response.json()  # type: ignore[no-any-return]

    def voucher_state(self) -> dict[str, Any]:
        return self.client.get(f"/v1/admin/vouchers/{self.voucher}").json()  # type: ignore[no-any-return]


def make_scene(client: TestClient, session: Session) -> Scene:
    """The metering scene, its program and pool made directly, the rest through the API:
    a 1000.00 voucher redeemed with a provider."""
    program = make_program(session)
    make_pool(session, program, total_fen=1_000_000_00)
    enterprise = make_enterprise(session).uscc
    session.commit()
    provider = post_provider(client)
    voucher = post_voucher(client, program.code, enterprise, "1000.00")
    post_redemption(client, enterprise, voucher, provider)
    return Scene(client, program.code, enterprise, provider, voucher)


HONGSHAN, CITY, WUCHANG = "420111", "420100", "420106"  # the districts of the year's books


@dataclass
class Books:
    """A year of books to aggregate (see ``make_books``)."""

    client: KeyedClient
    small_cap: str  # program code: a 1,000-yuan cap, so an enterprise gets near it
    other: str  # program code: the default cap
    providers: tuple[str, str]
    enterprises: dict[str, str]  # name -> credit code
    vouchers: dict[str, str]  # name -> voucher code

    def post(self, provider: str, record_id: str, voucher: str, fee: str, day: str) -> None:
        holder = self.enterprises[voucher]
        body = usage_on(record_id, self.vouchers[voucher], holder, fee, day)
        response = self.client.post(f"/v1/provider/{provider}/usage-records", json=body)
        assert response.status_code == 201, response.text

    def aggregates(self, program: str, year: int = 2026) -> dict:  # type: ignore[type-arg]
        response = self.client.get(f"/v1/admin/programs/{program}/pools/{year}/aggregates")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


def make_books(client: KeyedClient, session: Session) -> Books:
    """A year of books, made through the API as the bureau, enterprises and providers make
    it: two programs with a 2026 pool each, enterprises in three districts (two approved on
    applications with their size classes, one issued a voucher directly), two providers,
    usage in May and June, a refund, an enterprise past 80% of its cap, and a revoked
    voucher."""
    small_cap = make_program(session, cap_fen=1_000_00)
    other = make_program(session)
    make_pool(session, small_cap, total_fen=100_000_00)
    make_pool(session, other, total_fen=500_000_00)
    hongshan = make_enterprise(session, name="洪山智能", division=HONGSHAN)
    city = make_enterprise(session, name="光谷数据", division=CITY)
    wuchang = make_enterprise(session, name="武昌模型", division=WUCHANG)
    applied = {
        "hongshan": make_application(
            session, program=small_cap, enterprise=hongshan, requested_fen=900_00
        ),
        "city": make_application(
            session,
            program=small_cap,
            enterprise=city,
            requested_fen=500_00,
            size_class=SizeClass.MICRO,
            headcount=8,
        ),
    }
    session.commit()
    a, b = post_provider(client), post_provider(client)
    vouchers = {}
    for name, application in applied.items():
        approved = client.post(f"/v1/admin/applications/{application.id}/approve", json={})
        assert approved.status_code == 200, approved.text
        vouchers[name] = approved.json()["voucher_code"]
    vouchers["wuchang"] = post_voucher(client, small_cap.code, wuchang.uscc, "300.00", "2026-05-01")
    vouchers["wuchang-other"] = post_voucher(
        client, other.code, wuchang.uscc, "2000.00", "2026-05-01"
    )
    vouchers["revoked"] = post_voucher(client, other.code, hongshan.uscc, "1000.00", "2026-06-01")
    enterprises = {
        "hongshan": hongshan.uscc,
        "city": city.uscc,
        "wuchang": wuchang.uscc,
        "wuchang-other": wuchang.uscc,
        "revoked": hongshan.uscc,
    }
    for name, provider in (
        ("hongshan", a),
        ("city", b),
        ("wuchang", a),
        ("wuchang", b),
        ("wuchang-other", b),
        ("revoked", a),
    ):
        post_redemption(client, enterprises[name], vouchers[name], provider)
    books = Books(client, small_cap.code, other.code, (a, b), enterprises, vouchers)
    books.post(a, "hs-1", "hongshan", "1700.00", "2026-06-15")  # 850.00: 85% of the cap
    books.post(b, "gd-1", "city", "201.00", "2026-06-15")  # 100.50
    books.post(a, "wc-1", "wuchang", "100.00", "2026-05-20")  # 50.00
    books.post(b, "wc-2", "wuchang", "80.00", "2026-06-02")  # 40.00
    books.post(b, "wo-1", "wuchang-other", "1000.00", "2026-05-10")  # 500.00
    books.post(a, "rv-1", "revoked", "300.00", "2026-06-10")  # 150.00, then revoked
    refund = client.post(
        f"/v1/provider/{a}/adjustments",
        json={"record_id": "wc-1-r", "adjusts_record_id": "wc-1", "refund_yuan": "40.00"},
    )
    assert refund.status_code == 201, refund.text  # 20.00 given back
    revoked = client.post(
        f"/v1/admin/vouchers/{vouchers['revoked']}/revoke", json={"reason": "deregistered"}
    )
    assert revoked.status_code == 200, revoked.text
    return books


# --- Accounts: people who sign in ------------------------------------------------------------

PASSWORD = "长江大桥-1957-wuhan"
PRODUCTION_HASHER = passwords.PASSWORD_HASHER
# Real argon2id, with the cost turned down: the tests sign in hundreds of times.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
# The logins ``make_people`` gives the bureau's people.
ADMIN, REVIEWER, AUDITOR = "admin.wang", "reviewer.li", "auditor.zhao"
FINANCE = "caiwu.liu"  # role bureau, finance only


def code_at(secret: str, moment: datetime = NOW) -> str:
    """The second-factor code of ``secret`` at ``moment``."""
    return pyotp.TOTP(secret).at(moment)


def wrong_code(secret: str, moment: datetime = NOW) -> str:
    """A six-digit code that is not the right one at ``moment``."""
    return "000000" if code_at(secret, moment) != "000000" else "111111"


def enrol(session: Session, person: Person) -> tuple[str, list[str]]:
    """Enrol ``person`` in the second factor a minute before NOW: its secret and its
    recovery codes."""
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
    """An account of each kind (see ``make_people``)."""

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


def make_account(
    session: Session, login: str, role: Role, *, uscc: str | None = None, **kw: object
) -> Person:
    """An account signing in with PASSWORD, made with the service function the command
    line uses."""
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


def make_people(session: Session) -> People:
    """An account of each kind, committed: the bureau's (ADMIN, REVIEWER, AUDITOR, a system
    administrator, FINANCE), two enterprises' and a provider's."""
    mine, theirs = make_enterprise(session), make_enterprise(session)
    provider = register_provider(session, uscc=uscc(division="420100"), name="智算", offerings=[])
    made = People(
        admin=make_account(session, ADMIN, Role.BUREAU_ADMIN),
        reviewer=make_account(session, REVIEWER, Role.BUREAU_REVIEWER),
        auditor=make_account(session, AUDITOR, Role.AUDITOR),
        enterprise=make_account(session, "finance.chen", Role.ENTERPRISE, uscc=mine.uscc),
        other_enterprise=make_account(session, "finance.zhou", Role.ENTERPRISE, uscc=theirs.uscc),
        provider=make_account(session, "ops.sun", Role.PROVIDER, uscc=provider.uscc),
        sysadmin=make_account(session, "it.qian", Role.BUREAU, duties=frozenset({Duty.SYSTEM})),
        finance=make_account(session, FINANCE, Role.BUREAU, duties=frozenset({Duty.FINANCE})),
    )
    session.commit()
    return made


@dataclass
class Month:
    """An SME's and a provider's month (see ``make_month``)."""

    client: KeyedClient
    program: str
    enterprise: str
    provider: str
    other_provider: str
    voucher: str

    def post(self, record_id: str, fee: str, day: str = "2026-06-10", **changes: Any) -> Any:
        body = {**usage_on(record_id, self.voucher, self.enterprise, fee, day), **changes}
        response = self.client.post(f"/v1/provider/{self.provider}/usage-records", json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def api(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


def make_month(client: KeyedClient, session: Session, people: People) -> Month:
    """An SME's and a provider's month for the console's pages: measure 2 with its 2026 pool,
    the enterprise of ``finance.chen`` holding a voucher redeemed with the provider of
    ``ops.sun``, a second provider, and usage posted through the API (one record refused)."""
    program = make_program(session, code="WH-AI-M2")
    make_pool(session, program)
    enterprise = get_enterprise(session, people.enterprise.enterprise_uscc or "")
    voucher = make_voucher(
        session, program=program, enterprise=enterprise, face_value_fen=50_000_00
    )
    provider = get_provider(session, people.provider.provider_uscc or "")
    other = make_provider(session, name="光谷智算")
    redeem(session, enterprise=enterprise, voucher_code=voucher.code, provider=provider)
    session.commit()
    month = Month(client, program.code, enterprise.uscc, provider.uscc, other.uscc, voucher.code)
    month.post("job-1", "100.00")
    month.post("job-2", "20.00", day="2026-06-11")
    month.post("job-3", "30.00", uscc=people.other_enterprise.enterprise_uscc)  # refused
    return month


# --- Reading back what a console page shows --------------------------------------------------

Browser = Callable[..., TestClient]  # the console fixture ``browser``: browser(login)

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the page's form."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(browser: TestClient, login: str, password: str = PASSWORD, **extra: str) -> Any:
    """Sign in through the form, as a person would: load it, post it with its token."""
    token = csrf_of(browser.get("/console/sign-in").text)
    form = {"login": login, "password": password, "csrf_token": token, **extra}
    return browser.post("/console/sign-in", data=form, follow_redirects=False)


def post_form(person: TestClient, page: str, action: str, **fields: Any) -> Any:
    """Submit a form as a person would: load the page for its token, then post."""
    token = csrf_of(person.get(page).text)
    return person.post(action, data={**fields, "csrf_token": token}, follow_redirects=False)


def section(html: str, element_id: str) -> str:
    """The HTML of the element with this id, up to the end of its section."""
    assert f'id="{element_id}"' in html, f"no #{element_id} on the page"
    return html.split(f'id="{element_id}"', 1)[1].split("</section>", 1)[0]


def keys_in(html: str, table_id: str) -> list[str]:
    """The data-keys of a table's rows, in order."""
    return [unescape(k) for k in re.findall(r'<tr data-key="([^"]*)"', section(html, table_id))]


def figure_fen(html: str, name: str) -> int:
    """A headline figure (``data-figure``) in fen, read from ``¥1,234.50``."""
    found = re.search(
        rf'data-figure="{name}">\s*<span class="figure-label">[^<]*</span>\s*'
        r'<span class="figure-value">([^<]+)</span>',
        html,
    )
    assert found, f"no figure {name}"
    return fen_from_display(found.group(1))


def fen(yuan: str | None) -> int | None:
    """A yuan string of the API in fen (None stays None)."""
    return None if yuan is None else yuan_to_fen(yuan, allow_negative=True)


def audit_count(session: Session) -> int:
    """How many entries the audit log holds."""
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def last_entry(session: Session, action: str) -> AuditEntry:
    """The audit log's latest entry of ``action``."""
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())  # type: ignore[attr-defined]
    )
    assert entry is not None, action
    return entry


def make_mail_reader(
    session: Session,
    login: str,
    *,
    enterprise: Enterprise | None = None,
    address: str | None = None,
    events: tuple[str, ...] | None = None,
) -> Person:
    """An enterprise's person who receives every enterprise event by mail (or ``events``)
    at ``address`` (default: ``login@example.com``)."""
    from voucher_service.notifications.events import Audience, events_for
    from voucher_service.notifications.service import choose_mail

    holder = enterprise or make_enterprise(session)
    person = make_account(session, login, Role.ENTERPRISE, uscc=holder.uscc)
    assert person.account.id is not None
    choose_mail(
        session,
        person.account.id,
        Audience.ENTERPRISE,
        address=address or f"{login}@example.com",
        events=list(events)
        if events is not None
        else [e.value for e in events_for(Audience.ENTERPRISE)],
        now=NOW,
    )
    return person


PROOF_PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def attach_proof(client: TestClient, uscc: str, claim_id: int, **kw: Any) -> dict[str, Any]:
    """File a proof of payment (a small PDF) with an enterprise's claim through the API:
    what a claim's approval needs on file."""
    answer = client.post(
        f"/v1/enterprise/{uscc}/claims/{claim_id}/materials",
        data={"kind": "payment_proof"},
        files={"file": ("transfer.pdf", PROOF_PDF, "application/pdf")},
        **kw,
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body
