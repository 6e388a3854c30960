"""``verify``: re-derive every counter from the postings, check each posting against what
it records, check the invariants, and walk the audit log's hash chain.

Reads the database, never the session's cache (``populate_existing``), and runs read-only
aggregate queries (GROUP BY in the database, so it scales with the ledger)
and returns one line per violation, naming the row. An empty list means the books hold.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from voucher_service.audit.service import verify_chain
from voucher_service.db.base import table
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
    """Check conservation, counters against postings, non-negativity, caps, each posting
    against what it records, and the audit chain."""
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
    violations.extend(check_postings(session))
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


POSTINGS_NAMED = 100  # at most this many postings named per check (a wholesale rewrite is one line)


def _account(kind: AccountKind, owner_id: Any) -> ColumnElement[str]:
    """The name ``accounts`` gives an account (``voucher:12``), as SQL."""
    return literal(f"{kind.value}:") + cast(owner_id, String)


def check_postings(session: Session) -> list[str]:
    """Each posting agrees with the row it records, and each subsidised record has its one
    posting: so a posting altered, redirected, added or removed is named by its id.

    What a posting must say follows from what it records (ledger/service.py): a fund, the
    pool's total from its budget; an issue, the voucher's face value from its pool; a
    subsidy, its usage record's subsidy from the record's voucher to its provider's payable;
    a reversal (and a release it sends on to the pool), the adjustment's subsidy given back;
    a release of a closing voucher, from it to its pool; a settlement, between one provider's
    payable and paid accounts. The counters checks above name the vouchers and pools a bad
    posting moved; this names the posting. A posting rewritten together with its record and
    every counter agrees with all of them: a signed checkpoint (audit/checkpoint.py) is
    what catches that."""
    posting, record = table(LedgerPosting).c, table(UsageRecord).alias("record").c
    voucher, pool = table(Voucher).alias("voucher").c, table(Pool).alias("pool").c
    kind = posting.kind
    by_record = record.id.is_not(None)
    # Each kind's two accounts, as what it records names them (ledger/service.py).
    ends = {
        PostingKind.FUND: (
            _account(AccountKind.BUDGET, posting.pool_id),
            _account(AccountKind.POOL, posting.pool_id),
        ),
        PostingKind.ISSUE: (
            _account(AccountKind.POOL, voucher.pool_id),
            _account(AccountKind.VOUCHER, voucher.id),
        ),
        PostingKind.SUBSIDY: (
            _account(AccountKind.VOUCHER, record.voucher_id),
            _account(AccountKind.PAYABLE, record.provider_id),
        ),
        PostingKind.REVERSAL: (
            _account(AccountKind.PAYABLE, record.provider_id),
            _account(AccountKind.VOUCHER, record.voucher_id),
        ),
        PostingKind.RELEASE: (
            _account(AccountKind.VOUCHER, voucher.id),
            _account(AccountKind.POOL, voucher.pool_id),
        ),
    }
    expected_from = case(*((kind == named, source) for named, (source, _) in ends.items()))
    expected_to = case(*((kind == named, target) for named, (_, target) in ends.items()))
    expected_amount = case(
        (kind == PostingKind.FUND, pool.total_fen),
        (kind == PostingKind.ISSUE, voucher.face_value_fen),
        (kind == PostingKind.SUBSIDY, record.subsidy_fen),
        (kind == PostingKind.REVERSAL, -record.subsidy_fen),
        ((kind == PostingKind.RELEASE) & by_record, -record.subsidy_fen),
        else_=posting.amount_fen,  # a voucher's release: its counters check the amount
    )
    expected_voucher = case(
        (kind == PostingKind.FUND, None),
        (kind.in_([PostingKind.SUBSIDY, PostingKind.REVERSAL]), record.voucher_id),
        else_=posting.voucher_id,
    )
    expected_pool = case((kind == PostingKind.FUND, pool.id), else_=voucher.pool_id)
    mismatched = (
        select(
            posting.id,
            posting.kind,
            posting.from_account,
            posting.to_account,
            posting.amount_fen,
            posting.usage_record_id,
            posting.voucher_id,
            posting.pool_id,
            record.id.label("found_record"),
            expected_from.label("want_from"),
            expected_to.label("want_to"),
            expected_amount.label("want_amount"),
        )
        .select_from(
            table(LedgerPosting)
            .outerjoin(record.id.table, record.id == posting.usage_record_id)
            .outerjoin(voucher.id.table, voucher.id == posting.voucher_id)
            .outerjoin(pool.id.table, pool.id == posting.pool_id)
        )
        .where(
            kind != PostingKind.SETTLE,
            or_(
                posting.from_account.is_distinct_from(expected_from),
                posting.to_account.is_distinct_from(expected_to),
                posting.amount_fen.is_distinct_from(expected_amount),
                posting.voucher_id.is_distinct_from(expected_voucher),
                posting.pool_id.is_distinct_from(expected_pool),
                posting.usage_record_id.is_not(None) & ~by_record,
            ),
        )
        .order_by(posting.id)
        .limit(POSTINGS_NAMED)
    )
    violations = [_named(row) for row in session.execute(mismatched)]
    violations.extend(_check_settlements(session))
    violations.extend(_check_records_posted(session))
    return violations


def _named(row: Any) -> str:
    label = (
        f"ledger posting id {row.id} ({row.kind} {row.from_account} -> {row.to_account}, "
        f"{row.amount_fen} fen)"
    )
    if row.usage_record_id is not None and row.found_record is None:
        return f"{label}: the usage record it records (id {row.usage_record_id}) does not exist"
    if row.kind in (PostingKind.SUBSIDY, PostingKind.REVERSAL) and row.usage_record_id is None:
        return f"{label}: it names no usage record"
    if row.want_from is None or row.want_to is None:
        fund = row.kind == PostingKind.FUND
        what, owner = ("pool", row.pool_id) if fund else ("voucher", row.voucher_id)
        return f"{label}: the {what} it records (id {owner}) does not exist"
    return (
        f"{label}: does not match what it records ({row.want_from} -> {row.want_to}, "
        f"{row.want_amount} fen)"
    )


def _check_settlements(session: Session) -> list[str]:
    """A settlement moves money between one provider's payable and paid accounts (its
    amounts are checked against the paid statements)."""
    violations = []
    settles = select(LedgerPosting).where(LedgerPosting.kind == PostingKind.SETTLE)
    for posting in session.scalars(settles.execution_options(populate_existing=True)):
        ends = {Account.parse(posting.from_account), Account.parse(posting.to_account)}
        owners = {account.owner_id for account in ends}
        kinds = {account.kind for account in ends}
        if len(owners) != 1 or kinds != {AccountKind.PAYABLE, AccountKind.PAID}:
            violations.append(
                f"ledger posting id {posting.id} (settle {posting.from_account} -> "
                f"{posting.to_account}): not between one provider's payable and paid"
            )
    return violations


def _check_records_posted(session: Session) -> list[str]:
    """Every usage record with a subsidy has exactly one posting of it (a subsidy, or a
    reversal for an adjustment): none removed, none posted twice."""
    posting, record = table(LedgerPosting).c, table(UsageRecord).c
    counted = (
        select(record.id, record.provider_id, record.record_id, func.count(posting.id))
        .select_from(
            table(UsageRecord).outerjoin(
                table(LedgerPosting),
                (posting.usage_record_id == record.id)
                & posting.kind.in_([PostingKind.SUBSIDY, PostingKind.REVERSAL]),
            )
        )
        .where(record.subsidy_fen != 0)
        .group_by(record.id, record.provider_id, record.record_id)
        .having(func.count(posting.id) != 1)
        .order_by(record.id)
        .limit(POSTINGS_NAMED)
    )
    violations = []
    for row_id, provider_id, record_id, postings in session.execute(counted):
        named = f"usage record id {row_id} ({record_id!r} of provider {provider_id})"
        if not postings:
            violations.append(f"{named}: its subsidy has no posting")
            continue
        ids = session.scalars(
            select(posting.id).where(posting.usage_record_id == row_id).order_by(posting.id)
        ).all()
        listed = ", ".join(str(i) for i in ids)
        violations.append(f"{named}: posted {postings} times (ledger posting ids {listed})")
    return violations
