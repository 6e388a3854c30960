"""One-line builders of valid entities, with keyword arguments for what a test cares about."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Pool, Program
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.domain.rules import CapScope
from voucher_service.domain.uscc import check_character
from voucher_service.enterprises.service import register_enterprise
from voucher_service.programs.service import RuleNumbers, create_pool, create_program
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
    )


def make_pool(
    session: Session, program: Program, *, year: int = 2026, total_fen: int = 1_000_000_00
) -> Pool:
    return create_pool(session, program, year=year, total_fen=total_fen)


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
