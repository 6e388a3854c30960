"""The ledger's own part of the whole-books check (``voucher_service.books``): every
counter re-derived from the postings, the invariants on vouchers, pools and caps, and each
posting checked against what it records.

Reads the database, never the session's cache (``populate_existing``), with read-only
aggregate queries (GROUP BY in the database, so it scales with the ledger); each check
returns one line per violation, naming the row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, String, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from voucher_service.db.base import table
from voucher_service.db.tables.applications import Application, ApplicationStatus
from voucher_service.db.tables.claims import Claim, ClaimInvoice
from voucher_service.db.tables.enterprises import Enrolment
from voucher_service.db.tables.ledger import CapUsage, LedgerPosting, PostingKind
from voucher_service.db.tables.programs import Pool, RuleVersion
from voucher_service.db.tables.usage import UsageRecord
from voucher_service.db.tables.vouchers import Voucher, VoucherStatus
from voucher_service.ledger import accounts
from voucher_service.ledger.accounts import Account, AccountKind


def account_nets(session: Session) -> dict[Account, int]:
    """Each account's balance by its postings: what came in less what went out."""
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


def check_amounts(session: Session) -> list[str]:
    """Every posting moves a positive amount."""
    negative_postings = session.scalar(
        select(func.count()).select_from(LedgerPosting).where(LedgerPosting.amount_fen <= 0)
    )
    if negative_postings:
        return [f"ledger: {negative_postings} posting(s) with a non-positive amount"]
    return []


def check_counters(session: Session, nets: dict[Account, int]) -> list[str]:
    """The vouchers', pools' and caps' counters: each conserves what it holds and equals
    what the postings on it add up to."""
    sums = _VoucherSums()
    violations = _check_vouchers(session, nets, sums)
    violations.extend(_check_reservations(session, nets, sums))
    _sum_claims(session, sums)
    violations.extend(_check_pools(session, nets, sums))
    subsidised = defaultdict(int, sums.subsidised_by_enrolment)
    for enrolment_id, amount in sums.claimed_by_enrolment.items():
        subsidised[enrolment_id] += amount
    violations.extend(_check_caps(session, subsidised))
    return violations


def _sum_claims(session: Session, sums: _VoucherSums) -> None:
    """What claims drew from each pool (approvals less corrections, by their postings) and
    count against each enrolment's caps (the claims' net subsidies)."""
    flows = session.execute(
        select(LedgerPosting.pool_id, LedgerPosting.kind, func.sum(LedgerPosting.amount_fen))
        .where(LedgerPosting.kind.in_([PostingKind.CLAIM, PostingKind.CLAIM_REVERSAL]))  # type: ignore[attr-defined]
        .group_by(LedgerPosting.pool_id, LedgerPosting.kind)
    )
    for pool_id, kind, amount in flows:
        sign = 1 if kind == PostingKind.CLAIM else -1
        sums.claimed_by_pool[int(pool_id)] += sign * int(amount)
    for enrolment_id, amount in session.execute(
        select(Claim.enrolment_id, func.sum(Claim.subsidy_fen))
        .where(col(Claim.enrolment_id).is_not(None))
        .group_by(Claim.enrolment_id)
    ):
        sums.claimed_by_enrolment[int(enrolment_id)] += int(amount)


@dataclass
class _VoucherSums:
    """What the vouchers add up to, per pool and per enrolment, for the checks after them."""

    balance_by_pool: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    subsidised_by_pool: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    subsidised_by_enrolment: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    reserved_by_pool: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    # Claims after payment: their net subsidies drawn from each pool (by the postings) and
    # counted against each enrolment's caps (by the claims).
    claimed_by_pool: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    claimed_by_enrolment: dict[int, int] = field(default_factory=lambda: defaultdict(int))


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


def _check_reservations(
    session: Session, nets: dict[Account, int], sums: _VoucherSums
) -> list[str]:
    """Each application holds a reservation (pool -> reserved:<application>) exactly while
    it stands in public notice, of its approved amount, from its program's pool of its year;
    every other application holds none."""
    violations: list[str] = []
    held = {
        account.owner_id: amount
        for account, amount in nets.items()
        if account.kind is AccountKind.RESERVED
    }
    pools = {
        int(application): int(pool)
        for application, pool in session.execute(
            select(
                func.substr(LedgerPosting.to_account, len("reserved:") + 1),
                LedgerPosting.pool_id,
            ).where(LedgerPosting.kind == PostingKind.RESERVE)
        )
    }
    in_notice: dict[int, int | None] = dict(
        session.execute(
            select(Application.id, Application.approved_fen)
            .where(Application.status == ApplicationStatus.IN_NOTICE)
            .execution_options(populate_existing=True)
        ).all()
    )
    for application_id in set(held) | set(in_notice):
        amount = held.get(application_id, 0)
        want = in_notice.get(application_id) or 0
        if amount != want:
            violations.append(
                f"application {application_id}: reserved {amount} != "
                f"{'its approved amount' if application_id in in_notice else 'nothing'} {want}"
            )
        if amount and application_id in pools:
            sums.reserved_by_pool[pools[application_id]] += amount
    return violations


def _check_pools(session: Session, nets: dict[Account, int], sums: _VoucherSums) -> list[str]:
    """Each pool conserves its total and agrees with the postings on it."""
    violations: list[str] = []
    # A grants program's pool: what its grants were approved for (held or paid) left it by
    # grant postings, which never come back (grants/checks.py holds each grant to them).
    granted_by_pool: dict[int, int] = {
        int(pool_id): int(amount)
        for pool_id, amount in session.execute(
            select(LedgerPosting.pool_id, func.sum(LedgerPosting.amount_fen))
            .where(LedgerPosting.kind == PostingKind.GRANT)
            .group_by(LedgerPosting.pool_id)
        )
    }
    for pool in session.scalars(select(Pool).execution_options(populate_existing=True)):
        assert pool.id is not None
        label = f"pool {pool.id} (program {pool.program_id}, {pool.year})"
        if pool.available_fen < 0:
            violations.append(f"{label}: available is negative ({pool.available_fen})")
        outstanding = sums.balance_by_pool[pool.id]
        consumed = sums.subsidised_by_pool[pool.id]
        reserved = sums.reserved_by_pool[pool.id] + granted_by_pool.get(pool.id, 0)
        claimed = sums.claimed_by_pool[pool.id]
        if pool.total_fen != pool.available_fen + reserved + outstanding + consumed + claimed:
            violations.append(
                f"{label}: total {pool.total_fen} != available {pool.available_fen} + "
                f"reserved {reserved} + outstanding {outstanding} + consumed {consumed} + "
                f"claimed {claimed}"
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
    twice = _counted_twice(session)
    for enrolment_id in set(counted) | set(subsidised_by_enrolment) | set(twice):
        want = subsidised_by_enrolment[enrolment_id] + twice.get(enrolment_id, 0)
        if counted[enrolment_id] != want:
            also = (
                f" (+{twice[enrolment_id]} counted per year and lifetime)"
                if twice.get(enrolment_id)
                else ""
            )
            violations.append(
                f"enrolment {enrolment_id}: cap counters {counted[enrolment_id]} != net "
                f"subsidies on its vouchers {subsidised_by_enrolment[enrolment_id]}{also}"
            )
    return violations


def _counted_twice(session: Session) -> dict[int, int]:
    """Per enrolment, the net subsidies counted on two counters: priced by a rule version with
    a cap per year beside its lifetime cap, each counts on its subsidy year's counter (its
    cap period) and on the lifetime counter (period 0)."""
    records, rule_versions, enrolments = table(UsageRecord), table(RuleVersion), table(Enrolment)
    record, rules, enrolment = records.c, rule_versions.c, enrolments.c
    rows = session.execute(
        select(record.enrolment_id, func.sum(record.subsidy_fen))
        .join(enrolments, enrolment.id == record.enrolment_id)
        .join(
            rule_versions,
            (rules.program_id == enrolment.program_id) & (rules.version == record.rule_version),
        )
        .where(rules.year_cap_fen.is_not(None), record.cap_period > 0)
        .group_by(record.enrolment_id)
    )
    twice = {int(enrolment_id): int(fen or 0) for enrolment_id, fen in rows}
    # ... and so do claims' invoices priced by such a rule version (claims/service.py).
    claimed = session.execute(
        select(Claim.enrolment_id, func.sum(ClaimInvoice.subsidy_fen))
        .join(Claim, col(Claim.id) == ClaimInvoice.claim_id)
        .join(
            RuleVersion,
            (col(RuleVersion.program_id) == Claim.program_id)
            & (col(RuleVersion.version) == ClaimInvoice.rule_version),
        )
        .where(col(RuleVersion.year_cap_fen).is_not(None), col(ClaimInvoice.cap_period) > 0)
        .group_by(Claim.enrolment_id)
    )
    for enrolment_id, fen in claimed:
        twice[int(enrolment_id)] = twice.get(int(enrolment_id), 0) + int(fen or 0)
    return twice


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
    violations = [_named(row) for row in session.execute(_mismatched_postings())]
    violations.extend(_check_settlements(session))
    violations.extend(_check_records_posted(session))
    return violations


@dataclass(frozen=True)
class _Expected:
    """What a posting must say, as SQL over the row it records."""

    from_account: ColumnElement[Any]
    to_account: ColumnElement[Any]
    amount_fen: ColumnElement[Any]
    voucher_id: ColumnElement[Any]
    pool_id: ColumnElement[Any]


# Kinds that move a pool's money to or from an account of their own (no voucher):
# reservations, claims and grants.
_POOL_ONLY = (
    PostingKind.RESERVE,
    PostingKind.UNRESERVE,
    PostingKind.CLAIM,
    PostingKind.CLAIM_REVERSAL,
    PostingKind.GRANT,
    PostingKind.INSTALMENT,
)


def _expected(posting: Any, record: Any, voucher: Any, pool: Any) -> _Expected:
    """Each kind's two accounts and amount, as what it records names them
    (ledger/service.py)."""
    kind = posting.kind
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
        # A reservation names its application in the account; _check_reservations holds
        # each application's net to its approved amount.
        PostingKind.RESERVE: (_account(AccountKind.POOL, pool.id), posting.to_account),
        PostingKind.UNRESERVE: (posting.from_account, _account(AccountKind.POOL, pool.id)),
        # A claim names itself in the account; claims/checks.py holds each claim's postings
        # to its subsidy and payments, and its pool to the claim's.
        PostingKind.CLAIM: (_account(AccountKind.POOL, pool.id), posting.to_account),
        PostingKind.CLAIM_REVERSAL: (posting.from_account, _account(AccountKind.POOL, pool.id)),
        PostingKind.CLAIM_PAY: (posting.from_account, posting.to_account),
        # A grant's postings name the grant in their accounts; grants/checks.py holds each
        # grant's accounts to its approved and paid amounts and its pool.
        PostingKind.GRANT: (_account(AccountKind.POOL, pool.id), posting.to_account),
        PostingKind.INSTALMENT: (posting.from_account, posting.to_account),
    }
    return _Expected(
        from_account=case(*((kind == named, source) for named, (source, _) in ends.items())),
        to_account=case(*((kind == named, target) for named, (_, target) in ends.items())),
        amount_fen=case(
            (kind == PostingKind.FUND, pool.total_fen),
            (kind == PostingKind.ISSUE, voucher.face_value_fen),
            (kind == PostingKind.SUBSIDY, record.subsidy_fen),
            (kind == PostingKind.REVERSAL, -record.subsidy_fen),
            ((kind == PostingKind.RELEASE) & record.id.is_not(None), -record.subsidy_fen),
            else_=posting.amount_fen,  # a voucher's release: its counters check the amount
        ),
        voucher_id=case(
            (kind.in_([PostingKind.FUND, *_POOL_ONLY]), None),
            (kind.in_([PostingKind.SUBSIDY, PostingKind.REVERSAL]), record.voucher_id),
            else_=posting.voucher_id,
        ),
        pool_id=case(
            (kind.in_([PostingKind.FUND, *_POOL_ONLY]), pool.id),
            else_=voucher.pool_id,
        ),
    )


def _mismatched_postings() -> Select[Any]:
    """The postings (but settlements) that differ from what they record, first
    ``POSTINGS_NAMED`` by id, each with what it should have said."""
    posting, record = table(LedgerPosting).c, table(UsageRecord).alias("record").c
    voucher, pool = table(Voucher).alias("voucher").c, table(Pool).alias("pool").c
    expected = _expected(posting, record, voucher, pool)
    return (
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
            expected.from_account.label("want_from"),
            expected.to_account.label("want_to"),
            expected.amount_fen.label("want_amount"),
        )
        .select_from(
            table(LedgerPosting)
            .outerjoin(record.id.table, record.id == posting.usage_record_id)
            .outerjoin(voucher.id.table, voucher.id == posting.voucher_id)
            .outerjoin(pool.id.table, pool.id == posting.pool_id)
        )
        .where(
            posting.kind != PostingKind.SETTLE,
            or_(
                posting.from_account.is_distinct_from(expected.from_account),
                posting.to_account.is_distinct_from(expected.to_account),
                posting.amount_fen.is_distinct_from(expected.amount_fen),
                posting.voucher_id.is_distinct_from(expected.voucher_id),
                posting.pool_id.is_distinct_from(expected.pool_id),
                posting.usage_record_id.is_not(None) & record.id.is_(None),
            ),
        )
        .order_by(posting.id)
        .limit(POSTINGS_NAMED)
    )


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
