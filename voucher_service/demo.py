"""Demo data, measure 2 and measure 3 side by side, and a district top-up.

- Measure 2 (WH-AI-M2): its 2025 and 2026 pools, SMEs in each of Wuhan's thirteen districts
  (valid credit codes, division codes 4201xx), four vouchers issued today, an application
  waiting for review, and three SMEs whose applications were approved early in the year and
  who have used compute every month since (so the year's evaluation has figures).
- Measure 3 (WH-AI-M3, 垂直行业模型): its pools, a model developer selected (遴选) for the
  2026 batch with a voucher and monthly usage, and another application in the queue.
- A district top-up (WH-HS-TOPUP, 洪山区) declared on measure 2 with its own pool and a
  voucher (its pricing at ingest comes with the stacking integration).
- Two compute providers, the first with its telemetry.

Loaded once: a second run finds the program and changes nothing. The first run makes an
API key and a console account for each role, and returns them (shown once) with whom each
belongs to."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from voucher_service.accounts.service import create_account
from voucher_service.applications import selection
from voucher_service.applications.service import ApplicationInput, approve, submit
from voucher_service.auth.duties import duties_of
from voucher_service.auth.service import create_key, principal_for
from voucher_service.config import get_settings
from voucher_service.confirmations.service import by_two
from voucher_service.db.tables.applications import (
    Application,
    Sector,
    SelectionStatus,
    SizeClass,
)
from voucher_service.db.tables.auth import Duty, Role
from voucher_service.db.tables.confirmations import Confirmation
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Program
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.db.types import utcnow
from voucher_service.domain.divisions import WUHAN_DISTRICTS
from voucher_service.domain.rules import CapScope
from voucher_service.domain.usage import UsageReport
from voucher_service.domain.uscc import check_character
from voucher_service.enterprises.service import register_enterprise
from voucher_service.money import fen_to_yuan
from voucher_service.monitoring.network import Snapshot, record_telemetry
from voucher_service.notices.service import set_paperwork
from voucher_service.programs.proposals import propose_pool, propose_top_up
from voucher_service.programs.service import (
    Eligibility,
    RuleNumbers,
    create_program,
)
from voucher_service.programs.stacking import Declaration
from voucher_service.providers.service import Offering, register_provider
from voucher_service.redemptions.service import redeem
from voucher_service.usage.service import ingest_usage
from voucher_service.vouchers.service import issue_voucher

PROGRAM_CODE = "WH-AI-M2"
MEASURE_3_CODE = "WH-AI-M3"
TOP_UP_CODE = "WH-HS-TOPUP"
PROVIDER_NAME = "武汉人工智能计算中心"
SECOND_PROVIDER_NAME = "光谷智算科技有限公司"
DEMO_YEAR = 2026

NAMES = [
    "武汉江岸智算数据科技有限公司",
    "武汉汉江视觉智能有限公司",
    "武汉硚口工业大模型有限公司",
    "武汉汉阳车联智能科技有限公司",
    "武汉武昌语言模型研究有限公司",
    "武汉青山钢铁智控科技有限公司",
    "武汉光谷算力应用有限公司",
    "武汉东西湖医疗影像智能有限公司",
    "武汉汉南农业遥感科技有限公司",
    "武汉蔡甸智能制造有限公司",
    "武汉江夏具身智能机器人有限公司",
    "武汉黄陂文旅数字人科技有限公司",
    "武汉新洲港口物流智能有限公司",
]


def demo_uscc(division: str, serial: int) -> str:
    """A valid credit code for a company (91) registered in ``division``."""
    first17 = f"91{division}MA4K{serial:05d}"
    return first17 + check_character(first17)


@dataclass(frozen=True)
class DemoAccount:
    """A console account of the demo: who signs in, with what, on behalf of whom."""

    role: Role
    login: str
    password: str
    holder: str
    duties: str = ""  # a bureau person's, comma-separated


@dataclass(frozen=True)
class DemoResult:
    loaded: bool
    enterprises: list[str]
    vouchers: list[str]  # measure 2's, issued today
    provider: str = ""
    keys: dict[str, str] = field(default_factory=dict)  # slot (BUREAU_PEOPLE, or role): key
    holders: dict[str, str] = field(default_factory=dict)  # slot: whom its key belongs to
    accounts: list[DemoAccount] = field(default_factory=list)
    messages: int = 0  # inbox messages of the demo's people
    measure_3_voucher: str | None = None
    top_up_voucher: str | None = None


def load_demo(session: Session, *, today: date) -> DemoResult:
    if session.scalar(select(Program.id).where(Program.code == PROGRAM_CODE)) is not None:
        return DemoResult(loaded=False, enterprises=[], vouchers=[])
    program = _measure_2(session)
    measure_3 = _measure_3(session)
    top_up = _district_top_up(session, program)
    enterprises = _enterprises(session)
    provider, optics_valley = _providers(session)
    year = _DemoYear([], None, None)
    if date(DEMO_YEAR, 1, 1) <= today <= date(DEMO_YEAR, 12, 31):
        year = _the_demo_year(
            session, (program, measure_3, top_up), enterprises, (provider, optics_valley), today
        )
    record_telemetry(
        session,
        provider,
        [Snapshot(utcnow(), "Ascend 910B", 512, 64, 8700, 300, 12_50)],
        now=utcnow(),
    )
    keys, holders = _demo_keys(session, enterprises[0], provider)
    return DemoResult(
        keys=keys,
        holders=holders,
        accounts=_demo_accounts(session, enterprises[0], provider),
        messages=_first_messages(session, enterprises[0], today),
        loaded=True,
        enterprises=[e.uscc for e in enterprises],
        vouchers=year.vouchers,
        provider=provider.uscc,
        measure_3_voucher=year.measure_3_voucher,
        top_up_voucher=year.top_up_voucher,
    )


def _measure_2(session: Session) -> Program:
    """Measure 2 (普惠算力供给: 50% of fees, 200,000 CNY per enterprise, three years), with
    its 2025 and 2026 pools."""
    return _city_measure(
        session,
        code=PROGRAM_CODE,
        name="武汉市算力服务券（第二条：普惠算力供给）",
        description="武政规〔2025〕3号 第二条：按算力服务费用的50%给予补助，每家企业累计最高"
        "20万元，补助期限最长三年；每年安排券池不少于1000万元。",
        cap_fen=200_000_00,
        pool_minimum_fen=10_000_000_00,
        pool_fen=10_000_000_00,
    )


def _measure_3(session: Session) -> Program:
    """Measure 3 (垂直行业模型: 每年50%、最长三年、累计最高500万元), for selected models."""
    return _city_measure(
        session,
        code=MEASURE_3_CODE,
        name="垂直行业模型算力补助（第三条：垂直行业模型）",
        description="武政规〔2025〕3号 第三条：对遴选的垂直行业模型，每年按算力费用的50%给予"
        "补助，最长三年，累计最高500万元。",
        cap_fen=5_000_000_00,
        pool_minimum_fen=0,
        pool_fen=50_000_000_00,
        eligibility=Eligibility(
            sme_max_headcount=100_000,
            sme_max_revenue_fen=100_000_000_000_00,
            requires_selection=True,
        ),
    )


def _city_measure(
    session: Session,
    *,
    code: str,
    name: str,
    description: str,
    cap_fen: int,
    pool_minimum_fen: int,
    pool_fen: int,
    eligibility: Eligibility = Eligibility(),  # noqa: B008  (frozen: never changed)
) -> Program:
    """A measure of 武政规〔2025〕3号 (in force 2025-03-19 to 2027-03-18): 50% of fees, its cap
    over at most three years, with a pool of ``pool_fen`` for 2025 and for 2026."""
    program = create_program(
        session,
        code=code,
        name=name,
        description=description,
        valid_from=date(2025, 3, 19),
        valid_to=date(2027, 3, 18),
        rules=RuleNumbers(
            effective_from=date(2025, 3, 19),
            rate_bp=5000,
            cap_fen=cap_fen,
            cap_scope=CapScope.LIFETIME,
            window_months=36,
            pool_minimum_fen=pool_minimum_fen,
        ),
        eligibility=eligibility,
    )
    for year in (2025, 2026):
        _open_pool(session, program, year, pool_fen)
    return program


def _enterprises(session: Session) -> list[Enterprise]:
    """One SME in each of Wuhan's thirteen districts."""
    return [
        register_enterprise(session, uscc=demo_uscc(division, i + 1), name=name)
        for i, (division, name) in enumerate(zip(WUHAN_DISTRICTS, NAMES, strict=True))
    ]


def _providers(session: Session) -> tuple[Provider, Provider]:
    """The city's computing centre (three offerings) and a second provider in Optics Valley."""
    provider = register_provider(
        session,
        uscc=demo_uscc("420100", 100),
        name=PROVIDER_NAME,
        offerings=[
            Offering("accelerator", "Ascend 910B", "card_hour", 12_50),
            Offering("cpu", "Kunpeng 920", "core_hour", 8),
            Offering("model_api", "DeepSeek-R1", "million_tokens", 16_00),
        ],
    )
    optics_valley = register_provider(
        session,
        uscc=demo_uscc("420100", 101),
        name=SECOND_PROVIDER_NAME,
        offerings=[Offering("accelerator", "Ascend 910B", "card_hour", 12_50)],
    )
    return provider, optics_valley


@dataclass(frozen=True)
class _DemoYear:
    """The vouchers the demo year issued (none when today is outside it)."""

    vouchers: list[str]  # measure 2's, issued today
    measure_3_voucher: str | None
    top_up_voucher: str | None


def _the_demo_year(
    session: Session,
    programs: tuple[Program, Program, Program],
    enterprises: list[Enterprise],
    providers: tuple[Provider, Provider],
    today: date,
) -> _DemoYear:
    """Measure 2's vouchers issued today, an application waiting for review, three SMEs
    approved early in the year with their usage since, measure 3's selected developer and
    the top-up's voucher."""
    program, measure_3, top_up = programs
    provider, optics_valley = providers
    vouchers = [
        issue_voucher(
            session,
            program=program,
            year=DEMO_YEAR,
            enterprise=enterprise,
            face_value_fen=face_fen,
            today=today,
        ).code
        for enterprise, face_fen in zip(
            enterprises[:4], (50_000_00, 100_000_00, 200_000_00, 20_000_00), strict=True
        )
    ]
    _waiting_application(session, program, enterprises[5], provider, today)
    year_so_far = _UsageYear(session, optics_valley, today)
    for enterprise, size, month, face_fen in (
        (enterprises[4], SizeClass.SMALL, 1, 100_000_00),
        (enterprises[9], SizeClass.MEDIUM, 2, 150_000_00),
        (enterprises[12], SizeClass.MICRO, 3, 60_000_00),
    ):
        year_so_far.approved(program, enterprise, size, month, face_fen)
    m3_voucher = year_so_far.selected(measure_3, enterprises[7], enterprises[8])
    top_up_voucher = issue_voucher(
        session,
        program=top_up,
        year=DEMO_YEAR,
        enterprise=enterprises[6],
        face_value_fen=20_000_00,
        today=today,
    ).code
    _in_public_notice(session, top_up, enterprises[6], provider, today)
    return _DemoYear(vouchers, m3_voucher, top_up_voucher)


def _in_public_notice(
    session: Session, top_up: Program, enterprise: Enterprise, provider: Provider, today: date
) -> None:
    """The district publishes its approvals (公示) before it issues: one more application of
    its Hongshan SME, approved and standing in public notice (its amount reserved)."""
    set_paperwork(
        session, top_up, required_materials=[], notice_enabled=True, notice_working_days=5
    )
    application = _waiting_application(
        session,
        top_up,
        enterprise,
        provider,
        today,
        requested_fen=10_000_00,
        planned_use="视觉检测模型推理",
        headcount=35,
        revenue_fen=8_000_000_00,
    )
    approve(
        session,
        application,
        amount_fen=None,
        reason="演示：经区级审核，进入公示",
        today=today,
        now=utcnow(),
    )


def _waiting_application(
    session: Session,
    program: Program,
    enterprise: Enterprise,
    provider: Provider,
    today: date,
    *,
    requested_fen: int = 60_000_00,
    planned_use: str = "训练工业质检视觉模型",
    headcount: int = 48,
    revenue_fen: int = 18_000_000_00,
) -> Application:
    """One small enterprise's application, submitted today: it waits in the reviewers' queue."""
    return submit(
        session,
        enterprise,
        ApplicationInput(
            program=program,
            year=DEMO_YEAR,
            requested_fen=requested_fen,
            planned_use=planned_use,
            intended_providers=[provider.uscc],
            size_class=SizeClass.SMALL,
            headcount=headcount,
            revenue_fen=revenue_fen,
            declares_no_related_party=True,
        ),
        today=today,
        now=utcnow(),
    )


def _district_top_up(session: Session, base: Program) -> Program:
    """Hongshan district tops measure 2 up by 20%, the two together at most 70% of a fee."""
    top_up = create_program(
        session,
        code=TOP_UP_CODE,
        name="洪山区算力券区级叠加补贴",
        description="鼓励各区因地制宜出台：对注册在洪山区的中小企业，在市级50%之外再按费用的"
        "20%给予叠加补贴，每家最高5万元，市区合计不超过费用的70%。",
        valid_from=date(DEMO_YEAR, 1, 1),
        valid_to=date(DEMO_YEAR, 12, 31),
        rules=RuleNumbers(
            effective_from=date(DEMO_YEAR, 1, 1),
            rate_bp=2000,
            cap_fen=50_000_00,
            cap_scope=CapScope.LIFETIME,
            window_months=12,
            pool_minimum_fen=0,
        ),
        eligibility=Eligibility(region_prefix="420111"),
    )
    # Declared, and its pool opened, as the district did on the first day of its program.
    declaration = Declaration(base, stack_order=1, ceiling_bp=7000)
    day = top_up.valid_from
    _by_two(
        session, lambda now: propose_top_up(session, top_up, declaration, today=day, now=now), day
    )
    _open_pool(session, top_up, DEMO_YEAR, 2_000_000_00)
    return top_up


def _open_pool(session: Session, program: Program, year: int, total_fen: int) -> None:
    """A pool as the bureau opened it, at the start of its year (or of the program): the
    demo's history, whatever day it is loaded on."""
    day = max(date(year, 1, 1), program.valid_from)
    _by_two(
        session,
        lambda now: propose_pool(
            session, program, year=year, total_fen=total_fen, today=day, now=now
        ),
        day,
    )


def _by_two(session: Session, proposal: Callable[[datetime], Confirmation], day: date) -> None:
    """Program administration by two people (docs/access.md): demo.program proposes, demo
    admin (a bureau_admin, who holds program administration too) confirms."""
    people = {slot: (role, duties, name) for slot, role, duties, name, _ in BUREAU_PEOPLE}
    maker, checker = (
        principal_for(session, role, name=name, duties=duties)
        for role, duties, name in (people["program"], people["bureau_admin"])
    )
    by_two(session, proposal, maker=maker, checker=checker, today=day)


class _UsageYear:
    """The demo year so far: enterprises that applied early, were approved, redeemed their
    vouchers with a provider and used compute every month before today."""

    def __init__(self, session: Session, provider: Provider, today: date) -> None:
        self.session, self.provider, self.today = session, provider, today
        self.tz = get_settings().tz

    def moment(self, day: date) -> datetime:
        return datetime.combine(day, time(10), self.tz)

    def approved(
        self, program: Program, enterprise: Enterprise, size: SizeClass, month: int, face_fen: int
    ) -> None:
        applied_on, approved_on = date(DEMO_YEAR, month, 3), date(DEMO_YEAR, month, 5)
        if approved_on >= self.today:
            return
        application = submit(
            self.session,
            enterprise,
            ApplicationInput(
                program=program,
                year=DEMO_YEAR,
                requested_fen=face_fen,
                planned_use="大模型微调与推理",
                intended_providers=[self.provider.uscc],
                size_class=size,
                headcount={SizeClass.MICRO: 8, SizeClass.SMALL: 60}.get(size, 260),
                revenue_fen=30_000_000_00,
                declares_no_related_party=True,
            ),
            today=applied_on,
            now=self.moment(applied_on),
        )
        approve(
            self.session,
            application,
            amount_fen=None,
            reason="演示：材料齐全，予以批准",
            today=approved_on,
            now=self.moment(approved_on),
        )
        voucher = self.session.get(Voucher, application.voucher_id)
        assert voucher is not None
        self.used(enterprise, voucher, month, card_hours=800 + 150 * month)

    def selected(self, measure_3: Program, developer: Enterprise, waiting: Enterprise) -> str:
        """Measure 3: the developer's model selected for the year, a voucher, usage; another
        applicant waits for the batch."""
        applied_on = min(self.today, date(DEMO_YEAR, 2, 1))
        rows = [
            selection.apply(
                self.session,
                enterprise,
                selection.SelectionInput(
                    program=measure_3,
                    year=DEMO_YEAR,
                    model_name=name,
                    sector=sector,
                    filing_reference=f"Hubei-{DEMO_YEAR}0201-{sector.value[:2].upper()}",
                ),
                today=applied_on,
                now=self.moment(applied_on),
            )
            for enterprise, name, sector in (
                (developer, "医学影像辅助诊断大模型", Sector.HEALTHCARE),
                (waiting, "农业遥感作物识别大模型", Sector.REMOTE_SENSING),
            )
        ]
        chosen_on = min(self.today, date(DEMO_YEAR, 2, 10))
        selection.decide(
            self.session,
            rows[0],
            SelectionStatus.SELECTED,
            reason=f"{DEMO_YEAR}年度遴选",
            today=chosen_on,
            now=self.moment(chosen_on),
        )
        voucher = issue_voucher(
            self.session,
            program=measure_3,
            year=DEMO_YEAR,
            enterprise=developer,
            face_value_fen=1_000_000_00,
            today=chosen_on,
            valid_from=chosen_on,
        )
        self.used(developer, voucher, 2, card_hours=20_000)
        return voucher.code

    def used(
        self, enterprise: Enterprise, voucher: Voucher, first_month: int, card_hours: int
    ) -> None:
        """Redeem with the provider, then one job on the 15th of each month before today,
        growing by a tenth a month."""
        redeem(
            self.session, enterprise=enterprise, voucher_code=voucher.code, provider=self.provider
        )
        reports = []
        for month in range(first_month, 13):
            day = date(DEMO_YEAR, month, 15)
            if day >= self.today or day < voucher.valid_from:
                continue
            hours = card_hours + card_hours * (month - first_month) // 10
            start = self.moment(day)
            reports.append(
                UsageReport(
                    record_id=f"demo-{voucher.code}-{month:02d}",
                    voucher_code=voucher.code,
                    uscc=enterprise.uscc,
                    resource_kind="accelerator",
                    resource_model="Ascend 910B",
                    quantity=Decimal(hours),
                    unit="card_hour",
                    unit_price_fen=12_50,
                    fee_fen=hours * 12_50,
                    service_start=start,
                    service_end=start + timedelta(hours=8),
                )
            )
        if reports:
            ingest_usage(
                self.session,
                self.provider,
                reports,
                now=self.moment(self.today),
                tz=self.tz,
                grace_days=get_settings().grace_days,
            )


BUREAU = "the bureau (市经信局)"


def _company(company: Enterprise | Provider) -> str:
    return f"{company.name} ({company.uscc})"


# The bureau's demo people: (slot, role, duties, key holder and login, display name). One
# person per duty (docs/access.md), and the legacy roles' people, whose keys the older
# examples use; a new person's key and account are the same person (one principal).
BUREAU_PEOPLE: tuple[tuple[str, Role, frozenset[Duty], str, str], ...] = (
    ("bureau_admin", Role.BUREAU_ADMIN, frozenset(), "demo admin", "演示管理员"),
    ("sysadmin", Role.BUREAU, frozenset({Duty.SYSTEM}), "demo.it", "演示系统管理员"),
    ("program", Role.BUREAU, frozenset({Duty.PROGRAM}), "demo.program", "演示项目管理员"),
    ("bureau_reviewer", Role.BUREAU_REVIEWER, frozenset(), "demo reviewer", "演示审核员"),
    ("finance", Role.BUREAU, frozenset({Duty.FINANCE}), "demo.finance", "演示财务"),
    ("auditor", Role.AUDITOR, frozenset(), "demo auditor", "演示审计员"),
)


def _demo_keys(
    session: Session, enterprise: Enterprise, provider: Provider
) -> tuple[dict[str, str], dict[str, str]]:
    """One key per bureau person (keyed by their slot: ``bureau_admin``, ``sysadmin``,
    ``program``, ``bureau_reviewer``, ``finance``, ``auditor``), the enterprise's and the
    provider's, so every part of the API can be tried; and whom each belongs to."""
    now = utcnow()
    holders = {
        slot: (
            principal_for(session, role, name=name, duties=duties),
            f"{role.value}"
            + (f" ({', '.join(sorted(d.value for d in duties))})" if duties else "")
            + f": {name}, {BUREAU}",
        )
        for slot, role, duties, name, _ in BUREAU_PEOPLE
    }
    holders[Role.ENTERPRISE.value] = (
        principal_for(session, Role.ENTERPRISE, enterprise=enterprise),
        f"{Role.ENTERPRISE.value}: {_company(enterprise)}",
    )
    holders[Role.PROVIDER.value] = (
        principal_for(session, Role.PROVIDER, provider=provider),
        f"{Role.PROVIDER.value}: {_company(provider)}",
    )
    keys = {
        slot: create_key(session, principal, name="演示密钥", now=now).key
        for slot, (principal, _) in holders.items()
    }
    return keys, {slot: holder for slot, (_, holder) in holders.items()}


def _demo_accounts(
    session: Session, enterprise: Enterprise, provider: Provider
) -> list[DemoAccount]:
    """One console account per bureau person (the new people's are their keys' principals),
    the enterprise's and the provider's, with a random password (shown once, like the keys)."""
    people: list[tuple[Role, str, str, frozenset[Duty], str | None, str]] = [
        (
            role,
            name if role is Role.BUREAU else f"demo.{slot.removeprefix('bureau_')}",
            display_name,
            duties,
            None,
            BUREAU,
        )
        for slot, role, duties, name, display_name in BUREAU_PEOPLE
    ]
    people += [
        (
            Role.ENTERPRISE,
            "demo.enterprise",
            "演示企业用户",
            frozenset(),
            enterprise.uscc,
            _company(enterprise),
        ),
        (
            Role.PROVIDER,
            "demo.provider",
            "演示服务商用户",
            frozenset(),
            provider.uscc,
            _company(provider),
        ),
    ]
    accounts = []
    for role, login, display_name, duties, uscc, holder in people:
        password = secrets.token_urlsafe(12)
        person = create_account(
            session,
            login=login,
            display_name=display_name,
            role=role,
            password=password,
            uscc=uscc,
            duties=duties,
            now=utcnow(),
        )
        what = ", ".join(sorted(d.value for d in duties_of(person.principal)))
        accounts.append(DemoAccount(role, login, password, holder, what))
    return accounts


def _first_messages(session: Session, enterprise: Enterprise, today: date) -> int:
    """The demo's inboxes: demo.enterprise is told of its vouchers (and wants every event by
    mail, which the worker writes to its log when no SMTP server is set), and the periodic
    notifications of today run (the reviewers' applications waiting). How many messages."""
    from voucher_service.db.tables.accounts import Account
    from voucher_service.notifications import Event, notify, of_enterprise
    from voucher_service.notifications.events import Audience, events_for
    from voucher_service.notifications.scheduled import JOBS
    from voucher_service.notifications.service import choose_mail

    account = session.scalar(select(Account.id).where(Account.login == "demo.enterprise"))
    assert account is not None
    offered = [event.value for event in events_for(Audience.ENTERPRISE)]
    choose_mail(
        session,
        account,
        Audience.ENTERPRISE,
        address="demo.enterprise@example.com",
        events=offered,
        now=utcnow(),
    )
    told = 0
    for voucher, program in session.execute(
        select(Voucher, Program.name)
        .join(Program, Program.id == Voucher.program_id)
        .where(Voucher.enterprise_id == enterprise.id)
        .order_by(Voucher.id)
    ):
        told += notify(
            session,
            Event.VOUCHER_ISSUED,
            of_enterprise(enterprise.id),
            voucher=voucher.code,
            program=program,
            amount=fen_to_yuan(voucher.face_value_fen),
            valid_from=voucher.valid_from,
            valid_to=voucher.valid_to,
        )
    for _, job in JOBS:
        told += job(session, today, utcnow(), get_settings())
    return told
