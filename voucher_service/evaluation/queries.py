"""A program's yearly evaluation, one call for the API and the console: ``evaluate_year``
resolves the ``PoolQuery`` (an unknown program is NotFound) and evaluates it."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from voucher_service.evaluation.service import Evaluation, evaluate
from voucher_service.programs.queries import PoolQuery
from voucher_service.programs.service import get_program


def evaluate_year(session: Session, query: PoolQuery, *, today: date, tz: ZoneInfo) -> Evaluation:
    """The program's evaluation for the year, as of ``today``."""
    return evaluate(session, get_program(session, query.program), query.year, today=today, tz=tz)
