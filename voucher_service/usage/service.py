"""Metering: providers post usage records, the service prices each one exactly once.

One code path prices one record or ten thousand (a single post is a batch of one):

1. Resolve the vouchers named in the batch, the provider's active redemptions, the windows
   and the rule versions, in a handful of queries.
2. Check each report (``domain.usage.check_report``); a broken rule refuses it with a code.
3. Lock the enterprises' cap counters, then the vouchers, in id order (the fixed lock order
   of DESIGN.md: cap, then voucher), so concurrent batches never overdraw and never deadlock.
4. Under those locks, look the record ids up: a record already stored is a replay (same
   body) or a conflict (different body). Concurrent duplicates of a record draw on the same
   voucher, so the second waits for the first and then sees it.
5. Price each new record in order with ``domain.pricing.price_fee`` against the running
   balances, then write records, postings and counter deltas in bulk.

The annual pool row is never touched here: only the voucher and the cap counters are.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voucher_service.audit import service as audit
from voucher_service.db.base import metadata
from voucher_service.db.tables.enterprises import Enrolment, Enterprise
from voucher_service.db.tables.ledger import CapUsage, LedgerPosting, PostingKind
from voucher_service.db.tables.programs import Pool, RuleVersion
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.redemptions import Redemption
from voucher_service.db.tables.usage import UsageRecord
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.db.types import utcnow
from voucher_service.domain.pricing import price_fee
from voucher_service.domain.rules import (
    BASIS_POINTS,
    Rules,
    Window,
    cap_period,
    rules_on,
)
from voucher_service.domain.usage import Refusal, check_report, service_date
from voucher_service.errors import (
    ErrorCode,
    NotFound,
    ProviderSuspended,
    RecordConflict,
    RefundExceedsFee,
)
from voucher_service.ledger.service import pool_account, voucher_account
from voucher_service.money import fen_to_yuan
from voucher_service.programs.service import to_rules

RECORDS = metadata.tables[UsageRecord.__tablename__]
POSTINGS = metadata.tables[LedgerPosting.__tablename__]
VOUCHERS = metadata.tables[Voucher.__tablename__]
CAPS = metadata.tables[CapUsage.__tablename__]
CHUNK = 1000  # ids per IN list: well inside SQLite's and PostgreSQL's parameter limits


def payable_account(provider_id: int) -> str:
    return f"payable:{provider_id}"


@dataclass(frozen=True)
class UsageReport:
    """One validated usage report, as the provider sent it (money in fen)."""

    record_id: str
    voucher_code: str | None  # or, instead, the id of a redemption with this provider
    uscc: str
    resource_kind: str
    resource_model: str
    quantity: Decimal
    unit: str
    unit_price_fen: int
    fee_fen: int
    service_start: datetime
    service_end: datetime
    attributes: dict[str, Any] = field(default_factory=dict)
    redemption_id: int | None = None

    @property
    def quantity_text(self) -> str:
        return format(self.quantity.normalize(), "f")

    @cached_property
    def body_hash(self) -> str:
        """Identity of the body: a retry must carry the same one."""
        canonical = {
            **{k: v for k, v in self.__dict__.items() if k != "body_hash"},
            "quantity": self.quantity_text,
            "service_start": self.service_start.astimezone(ZoneInfo("UTC")).isoformat(),
            "service_end": self.service_end.astimezone(ZoneInfo("UTC")).isoformat(),
        }
        text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Ingested:
    """The outcome for one report: the stored record, and whether this post was a replay."""

    record_id: str
    record: dict[str, Any] | None
    replayed: bool = False
    conflict: str | None = None


@dataclass
class _VoucherInfo:
    id: int
    code: str
    uscc: str
    status: str
    valid_from: date
    valid_to: date
    program_id: int
    pool_id: int
    enrolment_id: int
    enterprise_id: int
    window: Window
    redeemed: bool


_NEXT_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('usage_record', 'id')) FROM generate_series(1, :n)"
)


class _ConcurrentDuplicate(Exception):
    """A record id was stored by a concurrent request between our check and our insert."""


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _require_active(provider: Provider) -> None:
    if provider.status != "active":
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
    _require_active(provider)
    if len(reports) == 1:
        # The common case, in fewer round trips: no look-up and no savepoint. Nothing is
        # written before the record claims its id (ON CONFLICT DO NOTHING), so if another
        # request holds the id, nothing needs undoing: the general path below answers.
        try:
            return _ingest(
                session, provider, reports, now=now, tz=tz, grace_days=grace_days, claim=True
            )
        except _ConcurrentDuplicate:
            pass
    for _ in range(3):
        savepoint = session.begin_nested()
        try:
            results = _ingest(session, provider, reports, now=now, tz=tz, grace_days=grace_days)
        except _ConcurrentDuplicate:
            savepoint.rollback()
            continue
        savepoint.commit()
        return results
    raise RecordConflict("record ids are being posted concurrently with other bodies; retry")


def _ingest(
    session: Session,
    provider: Provider,
    reports: Sequence[UsageReport],
    *,
    now: datetime,
    tz: ZoneInfo,
    grace_days: int,
    claim: bool = False,
) -> list[Ingested]:
    assert provider.id is not None
    first_index: dict[str, int] = {}
    for index, report in enumerate(reports):
        first_index.setdefault(report.record_id, index)
    unique = [reports[i] for i in sorted(first_index.values())]

    by_redemption = _redeemed_codes(
        session, provider.id, {r.redemption_id for r in unique if r.redemption_id is not None}
    )
    codes = {r.record_id: r.voucher_code or by_redemption.get(r.redemption_id or 0) for r in unique}
    vouchers = _resolve_vouchers(session, provider.id, {c for c in codes.values() if c})
    rules = _rules(session, {v.program_id for v in vouchers.values()})

    plans: list[tuple[UsageReport, _VoucherInfo | None, Refusal | None, Rules | None, date]] = []
    for report in unique:
        code = codes[report.record_id]
        voucher = vouchers.get(code) if code else None
        day = service_date(report.service_start, tz)
        refusal: Refusal | None = None
        rule: Rules | None = None
        if code is None:
            refusal = Refusal.UNKNOWN_REDEMPTION
        elif voucher is None:
            refusal = Refusal.UNKNOWN_VOUCHER
        elif voucher.uscc != report.uscc:
            refusal = Refusal.USCC_MISMATCH
        elif not voucher.redeemed:
            refusal = Refusal.NOT_REDEEMED
        elif voucher.status != "active":
            refusal = Refusal.VOUCHER_NOT_ACTIVE
        else:
            refusal = check_report(
                quantity=report.quantity,
                unit_price_fen=report.unit_price_fen,
                fee_fen=report.fee_fen,
                start=report.service_start,
                end=report.service_end,
                now=now,
                voucher_valid_to=voucher.valid_to,
                grace_days=grace_days,
                tz=tz,
            )
        if voucher is not None and refusal is None:
            versions = rules[voucher.program_id]
            rule = rules_on(versions, day) or versions[0]
        plans.append((report, voucher, refusal, rule, day))

    priced = [(v, rule, day) for _, v, refusal, rule, day in plans if refusal is None]
    cap_keys = {
        (v.enrolment_id, cap_period(v.window, day, rule.cap_scope))
        for v, rule, day in priced
        if v is not None and rule is not None
    }
    caps = _lock_caps(session, cap_keys)
    balances = _lock_vouchers(session, sorted({v.id for v, _, _ in priced if v is not None}))
    existing = {} if claim else _existing(session, provider.id, [r.record_id for r in unique])

    rows: list[dict[str, Any]] = []
    for report, voucher, refusal, rule, day in plans:
        if report.record_id in existing:
            continue
        row = _record_row(provider.id, report, voucher, day, now)
        if refusal is None and voucher is not None and rule is not None:
            balance, status = balances[voucher.id]
            if status != "active":
                refusal = Refusal.VOUCHER_NOT_ACTIVE
            else:
                period = cap_period(voucher.window, day, rule.cap_scope)
                cap = caps[(voucher.enrolment_id, period)]
                pricing = price_fee(
                    fee_fen=report.fee_fen,
                    service_date=day,
                    rules=rule,
                    window=voucher.window,
                    voucher_valid_from=voucher.valid_from,
                    voucher_valid_to=voucher.valid_to,
                    cap_used_fen=cap[1],
                    voucher_balance_fen=balance,
                )
                cap[1] += pricing.subsidy_fen
                cap[2] += pricing.subsidy_fen
                balances[voucher.id] = (balance - pricing.subsidy_fen, status)
                outcome = (
                    "subsidised"
                    if pricing.shortfall is None
                    else "partial"
                    if pricing.subsidy_fen
                    else "refused"
                )
                row.update(
                    cap_period=period,
                    full_subsidy_fen=pricing.full_subsidy_fen,
                    subsidy_fen=pricing.subsidy_fen,
                    enterprise_share_fen=report.fee_fen - pricing.subsidy_fen,
                    outcome=outcome,
                    reason=pricing.shortfall.value if pricing.shortfall else None,
                    rule_version=pricing.rule_version,
                )
        if refusal is not None:
            row.update(outcome="refused", reason=refusal.value)
        rows.append(row)

    if rows:
        _write(session, provider.id, rows, vouchers, claim=claim)
        _apply_counters(session, rows, caps)
        # One entry per request: which records it priced, and what they cost the city.
        audit.record(
            session,
            "usage.post",
            "provider",
            provider.uscc,
            after={
                "records": [row["record_id"] for row in rows],
                "subsidy_fen": sum(row["subsidy_fen"] for row in rows),
                "refused": sum(1 for row in rows if row["outcome"] == "refused"),
            },
        )
    stored = {**existing, **{row["record_id"]: row for row in rows}}

    results: list[Ingested] = []
    created = {row["record_id"] for row in rows}
    for report in reports:
        record = stored[report.record_id]
        if record["body_hash"] != report.body_hash:
            results.append(
                Ingested(
                    report.record_id,
                    None,
                    conflict=f"record id {report.record_id!r} was already used with another body",
                )
            )
            continue
        first = first_index[report.record_id] == len(results)
        replayed = not (first and report.record_id in created)
        results.append(Ingested(report.record_id, record, replayed=replayed))
    return results


def _record_row(
    provider_id: int, report: UsageReport, voucher: _VoucherInfo | None, day: date, now: datetime
) -> dict[str, Any]:
    return {
        "provider_id": provider_id,
        "record_id": report.record_id,
        "body_hash": report.body_hash,
        "kind": "usage",
        "original_id": None,
        "voucher_id": voucher.id if voucher else None,
        "enterprise_id": voucher.enterprise_id if voucher else None,
        "enrolment_id": voucher.enrolment_id if voucher else None,
        "cap_period": None,
        "voucher_code": voucher.code if voucher else report.voucher_code or "",
        "uscc": report.uscc,
        "resource_kind": report.resource_kind,
        "resource_model": report.resource_model,
        "quantity": report.quantity_text,
        "unit": report.unit,
        "unit_price_fen": report.unit_price_fen,
        "fee_fen": report.fee_fen,
        "full_subsidy_fen": 0,
        "subsidy_fen": 0,
        "enterprise_share_fen": report.fee_fen,
        "outcome": "refused",
        "reason": None,
        "rule_version": None,
        # In UTC, as the database gives them back: a replay must read exactly like the reply.
        "service_start": report.service_start.astimezone(UTC),
        "service_end": report.service_end.astimezone(UTC),
        "service_date": day,
        "attributes": json.dumps(report.attributes, ensure_ascii=False, sort_keys=True),
        "created_at": now,
    }


def _redeemed_codes(session: Session, provider_id: int, ids: set[int]) -> dict[int, str]:
    """Voucher codes of this provider's redemptions (another provider's are unknown here)."""
    codes: dict[int, str] = {}
    for chunk in _chunks(sorted(ids)):
        for redemption_id, code in session.execute(
            select(Redemption.id, Voucher.code)
            .join(Voucher, Voucher.id == Redemption.voucher_id)
            .where(Redemption.provider_id == provider_id, Redemption.id.in_(chunk))  # type: ignore[union-attr]
        ):
            codes[redemption_id] = code
    return codes


def _resolve_vouchers(
    session: Session, provider_id: int, codes: set[str]
) -> dict[str, _VoucherInfo]:
    """The vouchers named, with their holder, window, and whether this provider may draw."""
    found: dict[str, _VoucherInfo] = {}
    for chunk in _chunks(sorted(codes)):
        rows = session.execute(
            select(
                Voucher.id,
                Voucher.code,
                Enterprise.uscc,
                Voucher.status,
                Voucher.valid_from,
                Voucher.valid_to,
                Voucher.program_id,
                Voucher.pool_id,
                Voucher.enrolment_id,
                Voucher.enterprise_id,
                Enrolment.window_start,
                Enrolment.window_end,
                Redemption.id.label("redemption_id"),  # type: ignore[union-attr]
            )
            .join(Enterprise, Enterprise.id == Voucher.enterprise_id)
            .join(Enrolment, Enrolment.id == Voucher.enrolment_id)
            .outerjoin(
                Redemption,
                (Redemption.voucher_id == Voucher.id)
                & (Redemption.provider_id == provider_id)
                & (Redemption.status == "active"),
            )
            .where(Voucher.code.in_(chunk))  # type: ignore[attr-defined]
        )
        for row in rows:
            found[row.code] = _VoucherInfo(
                id=row.id,
                code=row.code,
                uscc=row.uscc,
                status=row.status,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
                program_id=row.program_id,
                pool_id=row.pool_id,
                enrolment_id=row.enrolment_id,
                enterprise_id=row.enterprise_id,
                window=Window(row.window_start, row.window_end),
                redeemed=row.redemption_id is not None,
            )
    return found


def _rules(session: Session, program_ids: set[int]) -> dict[int, list[Rules]]:
    by_program: dict[int, list[Rules]] = defaultdict(list)
    if program_ids:
        for row in session.scalars(
            select(RuleVersion)
            .where(RuleVersion.program_id.in_(program_ids))  # type: ignore[attr-defined]
            .order_by(RuleVersion.version)
        ):
            by_program[row.program_id].append(to_rules(row))
    return by_program


def _lock_caps(session: Session, keys: set[tuple[int, int]]) -> dict[tuple[int, int], list[int]]:
    """Lock the cap counters in id order, creating missing ones: {key: [id, used, delta]}."""
    if not keys:
        return {}
    caps = _select_caps(session, keys)
    missing = keys - caps.keys()
    if missing:
        session.execute(
            _insert(session, CAPS).on_conflict_do_nothing(),
            [{"enrolment_id": e, "period": p, "used_fen": 0} for e, p in sorted(missing)],
        )
        caps = _select_caps(session, keys)
    return caps


def _select_caps(session: Session, keys: set[tuple[int, int]]) -> dict[tuple[int, int], list[int]]:
    enrolments = sorted({e for e, _ in keys})
    caps: dict[tuple[int, int], list[int]] = {}
    for chunk in _chunks(enrolments):
        for row in session.execute(
            select(CAPS.c.id, CAPS.c.enrolment_id, CAPS.c.period, CAPS.c.used_fen)
            .where(CAPS.c.enrolment_id.in_(chunk))
            .order_by(CAPS.c.id)
            .with_for_update()
        ):
            caps[(row.enrolment_id, row.period)] = [row.id, row.used_fen, 0]
    return caps


def _lock_vouchers(session: Session, ids: list[int]) -> dict[int, tuple[int, str]]:
    balances: dict[int, tuple[int, str]] = {}
    for chunk in _chunks(ids):
        for row in session.execute(
            select(VOUCHERS.c.id, VOUCHERS.c.balance_fen, VOUCHERS.c.status)
            .where(VOUCHERS.c.id.in_(chunk))
            .order_by(VOUCHERS.c.id)
            .with_for_update()
        ):
            balances[row.id] = (row.balance_fen, row.status)
    return balances


def _existing(
    session: Session, provider_id: int, record_ids: list[str]
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(record_ids):
        for row in session.execute(
            select(RECORDS).where(
                RECORDS.c.provider_id == provider_id, RECORDS.c.record_id.in_(chunk)
            )
        ):
            found[row.record_id] = dict(row._mapping)
    return found


def _write(
    session: Session,
    provider_id: int,
    rows: list[dict[str, Any]],
    vouchers: dict[str, _VoucherInfo],
    *,
    claim: bool = False,
) -> None:
    """Insert the records (claiming their ids) and one subsidy posting per subsidised one.

    A record id stored by a concurrent request since our look-up breaks the unique key (or,
    with ``claim``, is skipped by ON CONFLICT): ``_ConcurrentDuplicate`` tells the caller to
    start again, and then it sees that record."""
    if claim:
        [row] = rows
        claimed = session.execute(
            _insert(session, RECORDS)
            .on_conflict_do_nothing(index_elements=["provider_id", "record_id"])
            .returning(RECORDS.c.id),
            row,
        ).scalar()
        if claimed is None:
            raise _ConcurrentDuplicate
        row["id"] = claimed
        ids = {row["record_id"]: claimed}
    else:
        ids = _insert_records(session, rows)
    _post_subsidies(session, provider_id, rows, vouchers, ids)


def _insert_records(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    try:
        if session.get_bind().dialect.name == "postgresql" and len(rows) > 1:
            # Ids from the sequence, then one pipelined executemany of a small statement:
            # far cheaper than a multi-row INSERT ... RETURNING for thousands of rows.
            new_ids = session.scalars(_NEXT_IDS, {"n": len(rows)}).all()
            for row, new_id in zip(rows, new_ids, strict=True):
                row["id"] = new_id
            session.execute(RECORDS.insert(), rows)
            ids = {row["record_id"]: row["id"] for row in rows}
        else:
            statement = RECORDS.insert().returning(RECORDS.c.id, RECORDS.c.record_id)
            # One row is one plain statement (with RETURNING, no separate id fetch).
            result = session.execute(statement, rows[0] if len(rows) == 1 else rows)
            ids = {record_id: id_ for id_, record_id in result}
            for row in rows:
                row["id"] = ids[row["record_id"]]
    except IntegrityError as exc:
        if "provider_id" in str(exc.orig) and "record_id" in str(exc.orig):
            raise _ConcurrentDuplicate from exc
        raise
    return ids


def _post_subsidies(
    session: Session,
    provider_id: int,
    rows: list[dict[str, Any]],
    vouchers: dict[str, _VoucherInfo],
    ids: dict[str, int],
) -> None:
    postings = [
        {
            "kind": PostingKind.SUBSIDY.value,
            "from_account": voucher_account(row["voucher_id"]),
            "to_account": payable_account(provider_id),
            "amount_fen": row["subsidy_fen"],
            "pool_id": vouchers[row["voucher_code"]].pool_id,
            "voucher_id": row["voucher_id"],
            "usage_record_id": ids[row["record_id"]],
            "memo": row["record_id"],
            "created_at": row["created_at"],
        }
        for row in rows
        if row["subsidy_fen"] > 0
    ]
    if postings:
        session.execute(POSTINGS.insert(), postings)


def _apply_counters(
    session: Session, rows: list[dict[str, Any]], caps: dict[tuple[int, int], list[int]]
) -> None:
    per_voucher: dict[int, int] = defaultdict(int)
    for row in rows:
        if row["subsidy_fen"]:
            per_voucher[row["voucher_id"]] += row["subsidy_fen"]
    if per_voucher:
        session.execute(
            update(VOUCHERS)
            .where(VOUCHERS.c.id == bindparam("b_id"))
            .values(
                balance_fen=VOUCHERS.c.balance_fen - bindparam("b_amount"),
                subsidised_fen=VOUCHERS.c.subsidised_fen + bindparam("b_amount"),
            ),
            [{"b_id": v, "b_amount": amount} for v, amount in sorted(per_voucher.items())],
        )
    deltas = [{"b_id": cap[0], "b_amount": cap[2]} for cap in caps.values() if cap[2]]
    if deltas:
        session.execute(
            update(CAPS)
            .where(CAPS.c.id == bindparam("b_id"))
            .values(used_fen=CAPS.c.used_fen + bindparam("b_amount")),
            sorted(deltas, key=lambda d: d["b_id"]),
        )


@dataclass(frozen=True)
class AdjustmentReport:
    """A correction of an earlier record: part or all of its fee refunded."""

    record_id: str
    adjusts_record_id: str
    refund_fen: int
    reason: str

    def body_hash(self) -> str:
        text = json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def adjust_usage(
    session: Session, provider: Provider, adjustment: AdjustmentReport, *, now: datetime
) -> Ingested:
    """Refund part or all of a record's fee. The subsidy the reduced fee no longer earns goes
    back to the voucher (to its pool if the voucher has closed) and the cap is restored by
    the same amount. The original is never edited: the adjustment is a new record with
    negative fee and subsidy, priced by the original's rule version."""
    _require_active(provider)
    assert provider.id is not None
    original = _existing(session, provider.id, [adjustment.adjusts_record_id]).get(
        adjustment.adjusts_record_id
    )
    if original is None or original["kind"] != "usage":
        raise NotFound(
            f"you have no usage record {adjustment.adjusts_record_id!r}",
            code=ErrorCode.RECORD_NOT_FOUND,
        )
    if original["enrolment_id"] is not None and original["cap_period"] is not None:
        _lock_caps(session, {(original["enrolment_id"], original["cap_period"])})
    if original["voucher_id"] is not None:
        _lock_vouchers(session, [original["voucher_id"]])

    existing = _existing(session, provider.id, [adjustment.record_id]).get(adjustment.record_id)
    if existing is not None:
        if existing["body_hash"] != adjustment.body_hash():
            raise RecordConflict(
                f"record id {adjustment.record_id!r} was already used with another body"
            )
        return Ingested(adjustment.record_id, existing, replayed=True)

    refunded, reversed_ = (
        -int(x)
        for x in session.execute(
            select(
                func.coalesce(func.sum(RECORDS.c.fee_fen), 0),
                func.coalesce(func.sum(RECORDS.c.subsidy_fen), 0),
            ).where(RECORDS.c.original_id == original["id"])
        ).one()
    )
    fee_left = original["fee_fen"] - refunded
    if adjustment.refund_fen > fee_left:
        raise RefundExceedsFee(
            f"record {original['record_id']!r} has {fen_to_yuan(fee_left)} yuan of fee left "
            f"to refund; asked {fen_to_yuan(adjustment.refund_fen)}"
        )
    subsidy_left = original["subsidy_fen"] - reversed_
    reverse = 0
    if subsidy_left:
        rate = session.scalar(
            select(RuleVersion.rate_bp)
            .join(Voucher, Voucher.program_id == RuleVersion.program_id)
            .where(Voucher.id == original["voucher_id"])
            .where(RuleVersion.version == original["rule_version"])
        )
        earned = (fee_left - adjustment.refund_fen) * int(rate or 0) // BASIS_POINTS
        reverse = subsidy_left - min(subsidy_left, earned)

    row = {
        **{k: v for k, v in original.items() if k not in ("id", "created_at")},
        "record_id": adjustment.record_id,
        "body_hash": adjustment.body_hash(),
        "kind": "adjustment",
        "original_id": original["id"],
        "quantity": "0",
        "fee_fen": -adjustment.refund_fen,
        "full_subsidy_fen": 0,
        "subsidy_fen": -reverse,
        "enterprise_share_fen": -adjustment.refund_fen + reverse,
        "outcome": "adjusted",
        "reason": None,
        "attributes": json.dumps({"reason": adjustment.reason}, ensure_ascii=False),
        "created_at": now,
    }
    record_id = session.execute(RECORDS.insert().returning(RECORDS.c.id), [row]).scalar_one()
    if reverse:
        _return_subsidy(session, provider.id, original, reverse, record_id)
    audit.record(
        session,
        "usage.adjust",
        "usage_record",
        f"{provider.uscc}/{original['record_id']}",
        after={
            "record_id": adjustment.record_id,
            "refund_fen": adjustment.refund_fen,
            "subsidy_returned_fen": reverse,
        },
    )
    stored = _existing(session, provider.id, [adjustment.record_id])[adjustment.record_id]
    return Ingested(adjustment.record_id, stored)


def _return_subsidy(
    session: Session, provider_id: int, original: dict[str, Any], amount: int, record_id: int
) -> None:
    voucher: Voucher | None = session.get(Voucher, original["voucher_id"], populate_existing=True)
    assert voucher is not None and voucher.id is not None
    postings = [
        {
            "kind": PostingKind.REVERSAL.value,
            "from_account": payable_account(provider_id),
            "to_account": voucher_account(voucher.id),
            "amount_fen": amount,
        }
    ]
    if voucher.status == "active":
        values = {"balance_fen": VOUCHERS.c.balance_fen + amount}
    else:  # closed: the money goes on to the pool of the voucher's year
        values = {"released_fen": VOUCHERS.c.released_fen + amount}
        postings.append(
            {
                "kind": PostingKind.RELEASE.value,
                "from_account": voucher_account(voucher.id),
                "to_account": pool_account(voucher.pool_id),
                "amount_fen": amount,
            }
        )
        session.execute(
            update(Pool)
            .where(Pool.id == voucher.pool_id)
            .values(available_fen=Pool.available_fen + amount)
        )
    session.execute(
        update(VOUCHERS)
        .where(VOUCHERS.c.id == voucher.id)
        .values(subsidised_fen=VOUCHERS.c.subsidised_fen - amount, **values)
    )
    session.execute(
        update(CAPS)
        .where(
            CAPS.c.enrolment_id == original["enrolment_id"],
            CAPS.c.period == original["cap_period"],
        )
        .values(used_fen=CAPS.c.used_fen - amount)
    )
    now = utcnow()
    session.execute(
        POSTINGS.insert(),
        [
            {
                **p,
                "pool_id": voucher.pool_id,
                "voucher_id": voucher.id,
                "usage_record_id": record_id,
                "memo": f"refund of {original['record_id']}",
                "created_at": now,
            }
            for p in postings
        ],
    )
    session.expire(voucher)
