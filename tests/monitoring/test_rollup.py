"""The usage rollup behind /metrics: exact, at most ROLLUP_SECONDS old, and refreshed over
the last two days only once the history is built."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.factories import NOW, Scene
from voucher_service.db.tables.usage import UsageRecord
from voucher_service.monitoring import rollup


def direct(session: Session) -> dict[tuple[int, str], tuple[int, int, int]]:
    rows = session.execute(
        select(
            UsageRecord.provider_id,
            UsageRecord.outcome,
            func.count(),
            func.sum(UsageRecord.fee_fen),
            func.sum(UsageRecord.subsidy_fen),
        ).group_by(UsageRecord.provider_id, UsageRecord.outcome)
    )
    return {(p, o): (int(n), int(f), int(s)) for p, o, n, f, s in rows}


def test_the_rollup_adds_up_to_the_records_and_is_at_most_its_age_behind(
    scene: Scene, session: Session
) -> None:
    scene.post("r-1")
    scene.post("r-2", fee="4000000.00")  # more than the voucher holds: partial
    assert rollup.totals(session, NOW) == direct(session)
    scene.post("r-3")
    # refreshed a moment ago: the figures may be that moment old
    soon = NOW + timedelta(seconds=rollup.ROLLUP_SECONDS - 1)
    assert rollup.totals(session, soon) != direct(session)
    later = NOW + timedelta(seconds=rollup.ROLLUP_SECONDS)
    assert rollup.totals(session, later) == direct(session)
    assert rollup.age_seconds(session, later) == 0


def test_days_before_yesterday_are_final_once_built(scene: Scene, session: Session) -> None:
    scene.post("old-1")
    rollup.totals(session, NOW)  # builds the history
    # The rollup's own copy of an old day is kept as it is: a refresh reads only the records
    # created from yesterday on (an index range, not the table).
    session.execute(
        text("UPDATE usage_rollup SET records = records + 100 WHERE day < :today"),
        {"today": (NOW + timedelta(days=3)).date() - timedelta(days=1)},
    )
    three_days_on = NOW + timedelta(days=3)
    totals = rollup.totals(session, three_days_on)
    assert (
        sum(n for n, _, _ in totals.values())
        == sum(n for n, _, _ in direct(session).values()) + 100
    )
