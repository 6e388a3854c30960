"""Samples for the third-party auditor (第三方审计): a reproducible random draw of priced usage
records, each with its evidence — the voucher it drew on, the provider's redemption of that
voucher, the rule version that priced it, its corrections, the ledger postings of the record
and its corrections, and the audit entries about all of these.

The population is every priced usage record (a rule version priced it, whatever it earned),
optionally of one program and serviced within a date range, in id order. The draw is
``random.Random(seed).sample(ids, n)`` in Python (Mersenne Twister, Python 3.11+), never the
database's random(): the same seed on the same data draws the same records on SQLite and on
PostgreSQL, and an auditor can redo it from the id list. Evidence is read in a fixed number
of queries, whatever ``n``. Nothing is written.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.db.tables.programs import Pool, Program, RuleVersion
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.redemptions import Redemption
from voucher_service.db.tables.usage import RecordKind, UsageRecord
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.errors import ErrorCode, InvalidInput, NotFound
from voucher_service.pagination import where_days

MAX_SAMPLE = 1000
METHOD = (
    "population: priced usage records (kind usage, rule version set), filtered as stated, in "
    "id order; sample: random.Random(seed).sample(ids, n) in Python 3.11+ (Mersenne Twister); "
    "listed in draw order"
)


@dataclass(frozen=True)
class SampleSpec:
    """What to draw: the seed, how many, and which records may be drawn."""

    seed: int
    n: int
    program_code: str | None = None
    date_from: date | None = None  # service date, inclusive
    date_to: date | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.n <= MAX_SAMPLE:
            raise InvalidInput(
                "a sample has 1 to {max_sample} records, not {n}",
                max_sample=MAX_SAMPLE,
                n=self.n,
                code=ErrorCode.INVALID_INPUT,
            )
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise InvalidInput("'to' is before 'from'", code=ErrorCode.INVALID_PERIOD)


@dataclass(frozen=True)
class Evidence:
    """One sampled record and what bears on it."""

    draw: int  # 1 for the first record drawn
    record: UsageRecord
    provider: Provider
    voucher: Voucher
    program_code: str
    pool_year: int
    rules: RuleVersion
    redemption: Redemption | None
    adjustments: list[UsageRecord] = field(default_factory=list)
    postings: list[LedgerPosting] = field(default_factory=list)
    audit_entries: list[AuditEntry] = field(default_factory=list)


@dataclass(frozen=True)
class Sample:
    spec: SampleSpec
    population: int
    items: list[Evidence]


def population(session: Session, spec: SampleSpec) -> list[int]:
    """The ids that may be drawn, in order."""
    query = select(UsageRecord.id).where(
        UsageRecord.kind == RecordKind.USAGE, col(UsageRecord.rule_version).is_not(None)
    )
    if spec.program_code is not None:
        program_id = session.scalar(select(Program.id).where(Program.code == spec.program_code))
        if program_id is None:
            raise NotFound(
                "no program with code {program_code!r}",
                program_code=spec.program_code,
                code=ErrorCode.PROGRAM_NOT_FOUND,
            )
        query = query.join(Voucher, Voucher.id == UsageRecord.voucher_id).where(
            Voucher.program_id == program_id
        )
    query = where_days(query, col(UsageRecord.service_date), spec.date_from, spec.date_to)
    return [int(i) for i in session.scalars(query.order_by(UsageRecord.id))]


def draw(ids: list[int], *, seed: int, n: int) -> list[int]:
    """The reproducible draw: ``n`` of ``ids`` (all of them if fewer), in draw order."""
    return random.Random(seed).sample(ids, min(n, len(ids)))


def sample(session: Session, spec: SampleSpec) -> Sample:
    """Draw the sample and gather each record's evidence."""
    ids = population(session, spec)
    drawn = draw(ids, seed=spec.seed, n=spec.n)
    return Sample(spec, len(ids), _evidence(session, drawn))


def _evidence(session: Session, drawn: list[int]) -> list[Evidence]:
    if not drawn:
        return []
    records = {
        r.id: r for r in session.scalars(select(UsageRecord).where(col(UsageRecord.id).in_(drawn)))
    }
    adjustments: dict[int | None, list[UsageRecord]] = defaultdict(list)
    for row in session.scalars(
        select(UsageRecord).where(col(UsageRecord.original_id).in_(drawn)).order_by(UsageRecord.id)
    ):
        adjustments[row.original_id].append(row)
    providers = _by_id(session, Provider, {r.provider_id for r in records.values()})
    vouchers = _by_id(session, Voucher, {r.voucher_id for r in records.values()})
    programs = _by_id(session, Program, {v.program_id for v in vouchers.values()})
    pools = _by_id(session, Pool, {v.pool_id for v in vouchers.values()})
    rules: dict[tuple[int, int | None], RuleVersion] = {
        (r.program_id, r.version): r
        for r in session.scalars(
            select(RuleVersion).where(col(RuleVersion.program_id).in_(programs))
        )
    }
    redemptions = {
        (r.voucher_id, r.provider_id): r
        for r in session.scalars(select(Redemption).where(col(Redemption.voucher_id).in_(vouchers)))
    }
    record_ids = [*drawn, *(a.id for rows in adjustments.values() for a in rows)]
    postings: dict[int | None, list[LedgerPosting]] = defaultdict(list)
    for posting in session.scalars(
        select(LedgerPosting)
        .where(col(LedgerPosting.usage_record_id).in_(record_ids))
        .order_by(LedgerPosting.id)
    ):
        postings[posting.usage_record_id].append(posting)
    entries = _audit_entries(session, records, providers, vouchers, redemptions)
    items = []
    for index, record_id in enumerate(drawn, start=1):
        record = records[record_id]
        voucher = vouchers[record.voucher_id]
        provider = providers[record.provider_id]
        redemption = redemptions.get((voucher.id, provider.id))
        own = [record, *adjustments[record.id]]
        items.append(
            Evidence(
                draw=index,
                record=record,
                provider=provider,
                voucher=voucher,
                program_code=programs[voucher.program_id].code,
                pool_year=pools[voucher.pool_id].year,
                rules=rules[(voucher.program_id, record.rule_version)],
                redemption=redemption,
                adjustments=adjustments[record.id],
                postings=[p for r in own for p in postings[r.id]],
                audit_entries=entries(record, voucher, provider, redemption),
            )
        )
    return items


def _by_id(session: Session, table: Any, ids: set[Any]) -> dict[Any, Any]:
    return {row.id: row for row in session.scalars(select(table).where(col(table.id).in_(ids)))}


class _Entries:
    """The audit entries about a sampled record, found in four queries for the whole sample:
    its voucher's (issue, revoke, expire), its redemption's, its provider's posts that name
    it, and the corrections of it."""

    def __init__(self, by_target: dict[tuple[str, str], list[AuditEntry]], posts: list[AuditEntry]):
        self.by_target = by_target
        self.posts: dict[tuple[str, str], list[AuditEntry]] = defaultdict(list)
        for entry in posts:
            for record_id in json.loads(entry.after or "{}").get("records", []):
                self.posts[(entry.target_id, record_id)].append(entry)

    def __call__(
        self,
        record: UsageRecord,
        voucher: Voucher,
        provider: Provider,
        redemption: Redemption | None,
    ) -> list[AuditEntry]:
        found = [
            *self.by_target[("voucher", voucher.code)],
            *(self.by_target[("redemption", str(redemption.id))] if redemption else []),
            *self.posts[(provider.uscc, record.record_id)],
            *self.by_target[("usage_record", f"{provider.uscc}/{record.record_id}")],
        ]
        return sorted({e.id: e for e in found}.values(), key=lambda e: e.id or 0)


def _audit_entries(
    session: Session,
    records: dict[int | None, UsageRecord],
    providers: dict[Any, Provider],
    vouchers: dict[Any, Voucher],
    redemptions: dict[tuple[int, int], Redemption],
) -> _Entries:
    targets = (
        {("voucher", v.code) for v in vouchers.values()}
        | {("redemption", str(r.id)) for r in redemptions.values()}
        | {
            ("usage_record", f"{providers[r.provider_id].uscc}/{r.record_id}")
            for r in records.values()
        }
    )
    by_target: dict[tuple[str, str], list[AuditEntry]] = defaultdict(list)
    for kind in {t for t, _ in targets}:
        wanted = [target_id for t, target_id in targets if t == kind]
        for entry in session.scalars(
            select(AuditEntry).where(
                AuditEntry.target_type == kind, col(AuditEntry.target_id).in_(wanted)
            )
        ):
            by_target[(kind, entry.target_id)].append(entry)
    # A post names its records inside its JSON: narrow by provider and text in the database
    # (in chunks, so no statement grows too deep), then match exactly here.
    names = sorted({r.record_id for r in records.values()})
    posts: list[AuditEntry] = []
    for start in range(0, len(names), 100):
        chunk = names[start : start + 100]
        posts += session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "usage.post",
                col(AuditEntry.target_id).in_({p.uscc for p in providers.values()}),
                or_(*(col(AuditEntry.after).contains(f'"{name}"') for name in chunk)),
            )
        )
    return _Entries(by_target, list({e.id: e for e in posts}.values()))
