"""One pool's figures, one call for the API and the console: a ``PoolQuery`` names the pool
as a caller has it (a program code and a year: ``programs.queries``) and ``pool_figures``
resolves it (an unknown program or year is NotFound) and reads the figures
(``service.aggregates``)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from voucher_service.aggregates.service import PoolAggregates, aggregates
from voucher_service.programs.queries import PoolQuery
from voucher_service.programs.service import get_pool, get_program


def pool_figures(
    session: Session, query: PoolQuery, *, now: datetime, tz: ZoneInfo
) -> PoolAggregates:
    """The figures of the program's pool of the year, as of ``now``."""
    program = get_program(session, query.program)
    pool = get_pool(session, program, query.year)
    return aggregates(session, program, pool, now=now, tz=tz)
