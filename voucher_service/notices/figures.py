"""Open data (政务公开): the program's own figures for one year, for anyone to read.

Pool size and use; vouchers' face value and subsidies by district, by industry (measure 3's
sector of a selected model; other enterprises are "unclassified") and by month of issue; the
number of enterprises supported. A cell built from fewer than ``MIN_ENTERPRISES``
enterprises is suppressed (its amounts None, ``suppressed`` true), and when that leaves a
single suppressed cell in a breakdown the next smallest is suppressed too (else the total
less the cells shown would give it away): no figure lets anyone work out one enterprise's
spending. Totals of the whole pool are not cells of enterprises
(a pool's size and what is left of it are published by the bureau anyway).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from voucher_service.db.tables.applications import ModelSelection, SelectionStatus
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Program
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.domain.divisions import division_name
from voucher_service.programs.service import get_pool, get_program

MIN_ENTERPRISES = 3
UNCLASSIFIED = "unclassified"


@dataclass
class Cell:
    """One row of a breakdown: how many enterprises, and their vouchers' amounts (None when
    fewer than ``MIN_ENTERPRISES`` enterprises make it up)."""

    key: str
    label: str
    enterprises: set[int] = field(default_factory=set)
    issued_sum_fen: int = 0
    subsidy_sum_fen: int = 0
    also_suppressed: bool = False  # secondary suppression: see ``_suppressed``

    @property
    def suppressed(self) -> bool:
        return self.also_suppressed or len(self.enterprises) < MIN_ENTERPRISES

    @property
    def enterprise_count(self) -> int | None:
        return None if self.suppressed else len(self.enterprises)

    @property
    def issued(self) -> int | None:
        return None if self.suppressed else self.issued_sum_fen

    @property
    def subsidised(self) -> int | None:
        return None if self.suppressed else self.subsidy_sum_fen


@dataclass(frozen=True)
class OpenFigures:
    program: Program
    year: int
    pool_total_fen: int
    pool_available_fen: int
    issued_fen: int
    subsidised_fen: int
    enterprises_supported: int
    by_district: list[Cell]
    by_industry: list[Cell]
    by_month: list[Cell]


def open_figures(session: Session, program_code: str, year: int) -> OpenFigures:
    """The public figures of a program's ``year`` (404 when it has no such pool)."""
    program = get_program(session, program_code)
    pool = get_pool(session, program, year)
    sectors: dict[int, str] = dict(
        session.execute(
            select(ModelSelection.enterprise_id, ModelSelection.sector).where(
                ModelSelection.status == SelectionStatus.SELECTED,
                ModelSelection.year == year,
            )
        ).all()
    )
    rows = session.execute(
        select(
            Voucher.enterprise_id,
            Voucher.face_value_fen,
            Voucher.subsidised_fen,
            Voucher.valid_from,
            Enterprise.district_code,
        )
        .join(Enterprise, Enterprise.id == Voucher.enterprise_id)
        .where(Voucher.pool_id == pool.id)
    ).all()
    districts: dict[str, Cell] = {}
    industries: dict[str, Cell] = {}
    months: dict[str, Cell] = {}
    supported: set[int] = set()
    totals: dict[str, int] = defaultdict(int)
    for enterprise_id, face, subsidised, valid_from, district in rows:
        supported.add(enterprise_id)
        totals["issued"] += face
        totals["subsidised"] += subsidised
        sector = sectors.get(enterprise_id, UNCLASSIFIED)
        month = f"{valid_from:%Y-%m}"
        for cells, key, label in (
            (districts, district, division_name(district)),
            (industries, sector, sector),
            (months, month, month),
        ):
            cell = cells.setdefault(key, Cell(key, label))
            cell.enterprises.add(enterprise_id)
            cell.issued_sum_fen += face
            cell.subsidy_sum_fen += subsidised
    return OpenFigures(
        program=program,
        year=year,
        pool_total_fen=pool.total_fen,
        pool_available_fen=pool.available_fen,
        issued_fen=totals["issued"],
        subsidised_fen=totals["subsidised"],
        enterprises_supported=len(supported),
        by_district=_suppressed(districts),
        by_industry=_suppressed(industries),
        by_month=_suppressed(months),
    )


def _suppressed(cells: dict[str, Cell]) -> list[Cell]:
    """A breakdown in key order, with secondary suppression: one hidden cell alone would be
    the published total less the others, so the smallest shown one is hidden with it."""
    hidden = [c for c in cells.values() if c.suppressed]
    shown = sorted((c for c in cells.values() if not c.suppressed), key=lambda c: c.issued_sum_fen)
    if len(hidden) == 1 and shown:
        shown[0].also_suppressed = True
    return sorted(cells.values(), key=lambda c: c.key)
