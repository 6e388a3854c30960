"""Throttling of failed authentications: the one mechanism for API keys and console
passwords (STYLE.md rule 21), with one rule: **the rightful owner is never locked out**.

The credential is checked first. A correct one always passes and is never counted (a key's
prefix and a login name are public: counting against them must not lock their owner out).
A failure is counted against each of its *sources* in a fixed window of ``FAILURE_WINDOW``:

- ``address:<client>``: the client's address, as the gate read it through the trusted
  proxies (``VOUCHER_TRUSTED_PROXIES``: a proxy's own address is never the source), an IPv6
  client's /64; keys and passwords failing from one address share the counter;
- ``key:<prefix>`` of an existing key, ``account:<login>`` of a login name as typed (known or
  not, so the answers do not reveal which accounts exist), ``code:<login>`` of an account's
  second factor.

Past a source's limit, its failures are answered 429 with ``Retry-After`` (until its window
has passed) instead of 401: the slow-down a client is told to honour, while the owner's
correct credential still passes. The one place a throttled source is refused *before* its
credential is checked is the second factor (``refuse_if_throttled``): only someone who has
already given the right password reaches it, and a six-digit code must not be guessable at
the rate the network allows; an administrator's unlock (``clear``) lifts it at once.

Storage stays bounded: one row per source that failed within the window, and rows whose
window has passed are deleted as failures are counted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service.db.statements import dialect_insert
from voucher_service.db.tables.auth import AuthFailure
from voucher_service.errors import TooManyFailures
from voucher_service.metrics import AUTH_FAILURES

FAILURE_WINDOW = timedelta(minutes=15)
ADDRESS_FAILURE_LIMIT = 30  # per client address, keys and passwords together


def address_source(client: str) -> str:
    """The counter a client address's failures go to: the address itself, or for IPv6 its
    /64 (one subscriber's network: rotating addresses within it does not escape)."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return f"address:{client[:100]}"
    if address.version == 6:
        return f"address:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"address:{address}"


@dataclass(frozen=True)
class Counted:
    """A failure counted: until when the slowest of its sources is throttled (None: none
    is past its limit), and by how many failures the furthest one is past its limit."""

    throttled_until: datetime | None
    over_by: int

    def refusal(self, now: datetime, what: str) -> TooManyFailures | None:
        """The 429 to answer instead of 401, if a source is past its limit."""
        if self.throttled_until is None:
            return None
        AUTH_FAILURES.labels("throttled").inc()
        return too_many(what, self.throttled_until, now)


def too_many(what: str, until: datetime, now: datetime) -> TooManyFailures:
    return TooManyFailures(
        "too many failed {what}; try again after {until}",
        what=what,
        until=until.isoformat(timespec="seconds"),
        retry_after=int((until - now).total_seconds()) + 1,
    )


def count_failure(session: Session, limits: Mapping[str, int], *, now: datetime) -> Counted:
    """Count one failure against each source of ``limits`` (source -> its limit), in one
    statement, and say whether any is past its limit. The caller must commit the count
    although the attempt itself is refused."""
    cutoff = now - FAILURE_WINDOW
    # Rows another request holds are left for the next failure: this never waits on them.
    expired = select(AuthFailure.id).where(AuthFailure.window_start <= cutoff)
    session.execute(
        delete(AuthFailure).where(
            col(AuthFailure.id).in_(expired.with_for_update(skip_locked=True))
        )
    )
    table = AuthFailure.__table__  # type: ignore[attr-defined]
    stale = table.c.window_start <= cutoff
    counted = session.execute(
        dialect_insert(session, AuthFailure)
        .values([{"source": s, "window_start": now, "failures": 1} for s in limits])
        .on_conflict_do_update(
            index_elements=["source"],
            set_={
                "failures": case((stale, 1), else_=table.c.failures + 1),
                "window_start": case((stale, now), else_=table.c.window_start),
            },
        )
        .returning(table.c.source, table.c.failures, table.c.window_start)
    ).all()
    over = [(start + FAILURE_WINDOW, n - limits[s]) for s, n, start in counted if n > limits[s]]
    return Counted(
        throttled_until=max(until for until, _ in over) if over else None,
        over_by=max((by for _, by in over), default=0),
    )


def at_limit(session: Session, limits: Mapping[str, int], *, now: datetime) -> dict[str, datetime]:
    """The sources that are at their limit now, each with when its window ends (one query)."""
    rows = session.execute(
        select(AuthFailure.source, AuthFailure.failures, AuthFailure.window_start).where(
            col(AuthFailure.source).in_(list(limits)),
            AuthFailure.window_start > now - FAILURE_WINDOW,
        )
    ).all()
    return {s: start + FAILURE_WINDOW for s, n, start in rows if n >= limits[s]}


def throttled_until(
    session: Session, limits: Mapping[str, int], *, now: datetime
) -> datetime | None:
    """Until when the slowest of these sources is past its limit (None: none is)."""
    return max(at_limit(session, limits, now=now).values(), default=None)


def refuse_if_throttled(
    session: Session, limits: Mapping[str, int], *, now: datetime, what: str
) -> None:
    """429 if one of these sources is at its limit: for the second factor only (see the
    module's docstring), checked before the code is."""
    until = throttled_until(session, limits, now=now)
    if until is not None:
        AUTH_FAILURES.labels("throttled").inc()
        raise too_many(what, until, now)


def clear(session: Session, sources: Iterable[str]) -> int:
    """Forget these sources' failures (an administrator's unlock); how many counters held
    any."""
    result = session.execute(delete(AuthFailure).where(col(AuthFailure.source).in_(list(sources))))
    return int(result.rowcount)  # type: ignore[attr-defined]
