"""Settlement's part of the whole-books check (``voucher_service.books``): statements
equal their lines, and each provider's paid account equals its paid statements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voucher_service.db.tables.settlement import Statement, StatementLine, StatementStatus
from voucher_service.db.tables.usage import UsageRecord
from voucher_service.ledger import accounts
from voucher_service.ledger.accounts import Account, AccountKind


def check_statements(session: Session, nets: Mapping[Account, int]) -> list[str]:
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
