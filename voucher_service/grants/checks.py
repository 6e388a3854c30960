"""The grants' part of the whole-books check (``voucher_service.books``): each grant's
accounts against its approved and paid amounts, its postings against its pool, and its paid
milestones against its instalments. The pool's side (its total = available + what its grants
took + ...) is the ledger's check."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voucher_service.db.tables.grants import GrantMilestone, MilestoneStatus, ProjectGrant
from voucher_service.db.tables.ledger import LedgerPosting, PostingKind
from voucher_service.ledger import accounts
from voucher_service.ledger.accounts import Account, AccountKind


def check_grants(session: Session, nets: dict[Account, int]) -> list[str]:
    """Each grant holds (grant:<g>) its approved amount less its instalments and has been
    paid (granted:<g>) its instalments, which are its paid milestones; its postings come
    from its own pool; no grant account without its grant."""
    violations: list[str] = []
    paid_milestones: dict[int, int] = dict(
        session.execute(
            select(GrantMilestone.grant_id, func.sum(GrantMilestone.amount_fen))
            .where(GrantMilestone.status == MilestoneStatus.PAID)
            .group_by(GrantMilestone.grant_id)
        ).all()
    )
    pools: dict[int, set[int]] = defaultdict(set)
    for account, pool_id in session.execute(
        select(LedgerPosting.to_account, LedgerPosting.pool_id).where(
            LedgerPosting.kind.in_([PostingKind.GRANT, PostingKind.INSTALMENT])  # type: ignore[attr-defined]
        )
    ):
        pools[Account.parse(account).owner_id].add(pool_id)
    known: set[int] = set()
    for grant in session.scalars(select(ProjectGrant).execution_options(populate_existing=True)):
        assert grant.id is not None
        known.add(grant.id)
        label = f"grant {grant.id} (pool {grant.pool_id})"
        approved = grant.approved_fen or 0
        held = nets.get(accounts.grant(grant.id), 0)
        paid = nets.get(accounts.granted(grant.id), 0)
        if held != approved - grant.paid_fen:
            violations.append(
                f"{label}: holds {held} != approved {approved} - paid {grant.paid_fen}"
            )
        if paid != grant.paid_fen:
            violations.append(f"{label}: paid {grant.paid_fen} != ledger instalments {paid}")
        if int(paid_milestones.get(grant.id, 0)) != grant.paid_fen:
            violations.append(
                f"{label}: paid {grant.paid_fen} != its paid milestones "
                f"{paid_milestones.get(grant.id, 0)}"
            )
        if pools.get(grant.id, {grant.pool_id}) != {grant.pool_id}:
            violations.append(f"{label}: postings from another pool {sorted(pools[grant.id])}")
    for account, amount in nets.items():
        grant_account = account.kind in (AccountKind.GRANT, AccountKind.GRANTED)
        if grant_account and amount and account.owner_id not in known:
            violations.append(f"ledger account {account}: {amount} for no grant")
    return violations
