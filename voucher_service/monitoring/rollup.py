"""Usage rolled up by provider, day and outcome — and by the pool whose voucher a record drew
on and its service month — so /metrics and the bureau's aggregates never scan the usage
records.

A scrape (or anything that reads the rollup) first brings it up to date, at most once every
``ROLLUP_SECONDS``: the rows of the days from yesterday on are recomputed from the usage
records created on them (an index range on ``created_at``), in the reader's transaction,
under a lock on the one state row — several API processes never refresh at once, and a
refresh done moments ago by another is not done again. So the figures are at most
``ROLLUP_SECONDS`` old, and a refresh reads about two days of records, not the whole table.

Why two days: usage records are never changed or deleted, and each is created (its
``created_at``) inside the transaction that commits it. Any record created before yesterday
was committed long ago — a transaction would have to stay open for more than a day to add
one later — so rows before yesterday, once computed, are final. The first refresh computes
every day once (``built``).

The pool and the service month are what the bureau's figures per program and year need
(subsidies by month and by provider, ``aggregates/``): one row per provider, creation day,
outcome, pool and service month, a few per provider and day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, cast, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from voucher_service.db.base import table
from voucher_service.db.tables.rollups import RollupState, UsageRollup
from voucher_service.db.tables.usage import UsageRecord
from voucher_service.db.tables.vouchers import Voucher

ROLLUP_SECONDS = 15  # how old the figures may be
ROLLUP = table(UsageRollup)
STATE = table(RollupState)
RECORDS = table(UsageRecord)
VOUCHERS = table(Voucher)


def refresh(session: Session, now: datetime) -> None:
    """Bring the rollup up to date unless it was refreshed less than ``ROLLUP_SECONDS`` ago."""
    state = session.execute(
        select(STATE.c.refreshed_at, STATE.c.built).where(STATE.c.id == 1).with_for_update()
    ).one()
    fresh = state.refreshed_at is not None and now - state.refreshed_at < timedelta(
        seconds=ROLLUP_SECONDS
    )
    if state.built and fresh:
        return
    since = None
    if state.built:
        since = datetime.combine(now.date() - timedelta(days=1), time(), now.tzinfo)
    day, month = _utc_day(session), _service_month(session)
    source = (
        select(
            RECORDS.c.provider_id,
            day.label("day"),
            RECORDS.c.outcome,
            VOUCHERS.c.pool_id,
            month.label("service_month"),
            func.count().label("records"),
            func.coalesce(func.sum(RECORDS.c.fee_fen), 0),
            func.coalesce(func.sum(RECORDS.c.subsidy_fen), 0),
        )
        .select_from(RECORDS.outerjoin(VOUCHERS, VOUCHERS.c.id == RECORDS.c.voucher_id))
        .group_by(RECORDS.c.provider_id, day, RECORDS.c.outcome, VOUCHERS.c.pool_id, month)
    )
    stale = delete(ROLLUP)
    if since is not None:
        source = source.where(RECORDS.c.created_at >= since)
        stale = stale.where(ROLLUP.c.day >= since.date())
    session.execute(stale)
    session.execute(
        insert(ROLLUP).from_select(
            [
                "provider_id",
                "day",
                "outcome",
                "pool_id",
                "service_month",
                "records",
                "fee_fen",
                "subsidy_fen",
            ],
            source,
        )
    )
    session.execute(update(STATE).where(STATE.c.id == 1).values(refreshed_at=now, built=True))


def _utc_day(session: Session) -> Any:
    """The UTC calendar day of a record's ``created_at``, in the database's own terms."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(literal("UTC"), RECORDS.c.created_at), Date)
    return func.date(RECORDS.c.created_at)  # SQLite keeps it as UTC text


def _service_month(session: Session) -> Any:
    """The first day of a record's service month (its service date is already the program's
    local day)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc(literal("month"), RECORDS.c.service_date), Date)
    return func.date(RECORDS.c.service_date, literal("start of month"))


def totals(session: Session, now: datetime) -> dict[tuple[int, str], tuple[int, int, int]]:
    """Records, fees and subsidies of all time by (provider id, outcome)."""
    refresh(session, now)
    rows = session.execute(
        select(
            ROLLUP.c.provider_id,
            ROLLUP.c.outcome,
            func.sum(ROLLUP.c.records),
            func.sum(ROLLUP.c.fee_fen),
            func.sum(ROLLUP.c.subsidy_fen),
        ).group_by(ROLLUP.c.provider_id, ROLLUP.c.outcome)
    )
    return {(p, o): (int(n), int(fee), int(subsidy)) for p, o, n, fee, subsidy in rows}


@dataclass(frozen=True)
class PoolUsage:
    """Usage records drawn on one pool's vouchers, serviced in one month, of one provider,
    with one outcome (fees and subsidies net of corrections)."""

    pool_id: int
    service_month: date  # its first day
    provider_id: int
    outcome: str
    records: int
    fee_fen: int
    subsidy_fen: int


def pool_usage(session: Session, now: datetime, pool_ids: Collection[int]) -> list[PoolUsage]:
    """Usage of all time on the vouchers of ``pool_ids``, by pool, service month, provider
    and outcome: a few rows per provider and month, however many records."""
    refresh(session, now)
    if not pool_ids:
        return []
    rows = session.execute(
        select(
            ROLLUP.c.pool_id,
            ROLLUP.c.service_month,
            ROLLUP.c.provider_id,
            ROLLUP.c.outcome,
            func.sum(ROLLUP.c.records),
            func.sum(ROLLUP.c.fee_fen),
            func.sum(ROLLUP.c.subsidy_fen),
        )
        .where(ROLLUP.c.pool_id.in_(list(pool_ids)))
        .group_by(ROLLUP.c.pool_id, ROLLUP.c.service_month, ROLLUP.c.provider_id, ROLLUP.c.outcome)
    )
    return [
        PoolUsage(pool, month, provider, outcome, int(n), int(fee), int(subsidy))
        for pool, month, provider, outcome, n, fee, subsidy in rows
    ]


def recent_outcomes(session: Session, now: datetime, days: int) -> dict[int, dict[str, int]]:
    """Records by provider id and outcome created in the last ``days`` days (whole UTC days:
    the window starts at midnight of its first day)."""
    refresh(session, now)
    first = now.date() - timedelta(days=days)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for provider_id, outcome, records in session.execute(
        select(ROLLUP.c.provider_id, ROLLUP.c.outcome, func.sum(ROLLUP.c.records))
        .where(ROLLUP.c.day >= first)
        .group_by(ROLLUP.c.provider_id, ROLLUP.c.outcome)
    ):
        counts[provider_id][outcome] = int(records)
    return counts


def age_seconds(session: Session, now: datetime) -> float | None:
    """How old the rollup's figures are (None: never built)."""
    refreshed = session.scalar(select(STATE.c.refreshed_at).where(STATE.c.id == 1))
    return None if refreshed is None else (now - refreshed).total_seconds()
