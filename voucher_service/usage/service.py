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
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from voucher_service import audit_log
from voucher_service.db.tables.providers import Provider, ProviderStatus
from voucher_service.domain.pricing import Pricing, price_fee
from voucher_service.domain.usage import (
    Outcome,
    Refusal,
    UsageReport,
    outcome_of,
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
from voucher_service.usage.plans import Plan, plan_reports
from voucher_service.usage.repository import DuplicateRecordId, NamedVoucher, Record


@dataclass(frozen=True)
class Ingested:
    """The outcome for one report: the stored record, and whether this post was a replay."""

    record_id: str
    record: Record | None
    replayed: bool = False
    conflict: str | None = None


def require_active(provider: Provider) -> None:
    if provider.status != ProviderStatus.ACTIVE:
        raise ProviderSuspended(
            f"provider {provider.uscc} is suspended ({provider.status_reason}); "
            "its usage records are refused"
        )


def ingest_usage(
    session: Session,
    provider: Provider,
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
    provider: Provider,
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
    priceable = [p for p in plans if p.cap_key is not None]
    caps, vouchers = counters.lock(
        session,
        {p.cap_key for p in priceable if p.cap_key},
        {p.voucher.id for p in priceable if p.voucher},
    )
    stored = {} if claim else repository.stored_records(session, provider.id, list(first))
    fresh = [p for p in plans if p.report.record_id not in stored]
    rows, draws = _price(provider.id, fresh, caps, vouchers, now)
    if rows:
        _store(session, provider, rows, draws, claim=claim, now=now)
    return _results(reports, first, stored, rows)


@dataclass(frozen=True)
class _PendingDraw:
    """A priced record's subsidy, posted once the record has its id."""

    row: Record
    voucher: NamedVoucher
    cap_id: int


def _price(
    provider_id: int,
    plans: Sequence[Plan],
    caps: dict[CapKey, CapCounter],
    vouchers: dict[int, VoucherCounter],
    now: datetime,
) -> tuple[list[Record], list[_PendingDraw]]:
    """Price new records in order against the locked counters, which follow in memory."""
    rows: list[Record] = []
    draws: list[_PendingDraw] = []
    for plan in plans:
        row = repository.new_record(provider_id, plan.report, plan.voucher, plan.service_date, now)
        rows.append(row)
        key, voucher, rules = plan.cap_key, plan.voucher, plan.rules
        if key is None or voucher is None or rules is None:
            row.update(reason=plan.refusal.value if plan.refusal else None)
            continue
        balance, cap = vouchers[voucher.id], caps[key]
        if not balance.active:  # closed since the plan was made
            row.update(reason=Refusal.VOUCHER_NOT_ACTIVE.value)
            continue
        pricing = price_fee(
            fee_fen=plan.report.fee_fen,
            service_date=plan.service_date,
            rules=rules,
            window=voucher.window,
            voucher_valid_from=voucher.valid_from,
            voucher_valid_to=voucher.facts.valid_to,
            cap_used_fen=cap.used_fen,
            voucher_balance_fen=balance.balance_fen,
        )
        cap.count(pricing.subsidy_fen)
        balance.draw(pricing.subsidy_fen)
        row.update(_priced_columns(pricing, key.period))
        if pricing.subsidy_fen:
            draws.append(_PendingDraw(row, voucher, cap.id))
    return rows, draws


def _priced_columns(pricing: Pricing, period: int) -> dict[str, Any]:
    return {
        "cap_period": period,
        "full_subsidy_fen": pricing.full_subsidy_fen,
        "subsidy_fen": pricing.subsidy_fen,
        "enterprise_share_fen": pricing.enterprise_share_fen,
        "outcome": outcome_of(pricing).value,
        "reason": pricing.shortfall.value if pricing.shortfall else None,
        "rule_version": pricing.rule_version,
    }


def _store(
    session: Session,
    provider: Provider,
    rows: list[Record],
    draws: list[_PendingDraw],
    *,
    claim: bool,
    now: datetime,
) -> None:
    """Write the records, the ledger's postings and counter moves, and one audit entry for
    the request: which records it priced, and what they cost the city. A single post claims
    its id and does it all in one statement (``ledger.record_with_subsidy``)."""
    assert provider.id is not None
    audit = audit_log.entry(
        session,
        "usage.post",
        "provider",
        provider.uscc,
        after={
            "records": [row["record_id"] for row in rows],
            "subsidy_fen": sum(row["subsidy_fen"] for row in rows),
            "refused": sum(1 for row in rows if row["outcome"] == Outcome.REFUSED),
        },
    )
    if claim:
        [row] = rows
        draw = _draw(draws[0], provider.id) if draws else None
        record_id = ledger.record_with_subsidy(
            session, repository.claim(session, row), draw, audit, now=now
        )
        if record_id is None:
            raise DuplicateRecordId
        row["id"] = record_id
        return
    repository.insert_records(session, rows)
    ledger.subsidise(session, [_draw(d, provider.id) for d in draws], now=now)
    audit_log.write(session, audit)


def _draw(pending: _PendingDraw, provider_id: int) -> Draw:
    return Draw(
        voucher_id=pending.voucher.id,
        pool_id=pending.voucher.pool_id,
        provider_id=provider_id,
        cap_id=pending.cap_id,
        amount_fen=pending.row["subsidy_fen"],
        usage_record_id=pending.row.get("id"),
        memo=pending.row["record_id"],
    )


def _results(
    reports: Sequence[UsageReport],
    first: dict[str, int],
    stored: dict[str, Record],
    rows: list[Record],
) -> list[Ingested]:
    """One result per report, in order: the first of each id created (or replayed, if it
    was stored before), later copies replayed, another body under a stored id a conflict."""
    records = {**stored, **{row["record_id"]: row for row in rows}}
    results: list[Ingested] = []
    for index, report in enumerate(reports):
        record = records[report.record_id]
        if record["body_hash"] != report.body_hash:
            message = f"record id {report.record_id!r} was already used with another body"
            results.append(Ingested(report.record_id, None, conflict=message))
            continue
        created = first[report.record_id] == index and report.record_id not in stored
        results.append(Ingested(report.record_id, record, replayed=not created))
    return results
