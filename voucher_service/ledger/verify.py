"""``verify``: re-derive every counter from the postings, check the invariants, and walk
the audit log's hash chain.

Reads the database, never the session's cache (``populate_existing``), and runs read-only
aggregate queries (GROUP BY in the database, so it scales with the ledger)
and returns one line per violation, naming the row. An empty list means the books hold.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from voucher_service.audit.service import verify_chain
from voucher_service.db.tables.enterprises import Enrolment
from voucher_service.db.tables.ledger import CapUsage, LedgerPosting, PostingKind
from voucher_service.db.tables.programs import Pool, RuleVersion
from voucher_service.db.tables.settlement import Statement, StatementLine, StatementStatus
from voucher_service.db.tables.usage import RecordKind, UsageRecord
from voucher_service.db.tables.vouchers import Voucher, VoucherStatus
from voucher_service.ledger import accounts
from voucher_service.ledger.accounts import Account, AccountKind


def _account_nets(session: Session) -> dict[Account, int]:
    nets: dict[Account, int] = defaultdict(int)
    incoming = select(LedgerPosting.to_account, func.sum(LedgerPosting.amount_fen)).group_by(
        LedgerPosting.to_account
    )
    outgoing = select(LedgerPosting.from_account, func.sum(LedgerPosting.amount_fen)).group_by(
        LedgerPosting.from_account
    )
    for name, amount in session.execute(incoming):
        nets[Account.parse(name)] += int(amount)
    for name, amount in session.execute(outgoing):
        nets[Account.parse(name)] -= int(amount)
    return nets


def _voucher_flows(session: Session) -> dict[tuple[int, str], int]:
    rows = session.execute(
        select(LedgerPosting.voucher_id, LedgerPosting.kind, func.sum(LedgerPosting.amount_fen))
        .where(col(LedgerPosting.voucher_id).is_not(None))
        .group_by(LedgerPosting.voucher_id, LedgerPosting.kind)
    )
    return {(int(v), kind): int(amount) for v, kind, amount in rows}


def verify_ledger(session: Session) -> list[str]:
    """Check conservation, counters against postings, non-negativity and caps."""
    violations: list[str] = []
    nets = _account_nets(session)
    negative_postings = session.scalar(
        select(func.count()).select_from(LedgerPosting).where(LedgerPosting.amount_fen <= 0)
    )
    if negative_postings:
        violations.append(f"ledger: {negative_postings} posting(s) with a non-positive amount")
    sums = _VoucherSums()
    violations.extend(_check_vouchers(session, nets, sums))
    violations.extend(_check_pools(session, nets, sums))
    violations.extend(_check_caps(session, sums.subsidised_by_enrolment))
    violations.extend(_check_usage(session, nets))
    violations.extend(_check_statements(session, nets))
    violations.extend(verify_chain(session))
    return violations


@dataclass
class _VoucherSums:
    """What the vouchers add up to, per pool and per enrolment, for the checks after them."""

    balance_by_pool: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    subsidised_by_pool: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    subsidised_by_enrolment: dict[int, int] = field(default_factory=lambda: defaultdict(int))


def _check_vouchers(session: Session, nets: dict[Account, int], sums: _VoucherSums) -> list[str]:
    """Each voucher conserves its face value and agrees with the postings on it."""
    violations: list[str] = []
    flows = _voucher_flows(session)
    for v in session.scalars(select(Voucher).execution_options(populate_existing=True)):
        assert v.id is not None
        label = f"voucher {v.code} (id {v.id})"
        for column in ("balance_fen", "subsidised_fen", "released_fen"):
            if getattr(v, column) < 0:
                violations.append(f"{label}: {column} is negative ({getattr(v, column)})")
        if v.face_value_fen != v.balance_fen + v.subsidised_fen + v.released_fen:
            violations.append(
                f"{label}: face value {v.face_value_fen} != balance {v.balance_fen} + "
                f"subsidised {v.subsidised_fen} + released {v.released_fen}"
            )
        expected = {
            "balance": (v.balance_fen, nets.get(accounts.voucher(v.id), 0), "ledger balance"),
            "face value": (v.face_value_fen, flows.get((v.id, PostingKind.ISSUE), 0), "issued"),
            "subsidised": (
                v.subsidised_fen,
                flows.get((v.id, PostingKind.SUBSIDY), 0)
                - flows.get((v.id, PostingKind.REVERSAL), 0),
                "ledger net subsidies",
            ),
            "released": (
                v.released_fen,
                flows.get((v.id, PostingKind.RELEASE), 0),
                "ledger releases",
            ),
        }
        for name, (counter, ledger, what) in expected.items():
            if counter != ledger:
                violations.append(f"{label}: {name} {counter} != {what} {ledger}")
        if v.status != VoucherStatus.ACTIVE and v.balance_fen != 0:
            violations.append(f"{label}: {v.status} but balance is {v.balance_fen}")
        sums.balance_by_pool[v.pool_id] += v.balance_fen
        sums.subsidised_by_pool[v.pool_id] += v.subsidised_fen
        sums.subsidised_by_enrolment[v.enrolment_id] += v.subsidised_fen
    return violations


def _check_pools(session: Session, nets: dict[Account, int], sums: _VoucherSums) -> list[str]:
    """Each pool conserves its total and agrees with the postings on it."""
    violations: list[str] = []
    for pool in session.scalars(select(Pool).execution_options(populate_existing=True)):
        assert pool.id is not None
        label = f"pool {pool.id} (program {pool.program_id}, {pool.year})"
        if pool.available_fen < 0:
            violations.append(f"{label}: available is negative ({pool.available_fen})")
        outstanding = sums.balance_by_pool[pool.id]
        consumed = sums.subsidised_by_pool[pool.id]
        if pool.total_fen != pool.available_fen + outstanding + consumed:
            violations.append(
                f"{label}: total {pool.total_fen} != available {pool.available_fen} + "
                f"outstanding {outstanding} + consumed {consumed}"
            )
        ledger_available = nets.get(accounts.pool(pool.id), 0)
        if pool.available_fen != ledger_available:
            violations.append(
                f"{label}: available {pool.available_fen} != ledger balance {ledger_available}"
            )
        funded = -nets.get(accounts.budget(pool.id), 0)
        if pool.total_fen != funded:
            violations.append(f"{label}: total {pool.total_fen} != funded {funded}")
    return violations


def _check_statements(session: Session, nets: dict[Account, int]) -> list[str]:
    """Statement totals equal their lines, and what was paid equals the paid statements."""
    violations: list[str] = []
    lines: dict[int, int] = dict(
        session.execute(
            select(StatementLine.statement_id, func.sum(UsageRecord.subsidy_fen))
            .join(UsageRecord, UsageRecord.id == StatementLine.usage_record_id)
            .group_by(StatementLine.statement_id)
        ).all()
    )
    paid_by_provider: dict[int, int] = defaultdict(int)
    for statement in session.scalars(select(Statement).execution_options(populate_existing=True)):
        if int(lines.get(statement.id, 0)) != statement.subsidy_fen:
            violations.append(
                f"statement {statement.id} ({statement.period}): total {statement.subsidy_fen} "
                f"!= its lines {int(lines.get(statement.id, 0))}"
            )
        if statement.status == StatementStatus.PAID:
            paid_by_provider[statement.provider_id] += statement.subsidy_fen
    providers = set(paid_by_provider) | {
        account.owner_id for account in nets if account.kind is AccountKind.PAID
    }
    for provider_id in providers:
        paid = nets.get(accounts.paid(provider_id), 0)
        if paid != paid_by_provider[provider_id]:
            violations.append(
                f"provider {provider_id}: paid account {paid} != "
                f"paid statements {paid_by_provider[provider_id]}"
            )
    return violations


def _check_usage(session: Session, nets: dict[Account, int]) -> list[str]:
    """Usage records agree with the ledger, and none is subsidised above its rate.

    Per voucher, the net subsidy of its records equals its subsidised counter; per provider,
    the net subsidy of its records equals its payable account (less what settlement paid)."""
    violations: list[str] = []
    by_voucher: dict[int, int] = dict(
        session.execute(
            select(UsageRecord.voucher_id, func.sum(UsageRecord.subsidy_fen))
            .where(col(UsageRecord.voucher_id).is_not(None))
            .group_by(UsageRecord.voucher_id)
        ).all()
    )
    for voucher_id, subsidised in session.execute(select(Voucher.id, Voucher.subsidised_fen)):
        records = int(by_voucher.get(voucher_id, 0))
        if records != subsidised:
            violations.append(
                f"voucher id {voucher_id}: subsidised {subsidised} != its usage records {records}"
            )
    for provider_id, total in session.execute(
        select(UsageRecord.provider_id, func.sum(UsageRecord.subsidy_fen)).group_by(
            UsageRecord.provider_id
        )
    ):
        account = nets.get(accounts.payable(provider_id), 0) + nets.get(
            accounts.paid(provider_id), 0
        )
        if account != int(total):
            violations.append(
                f"provider {provider_id}: payable and paid {account} != subsidies on its "
                f"records {int(total)}"
            )
    over_rate = session.execute(
        select(UsageRecord.provider_id, UsageRecord.record_id)
        .join(Voucher, Voucher.id == UsageRecord.voucher_id)
        .join(
            RuleVersion,
            (RuleVersion.program_id == Voucher.program_id)
            & (RuleVersion.version == UsageRecord.rule_version),
        )
        .where(
            UsageRecord.kind == RecordKind.USAGE,
            UsageRecord.subsidy_fen * 10_000 > UsageRecord.fee_fen * RuleVersion.rate_bp,
        )
        .limit(100)
    ).all()
    for provider_id, record_id in over_rate:
        violations.append(
            f"usage record {record_id!r} of provider {provider_id}: subsidy above its rate"
        )
    violations.extend(_check_stacks(session))
    return violations


def _check_stacks(session: Session) -> list[str]:
    """A stacked record's layers: each top-up within its own rate of the usage record's fee,
    and all of them together within the fee and the stack's combined ceiling."""
    usage = aliased(UsageRecord)
    layers = (
        select(
            usage.provider_id,
            usage.record_id,
            usage.fee_fen,
            usage.subsidy_fen,
            usage.ceiling_bp,
            col(UsageRecord.record_id).label("layer_id"),
            col(UsageRecord.subsidy_fen).label("layer_fen"),
            RuleVersion.rate_bp,
        )
        .join(usage, usage.id == UsageRecord.original_id)
        .join(Voucher, Voucher.id == UsageRecord.voucher_id)
        .join(
            RuleVersion,
            (RuleVersion.program_id == Voucher.program_id)
            & (RuleVersion.version == UsageRecord.rule_version),
        )
        .where(UsageRecord.kind == RecordKind.TOP_UP)
    )
    violations: list[str] = []
    stacks: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for row in session.execute(layers):
        stacks[(row.provider_id, row.record_id)].append(row)
        if row.layer_fen * 10_000 > row.fee_fen * row.rate_bp:
            violations.append(f"top-up record {row.layer_id!r}: subsidy above its rate")
    for (provider_id, record_id), rows in stacks.items():
        first = rows[0]
        total = first.subsidy_fen + sum(row.layer_fen for row in rows)
        if total * 10_000 > first.fee_fen * (first.ceiling_bp or 10_000):
            violations.append(
                f"usage record {record_id!r} of provider {provider_id}: its layers together "
                f"({total}) above the fee's combined ceiling"
            )
    return violations


def _check_caps(session: Session, subsidised_by_enrolment: dict[int, int]) -> list[str]:
    """Cap counters equal the vouchers' net subsidies, and stay within the program's cap.

    A lowered cap never claws back what an earlier version allowed, so each counter is held
    to the largest cap any version of its program has had."""
    violations: list[str] = []
    max_cap: dict[int, int] = dict(
        session.execute(
            select(RuleVersion.program_id, func.max(RuleVersion.cap_fen)).group_by(
                RuleVersion.program_id
            )
        ).all()
    )
    counted: dict[int, int] = defaultdict(int)
    for usage, enrolment in session.execute(
        select(CapUsage, Enrolment)
        .join(Enrolment, CapUsage.enrolment_id == Enrolment.id)
        .execution_options(populate_existing=True)
    ):
        assert enrolment.id is not None
        counted[enrolment.id] += usage.used_fen
        label = f"enterprise {enrolment.enterprise_id} in program {enrolment.program_id}"
        if usage.used_fen < 0:
            violations.append(f"{label}: cap used is negative ({usage.used_fen})")
        cap = max_cap.get(enrolment.program_id, 0)
        if usage.used_fen > cap:
            violations.append(
                f"{label}: cap used {usage.used_fen} exceeds the cap {cap} (period {usage.period})"
            )
    for enrolment_id in set(counted) | set(subsidised_by_enrolment):
        if counted[enrolment_id] != subsidised_by_enrolment[enrolment_id]:
            violations.append(
                f"enrolment {enrolment_id}: cap counters {counted[enrolment_id]} != net "
                f"subsidies on its vouchers {subsidised_by_enrolment[enrolment_id]}"
            )
    return violations
