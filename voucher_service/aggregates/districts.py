"""A district's own view of its top-up spending (区级叠加补贴): each program of the district
(a program whose region is the district's six-digit code, stacked on a city measure or on
its own), each of its annual pools with its totals, the enterprises it supported and its
subsidies month by month — the same figures as the bureau's per-pool aggregates
(``aggregates.service``), so the two pages always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service.aggregates.service import MonthFigures, PoolSummary, aggregates
from voucher_service.db.tables.programs import Pool, Program, TopUp
from voucher_service.domain.divisions import WUHAN_DISTRICTS, division_name
from voucher_service.errors import ErrorCode, NotFound


@dataclass(frozen=True)
class DistrictPool:
    """One annual pool of a district's program: its totals, the enterprises whose vouchers
    drew on it, and its months."""

    summary: PoolSummary
    enterprises: int
    months: list[MonthFigures]


@dataclass(frozen=True)
class DistrictProgram:
    program: Program
    base_code: str | None  # the program it tops up, if it is a top-up
    pools: list[DistrictPool]


@dataclass(frozen=True)
class DistrictSpending:
    code: str
    name: str
    programs: list[DistrictProgram]


def district_spending(
    session: Session, district_code: str, *, now: datetime, tz: ZoneInfo
) -> DistrictSpending:
    """The top-up spending of one of Wuhan's districts (NotFound for any other code)."""
    if district_code not in WUHAN_DISTRICTS:
        raise NotFound(
            "no Wuhan district {district_code!r}",
            code=ErrorCode.NOT_FOUND,
            district_code=district_code,
        )
    rows = session.execute(
        select(Program, TopUp.base_program_id)
        .outerjoin(TopUp, TopUp.program_id == Program.id)
        .where(Program.region_prefix == district_code)
        .order_by(Program.id)
    ).all()
    bases: dict[int, str] = dict(
        session.execute(
            select(Program.id, Program.code).where(
                col(Program.id).in_([b for _, b in rows if b is not None])
            )
        ).all()
    )
    programs = []
    for program, base_id in rows:
        pools = session.scalars(
            select(Pool).where(Pool.program_id == program.id).order_by(Pool.year)
        )
        shown = []
        for pool in pools:
            figures = aggregates(session, program, pool, now=now, tz=tz)
            supported = sum(line.enterprises or 0 for line in figures.by_district)
            shown.append(DistrictPool(figures.summary, supported, figures.months))
        programs.append(DistrictProgram(program, bases.get(base_id), shown))
    return DistrictSpending(district_code, division_name(district_code), programs)
