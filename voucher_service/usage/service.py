"""Metering: providers post usage records, the service prices each one exactly once.

One code path prices one record or ten thousand (a single post is a batch of one):

1. Plan: resolve the vouchers the reports name, the windows and rule versions, and check
   each report (``domain.usage.refusal_of``): a broken rule refuses it with a code.
2. Lock the vouchers, then the enterprises' cap counters, in id order (``ledger.counters``:
   the fixed lock order), so concurrent posts never overdraw or deadlock.
3. Under those locks, look the record ids up: a record already stored is a replay (same
   body) or a conflict (another body). Concurrent duplicates of a record draw on the same
   voucher, so the second waits for the first and then sees it.
4. Price each new record in order (``domain.pricing.price_fee``) against the running
   counters, store the records (``usage.repository``), and let the ledger post the
   subsidies and move the counters (``ledger.subsidise``).

The annual pool row is never touched here: only the voucher and the cap counters are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from voucher_service import audit_log
from voucher_service.auth.service import Caller
from voucher_service.db.tables.providers import ProviderStatus
from voucher_service.domain.usage import (
    Outcome,
    UsageReport,
)
from voucher_service.errors import (
    ProviderSuspended,
    RecordConflict,
)
from voucher_service.ledger import counters
from voucher_service.ledger import service as ledger
from voucher_service.ledger.counters import CapCounter, CapKey, VoucherCounter
from voucher_service.ledger.service import Draw
from voucher_service.usage import repository
from voucher_service.usage.layers import PendingDraw, price_record
from voucher_service.usage.plans import Plan, plan_reports
from voucher_service.usage.repository import DuplicateRecordId
from voucher_service.usage.rows import UsageRow
from voucher_service.webhooks import events as webhooks


@dataclass(frozen=True)
class Ingested:
    """The outcome for one report: the stored record, and whether this post was a replay."""

    record_id: str
    record: UsageRow[int] | None
    replayed: bool = False
    conflict: str | None = None


class PostingProvider(Protocol):
    """The provider a post is for: its row, or the request's caller (``auth.Caller`` carries
    the provider's id, credit code and standing, so metering looks nothing up again)."""

    @property
    def id(self) -> int | None: ...
    @property
    def uscc(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def status_reason(self) -> str: ...


@dataclass(frozen=True)
class CallingProvider:
    """A provider as its authenticated key names it."""

    id: int
    uscc: str
    status: str
    status_reason: str

    @classmethod
    def of(cls, caller: Caller) -> CallingProvider:
        assert caller.provider_id is not None and caller.provider_uscc is not None
        status = caller.provider_status or ProviderStatus.ACTIVE
        return cls(caller.provider_id, caller.provider_uscc, status, caller.provider_status_reason)


def require_active(provider: PostingProvider) -> None:
    if provider.status != ProviderStatus.ACTIVE:
        raise ProviderSuspended(
            (
                "provider {provider_uscc} is suspended ({status_reason}); its "
                "usage records are refused"
            ),
            provider_uscc=provider.uscc,
            status_reason=provider.status_reason,
        )


def ingest_usage(
    session: Session,
    provider: PostingProvider,
    reports: Sequence[UsageReport],
    *,
    now: datetime,
    tz: ZoneInfo,
    grace_days: int,
) -> list[Ingested]:
    """Price and store usage reports exactly once; one result per report, in order."""
    require_active(provider)
    if len(reports) == 1:
        # The common case, in fewer round trips: no look-up and no savepoint. Nothing is
        # written before the record claims its id, so if another request holds the id,
        # nothing needs undoing: the general path below answers.
        try:
            return _ingest(session, provider, reports, now, tz, grace_days, claim=True)
        except DuplicateRecordId:
            pass
    for _ in range(3):
        savepoint = session.begin_nested()
        try:
            results = _ingest(session, provider, reports, now, tz, grace_days, claim=False)
        except DuplicateRecordId:
            savepoint.rollback()
            continue
        savepoint.commit()
        return results
    raise RecordConflict("record ids are being posted concurrently with other bodies; retry")


def _ingest(
    session: Session,
    provider: PostingProvider,
    reports: Sequence[UsageReport],
    now: datetime,
    tz: ZoneInfo,
    grace_days: int,
    *,
    claim: bool,
) -> list[Ingested]:
    assert provider.id is not None
    first: dict[str, int] = {}
    for index, report in enumerate(reports):
        first.setdefault(report.record_id, index)
    unique = [reports[i] for i in sorted(first.values())]
    plans = plan_reports(session, provider.id, unique, now=now, tz=tz, grace_days=grace_days)
    # Each record's row (its body hash included) is built before the locks are taken: only
    # the pricing and the writes happen while concurrent posts on these vouchers wait.
    rows = [
        repository.new_record(provider.id, plan.report, plan.voucher, plan.service_date, now)
        for plan in plans
    ]
    cap_keys: set[CapKey] = set()
    voucher_ids: set[int] = set()
    for plan in plans:
        caps_of, vouchers_of = plan.counters
        cap_keys |= caps_of
        voucher_ids |= vouchers_of
    caps, vouchers = counters.lock(session, cap_keys, voucher_ids)
    stored = {} if claim else repository.stored_records(session, provider.id, list(first))
    fresh = [(p, row) for p, row in zip(plans, rows, strict=True) if row.record_id not in stored]
    priced = _price(fresh, caps, vouchers)
    created = _store(session, provider, priced, claim=claim, now=now) if priced.rows else []
    return _results(reports, first, stored, created)


@dataclass
class _Priced:
    """New records priced: the usage records, the top-up layers of stacked ones (each with
    the record id of the usage record it belongs to), and the draws to post."""

    rows: list[UsageRow[None]] = field(default_factory=list)
    layers: list[tuple[str, UsageRow[None]]] = field(default_factory=list)
    draws: list[PendingDraw] = field(default_factory=list)


def _price(
    fresh: Sequence[tuple[Plan, UsageRow[None]]],
    caps: dict[CapKey, CapCounter],
    vouchers: dict[int, VoucherCounter],
) -> _Priced:
    """Price new records (each plan's row, refused until priced) in order against the
    locked counters, which follow in memory."""
    priced = _Priced()
    for plan, row in fresh:
        record = price_record(plan, row, caps, vouchers)
        priced.rows.append(record.row)
        priced.layers += [(row.record_id, layer) for layer in record.layers]
        priced.draws += record.draws
    return priced


def _store(
    session: Session, provider: PostingProvider, priced: _Priced, *, claim: bool, now: datetime
) -> list[UsageRow[int]]:
    """Write the records, the ledger's postings and counter moves, and one audit entry for
    the request: which records it priced, and what they cost the city; the usage records as
    stored. A single post claims its id and does it all in one statement
    (``ledger.record_with_subsidy``); the layers of a stacked one follow it."""
    assert provider.id is not None
    rows = priced.rows
    audit = audit_log.entry(
        session,
        "usage.post",
        "provider",
        provider.uscc,
        after={
            "records": [row.record_id for row in rows],
            "subsidy_fen": sum(draw.row.subsidy_fen for draw in priced.draws),
            "refused": sum(1 for row in rows if row.outcome == Outcome.REFUSED),
        },
    )
    draws = priced.draws
    if claim:
        [row] = rows
        own = [d for d in draws if d.row is row]
        draw = _draw(own[0], provider.id, None) if own else None
        record_id = ledger.record_with_subsidy(
            session, repository.claim(session, row), draw, audit, now=now
        )
        if record_id is None:
            raise DuplicateRecordId
        stored = [row.with_id(record_id)]
        draws = [d for d in draws if d.row is not row]
    else:
        stored = repository.insert_records(session, rows)
        audit_log.write(session, audit)
    ids = {row.record_id: row.id for row in stored}
    if priced.layers:
        layers = [layer._replace(original_id=ids[usage]) for usage, layer in priced.layers]
        ids |= {layer.record_id: layer.id for layer in repository.insert_records(session, layers)}
    if draws:
        posted = [_draw(d, provider.id, ids[d.row.record_id]) for d in draws]
        ledger.subsidise(session, posted, now=now)
    webhooks.records_refused(session, provider.id, stored, now=now)  # refused ones only
    return stored


def _draw(pending: PendingDraw, provider_id: int, usage_record_id: int | None) -> Draw:
    return Draw(
        voucher_id=pending.voucher.id,
        pool_id=pending.voucher.pool_id,
        provider_id=provider_id,
        cap_id=pending.cap_id,
        lifetime_cap_id=pending.lifetime_cap_id,
        amount_fen=pending.row.subsidy_fen,
        usage_record_id=usage_record_id,
        memo=pending.row.record_id,
    )


def _results(
    reports: Sequence[UsageReport],
    first: dict[str, int],
    stored: dict[str, UsageRow[int]],
    rows: list[UsageRow[int]],
) -> list[Ingested]:
    """One result per report, in order: the first of each id created (or replayed, if it
    was stored before), later copies replayed, another body under a stored id a conflict."""
    records = {**stored, **{row.record_id: row for row in rows}}
    results: list[Ingested] = []
    for index, report in enumerate(reports):
        record = records[report.record_id]
        if record.body_hash != report.body_hash:
            message = f"record id {report.record_id!r} was already used with another body"
            results.append(Ingested(report.record_id, None, conflict=message))
            continue
        created = first[report.record_id] == index and report.record_id not in stored
        results.append(Ingested(report.record_id, record, replayed=not created))
    return results
