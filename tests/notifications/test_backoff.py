"""The retry schedule: the first wait is the base, each further one doubles, none is longer
than an hour, and the waits never shrink."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from voucher_service.notifications.outbox import MAX_BACKOFF, backoff


def test_the_waits_double_from_the_base() -> None:
    assert [backoff(n, 30).total_seconds() for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert backoff(50, 30) == timedelta(hours=1)


@given(st.integers(1, 10_000), st.floats(0.001, 7200))
def test_the_waits_never_shrink_and_stay_within_an_hour(attempts: int, base: float) -> None:
    assert timedelta(0) < backoff(attempts, base) <= MAX_BACKOFF
    assert backoff(attempts, base) <= backoff(attempts + 1, base)
