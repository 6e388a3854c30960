"""Demo data: the Wuhan measure-2 program, its 2025 and 2026 pools, a dozen SMEs in Wuhan's
districts (valid credit codes, division codes 4201xx), a few vouchers, a compute provider with
its first telemetry, and an application waiting for review.
Loaded once: a second run finds the program and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from voucher_service.applications.service import ApplicationInput, submit
from voucher_service.auth.service import create_key, principal_for
from voucher_service.db.tables.applications import SizeClass
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Program
from voucher_service.db.tables.providers import Provider
from voucher_service.db.types import utcnow
from voucher_service.domain.rules import CapScope
from voucher_service.domain.uscc import check_character
from voucher_service.enterprises.service import register_enterprise
from voucher_service.monitoring.network import Snapshot, record_telemetry
from voucher_service.programs.service import RuleNumbers, create_pool, create_program
from voucher_service.providers.service import Offering, register_provider
from voucher_service.vouchers.service import issue_voucher

PROGRAM_CODE = "WH-AI-M2"
PROVIDER_NAME = "武汉人工智能计算中心"

DISTRICTS = {
    "420102": "江岸区",
    "420103": "江汉区",
    "420104": "硚口区",
    "420105": "汉阳区",
    "420106": "武昌区",
    "420107": "青山区",
    "420111": "洪山区",
    "420112": "东西湖区",
    "420113": "汉南区",
    "420114": "蔡甸区",
    "420115": "江夏区",
    "420116": "黄陂区",
}

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
]


def demo_uscc(division: str, serial: int) -> str:
    """A valid credit code for a company (91) registered in ``division``."""
    first17 = f"91{division}MA4K{serial:05d}"
    return first17 + check_character(first17)


@dataclass(frozen=True)
class DemoResult:
    loaded: bool
    enterprises: list[str]
    vouchers: list[str]
    provider: str = ""
    keys: dict[str, str] = field(default_factory=dict)


def load_demo(session: Session, *, today: date) -> DemoResult:
    if session.scalar(select(Program.id).where(Program.code == PROGRAM_CODE)) is not None:
        return DemoResult(loaded=False, enterprises=[], vouchers=[])
    program = create_program(
        session,
        code=PROGRAM_CODE,
        name="武汉市算力服务券 (Measure 2: inclusive compute supply)",
        description="武政规〔2025〕3号 第2条: 50% of compute-service fees, at most 200,000 CNY "
        "per enterprise, at most three years; annual pools of at least 10,000,000 CNY.",
        valid_from=date(2025, 3, 19),
        valid_to=date(2027, 3, 18),
        rules=RuleNumbers(
            effective_from=date(2025, 3, 19),
            rate_bp=5000,
            cap_fen=200_000_00,
            cap_scope=CapScope.LIFETIME,
            window_months=36,
            pool_minimum_fen=10_000_000_00,
        ),
    )
    for year in (2025, 2026):
        create_pool(session, program, year=year, total_fen=10_000_000_00, today=today)
    enterprises = [
        register_enterprise(session, uscc=demo_uscc(division, i + 1), name=name)
        for i, (division, name) in enumerate(zip(DISTRICTS, NAMES, strict=True))
    ]
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
    vouchers = []
    if date(2026, 1, 1) <= today <= date(2026, 12, 31):
        for enterprise, face_fen in zip(
            enterprises[:4], (50_000_00, 100_000_00, 200_000_00, 20_000_00), strict=True
        ):
            voucher = issue_voucher(
                session,
                program=program,
                year=2026,
                enterprise=enterprise,
                face_value_fen=face_fen,
                today=today,
            )
            vouchers.append(voucher.code)
    if date(2026, 1, 1) <= today <= date(2026, 12, 31):
        # One application waiting in the reviewers' queue.
        submit(
            session,
            enterprises[5],
            ApplicationInput(
                program=program,
                year=2026,
                requested_fen=60_000_00,
                planned_use="训练工业质检视觉模型 (training an industrial inspection model)",
                intended_providers=[provider.uscc],
                size_class=SizeClass.SMALL,
                headcount=48,
                revenue_fen=18_000_000_00,
                declares_no_related_party=True,
            ),
            today=today,
            now=utcnow(),
        )
    record_telemetry(
        session,
        provider,
        [Snapshot(utcnow(), "Ascend 910B", 512, 64, 8700, 300, 12_50)],
        now=utcnow(),
    )
    keys = _demo_keys(session, enterprises[0], provider)
    return DemoResult(
        keys=keys,
        loaded=True,
        enterprises=[e.uscc for e in enterprises],
        vouchers=vouchers,
        provider=provider.uscc,
    )


def _demo_keys(session: Session, enterprise: Enterprise, provider: Provider) -> dict[str, str]:
    """One key per role, so every part of the API can be tried."""
    now = utcnow()
    holders = {
        Role.BUREAU_ADMIN: principal_for(session, Role.BUREAU_ADMIN, name="demo admin"),
        Role.BUREAU_REVIEWER: principal_for(session, Role.BUREAU_REVIEWER, name="demo reviewer"),
        Role.AUDITOR: principal_for(session, Role.AUDITOR, name="demo auditor"),
        Role.ENTERPRISE: principal_for(session, Role.ENTERPRISE, enterprise=enterprise),
        Role.PROVIDER: principal_for(session, Role.PROVIDER, provider=provider),
    }
    return {
        role.value: create_key(session, principal, name="demo", now=now).key
        for role, principal in holders.items()
    }
