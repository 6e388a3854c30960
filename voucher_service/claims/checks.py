"""Claims' part of the whole-books check (``voucher_service.books``): each claim agrees with
its invoices and with the ledger (its postings add up to its net subsidy, its account to
what is still payable, each enterprise's paid account to its paid claims), and no invoice is
subsidised above its rule version's rate."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voucher_service.db.tables.claims import Claim, ClaimInvoice
from voucher_service.db.tables.ledger import LedgerPosting, PostingKind
from voucher_service.db.tables.programs import RuleVersion
from voucher_service.ledger import accounts
from voucher_service.ledger.accounts import Account, AccountKind


def _posted(session: Session) -> dict[int, dict[str, int]]:
    """Per claim (by its account), the sums of its approval, correction and payment
    postings, and the pools they name."""
    flows: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    kinds = [PostingKind.CLAIM, PostingKind.CLAIM_REVERSAL, PostingKind.CLAIM_PAY]
    for kind, source, target, pool_id, amount in session.execute(
        select(
            LedgerPosting.kind,
            LedgerPosting.from_account,
            LedgerPosting.to_account,
            LedgerPosting.pool_id,
            LedgerPosting.amount_fen,
        ).where(LedgerPosting.kind.in_(kinds))  # type: ignore[attr-defined]
    ):
        account = Account.parse(target if kind == PostingKind.CLAIM else source)
        claim_id = account.owner_id if account.kind is AccountKind.CLAIM else -1
        flows[claim_id][kind] += int(amount)
        if pool_id is not None:
            flows[claim_id][f"pool:{pool_id}"] = 1
    return flows


def _check_payments(nets: Mapping[Account, int], paid_by_enterprise: dict[int, int]) -> list[str]:
    """Each enterprise's paid account equals its paid claims."""
    violations = []
    enterprises = set(paid_by_enterprise) | {
        account.owner_id for account in nets if account.kind is AccountKind.ENTERPRISE
    }
    for enterprise_id in enterprises:
        paid = nets.get(accounts.enterprise_paid(enterprise_id), 0)
        if paid != paid_by_enterprise[enterprise_id]:
            violations.append(
                f"enterprise {enterprise_id}: paid account {paid} != paid claims "
                f"{paid_by_enterprise[enterprise_id]}"
            )
    return violations


def check_claims(session: Session, nets: Mapping[Account, int]) -> list[str]:
    """Claims against their invoices and the ledger."""
    violations: list[str] = []
    flows = _posted(session)
    if -1 in flows:
        violations.append("ledger: a claim posting names no claim account")
    invoices = {
        int(claim_id): (int(approved), int(subsidy))
        for claim_id, approved, subsidy in session.execute(
            select(
                ClaimInvoice.claim_id,
                func.sum(ClaimInvoice.approved_fen),
                func.sum(ClaimInvoice.subsidy_fen),
            ).group_by(ClaimInvoice.claim_id)
        )
    }
    paid_by_enterprise: dict[int, int] = defaultdict(int)
    for claim in session.scalars(select(Claim).execution_options(populate_existing=True)):
        assert claim.id is not None
        label = f"claim {claim.id}"
        approved, subsidy = invoices.get(claim.id, (0, 0))
        if (claim.approved_fen, claim.subsidy_fen) != (approved, subsidy):
            violations.append(
                f"{label}: approved {claim.approved_fen} and subsidy {claim.subsidy_fen} != "
                f"its invoices' {approved} and {subsidy}"
            )
        flow = flows.pop(claim.id, {})
        net = flow.get(PostingKind.CLAIM, 0) - flow.get(PostingKind.CLAIM_REVERSAL, 0)
        if net != claim.subsidy_fen:
            violations.append(f"{label}: subsidy {claim.subsidy_fen} != its postings {net}")
        payments = flow.get(PostingKind.CLAIM_PAY, 0)
        if payments != claim.paid_fen:
            violations.append(f"{label}: paid {claim.paid_fen} != its payments {payments}")
        pools = {key for key in flow if key.startswith("pool:")}
        if pools and pools != {f"pool:{claim.pool_id}"}:
            violations.append(f"{label}: postings name pools {sorted(pools)}, not its own")
        account = nets.get(accounts.claim(claim.id), 0)
        if account != claim.subsidy_fen - claim.paid_fen:
            violations.append(
                f"{label}: account {account} != subsidy {claim.subsidy_fen} - paid {claim.paid_fen}"
            )
        paid_by_enterprise[claim.enterprise_id] += claim.paid_fen
    for claim_id in flows:
        violations.append(f"ledger: postings for claim {claim_id}, which does not exist")
    violations.extend(_check_payments(nets, paid_by_enterprise))
    over_rate = session.execute(
        select(ClaimInvoice.claim_id, ClaimInvoice.invoice_number)
        .join(Claim, Claim.id == ClaimInvoice.claim_id)
        .join(
            RuleVersion,
            (RuleVersion.program_id == Claim.program_id)
            & (RuleVersion.version == ClaimInvoice.rule_version),
        )
        .where(ClaimInvoice.subsidy_fen * 10_000 > ClaimInvoice.approved_fen * RuleVersion.rate_bp)
        .limit(100)
    ).all()
    for claim_id, number in over_rate:
        violations.append(f"claim {claim_id}: invoice {number} subsidised above its rate")
    return violations
